"""Grading in a real browser: an admin runs it, a supervisor reads a dossier's breakdown and pins a tier."""

import datetime
from decimal import Decimal

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from crm_site.roles import Role
from crm_site.testing import click, log_in
from grading.models import GradingRun
from grading.services import grading_run_execute, grading_run_start
from retailers.tests.factories import OrderFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_admin_starts_a_run_and_sees_the_counts(browser, live_server, prefecture):
    for i, shop in enumerate(prefecture["shops"].values()):
        OrderFactory(retailer=shop, amount=Decimal(1000 * (i + 1)))
    log_in(browser, live_server, Role.ADMIN.value)
    browser.get(f"{live_server.url}/grading/")
    assert "尚无完成的分级批次" in browser.page_source
    click(browser, browser.find_element(By.ID, "start-run"))  # eager Celery: the run completes in the request
    WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.ID, "run-summary")))
    assert browser.find_element(By.ID, "count-key").text == "1"
    assert browser.find_element(By.ID, "count-ordinary").text == "2"


def test_supervisor_reads_the_breakdown_and_pins_a_tier(browser, live_server, prefecture):
    shop = prefecture["shops"]["a"]
    OrderFactory(retailer=shop, amount=Decimal(5000))
    grading_run_execute(run_id=GradingRun.objects.create(as_of=datetime.date.today()).pk)
    log_in(browser, live_server, Role.SUPERVISOR.value)
    browser.get(f"{live_server.url}/retailers/{shop.pk}/")
    click(browser, browser.find_element(By.CSS_SELECTOR, '[data-bs-target="#tab-grading"]'))
    table = WebDriverWait(browser, 10).until(EC.visibility_of_element_located((By.ID, "score-breakdown")))
    assert "12个月订货金额" in table.text
    browser.find_element(By.ID, "id_reason").send_keys("新店扶持")
    browser.execute_script("document.getElementById('id_expires_on').value = '2099-12-31'")
    browser.execute_script("document.getElementById('id_tier').value = 'key'")
    click(browser, browser.find_element(By.CSS_SELECTOR, "#override-form button[type=submit]"))
    WebDriverWait(browser, 10).until(
        EC.text_to_be_present_in_element((By.CSS_SELECTOR, ".alert-success"), "已人工指定")
    )
    assert "重点客户" in browser.find_element(By.CSS_SELECTOR, ".badge.text-bg-primary").text  # at once, no run


def test_the_page_follows_a_run_taken_by_a_worker_to_its_result(browser, live_server, prefecture):
    for i, shop in enumerate(prefecture["shops"].values()):
        OrderFactory(retailer=shop, amount=Decimal(1000 * (i + 1)))
    run = grading_run_start(started_by=prefecture["users"][Role.ADMIN], queue=False)  # no worker yet
    log_in(browser, live_server, Role.ADMIN.value)
    browser.get(f"{live_server.url}/grading/")
    assert browser.find_element(By.ID, "run-progress").get_attribute("data-status") == "pending"
    grading_run_execute(run_id=run.pk)  # the worker takes it; the page is not reloaded
    result = WebDriverWait(browser, 10).until(EC.visibility_of_element_located((By.ID, "run-result")))
    assert "已完成" in result.text and "3户" in result.text
    assert browser.find_element(By.ID, "count-key").text == "1"
