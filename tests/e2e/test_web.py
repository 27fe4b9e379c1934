"""The web page in a real browser (Debian chromium via Playwright) against the real mesh.

Every test drives the page the gateway serves, with the real user service, real Nacos and
the real PaddleOCR model behind it (one test, marked as a UI unit test, replaces the answer of
/api/instances to draw a diverged mesh). The page runs under the gateway's strict CSP, and any
CSP violation, console error or uncaught exception fails the test. The tests also write the
screenshots that docs/web.md lists (into docs/screenshots/ only with OCR_MESH_SCREENSHOTS=1).
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, Route, expect

from mesh.names import OCR_SERVICE, USER_SERVICE
from tests.e2e.browser import (
    CSP,
    PageWatch,
    log_in,
    open_app,
    register,
    reload_app,
    screenshot,
    unique_username,
)
from tests.e2e.conftest import PASSWORD, RunningMesh
from tests.support import render_lines

pytestmark = pytest.mark.e2e

LINES = ["OCR Mesh 微服务网关", "光学字符识别 2026", "Hello PaddleOCR"]
ACTIVE = re.compile(r"\bis-active\b")


def compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def card(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A rendered multi-line Chinese + English image on disk, as a person would pick it."""
    path = tmp_path_factory.mktemp("web") / "card.png"
    path.write_bytes(render_lines(LINES))
    return path


def ocr_addresses(mesh: RunningMesh) -> set[str]:
    return {f"{mesh.launcher.host}:{p.port}" for p in mesh.launcher.procs() if p.service == "ocr-service"}


def recognise(page: Page, image: Path) -> None:
    """Pick the file, press start, wait for the text and its boxes."""
    page.set_input_files("#file-input", str(image))
    expect(page.locator("#preview-img")).to_be_visible()
    start = page.locator("#start-btn")
    expect(start).to_be_enabled()
    start.click()
    expect(page.locator("#line-list li.line")).to_have_count(len(LINES))
    expect(page.locator("#start-btn")).to_be_enabled()  # the request has finished


def test_register_log_in_recognise_and_copy(page: Page, mesh: RunningMesh, card: Path) -> None:
    username = unique_username()
    open_app(page)
    screenshot(page, "login-zh")

    # Register (the page logs in by itself), log out, and log in again through the form.
    register(page, username, PASSWORD)
    page.click("#logout-btn")
    expect(page.locator("#login-btn")).to_be_visible()
    log_in(page, username, PASSWORD)

    recognise(page, card)
    text = page.locator("#result-text").input_value()
    for line in LINES:
        assert compact(line) in compact(text), text
    assert len([t for t in text.split("\n") if t.strip()]) == len(LINES), text

    # One box per recognised line, drawn over the preview.
    boxes = page.locator("#boxes polygon.box")
    expect(boxes).to_have_count(len(LINES))
    for i in range(len(LINES)):
        points = page.locator(f'#boxes polygon.box[data-index="{i}"]').get_attribute("points") or ""
        assert len(points.split()) == 4, points
    assert page.locator("#boxes").is_visible()

    # Which instance served it, and how long it took.
    expect(page.locator("#served-by")).to_have_text(re.compile(r"^127\.0\.0\.1:\d+$"))
    assert page.locator("#served-by").inner_text() in ocr_addresses(mesh)
    expect(page.locator("#elapsed")).to_contain_text("ms")
    expect(page.locator("#error")).to_be_empty()
    screenshot(page, "result-zh")

    # Copy puts exactly the text on the clipboard.
    page.click("#copy-btn")
    expect(page.locator("#notice")).to_have_text("已复制到剪贴板。")
    assert page.evaluate("navigator.clipboard.readText()") == text

    # Download gives the same text as a .txt file.
    with page.expect_download() as info:
        page.click("#download-btn")
    download = info.value
    assert download.suggested_filename.endswith(".txt")
    assert Path(download.path()).read_text("utf-8") == text


def test_hovering_a_line_highlights_its_box_and_language_toggles(
    page: Page, account: tuple[str, str], card: Path
) -> None:
    open_app(page)
    log_in(page, *account)
    recognise(page, card)

    for i in (1, 0, 2):
        page.hover(f'#line-list li.line[data-index="{i}"]')
        expect(page.locator(f'#boxes polygon.box[data-index="{i}"]')).to_have_class(ACTIVE)
        expect(page.locator(f'#line-list li.line[data-index="{i}"]')).to_have_class(ACTIVE)
        expect(page.locator("#boxes polygon.box.is-active")).to_have_count(1)
    page.mouse.move(5, 5)  # leaving the list clears the highlight
    expect(page.locator("#boxes polygon.box.is-active")).to_have_count(0)

    # Chinese by default; the toggle switches the whole page to English and back.
    toggle = page.locator("#lang-toggle")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(toggle).to_have_text("English")
    expect(page.locator("#start-btn")).to_have_text("开始识别")
    toggle.click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(toggle).to_have_text("中文")
    expect(page.locator("#result-title")).to_have_text("Result")
    expect(page.locator("#start-btn")).to_have_text("Start recognition")
    expect(page.locator("#status-title")).to_have_text("Mesh status")
    expect(page.locator("#elapsed")).to_contain_text("round trip")
    expect(page.locator("#boxes polygon.box")).to_have_count(len(LINES))  # the result survives
    page.hover('#line-list li.line[data-index="0"]')
    expect(page.locator('#boxes polygon.box[data-index="0"]')).to_have_class(ACTIVE)
    screenshot(page, "result-en")
    toggle.click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(toggle).to_have_text("English")
    expect(page.locator("#result-title")).to_have_text("识别结果")
    expect(page.locator("#elapsed")).to_contain_text("往返")


def test_wrong_password_shows_its_message(page: Page, account: tuple[str, str]) -> None:
    username, _ = account
    open_app(page)
    page.fill("#username", username)
    page.fill("#password", "not-the-right-one")
    page.click("#login-btn")
    error = page.locator("#error")
    expect(error).to_have_attribute("data-code", "invalid_credentials")
    expect(error).to_contain_text("用户名或密码错误")
    expect(page.locator("#password")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#logout-btn")).to_be_hidden()
    screenshot(page, "error-login-zh")


def test_oversized_file_shows_its_message(page: Page, account: tuple[str, str], tmp_path: Path) -> None:
    big = tmp_path / "huge.png"
    big.write_bytes(os.urandom(11 * 1024 * 1024))
    open_app(page)
    log_in(page, *account)
    page.set_input_files("#file-input", str(big))
    # Random bytes are no picture: no broken-image icon, a plain note under the file name.
    expect(page.locator("#preview")).to_have_class(re.compile(r"\bis-broken\b"))
    expect(page.locator("#file-meta")).to_contain_text("huge.png · 11.00 MB · 浏览器无法预览")
    start = page.locator("#start-btn")
    expect(start).to_be_enabled()
    start.click()
    error = page.locator("#error")
    expect(error).to_have_attribute("data-code", "payload_too_large")
    expect(error).to_contain_text("文件太大")
    expect(page.locator("#line-list li.line")).to_have_count(0)
    expect(page.locator("#result-text")).to_have_value("")
    screenshot(page, "error-too-large-zh")


def test_status_view_lists_the_ocr_instances(page: Page, mesh: RunningMesh, account: tuple[str, str]) -> None:
    open_app(page)
    log_in(page, *account)
    rows = page.locator(f'#status-view tr[data-testid="instance-row"][data-service="{OCR_SERVICE}"]')
    expect(rows).to_have_count(2)
    healthy = page.locator(f'#status-view tr[data-service="{OCR_SERVICE}"][data-healthy="true"]')
    expect(healthy).to_have_count(2)
    shown = {rows.nth(i).get_attribute("data-addr") for i in range(rows.count())}
    assert shown == ocr_addresses(mesh)
    for addr in shown:
        expect(page.locator(f'#status-view tr[data-addr="{addr}"]')).to_contain_text("健康")
    user_rows = page.locator(f'#status-view tr[data-testid="instance-row"][data-service="{USER_SERVICE}"]')
    expect(user_rows).to_have_count(1)
    # The gateway and Nacos agree on a healthy mesh (or the API has no comparison yet).
    expect(page.locator('#status-view [data-testid="mesh-divergence"]')).to_have_count(0)
    expect(page.locator("#status-view tr[data-diverged]")).to_have_count(0)
    page.locator("#status-card").scroll_into_view_if_needed()
    expect(page.locator("#status-updated-text")).to_contain_text("更新于")
    screenshot(page, "status-zh")


def test_logout_returns_to_the_login_form(page: Page, account: tuple[str, str]) -> None:
    open_app(page)
    log_in(page, *account)
    expect(page.locator("#app-view")).to_be_visible()
    page.click("#logout-btn")
    expect(page.locator("#login-btn")).to_be_visible()
    expect(page.locator("#app-view")).to_be_hidden()
    expect(page.locator("#logout-btn")).to_be_hidden()
    expect(page.locator("#notice")).to_have_text("你已退出登录。")
    assert page.evaluate("sessionStorage.getItem('ocrmesh.token')") is None
    reload_app(page)  # the session is really gone, not just hidden
    expect(page.locator("#app-view")).to_be_hidden()


def test_the_token_stays_out_of_storage_and_a_reload_asks_to_log_in_again(
    page: Page, account: tuple[str, str]
) -> None:
    """The access token lives only in a module variable, where an injected script cannot read
    it from storage; the price is a new login after a reload (the user name is filled in)."""
    username, password = account
    open_app(page)
    log_in(page, username, password)
    expect(page.locator("#status-updated-text")).to_contain_text("更新于")  # authorised calls work
    stored = page.evaluate("() => JSON.stringify([{...sessionStorage}, {...localStorage}])")
    assert "eyJ" not in stored, stored  # no JWT (base64 of '{"') in either storage
    reload_app(page)
    expect(page.locator("#app-view")).to_be_hidden()
    expect(page.locator("#username")).to_have_value(username)
    log_in(page, username, password)


def test_page_runs_under_the_csp_and_violations_are_caught(watched: tuple[Page, PageWatch]) -> None:
    """The policy really applies (an injected inline script is refused and reported), so the
    other tests, which fail on any report, prove that the page itself needs no exception."""
    page, seen = watched
    with page.expect_response(lambda r: urlsplit(r.url).path == "/") as document:
        open_app(page)  # the login form shows: the modules ran under the policy
    assert document.value.headers["content-security-policy"] == CSP
    page.evaluate(
        """() => {
            const s = document.createElement("script");
            s.textContent = "window.__inlineRan = true";
            document.body.append(s);
        }"""
    )
    deadline = time.monotonic() + 10
    while not seen.csp and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    assert [v["directive"] for v in seen.csp] == ["script-src-elem"], seen.csp
    assert page.evaluate("() => window.__inlineRan") is None
    seen.clear()  # expected here; the fixture fails on anything else


def show_mesh_view(page: Page) -> None:
    """Scroll so that the whole mesh view is in the screenshot (the toggle is at the top)."""
    page.locator("#status-card").evaluate("card => card.scrollIntoView({ block: 'end' })")


def diverge(services: dict[str, list[dict[str, object]]]) -> dict[str, list[dict[str, object]]]:
    """The real view with a disagreement: the first OCR node no longer in Nacos, a node that
    Nacos lists but the gateway lacks, and the gateway unable to ask Nacos about user-service."""
    ocr = sorted(services[OCR_SERVICE], key=lambda i: int(str(i["port"])))
    for inst in ocr:
        inst.update(in_nacos=True, in_gateway=True)
    ocr[0]["in_nacos"] = False
    ocr.append(
        {
            "host": "127.0.0.1",
            "port": 1,
            "healthy": True,
            "weight": 1,
            "in_flight": 0,
            "served": 0,
            "failures": 0,
            "metadata": {},
            "in_nacos": True,
            "in_gateway": False,
        }
    )
    for inst in services.get(USER_SERVICE, []):
        inst.update(in_nacos=None, in_gateway=True)
    return {**services, OCR_SERVICE: ocr}


def test_mesh_view_warns_when_the_gateway_and_nacos_differ(
    page: Page, mesh: RunningMesh, account: tuple[str, str]
) -> None:
    """A UI unit test of the mesh view only: the real answer of /api/instances is rewritten
    (page.route) into a diverged view, since a real divergence cannot be caused on demand here.
    Everything else on the page is real, as in the other tests."""

    def rewrite(route: Route) -> None:
        response = route.fetch()
        body = response.json()
        body["services"] = diverge(body["services"])
        route.fulfill(response=response, body=json.dumps(body))

    page.route("**/api/instances", rewrite)
    open_app(page)
    log_in(page, *account)
    first, second = sorted(ocr_addresses(mesh), key=lambda a: int(a.rsplit(":", 1)[1]))
    group = page.locator(f'#status-view tbody[data-service="{OCR_SERVICE}"]')
    warning = group.locator('[data-testid="mesh-divergence"]')
    expect(warning).to_contain_text("网关的视图与 Nacos 不一致")
    expect(warning).to_contain_text("1 个实例在 Nacos 中，但不在网关的视图里")
    expect(warning).to_contain_text("1 个实例在网关的视图里，但 Nacos 已不再列出")
    expect(group.locator(".service-summary")).to_have_text("2/3 健康")
    gone_from_nacos = group.locator(f'tr[data-addr="{first}"]')
    expect(gone_from_nacos).to_have_attribute("data-diverged", "not-in-nacos")
    expect(gone_from_nacos).to_contain_text("不在 Nacos 中")
    expect(gone_from_nacos).to_have_attribute("data-healthy", "true")  # the gateway still uses it
    missing = group.locator('tr[data-addr="127.0.0.1:1"]')
    expect(missing).to_have_attribute("data-diverged", "not-in-gateway")
    expect(missing).to_have_attribute("data-healthy", "false")  # the gateway sends it nothing
    expect(missing).to_contain_text("网关未发现")
    assert group.locator(f'tr[data-addr="{second}"]').get_attribute("data-diverged") is None
    users = page.locator(f'#status-view tbody[data-service="{USER_SERVICE}"]')
    expect(users.locator('[data-testid="mesh-nacos-unknown"]')).to_contain_text("未能连接 Nacos")
    expect(users.locator('[data-testid="mesh-divergence"]')).to_have_count(0)
    show_mesh_view(page)
    screenshot(page, "status-diverged-zh")

    page.click("#lang-toggle")
    expect(warning).to_contain_text("The gateway's view differs from Nacos")
    expect(warning).to_contain_text("1 instance listed by Nacos is missing from the gateway's view")
    expect(missing).to_contain_text("missing from gateway")
    expect(gone_from_nacos).to_contain_text("not in Nacos")
    expect(users).to_contain_text("could not reach Nacos lately")
    show_mesh_view(page)
    screenshot(page, "status-diverged-en")
