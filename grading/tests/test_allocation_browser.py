"""Allocation in a real browser: a supervisor drafts, previews, recomputes, publishes and exports."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

from crm_site.roles import Role
from crm_site.testing import click, log_in
from grading.models import Allocation, AllocationStatus
from grading.tests.allocation_helpers import grade, rule_set, scarce_product

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

FETCH = """
const done = arguments[arguments.length - 1];
fetch(arguments[0]).then(r => r.arrayBuffer().then(b => done([r.status, r.headers.get('content-type'),
  new TextDecoder().decode(b)])));
"""


def test_supervisor_drafts_previews_publishes_and_exports(browser, live_server, prefecture):
    shops = prefecture["shops"]
    grade({shops["a"]: 10, shops["b"]: 20, shops["c"]: 30})
    product = scarce_product(code="6901000555", brand="黄鹤楼", name="硬1916")
    rules = rule_set(name="按档位（测试）")
    log_in(browser, live_server, Role.SUPERVISOR.value)

    browser.get(f"{live_server.url}/grading/allocations/")
    click(browser, browser.find_element(By.ID, "new-allocation"))
    Select(browser.find_element(By.NAME, "product")).select_by_value(str(product.pk))
    Select(browser.find_element(By.NAME, "rule_set")).select_by_value(str(rules.pk))
    browser.execute_script("document.getElementsByName('period_start')[0].value = '2026-12-09'")
    browser.find_element(By.NAME, "cartons").send_keys("10")
    click(browser, browser.find_element(By.ID, "allocation-submit"))

    WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.ID, "allocation-status")))
    assert browser.find_element(By.ID, "allocation-status").get_attribute("data-status") == "draft"
    # The supervisor of region 1 sees the lines of its two shops; the chart is drawn by the vendored Chart.js.
    WebDriverWait(browser, 10).until(lambda b: b.execute_script(
        "return !!(window.Chart && Chart.getChart(document.getElementById('allocation-chart')))"
    ))  # fmt: skip
    cells = browser.find_elements(By.CSS_SELECTOR, "#allocation-lines .line-cartons")
    assert [cell.text for cell in cells] == ["2", "3"]
    assert "第一稿" in browser.find_element(By.ID, "changed-shops").text

    cartons = browser.find_element(By.ID, "id_cartons")
    cartons.clear()
    cartons.send_keys("16")
    click(browser, browser.find_element(By.ID, "recompute"))
    WebDriverWait(browser, 10).until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, ".alert-success"), "重新计算"))
    preview = browser.find_element(By.ID, "changed-shops").text
    assert "2 → 3" in preview and "3 → 5" in preview  # 10, 20, 30 of 16: 2.67, 5.33, 8 → 3, 5, 8
    assert "第 20 档 1 5" in browser.find_element(By.ID, "totals-level").text  # their region only

    explanation = browser.find_element(By.CSS_SELECTOR, "#allocation-lines details")
    click(browser, explanation.find_element(By.TAG_NAME, "summary"))
    assert "档位 10" in explanation.text and "投放：3 条。" in explanation.text

    click(browser, browser.find_element(By.ID, "publish"))
    WebDriverWait(browser, 10).until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, ".alert-success"), "已发布"))
    assert browser.find_element(By.ID, "allocation-status").get_attribute("data-status") == "published"
    assert not browser.find_elements(By.ID, "publish") and not browser.find_elements(By.ID, "recompute")
    allocation = Allocation.objects.get()
    assert allocation.status == AllocationStatus.PUBLISHED and allocation.allocated == 16

    csv_url = browser.find_element(By.ID, "export-csv").get_attribute("href")
    status, kind, text = browser.execute_async_script(FETCH, csv_url)
    assert status == 200 and kind.startswith("text/csv")
    lines = text.lstrip("\ufeff").splitlines()
    assert lines[0] == "许可证号,卷烟编码,周期,数量（条）"
    assert sorted(line.split(",")[3] for line in lines[1:]) == ["3", "5"]  # the supervisor's two shops
    assert {line.split(",")[2] for line in lines[1:]} == {"2026-W50"}
    xlsx_url = browser.find_element(By.ID, "export-xlsx").get_attribute("href")
    status, kind, _body = browser.execute_async_script(FETCH, xlsx_url)
    assert status == 200 and "spreadsheetml" in kind
