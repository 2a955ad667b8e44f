"""A sales manager's day in a real (headless) browser: log in, search, open a dossier, switch language."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from crm_site.roles import Role
from crm_site.testing import click, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


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


def test_manager_edits_the_personal_card_and_sees_the_change_in_the_timeline(browser, live_server, prefecture):
    shop = prefecture["shops"]["a"]
    log_in(browser, live_server, Role.SALES_MANAGER.value)
    browser.get(f"{live_server.url}/retailers/{shop.pk}/update/")
    assert not browser.find_elements(By.NAME, "license_no")  # structural fields are not offered
    hobbies = browser.find_element(By.NAME, "hobbies")
    hobbies.clear()
    hobbies.send_keys("喜欢钓鱼")
    click(browser, browser.find_element(By.NAME, "save"))
    WebDriverWait(browser, 10).until(
        EC.text_to_be_present_in_element((By.CSS_SELECTOR, ".alert-success"), "档案已保存")
    )
    browser.find_element(By.CSS_SELECTOR, '[data-bs-target="#tab-timeline"]').click()
    WebDriverWait(browser, 10).until(EC.visibility_of_element_located((By.ID, "tab-timeline")))
    assert "兴趣爱好" in browser.find_element(By.ID, "tab-timeline").text


def test_supervisor_creates_a_dossier_and_sees_field_errors_first(browser, live_server, prefecture):
    log_in(browser, live_server, Role.SUPERVISOR.value)
    browser.get(f"{live_server.url}/retailers/create/")
    fill = {
        "license_no": "320102777666",
        "name": "赵家烟酒店",
        "owner_name": "赵敏",
        "phone": "12345",
        "address": "珠江路3号",
    }
    for name, value in fill.items():
        browser.find_element(By.NAME, name).send_keys(value)
    browser.execute_script("document.getElementsByName('license_expires_on')[0].value = '2030-06-30'")
    for name, value in {
        "business_type": "tobacco_liquor",
        "market_type": "urban",
        "zone_type": "commercial",
        "service_area": str(prefecture["areas"]["a"].pk),
    }.items():
        browser.execute_script(f"document.getElementsByName('{name}')[0].value = '{value}'")
    click(browser, browser.find_element(By.NAME, "save"))
    WebDriverWait(browser, 10).until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, ".alert-danger"), "电话"))
    phone = browser.find_element(By.NAME, "phone")
    phone.clear()
    phone.send_keys("13800138000", Keys.ENTER)
    WebDriverWait(browser, 10).until(EC.text_to_be_present_in_element((By.TAG_NAME, "h1"), "赵家烟酒店"))


def test_supervisor_merges_a_duplicate(browser, live_server, prefecture):
    from retailers.tests.factories import RetailerFactory

    survivor = prefecture["shops"]["a"]
    RetailerFactory(service_area=survivor.service_area, name="王记便利店(重复)", phone=survivor.phone)
    log_in(browser, live_server, Role.SUPERVISOR.value)
    browser.get(f"{live_server.url}/retailers/duplicates/")
    pair = browser.find_element(By.CSS_SELECTOR, ".duplicate-pair")
    pair.find_element(By.NAME, "reason").send_keys("同一门店")
    pair.find_element(By.NAME, "merge").click()
    WebDriverWait(browser, 10).until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, ".alert-success"), "合并"))
    assert browser.find_element(By.TAG_NAME, "h1").text == "王记便利店"


def test_supervisor_marks_a_pair_as_not_a_duplicate(browser, live_server, prefecture):
    from retailers.tests.factories import RetailerFactory

    shop = prefecture["shops"]["a"]
    RetailerFactory(service_area=shop.service_area, name="王记便利店(分店)", phone=shop.phone)
    log_in(browser, live_server, Role.SUPERVISOR.value)
    browser.get(f"{live_server.url}/retailers/duplicates/")
    assert "1 对疑似重复待核对" in browser.find_element(By.ID, "pair-count").text
    click(browser, browser.find_element(By.CSS_SELECTOR, ".duplicate-pair button[name=distinct]"))
    WebDriverWait(browser, 10).until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, ".alert-success"), "不会再"))
    assert not browser.find_elements(By.CSS_SELECTOR, ".duplicate-pair")
    assert "未发现疑似重复档案" in browser.page_source


def test_dossier_chart_fills_its_column_once_its_tab_is_shown(browser, live_server, prefecture):
    from retailers.tests.factories import OrderFactory

    shop = prefecture["shops"]["a"]
    OrderFactory(retailer=shop)
    log_in(browser, live_server, Role.SALES_MANAGER.value)
    browser.get(f"{live_server.url}/retailers/{shop.pk}/")
    click(browser, browser.find_element(By.CSS_SELECTOR, '[data-bs-target="#tab-purchases"]'))
    WebDriverWait(browser, 10).until(EC.visibility_of_element_located((By.ID, "monthly-chart")))
    WebDriverWait(browser, 10).until(
        lambda driver: driver.execute_script("return typeof Chart !== 'undefined' && !!Chart.getChart('monthly-chart')")
    )
    canvas_width, column_width, bars = browser.execute_script(
        """const canvas = document.getElementById('monthly-chart');
        const column = canvas.parentElement, style = getComputedStyle(column);
        const inner = column.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
        return [canvas.getBoundingClientRect().width, inner, Chart.getChart(canvas).data.labels.length];"""
    )
    assert column_width > 300
    assert abs(canvas_width - column_width) <= 2, (canvas_width, column_width)
    assert bars == 12


def test_every_dossier_tab_fits_a_phone_screen(browser, live_server, prefecture):
    """At 360 px the page itself never scrolls sideways: wide tables scroll inside their card."""
    from retailers.tests.factories import ComplianceRecordFactory, OrderFactory

    shop = prefecture["shops"]["a"]
    for _ in range(3):
        OrderFactory(retailer=shop)
    ComplianceRecordFactory(retailer=shop)
    browser.set_window_size(360, 780)
    log_in(browser, live_server, Role.SALES_MANAGER.value)
    browser.get(f"{live_server.url}/retailers/{shop.pk}/")
    tabs = browser.find_elements(By.CSS_SELECTOR, "[data-bs-toggle='tab']")
    assert len(tabs) >= 4
    for tab in tabs:
        click(browser, tab)
        WebDriverWait(browser, 5).until(lambda driver, tab=tab: "active" in tab.get_attribute("class"))
        overflow = browser.execute_script(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 1, (tab.text, overflow)
