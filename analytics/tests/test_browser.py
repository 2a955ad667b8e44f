"""In a headless Chromium: a supervisor's forecast chart is drawn (Chart.js from a static file and
json_script under the site's CSP), and a finding is marked reviewed from the risk list."""

import datetime
from decimal import Decimal

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from analytics.forecast_services import forecast_refresh
from analytics.models import RiskFinding
from analytics.risk_services import risk_refresh
from crm_site.roles import Role
from crm_site.testing import click, log_in
from retailers.tests.factories import OrderFactory, RetailerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_supervisor_reads_the_forecast_chart_and_reviews_a_finding(browser, live_server, prefecture):
    supervisor = prefecture["users"][Role.SUPERVISOR]
    today = datetime.date.today()
    last_monday = today - datetime.timedelta(days=today.weekday() + 7)
    for k in range(20):
        OrderFactory(retailer=prefecture["shops"]["a"], ordered_on=last_monday - datetime.timedelta(weeks=k))
    closed = RetailerFactory(status="closed", service_area=prefecture["areas"]["a"], name="关门烟酒店")
    OrderFactory(retailer=closed, ordered_on=last_monday, amount=Decimal(900))
    forecast_refresh()
    risk_refresh()

    log_in(browser, live_server, supervisor.username)
    browser.get(f"{live_server.url}/analytics/forecast/")
    WebDriverWait(browser, 10).until(
        lambda driver: driver.execute_script(
            "return typeof Chart !== 'undefined' && !!Chart.getChart(document.getElementById('forecast-chart'))"
        )
    )
    assert "玄武一片" in browser.find_element(By.ID, "forecast-areas").text

    browser.get(f"{live_server.url}/analytics/risk/?reviewed=no")
    assert "关门烟酒店" in browser.find_element(By.ID, "risk-findings").text
    browser.find_element(By.NAME, "note").send_keys("已核实")
    click(browser, browser.find_element(By.CSS_SELECTOR, "#risk-findings button[type=submit]"))
    WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".alert-success")))
    assert "reviewed=no" in browser.current_url
    finding = RiskFinding.objects.get()
    assert finding.reviewed_by == supervisor and finding.review_note == "已核实"
