"""Test helpers shared across apps: headless Chromium for browser tests."""

import shutil

import pytest
from django.conf import settings

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
