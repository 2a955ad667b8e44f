"""The main pages in a real browser under the Content-Security-Policy: nothing is blocked.

A `securitypolicyviolation` listener is installed in every document before the page's own scripts
run (Chrome DevTools' Page.addScriptToEvaluateOnNewDocument is not itself subject to the policy);
each page is opened, its tabs and htmx parts loaded, and the recorded violations must be none.
"""

import datetime
import time
from decimal import Decimal

import pytest
from selenium.webdriver.common.by import By

from complaints.services import ticket_create
from complaints.tests.factories import ticket_data
from crm_site.roles import Role
from crm_site.testing import chromium_driver, click, log_in
from grading.models import GradingRun
from grading.services import grading_run_execute
from retailers.tests.factories import OrderFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " blocked " + (e.blockedURI || "inline") + " at " +
                    (e.sourceFile || document.location.pathname) + ":" + e.lineNumber);
});
"""


def _violations(browser) -> list[str]:
    time.sleep(0.5)  # let htmx finish what the page loads on its own
    return browser.execute_script("return window.__csp || ['listener missing']")


def _open(browser, url: str) -> list[str]:
    browser.get(url)
    found = _violations(browser)
    for tab in browser.find_elements(By.CSS_SELECTOR, '[data-bs-toggle="tab"]'):
        click(browser, tab)  # a dossier's tabs load their content with htmx
        found += _violations(browser)
    return found


@pytest.fixture
def pages(prefecture):
    shop = prefecture["shops"]["a"]
    for months_ago in range(3):
        OrderFactory(
            retailer=shop,
            amount=Decimal(1000 + months_ago),
            ordered_on=datetime.date.today() - datetime.timedelta(days=30 * months_ago + 1),
        )
    grading_run_execute(run_id=GradingRun.objects.create(as_of=datetime.date.today()).pk)
    ticket = ticket_create(retailer=shop, data=ticket_data(), created_by=prefecture["users"][Role.COMPLAINT_CLERK])
    return [
        "/",
        "/retailers/",
        "/retailers/?q=wjbld",
        f"/retailers/{shop.pk}/",
        "/retailers/orders/",
        f"/retailers/{shop.pk}/update/",
        "/grading/",
        "/complaints/",
        "/complaints/create/",
        f"/complaints/{ticket.pk}/",
        "/complaints/report/",
        "/visits/",
        "/visits/route/",
        "/visits/campaigns/create/",
        "/visits/surveys/",
        "/visits/surveys/invitations/",
        "/visits/surveys/questionnaires/",
        "/retailers/imports/",
        "/exports/",
    ]


@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_main_pages_run_without_a_csp_violation(live_server, pages, language):
    browser = chromium_driver(language)
    browser.implicitly_wait(2)
    try:
        browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORD_VIOLATIONS})
        log_in(browser, live_server, Role.ADMIN.value)
        found = {path: _open(browser, f"{live_server.url}{path}") for path in pages}
        # The chart drew (Chart.js sizes its canvas through the CSSOM, which the policy allows).
        browser.get(f"{live_server.url}{pages[3]}")
        click(browser, browser.find_element(By.CSS_SELECTOR, '[data-bs-target="#tab-purchases"]'))
        assert browser.execute_script("return Chart.getChart('monthly-chart') !== undefined")
    finally:
        browser.quit()
    assert not {path: hits for path, hits in found.items() if hits}


def test_the_listener_sees_a_violation(live_server, prefecture, browser):
    """The check itself works: an inline style added to a page under the policy is reported."""
    browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORD_VIOLATIONS})
    browser.get(f"{live_server.url}/accounts/login/")
    browser.execute_script("document.body.insertAdjacentHTML('beforeend', '<style>body{color:red}</style>')")
    assert any("style-src" in hit for hit in _violations(browser))
