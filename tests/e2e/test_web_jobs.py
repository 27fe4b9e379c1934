"""Documents on the web page, in a real browser against the real mesh: a PDF submitted as a job,
its progress bar, the per-page view with boxes, the .txt and JSON downloads, the recent jobs
after a reload, and a file that is no document refused on the page."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.documents import samples
from tests.e2e.browser import log_in, open_app, reload_app
from tests.e2e.conftest import RunningMesh

pytestmark = pytest.mark.e2e

PAGES = [
    (["Invoice for March", "Total 42 EUR"], "invoice"),
    (["第二页 发票 金额", "谢谢惠顾"], "发票"),
    (["Third page of three", "signed and dated"], "third"),
]


@pytest.fixture(scope="module")
def three_pages(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("jobs") / "three pages.pdf"
    path.write_bytes(samples.image_pdf(samples.text_pages([lines for lines, _ in PAGES], size=40)))
    return path


def submit(page: Page, files: list[Path]) -> None:
    page.get_by_test_id("job-files").set_input_files([str(f) for f in files])
    expect(page.get_by_test_id("job-chosen")).to_contain_text(files[0].name)
    page.get_by_test_id("job-submit").click()


def test_a_pdf_job_shows_its_progress_its_pages_and_downloads(
    page: Page, mesh: RunningMesh, account: tuple[str, str], three_pages: Path, tmp_path: Path
) -> None:
    open_app(page)
    log_in(page, *account)
    submit(page, [three_pages])
    row = page.locator('[data-testid="job-row"]').filter(has_text=three_pages.name).first
    bar = row.get_by_test_id("job-progress")
    expect(bar).to_have_attribute("max", "3")
    expect(row).to_have_attribute("data-state", "done", timeout=120_000)
    expect(bar).to_have_attribute("value", "3")
    expect(row.get_by_test_id("job-count")).to_have_text("3 / 3")
    expect(row.get_by_test_id("job-cancel")).to_have_count(0)

    row.get_by_test_id("job-open").click()
    pages = page.get_by_test_id("job-page")
    expect(pages).to_have_count(3)
    for i, (_, word) in enumerate(PAGES):
        text = pages.nth(i).get_by_test_id("job-page-text").inner_text()
        assert word in samples.compact(text), (i + 1, text)
        expect(pages.nth(i)).to_have_attribute("data-page", str(i + 1))
        assert pages.nth(i).locator("[data-testid=page-boxes] polygon").count() >= 2

    with page.expect_download() as got:
        page.get_by_test_id("job-txt").click()
    txt = Path(got.value.path()).read_text(encoding="utf-8")
    assert got.value.suggested_filename.endswith(".txt")
    assert all(word in samples.compact(txt) for _, word in PAGES), txt
    flat = samples.compact(txt)
    assert flat.index("invoice") < flat.index("发票") < flat.index("third"), txt

    with page.expect_download() as got:
        page.get_by_test_id("job-json").click()
    saved = tmp_path / "job.json"
    got.value.save_as(saved)
    job = json.loads(saved.read_text(encoding="utf-8"))
    assert (job["state"], job["pages_done"], [p["page"] for p in job["pages"]]) == ("done", 3, [1, 2, 3])
    assert all(p["lines"] and p["lines"][0]["box"] for p in job["pages"])


def test_recent_jobs_are_back_after_a_reload_and_a_non_document_is_refused(
    page: Page, account: tuple[str, str], three_pages: Path, tmp_path: Path
) -> None:
    """Runs after the test above (same module account): its job is listed from the server."""
    open_app(page)
    log_in(page, *account)
    rows = page.locator('[data-testid="job-row"]')
    expect(rows.filter(has_text=three_pages.name).first).to_have_attribute("data-state", "done")
    before = rows.count()
    reload_app(page)
    log_in(page, *account)
    expect(rows).to_have_count(before)
    expect(rows.filter(has_text=three_pages.name).first).to_be_visible()

    notes = tmp_path / "notes.txt"
    notes.write_text("not a document")
    page.get_by_test_id("job-files").set_input_files(str(notes))
    expect(page.get_by_test_id("error")).to_contain_text("notes.txt")
    expect(page.get_by_test_id("job-submit")).to_be_disabled()
