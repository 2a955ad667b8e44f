"""A clerk logs a hotline complaint and walks it from 受理 to 关闭 in a real browser."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

from complaints.models import Status, Ticket
from crm_site.roles import Role
from crm_site.testing import click, log_in, replaced

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def submit_move(browser, move: str, fields: dict[str, str] | None = None) -> None:
    form = browser.find_element(By.CSS_SELECTOR, f'.move-form[data-move="{move}"]')
    for name, value in (fields or {}).items():
        element = form.find_element(By.NAME, name)
        if element.tag_name == "select":
            Select(element).select_by_value(value)
        else:
            element.send_keys(value)
    click(browser, form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    # the page before still shows the previous move's message: wait for it to be replaced first
    WebDriverWait(browser, 10).until(replaced(form))
    WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".alert")))


def test_clerk_walks_a_ticket_from_received_to_closed(browser, live_server, prefecture):
    log_in(browser, live_server, Role.COMPLAINT_CLERK.value)
    browser.get(f"{live_server.url}/complaints/create/")
    browser.find_element(By.ID, "retailer-search").send_keys("wjbld")
    choice = WebDriverWait(browser, 10).until(EC.element_to_be_clickable((By.CSS_SELECTOR, ".retailer-choice")))
    click(browser, choice)
    Select(browser.find_element(By.NAME, "channel")).select_by_value("hotline")
    Select(browser.find_element(By.NAME, "category")).select_by_value("delivery")
    browser.find_element(By.NAME, "description").send_keys("本周订单少送两条")
    click(browser, browser.find_element(By.NAME, "save"))
    WebDriverWait(browser, 10).until(EC.text_to_be_present_in_element((By.ID, "ticket-step"), "受理"))
    assert "TS-" in browser.find_element(By.TAG_NAME, "h1").text

    submit_move(browser, "acknowledge")
    submit_move(browser, "verify", {"findings": "核实属实，分拣漏装"})
    submit_move(browser, "resolve", {"resolution": "已补送两条"})
    answer = Select(browser.find_element(By.CSS_SELECTOR, ".standard-answer"))
    answer.select_by_index(1)  # a standard answer fills the reply, which the clerk may edit
    assert browser.find_element(By.ID, "reply-reply").get_attribute("value")
    submit_move(browser, "reply")
    submit_move(browser, "follow_up", {"satisfaction": "5", "satisfaction_comment": "满意"})

    WebDriverWait(browser, 10).until(EC.text_to_be_present_in_element((By.ID, "ticket-step"), "关闭"))
    ticket = Ticket.objects.get()
    assert ticket.status == Status.CLOSED
    assert ticket.events.filter(kind="moved").count() == 5
    offered = [form.get_attribute("data-move") for form in browser.find_elements(By.CSS_SELECTOR, ".move-form")]
    assert offered == ["reopen"]
