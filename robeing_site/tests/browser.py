"""What the browser tests share: Debian's Chromium driven by Playwright (no
browser download), a logged-in operator, and screenshots kept under
var/screenshots/ as CI artifacts."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
PASSWORD = "correct horse battery staple"  # UserFactory's
ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    """One headless Chromium for a module of browser tests."""
    if not Path(CHROMIUM).exists():
        pytest.fail(
            "Chromium is missing: `make test` installs it (apt-get install chromium); "
            "browser tests never download a browser."
        )
    # Playwright's sync API keeps an event loop running in this thread while
    # it is open, so Django would refuse the tests' own ORM calls (factories,
    # assertions, database set-up) as "async". Allowed for this module only;
    # the server under test runs in its own thread and is unaffected.
    before = os.environ.get(ASYNC_UNSAFE)
    os.environ[ASYNC_UNSAFE] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            yield browser
            browser.close()
    finally:
        if before is None:
            os.environ.pop(ASYNC_UNSAFE, None)
        else:
            os.environ[ASYNC_UNSAFE] = before


def new_page(browser: Browser, *, locale: str = "ko-KR") -> Page:
    context = browser.new_context(
        locale=locale,
        extra_http_headers={"Accept-Language": locale.split("-")[0]},
        viewport={"width": 1400, "height": 900},
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def log_in(page: Page, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/admin/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{base_url}/admin/")


def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
