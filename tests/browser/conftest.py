"""Browser lane: Playwright drives Debian's Chromium (never a downloaded browser)."""

from __future__ import annotations

import os
import shutil

import pytest
from playwright.sync_api import expect

from tests.browser.support import LONG_WAIT_MS

# Sync Playwright keeps an event loop in the main thread; the ORM must still be usable there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("TENANTPILOT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not shutil.which(CHROMIUM):
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """A desktop-sized window by default; tests that need a phone open their own context."""
    return {**browser_context_args, "viewport": {"width": 1280, "height": 900}}


@pytest.fixture
def page(page):
    """The pytest-playwright page with generous waits: the CI box is loaded, so every wait is long
    and every test waits on page state, never on time."""
    page.set_default_timeout(LONG_WAIT_MS)
    page.set_default_navigation_timeout(LONG_WAIT_MS)
    return page


@pytest.fixture(autouse=True)
def _generous_expect_timeout():
    expect.set_options(timeout=LONG_WAIT_MS)
