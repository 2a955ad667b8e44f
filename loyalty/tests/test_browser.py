"""Points in a real browser: a manager files a redemption from the dossier's points tab, the
region's supervisor approves it from the queue, and the statement shows the earning and the hold."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from crm_site.roles import Role
from crm_site.testing import click, log_in
from loyalty.models import Redemption, RedemptionStatus
from loyalty.services import points_earn_orders
from loyalty.tests.factories import EarnRuleFactory, RewardFactory
from retailers.tests.factories import OrderFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def open_points_tab(browser, live_server, shop):
    browser.get(f"{live_server.url}/retailers/{shop.pk}/")
    click(browser, browser.find_element(By.CSS_SELECTOR, '[data-bs-target="#tab-points"]'))
    return WebDriverWait(browser, 10).until(EC.visibility_of_element_located((By.ID, "points-statement")))


def test_a_manager_files_a_redemption_and_a_supervisor_approves_it(browser, live_server, prefecture):
    shop = prefecture["shops"]["a"]
    EarnRuleFactory()
    OrderFactory(retailer=shop)  # 2,600 yuan: 260 points
    points_earn_orders()
    RewardFactory(name="烟草陈列柜", points_price=200)

    log_in(browser, live_server, Role.SALES_MANAGER.value)
    open_points_tab(browser, live_server, shop)
    assert "260 积分" in browser.find_element(By.ID, "points-balance").text
    click(browser, browser.find_element(By.ID, "redeem"))
    status = WebDriverWait(browser, 10).until(EC.visibility_of_element_located((By.ID, "redemption-status")))
    assert status.text == "已申请"
    assert "积分已冻结" in browser.find_element(By.CSS_SELECTOR, ".alert-success").text

    browser.delete_all_cookies()
    log_in(browser, live_server, Role.SUPERVISOR.value)
    browser.get(f"{live_server.url}/loyalty/redemptions/")
    click(browser, browser.find_element(By.CSS_SELECTOR, "#queue-filed a"))
    click(browser, WebDriverWait(browser, 10).until(EC.element_to_be_clickable((By.ID, "move-approved"))))
    WebDriverWait(browser, 10).until(EC.text_to_be_present_in_element((By.ID, "redemption-status"), "已审批"))
    assert Redemption.objects.get().status == RedemptionStatus.APPROVED

    statement = open_points_tab(browser, live_server, shop)
    rows = [row.text for row in statement.find_elements(By.CSS_SELECTOR, "tbody tr")]
    assert len(rows) == 2
    assert "积分兑换" in rows[0] and "-200" in rows[0]
    assert "购进" in rows[1] and "+260" in rows[1]
    assert "60 积分" in browser.find_element(By.ID, "points-balance").text
