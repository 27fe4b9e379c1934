"""Driving Debian's chromium with Playwright: launch, page helpers, documentation screenshots.

Only the system browser is used (``/usr/bin/chromium``, from the Debian package); Playwright's
own browser downloads are never needed.
"""

from __future__ import annotations

import io
import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from PIL import Image
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

CHROMIUM = os.environ.get("OCR_MESH_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",  # tests may run as root (CI containers)
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 900}
DOC_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def screenshots_dir() -> Path:
    """docs/screenshots when OCR_MESH_SCREENSHOTS=1 (to refresh the docs), else a scratch folder,
    so a test run leaves the work tree clean."""
    if os.environ.get("OCR_MESH_SCREENSHOTS") == "1":
        return DOC_SCREENSHOTS
    return Path(tempfile.gettempdir()) / "ocr-mesh-screenshots"


# OCR on a busy two-core machine can take several seconds; nothing here is a timing check,
# these are only upper bounds for waiting.
ACTION_TIMEOUT_MS = 30_000
EXPECT_TIMEOUT_MS = 90_000


@contextmanager
def chromium() -> Iterator[Browser]:
    """A headless Debian chromium, closed afterwards."""
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium)")
    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def new_context(browser: Browser, base_url: str, lang: str = "zh-CN") -> BrowserContext:
    """A fresh profile (own storage) at the screenshot size, allowed to use the clipboard."""
    context = browser.new_context(
        base_url=base_url,
        viewport=VIEWPORT,  # type: ignore[arg-type]
        device_scale_factor=1,
        locale=lang,
        timezone_id="Asia/Shanghai",
        accept_downloads=True,
    )
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    return context


def unique_username(prefix: str = "web") -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def open_app(page: Page) -> None:
    """Load the page and wait until the login form is shown."""
    page.goto("/")
    expect(page.locator("#login-btn")).to_be_visible()


def fill_credentials(page: Page, username: str, password: str) -> None:
    page.fill("#username", username)
    page.fill("#password", password)


def register(page: Page, username: str, password: str) -> None:
    """Register through the form; the page logs in by itself afterwards."""
    fill_credentials(page, username, password)
    page.click("#register-btn")
    expect(page.locator("#logout-btn")).to_be_visible()
    expect(page.locator("#user-name")).to_have_text(username)


def log_in(page: Page, username: str, password: str) -> None:
    fill_credentials(page, username, password)
    page.click("#login-btn")
    expect(page.locator("#logout-btn")).to_be_visible()
    expect(page.locator("#user-name")).to_have_text(username)


def screenshot(page: Page, name: str) -> Path:
    """Save the viewport as <name>.png (see screenshots_dir), palette-reduced to stay small."""
    folder = screenshots_dir()
    folder.mkdir(parents=True, exist_ok=True)
    raw = page.screenshot(animations="disabled", caret="hide")
    img = Image.open(io.BytesIO(raw)).convert("RGB")
    small = img.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    path = folder / f"{name}.png"
    small.save(path, "PNG", optimize=True)
    return path
