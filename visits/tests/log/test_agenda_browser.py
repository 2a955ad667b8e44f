"""Done means (issue 10): a manager, in a phone-sized headless Chromium (360 × 740), opens today's
agenda (/visits/), goes from its route to the first visit, logs it with a stock check and a
follow-up complaint ticket, and sees the next visit planned; the agenda and the route sheet fit."""

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
from visits.tests.log.test_browser import fits_the_screen

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_manager_logs_a_visit_from_todays_agenda_on_a_phone(browser, live_server, prefecture, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    manager = prefecture["users"][Role.SALES_MANAGER]
    today = timezone.localdate()
    shop = RetailerFactory(
        service_area=prefecture["areas"]["a"], account_manager=manager, tier=Tier.KEY, name="鑫源便利店",
        license_expires_on=today + datetime.timedelta(days=700), latitude=Decimal("32.04"), longitude=Decimal("118.78"),
    )  # fmt: skip
    farther = RetailerFactory(
        service_area=prefecture["areas"]["a"], account_manager=manager, tier=Tier.KEY, name="远方超市",
        license_expires_on=today + datetime.timedelta(days=700), latitude=Decimal("32.10"), longitude=Decimal("118.78"),
    )  # fmt: skip
    product = ProductFactory(brand="南京", name="炫赫门")
    order = OrderFactory(retailer=shop, ordered_on=today - datetime.timedelta(days=3))
    OrderLine.objects.create(order=order, product=product, quantity=10, unit_price=Decimal(260), amount=Decimal(2600))
    visit = Visit.objects.create(
        retailer=shop, manager=manager, kind=VisitKind.ROUTINE, planned_on=today, interval_days=7
    )
    Visit.objects.create(retailer=farther, manager=manager, kind=VisitKind.ROUTINE, planned_on=today, interval_days=7)

    browser.set_window_size(360, 740)
    log_in(browser, live_server, manager.username)
    browser.get(f"{live_server.url}/visits/")
    route = browser.find_element(By.ID, "route")
    assert route.find_elements(By.TAG_NAME, "li")[0].get_attribute("data-visit") == str(visit.pk)  # the start
    assert "公里" in browser.find_element(By.ID, "route-total").text
    assert fits_the_screen(browser)
    click(browser, route.find_element(By.LINK_TEXT, "鑫源便利店"))
    WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.ID, "check-in")))
    click(browser, browser.find_element(By.ID, "check-in"))
    WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.ID, "checked-in")))

    click(browser, browser.find_element(By.CSS_SELECTOR, "label[for=id_channel_0]"))  # 上门 on site
    click(browser, browser.find_element(By.CSS_SELECTOR, f"label[for=id_stock_{product.pk}_1]"))  # 有货 in stock
    browser.find_element(By.NAME, f"cartons_{product.pk}").send_keys("6")
    click(browser, browser.find_element(By.CSS_SELECTOR, "label[for=id_satisfaction_4]"))  # 5
    click(browser, browser.find_element(By.NAME, "open_ticket"))
    ticket_fields = browser.find_element(By.ID, "ticket-fields")
    WebDriverWait(browser, 5).until(EC.visibility_of(ticket_fields))
    Select(browser.find_element(By.NAME, "ticket_category")).select_by_value("delivery")
    browser.find_element(By.NAME, "ticket_description").send_keys("上周订单少送两条")
    assert fits_the_screen(browser)
    click(browser, browser.find_element(By.ID, "save-visit"))

    WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.ID, "visit-log")))
    ticket = Ticket.objects.get()
    assert browser.find_element(By.ID, "visit-ticket").text == ticket.number
    following = Visit.objects.get(retailer=shop, status=VisitStatus.PLANNED)
    assert following.planned_on > today
    assert following.planned_on.strftime("%Y-%m-%d") in browser.find_element(By.ID, "next-routine").text
    visit.refresh_from_db()
    assert (visit.status, visit.ticket) == (VisitStatus.DONE, ticket)
    assert VisitStockCheck.objects.get(visit=visit).cartons == 6

    browser.get(f"{live_server.url}/visits/")  # back on the agenda: the visit is done, still on today's route
    done = browser.find_element(By.CSS_SELECTOR, f"#route li[data-visit='{visit.pk}']")
    assert "已完成" in done.text
    assert fits_the_screen(browser)
    click(browser, browser.find_element(By.ID, "route-sheet-link"))
    WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.ID, "print-route")))
    assert fits_the_screen(browser)
