"""Take the README's screenshots from a running `make run` site with headless Chromium.

    .venv/bin/python scripts/readme_screenshot.py http://127.0.0.1:8000 docs/
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from crm_site.testing import chromium_driver


def main(base_url: str, folder: str) -> None:
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    browser = chromium_driver()
    try:
        browser.get(f"{base_url}/accounts/login/")
        browser.find_element(By.NAME, "username").send_keys("manager")
        browser.find_element(By.NAME, "password").send_keys("demo-manager-2026")
        browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
        WebDriverWait(browser, 10).until(EC.url_to_be(f"{base_url}/"))
        browser.get(f"{base_url}/retailers/?sort=-stars")
        WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.CSS_SELECTOR, "#results tbody tr")))
        browser.save_screenshot(str(out / "retailer-list.png"))
        first = browser.find_element(By.CSS_SELECTOR, "#results tbody tr a")
        first.click()
        WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.ID, "tab-purchases")))
        browser.find_element(By.CSS_SELECTOR, '[data-bs-target="#tab-purchases"]').click()
        WebDriverWait(browser, 10).until(EC.visibility_of_element_located((By.ID, "monthly-chart")))
        browser.execute_script("window.scrollTo(0, 0)")
        browser.save_screenshot(str(out / "dossier.png"))
    finally:
        browser.quit()


if __name__ == "__main__":
    main(sys.argv[1].rstrip("/"), sys.argv[2])
