"""An admin's whole Excel round trip in a real browser: download the template, fill it, check it,
read the error report, fix the sheet, import it, and export the result."""

import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from crm_site.roles import Role
from crm_site.testing import click, log_in
from retailers.models import Retailer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def downloaded(folder: Path, pattern: str, seconds: int = 15) -> Path:
    """The file the browser saved into `folder` (once it has finished writing it)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        done = [path for path in folder.glob(pattern) if not path.name.endswith(".crdownload")]
        if done and zipfile.is_zipfile(done[0]):  # whole (the name can show before the last bytes)
            return done[0]
        time.sleep(0.2)
    raise AssertionError(f"nothing matching {pattern} was downloaded into {folder}")


def upload_and_wait(browser, path: Path, state: str = "已校验") -> None:
    browser.find_element(By.ID, "import-file").send_keys(str(path))
    click(browser, browser.find_element(By.ID, "upload-button"))
    WebDriverWait(browser, 20).until(EC.text_to_be_present_in_element((By.ID, "job-state"), state))


def test_admin_fills_the_template_checks_fixes_imports_and_exports(
    browser, live_server, prefecture, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    browser.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    area = prefecture["areas"]["a"]
    log_in(browser, live_server, Role.ADMIN.value)
    browser.get(f"{live_server.url}/retailers/")
    click(browser, browser.find_element(By.ID, "import-link"))

    click(browser, browser.find_element(By.ID, "template-retailers"))
    workbook = openpyxl.load_workbook(downloaded(downloads, "retailers-template*.xlsx"))
    sheet = workbook.active
    assert sheet["A1"].value == "许可证号"
    headers = [cell.value for cell in sheet[1]]
    example = [cell.value for cell in sheet[2]]
    good = dict(zip(headers, example, strict=True)) | {"许可证号": "330100000001", "营销片区": area.code}
    bad = good | {"许可证号": "330100000002", "店名": "钱记烟酒店", "电话": "12345"}
    sheet.delete_rows(2)
    for values in (good, bad):
        sheet.append([values[header] for header in headers])
    first_try = tmp_path / "filled.xlsx"
    workbook.save(first_try)

    upload_and_wait(browser, first_try)
    assert browser.find_element(By.ID, "count-invalid").text == "1"
    assert "电话：" in browser.find_element(By.ID, "preview").text
    assert Retailer.objects.filter(license_no__startswith="3301").count() == 0  # the check wrote nothing
    click(browser, browser.find_element(By.ID, "error-report"))
    report = openpyxl.load_workbook(downloaded(downloads, "errors-*.xlsx")).active
    assert report.cell(row=3, column=report.max_column).value.startswith("电话：")

    sheet.cell(row=3, column=headers.index("电话") + 1, value="13900002222")
    fixed = tmp_path / "fixed.xlsx"
    workbook.save(fixed)
    browser.get(f"{live_server.url}/retailers/imports/")
    upload_and_wait(browser, fixed)
    assert browser.find_element(By.ID, "count-invalid").text == "0"
    click(browser, browser.find_element(By.ID, "confirm-button"))  # all or nothing, the default
    WebDriverWait(browser, 20).until(EC.text_to_be_present_in_element((By.ID, "job-state"), "已导入"))
    assert browser.find_element(By.ID, "count-created").text == "2"
    assert "钱记烟酒店" in browser.find_element(By.ID, "touched").text

    browser.get(f"{live_server.url}/retailers/?q=3301000000")
    click(browser, browser.find_element(By.ID, "export-link"))
    exported = openpyxl.load_workbook(downloaded(downloads, "retailers-2*.xlsx")).active
    licences = {row[0] for row in exported.iter_rows(min_row=2, values_only=True)}
    assert licences == {"330100000001", "330100000002"}
    assert exported.freeze_panes == "A2"


def switch_language(browser, language: str) -> None:
    click(browser, browser.find_element(By.CSS_SELECTOR, f"button[name=language][value='{language}']"))
    # The old page's <html> can go stale while it is read: that means "not yet", not a failure.
    WebDriverWait(browser, 10, ignored_exceptions=[StaleElementReferenceException]).until(
        lambda driver: driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == language
    )


def test_admin_sees_late_errors_first_and_no_import_when_nothing_is_valid_in_both_languages(
    browser, live_server, prefecture, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    browser.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    log_in(browser, live_server, Role.ADMIN.value)
    browser.get(f"{live_server.url}/retailers/imports/")
    assert "第二个工作表列出了您可以导入的片区" in browser.find_element(By.ID, "area-codes").text
    click(browser, browser.find_element(By.ID, "template-retailers"))
    workbook = openpyxl.load_workbook(downloaded(downloads, "retailers-template*.xlsx"))
    sheet, areas = workbook.worksheets[0], workbook.worksheets[1]
    headers = [cell.value for cell in sheet[1]]
    example = dict(zip(headers, [cell.value for cell in sheet[2]], strict=True))
    assert example["营销片区"] in {code for code, *_ in areas.iter_rows(min_row=2, values_only=True)}
    sheet.delete_rows(2)
    for n in range(240):
        sheet.append([(example | {"许可证号": f"3301000{n:05d}"})[header] for header in headers])
    sheet.append([(example | {"许可证号": "330100099999", "电话": "12"})[header] for header in headers])
    late = tmp_path / "late.xlsx"
    workbook.save(late)

    upload_and_wait(browser, late)
    first = browser.find_elements(By.CSS_SELECTOR, "#preview tbody tr")[0].text
    assert first.startswith("242") and "电话：" in first
    assert browser.find_element(By.ID, "confirm-button").is_displayed()
    browser.save_screenshot(str(Path(settings.MEDIA_ROOT) / "late-zh.png"))

    switch_language(browser, "en")
    first = browser.find_elements(By.CSS_SELECTOR, "#preview tbody tr")[0].text
    assert first.startswith("242") and "Phone (电话): a mobile number" in first
    browser.save_screenshot(str(Path(settings.MEDIA_ROOT) / "late-en.png"))

    for n in range(2, sheet.max_row + 1):
        sheet.cell(row=n, column=headers.index("电话") + 1, value="1")
    hopeless = tmp_path / "hopeless.xlsx"
    workbook.save(hopeless)
    browser.get(f"{live_server.url}/retailers/imports/")
    upload_and_wait(browser, hopeless, state="Checked")
    assert not browser.find_elements(By.ID, "confirm-button")
    assert "nothing to import" in browser.find_element(By.ID, "nothing-valid").text
    browser.save_screenshot(str(Path(settings.MEDIA_ROOT) / "hopeless-en.png"))
    switch_language(browser, "zh-hans")
    assert not browser.find_elements(By.ID, "confirm-button")
    assert "无可导入" in browser.find_element(By.ID, "nothing-valid").text
    browser.save_screenshot(str(Path(settings.MEDIA_ROOT) / "hopeless-zh.png"))
