"""Done means (issue 10): a manager, in a phone-sized headless Chromium (360 × 740), opens a planned
visit, checks in, logs it with a stock check and a follow-up complaint ticket, and sees the next
visit planned."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

from complaints.models import Ticket
from crm_site.roles import Role
from crm_site.testing import click, log_in
from retailers.models import OrderLine, Tier
from retailers.tests.factories import OrderFactory, ProductFactory, RetailerFactory
from visits.models import Visit, VisitKind, VisitStatus, VisitStockCheck

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def fits_the_screen(browser) -> bool:
    return browser.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")


def test_a_manager_logs_a_visit_on_a_phone(browser, live_server, prefecture, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    manager = prefecture["users"][Role.SALES_MANAGER]
    today = timezone.localdate()
    shop = RetailerFactory(
        service_area=prefecture["areas"]["a"], account_manager=manager, tier=Tier.KEY, name="鑫源便利店",
        license_expires_on=today + datetime.timedelta(days=700),
    )  # fmt: skip
    product = ProductFactory(brand="南京", name="炫赫门")
    order = OrderFactory(retailer=shop, ordered_on=today - datetime.timedelta(days=3))
    OrderLine.objects.create(order=order, product=product, quantity=10, unit_price=Decimal(260), amount=Decimal(2600))
    visit = Visit.objects.create(
        retailer=shop, manager=manager, kind=VisitKind.ROUTINE, planned_on=today, interval_days=7
    )

    browser.set_window_size(360, 740)
    log_in(browser, live_server, manager.username)
    browser.get(f"{live_server.url}/visits/{visit.pk}/")
    assert fits_the_screen(browser)
    click(browser, browser.find_element(By.ID, "check-in"))
    WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.ID, "checked-in")))
    assert fits_the_screen(browser)

    click(browser, browser.find_element(By.CSS_SELECTOR, "label[for=id_channel_0]"))  # 上门 on site
    click(browser, browser.find_element(By.CSS_SELECTOR, f"label[for=id_stock_{product.pk}_1]"))  # 有货 in stock
    browser.find_element(By.NAME, f"cartons_{product.pk}").send_keys("6")
    click(browser, browser.find_element(By.CSS_SELECTOR, "label[for=id_price_display_ok_1]"))  # yes
    click(browser, browser.find_element(By.CSS_SELECTOR, "label[for=id_satisfaction_4]"))  # 5
    browser.find_element(By.NAME, "needs").send_keys("希望增加中华的货源")
    ticket_fields = browser.find_element(By.ID, "ticket-fields")
    assert not ticket_fields.is_displayed()
    click(browser, browser.find_element(By.NAME, "open_ticket"))
    WebDriverWait(browser, 5).until(EC.visibility_of(ticket_fields))
    Select(browser.find_element(By.NAME, "ticket_category")).select_by_value("delivery")
    browser.find_element(By.NAME, "ticket_description").send_keys("上周订单少送两条")
    assert fits_the_screen(browser)
    click(browser, browser.find_element(By.ID, "save-visit"))

    WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.ID, "visit-log")))
    assert "已完成" in browser.find_element(By.ID, "visit-status").text
    ticket = Ticket.objects.get()
    assert browser.find_element(By.ID, "visit-ticket").text == ticket.number
    assert "炫赫门" in browser.find_element(By.ID, "stock-checks").text
    following = Visit.objects.get(retailer=shop, status=VisitStatus.PLANNED)
    assert following.planned_on.strftime("%Y-%m-%d") in browser.find_element(By.ID, "next-routine").text
    assert fits_the_screen(browser)

    visit.refresh_from_db()
    assert (visit.status, visit.ticket, visit.satisfaction, visit.price_display_ok) == (
        VisitStatus.DONE,
        ticket,
        5,
        True,
    )
    assert visit.checked_in_at <= visit.checked_out_at
    assert VisitStockCheck.objects.get(visit=visit).cartons == 6
