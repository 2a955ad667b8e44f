"""Test helpers shared across apps: headless Chromium for browser tests."""

import shutil

import pytest
from django.conf import settings

TEST_PASSWORD = "pass-for-tests"  # noqa: S105  (the password every test user gets)

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1400,900",
)


def chromium_driver(language: str = "zh-CN"):
    """A Selenium driver for Debian's chromium + chromium-driver (never downloads a browser)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, chromedriver = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and chromedriver):
        message = "chromium and chromium-driver are not installed (apt-get install chromium chromium-driver)"
        if settings.REQUIRE_SERVICES:
            pytest.fail(message)
        pytest.skip(message)
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--lang={language}")
    options.add_experimental_option("prefs", {"intl.accept_languages": language})
    return webdriver.Chrome(service=Service(chromedriver), options=options)


def click(browser, element) -> None:
    """Scroll the element to the middle of the window at once (Bootstrap scrolls smoothly), then click."""
    browser.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", element)
    element.click()


def replaced(element):
    """A wait condition: `element` has left the page, which was loaded or swapped anew. Selenium's
    staleness_of, except that Chromium at times reports a node of a document being replaced as
    "Node with given id does not belong to the document" rather than as stale."""
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException

    def check(_driver) -> bool:
        try:
            element.is_enabled()
        except StaleElementReferenceException:
            return True
        except WebDriverException as error:
            if "does not belong to the document" in str(error):
                return True
            raise
        return False

    return check


def log_in(browser, live_server, username: str, password: str = TEST_PASSWORD) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(f"{live_server.url}/accounts/login/")
    browser.find_element(By.NAME, "username").send_keys(username)
    browser.find_element(By.NAME, "password").send_keys(password)
    click(browser, browser.find_element(By.CSS_SELECTOR, "form button[type=submit]"))
    WebDriverWait(browser, 10).until(EC.url_to_be(f"{live_server.url}/"))


def ignored_filter_warnings_on(response) -> list[str]:
    """The texts of a list page's warnings about filter values it ignored (partials/ignored_filters.html)."""
    content = response.content.decode()
    return [part.split("</i>", 1)[1].split("</div>")[0].strip() for part in content.split("ignored-filter")[1:]]
