"""A sales manager's day in a real (headless) browser: log in, search, open a dossier, switch language."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from crm_site.roles import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def log_in(browser, live_server, username: str) -> None:
    browser.get(f"{live_server.url}/accounts/login/")
    browser.find_element(By.NAME, "username").send_keys(username)
    browser.find_element(By.NAME, "password").send_keys("pass-for-tests")
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    WebDriverWait(browser, 10).until(EC.url_to_be(f"{live_server.url}/"))


def test_manager_finds_own_shop_by_pinyin_and_opens_its_dossier(browser, live_server, prefecture):
    log_in(browser, live_server, Role.SALES_MANAGER.value)
    assert "您好" in browser.page_source
    browser.find_element(By.CSS_SELECTOR, '[data-area="retailers"]').click()
    rows = browser.find_elements(By.CSS_SELECTOR, "#results tbody tr")
    assert [row.find_element(By.TAG_NAME, "a").text for row in rows] == ["王记便利店"]

    search = browser.find_element(By.ID, "id_q")
    search.send_keys("zzz")  # htmx swaps the results without a reload
    WebDriverWait(browser, 10).until(EC.text_to_be_present_in_element((By.ID, "results"), "没有符合条件"))
    assert "q=zzz" in browser.current_url
    search.clear()
    search.send_keys("wjbld")
    WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.LINK_TEXT, "王记便利店"))).click()

    WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.TAG_NAME, "h1")))
    assert browser.find_element(By.TAG_NAME, "h1").text == "王记便利店"
    assert "个人名片" in browser.page_source

    browser.find_element(By.CSS_SELECTOR, 'button[name="language"][value="en"]').click()
    WebDriverWait(browser, 10).until(EC.text_to_be_present_in_element((By.TAG_NAME, "body"), "Personal card"))


def test_manager_cannot_open_another_managers_shop(browser, live_server, prefecture):
    log_in(browser, live_server, Role.SALES_MANAGER.value)
    browser.get(f"{live_server.url}/retailers/{prefecture['shops']['c'].pk}/")
    assert "页面不存在" in browser.page_source
    assert "张老烟酒店" not in browser.page_source
