"""The render processes: errors keep their status and code, and a stuck or dead worker is replaced."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest
from PIL import Image

from gateway.documents.pages import RenderLimits
from gateway.documents.renderer import DocumentError, NotHeld, Renderer, _render_held
from tests.documents import samples

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
async def renderer() -> AsyncIterator[Renderer]:
    r = Renderer(RenderLimits(max_pages=10), workers=1, memory_mb=1536, timeout=20)
    yield r
    r.close()


async def test_pages_are_counted_and_rendered_in_another_process(renderer: Renderer) -> None:
    pdf = samples.blank_pdf(3)
    assert await renderer.count(pdf) == 3
    assert (await renderer.page(pdf, 2)).startswith(b"BM")  # a letter page at 150 dpi, uncompressed


async def test_a_refusal_keeps_its_status_and_code(renderer: Renderer) -> None:
    with pytest.raises(DocumentError) as info:
        await renderer.count(samples.blank_pdf(11))
    assert (info.value.status_code, info.value.code) == (413, "too_many_pages")
    with pytest.raises(DocumentError) as info:
        await renderer.count(samples.encrypted_pdf())
    assert (info.value.status_code, info.value.code) == (400, "encrypted_document")


async def test_a_dead_worker_is_replaced_and_the_next_page_renders(renderer: Renderer) -> None:
    with pytest.raises(DocumentError) as info:
        await renderer._call(os._exit, 3)  # what a crash inside PDFium looks like from here
    assert info.value.code == "render_failed"
    assert await renderer.count(samples.blank_pdf(2)) == 2


async def test_a_render_over_its_deadline_is_killed_and_the_next_one_runs() -> None:
    slow = Renderer(RenderLimits(), workers=1, memory_mb=0, timeout=0.5)
    try:
        with pytest.raises(DocumentError) as info:
            await slow._call(__import__("time").sleep, 30)
        assert (info.value.status_code, info.value.code) == (422, "render_timeout")
        assert await slow.count(samples.blank_pdf(1)) == 1
    finally:
        slow.close()


async def test_a_document_goes_to_the_render_process_once_and_again_when_it_was_dropped(
    renderer: Renderer,
) -> None:
    docs = {
        key: samples.image_pdf([Image.new("RGB", (200 + n, 100), "white")]) for n, key in enumerate("abc")
    }
    limits = renderer.limits
    first = await renderer.page(docs["a"], 0, key="a")
    assert await renderer._call(_render_held, "a", None, 0, limits) == first  # held: no bytes sent
    for key in "bc":  # two more documents push "a" out (HELD = 2)
        await renderer.page(docs[key], 0, key=key)
    with pytest.raises(NotHeld):
        await renderer._call(_render_held, "a", None, 0, limits)
    assert await renderer.page(docs["a"], 0, key="a") == first  # sent again when it is not held
    pool = await renderer._executor()
    renderer._reset(pool)  # a killed render process holds nothing
    assert await renderer.page(docs["c"], 0, key="c") == await renderer.page(docs["c"], 0)
