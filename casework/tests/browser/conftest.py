"""Headless Chromium through the admin, on the live server.

One browser for the session: Debian's ``chromium`` driven by its own ``chromedriver``
(``make browser`` installs both; Selenium is given the driver's path and told to stay
offline, so it never downloads one). Each test starts with no cookies. The live server
answers from the test database: the tests here run on committed data (``transactional_db``,
with the migrated roles and policies restored afterwards), so the server sees what a test
wrote and the test sees what the server did.

When a test fails, every page it saw is written to
``VAR_DIR/browser-failures/<test>/NN-<page>.png`` (``var/`` is git-ignored) and the folder is
named in the failure report.
"""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.remote.webdriver import WebDriver

from casework.tests.environment import require_service

# The refunds desk and the payments system, as the refunds tests know them.
from refunds.tests.conftest import other_refunds_desk, payments_system, refunds_desk  # noqa: F401

from .admin_browser import AdminBrowser

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
WINDOW = "1366,900"
# A closed machine: nothing to sync, update or phone home; /dev/shm may be small in a container.
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--lang=en-US",
    f"--window-size={WINDOW}",
)


def start_chromium(profile: Path) -> WebDriver:
    """Debian's chromium under its own chromedriver, with its own profile folder."""
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not os.access(path, os.X_OK)]
    require_service(
        not missing,
        f"Debian's chromium and chromium-driver ({', '.join(missing)} not found;"
        " `make browser` installs them)",
    )
    options = Options()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.add_experimental_option("prefs", {"intl.accept_languages": "en-US,en"})
    # The console, for what the Content-Security-Policy refused (AdminBrowser checks each page).
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SE_OFFLINE", "true")  # Selenium Manager: never look anything up
        return webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)


@pytest.fixture(scope="session")
def chromium(tmp_path_factory) -> Iterator[WebDriver]:
    driver = start_chromium(tmp_path_factory.mktemp("chromium-profile"))
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def second_browser(browser, tmp_path_factory) -> Iterator[AdminBrowser]:
    """Another desk at the same moment: a second chromium, with its own cookies, on the same
    live server (for what two clerks do at once)."""
    driver = start_chromium(tmp_path_factory.mktemp("chromium-profile-2"))
    try:
        visitor = AdminBrowser(driver, browser.base_url)
        visitor.start_afresh()
        yield visitor
    finally:
        driver.quit()


@pytest.fixture
def browser(
    chromium, live_server, transactional_db, django_db_serialized_rollback, media_root
) -> AdminBrowser:
    """A fresh visitor on the live server's admin; uploaded files land in the test's own folder."""
    visitor = AdminBrowser(chromium, live_server.url)
    visitor.start_afresh()
    return visitor


@pytest.fixture
def scan(tmp_path) -> Path:
    """A photo to upload as evidence: a real PNG, only a very small one."""
    path = tmp_path / "scan.png"
    path.write_bytes(base64.b64decode(PNG))
    return path


PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    browser = getattr(item, "funcargs", {}).get("browser")
    if report.failed and isinstance(browser, AdminBrowser):
        folder = Path(settings.VAR_DIR) / "browser-failures" / re.sub(r"[^\w.-]+", "-", item.name)
        saved = browser.save_pages(folder)
        report.sections.append(
            ("browser screenshots", f"{len(saved)} page(s) the test saw, the last as it failed: {folder}/")
        )
    return report
