"""An admin imports a retailer sheet in a real browser: upload, read the check, confirm."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from crm_site.roles import Role
from crm_site.testing import click, log_in
from retailers.models import Retailer
from retailers.tests.test_imports import row, write_sheet

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_admin_uploads_checks_and_imports_a_sheet(browser, live_server, prefecture, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    area = prefecture["areas"]["a"]
    path = write_sheet(
        tmp_path / "shops.xlsx",
        [row(area, license_no="330100000001"), row(area, license_no="330100000002", phone="12")],
    )
    log_in(browser, live_server, Role.ADMIN.value)
    browser.get(f"{live_server.url}/retailers/")
    click(browser, browser.find_element(By.ID, "import-link"))
    browser.find_element(By.ID, "import-file").send_keys(path)
    click(browser, browser.find_element(By.ID, "upload-button"))
    WebDriverWait(browser, 15).until(EC.text_to_be_present_in_element((By.ID, "job-state"), "已校验"))
    assert browser.find_element(By.ID, "count-invalid").text == "1"
    assert "电话：" in browser.find_element(By.ID, "preview").text
    assert browser.find_element(By.ID, "error-report").is_displayed()
    click(browser, browser.find_element(By.ID, "mode-skip"))
    click(browser, browser.find_element(By.ID, "confirm-button"))
    WebDriverWait(browser, 15).until(EC.text_to_be_present_in_element((By.ID, "job-state"), "已导入"))
    assert browser.find_element(By.ID, "count-created").text == "1"
    assert Retailer.objects.filter(license_no="330100000001").exists()
