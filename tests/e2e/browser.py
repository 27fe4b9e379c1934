"""Driving Debian's chromium with Playwright: launch, page helpers, documentation screenshots.

Only the system browser is used (``/usr/bin/chromium``, from the Debian package); Playwright's
own browser downloads are never needed.
"""

from __future__ import annotations

import io
import os
import re
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from weakref import WeakKeyDictionary

from PIL import Image
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Request,
    Route,
    expect,
    sync_playwright,
)
from playwright.sync_api import Error as PlaywrightError

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


# The policy the gateway sends with the page (issue 19). Until every gateway sends it, the
# browser tests add this same header to the page's own document (enforce_csp below); once the
# gateway sends it too, the header is simply set to the same value again, which is harmless.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)

# Reports every CSP violation to the test (a binding survives reloads, unlike a page variable).
_CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (e) => {
  window.__ocrMeshCspViolation({
    directive: e.effectiveDirective, blocked: e.blockedURI, source: e.sourceFile,
    line: e.lineNumber, sample: e.sample
  });
});
"""

# Chromium logs every HTTP error answer as a console error; the page expects some (a wrong
# password is a 401, a huge file a 413) and shows them itself, so only those are not problems.
_HTTP_ERROR_LOG = re.compile(r"^Failed to load resource: the server responded with a status of 4\d\d\b")

# Chromium aborts its requests in flight with net::ERR_NETWORK_CHANGED whenever a network
# interface appears or goes in the host's namespace (chromium issue 41465264): on a shared
# machine, other jobs' containers and network namespaces do that. It is no fault of the page,
# so it is recorded apart, and a page load it broke is retried once (see _load).
_NETWORK_CHANGED = "net::ERR_NETWORK_CHANGED"


@dataclass
class PageWatch:
    """What went wrong in a page: CSP violations, console errors, uncaught exceptions."""

    csp: list[dict[str, Any]] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    crashes: list[str] = field(default_factory=list)
    network_changed: list[str] = field(default_factory=list)  # URLs aborted by the host, not problems

    def problems(self) -> list[str]:
        return (
            [f"CSP violation: {v}" for v in self.csp]
            + [f"console error: {c}" for c in self.console]
            + [f"uncaught error: {c}" for c in self.crashes]
        )

    def clear(self) -> None:
        self.csp.clear()
        self.console.clear()
        self.crashes.clear()


_WATCHES: WeakKeyDictionary[Page, PageWatch] = WeakKeyDictionary()


def watch(page: Page) -> PageWatch:
    """Collect CSP violations (securitypolicyviolation events), console errors and crashes."""
    seen = PageWatch()
    _WATCHES[page] = seen

    def on_console(msg: ConsoleMessage) -> None:
        if msg.type == "error" and not _HTTP_ERROR_LOG.match(msg.text) and _NETWORK_CHANGED not in msg.text:
            seen.console.append(msg.text)

    def on_request_failed(request: Request) -> None:
        if request.failure == _NETWORK_CHANGED:
            seen.network_changed.append(request.url)

    def on_violation(report: dict[str, Any]) -> None:
        seen.csp.append(report)

    page.expose_function("__ocrMeshCspViolation", on_violation)
    page.add_init_script(_CSP_LISTENER)
    page.on("console", on_console)
    page.on("pageerror", lambda exc: seen.crashes.append(str(exc)))
    page.on("requestfailed", on_request_failed)
    return seen


def enforce_csp(page: Page) -> None:
    """Serve the page's HTML document with the gateway's CSP header (see CSP above).

    Only the document is routed: its header is what the browser enforces; every API call
    and static file still goes to the real gateway untouched.
    """

    def add_header(route: Route) -> None:
        response = route.fetch()
        route.fulfill(response=response, headers={**response.headers, "content-security-policy": CSP})

    page.route(lambda url: urlsplit(url).path in ("/", "/index.html"), add_header)


def unique_username(prefix: str = "web") -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def _load(page: Page, navigate: Callable[[], object]) -> None:
    """Navigate and wait until the page has started (the login form shows). Retried once, only
    when the host's network change aborted one of its loads (see _NETWORK_CHANGED)."""
    seen = _WATCHES.get(page)
    login = page.locator("#login-btn")
    for attempt in (1, 2):
        changes = len(seen.network_changed) if seen else 0
        try:
            navigate()
        except PlaywrightError as exc:
            if attempt == 2 or _NETWORK_CHANGED not in str(exc):
                raise
            navigate = page.reload
            continue
        deadline = time.monotonic() + EXPECT_TIMEOUT_MS / 1000
        while time.monotonic() < deadline and not login.is_visible():
            if seen and len(seen.network_changed) > changes and attempt == 1:
                break  # a module may be lost: load again
            page.wait_for_timeout(100)
        if login.is_visible() or attempt == 2 or not seen or len(seen.network_changed) == changes:
            break
        navigate = page.reload
    expect(login).to_be_visible()


def open_app(page: Page) -> None:
    """Load the page and wait until the login form is shown."""
    _load(page, lambda: page.goto("/"))


def reload_app(page: Page) -> None:
    """Reload the page (which always starts logged out) and wait for the login form."""
    _load(page, page.reload)


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
