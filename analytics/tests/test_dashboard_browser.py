"""A supervisor opens the dashboard, changes the period, opens churn risk and exports it."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

from analytics.services import analytics_refresh
from crm_site.models import ExportJob
from crm_site.roles import Role
from crm_site.testing import chromium_driver, click, log_in
from crm_site.tests.test_csp_browser import RECORD_VIOLATIONS
from retailers.tests.factories import OrderFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_supervisor_changes_the_period_and_exports_the_churn_list(live_server, prefecture):
    today = timezone.localdate()
    monday = today - datetime.timedelta(days=today.weekday())
    shop = prefecture["shops"]["a"]  # a year of weekly orders that stopped 11 weeks ago
    for weeks_ago in range(11, 53):
        OrderFactory(retailer=shop, ordered_on=monday - datetime.timedelta(weeks=weeks_ago), amount=Decimal("1000"))
    analytics_refresh(full=True)
    supervisor = prefecture["users"][Role.SUPERVISOR]
    browser = chromium_driver("en")
    try:
        browser.implicitly_wait(2)
        browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORD_VIOLATIONS})
        log_in(browser, live_server, supervisor.username)
        browser.get(f"{live_server.url}/analytics/")
        assert browser.find_element(By.ID, "figure-amount")
        assert browser.execute_script("return Chart.getChart('months-chart') !== undefined")
        Select(browser.find_element(By.ID, "id_kind")).select_by_value("year")
        month = browser.find_element(By.ID, "id_month")
        browser.execute_script("arguments[0].value = arguments[1]", month, f"{today.year}-01")
        click(browser, browser.find_element(By.ID, "period-apply"))
        WebDriverWait(browser, 10).until(EC.url_contains("kind=year"))
        label = browser.find_element(By.ID, "period-label").text
        assert f"{today.year}-01" in label and f"{today.year}-12" in label
        click(browser, browser.find_element(By.ID, "churn-link"))
        row = WebDriverWait(browser, 10).until(
            EC.presence_of_element_located((By.CSS_SELECTOR, f"#churn-list tr[data-retailer='{shop.pk}']"))
        )
        assert "No order for 11 weeks" in row.text
        click(browser, browser.find_element(By.ID, "export-button"))
        WebDriverWait(browser, 10).until(EC.url_contains("/exports/"))
        job = ExportJob.objects.get(user=supervisor)
        assert (job.kind, job.status) == ("analytics-churn", ExportJob.Status.SUCCEEDED)
        assert browser.execute_script("return window.__csp") == []
    finally:
        browser.quit()
