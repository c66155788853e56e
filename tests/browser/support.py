"""Helpers of the browser lane: log in, wait generously, take the README's screenshots."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from tests.factories import PASSWORD

#: Every wait of the browser lane (ms): long, because the CI box is loaded; tests wait on page
#: state, so a fast machine never pays it.
LONG_WAIT_MS = 30_000
SCREENSHOT_DIR = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PHONE = {"width": 390, "height": 844}


def login(page: Page, base_url: str, user: Any, next_path: str) -> None:
    """Log ``user`` in through the login form and wait until ``next_path`` is shown."""
    page.goto(f"{base_url}/login/?next={next_path}")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"**{next_path}")


def shot(page: Page, name: str) -> None:
    """Write ``docs/screenshots/<name>.png`` when ``TENANTPILOT_SCREENSHOTS=1`` (the README's images)."""
    if os.environ.get("TENANTPILOT_SCREENSHOTS") == "1":
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT_DIR / f"{name}.png"), full_page=True)


def no_horizontal_overflow(page: Page) -> None:
    """The document is not wider than the viewport (wide content scrolls inside its container)."""
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"the page scrolls sideways: {widths[0]} px content in a {widths[1]} px window"


def flash(page: Page, text: str) -> None:
    """Wait for a success or info message containing ``text``."""
    expect(page.locator(".messages li", has_text=text).first).to_be_visible()
