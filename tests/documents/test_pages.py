"""Pages of an upload, in process: PDF and TIFF splitting, the limits, and every hostile document."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from gateway.documents.pages import (
    RenderLimits,
    Unreadable,
    bmp_bytes,
    count_pages,
    kind_of,
    render_page,
    render_scale,
)
from tests.documents import samples

LIMITS = RenderLimits()


def size_of(png: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(png)) as image:
        return image.size


def test_pdf_pages_render_at_the_configured_dpi_in_order() -> None:
    pages = [Image.new("RGB", (300 + 40 * i, 200), "white") for i in range(3)]
    pdf = samples.image_pdf(pages)
    assert kind_of(pdf) == "pdf" and count_pages(pdf, LIMITS) == 3
    widths = [size_of(render_page(pdf, i, LIMITS))[0] for i in range(3)]
    assert [abs(w - (300 + 40 * i)) <= 2 for i, w in enumerate(widths)] == [True] * 3
    half = RenderLimits(dpi=75)
    assert abs(size_of(render_page(pdf, 0, half))[0] - 150) <= 2


def test_a_page_goes_uncompressed_up_to_its_bound_and_as_png_above_it() -> None:
    pdf = samples.image_pdf(samples.text_pages([["Invoice 42", "发票 四十二"]]))
    bmp, png = render_page(pdf, 0, LIMITS), render_page(pdf, 0, RenderLimits(bmp_max_bytes=0))
    assert bmp[:2] == b"BM" and png[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(io.BytesIO(bmp)) as a, Image.open(io.BytesIO(png)) as b:
        assert a.size == b.size and a.convert("RGB").tobytes() == b.convert("RGB").tobytes()
        assert len(bmp) == bmp_bytes(*a.size, "RGB")
    just = RenderLimits(bmp_max_bytes=len(bmp))
    assert render_page(pdf, 0, just)[:2] == b"BM"
    assert render_page(pdf, 0, RenderLimits(bmp_max_bytes=len(bmp) - 1))[:4] == b"\x89PNG"
    grey = samples.image_tiff([Image.new("L", (101, 7), 200), Image.new("1", (50, 5), 1)])
    assert render_page(grey, 0, LIMITS)[:2] == b"BM" and size_of(render_page(grey, 0, LIMITS)) == (101, 7)
    assert len(render_page(grey, 0, LIMITS)) == bmp_bytes(101, 7, "L")
    assert render_page(grey, 1, LIMITS)[:4] == b"\x89PNG"  # 1-bit: PNG holds it smaller


def test_tiff_frames_are_pages() -> None:
    frames = [Image.new("L", (100 + i, 50), 255) for i in range(4)]
    tiff = samples.image_tiff(frames)
    assert kind_of(tiff) == "tiff" and count_pages(tiff, LIMITS) == 4
    assert size_of(render_page(tiff, 3, LIMITS)) == (103, 50)


def test_a_plain_image_is_one_page_passed_as_it_is() -> None:
    png = samples.text_pages([["x"]])[0]
    buffer = io.BytesIO()
    png.save(buffer, "PNG")
    data = buffer.getvalue()
    assert kind_of(data) == "image" and count_pages(data, LIMITS) == 1
    assert render_page(data, 0, LIMITS) is data


def refusal(fn: object, *args: object) -> tuple[int, str]:
    with pytest.raises(Unreadable) as info:
        fn(*args)  # type: ignore[operator]
    return info.value.status, info.value.code


def test_a_password_pdf_is_refused() -> None:
    assert refusal(count_pages, samples.encrypted_pdf(), LIMITS) == (400, "encrypted_document")


def test_thousands_of_pages_are_refused_without_reading_them() -> None:
    assert refusal(count_pages, samples.blank_pdf(5000), LIMITS) == (413, "too_many_pages")
    assert refusal(count_pages, samples.many_frames_tiff(3000), LIMITS) == (413, "too_many_pages")


def test_a_giant_page_is_rendered_within_the_limits() -> None:
    giant = samples.blank_pdf(1, (14400, 14400))
    width, height = size_of(render_page(giant, 0, LIMITS))
    assert max(width, height) <= LIMITS.max_side and width * height <= LIMITS.max_pixels
    assert render_scale(14400, 1, RenderLimits(max_side=100_000, max_pixels=1000)) ** 2 * 14400 <= 1000


def test_javascript_is_never_run_and_the_page_still_renders() -> None:
    width, height = size_of(render_page(samples.javascript_pdf(), 0, LIMITS))
    assert (width, abs(height - 1650) <= 1) == (1275, True)  # letter at 150 dpi


def test_a_broken_xref_is_rebuilt_or_refused_and_garbage_is_refused() -> None:
    broken = samples.broken_xref_pdf(samples.blank_pdf(3))
    assert count_pages(broken, LIMITS) == 3  # PDFium rebuilds the table from the objects
    assert refusal(count_pages, b"%PDF-1.4\nnot a pdf at all", LIMITS) == (400, "corrupt_document")
    assert refusal(count_pages, samples.blank_pdf(2)[:200], LIMITS) == (400, "corrupt_document")


def test_a_truncated_tiff_and_a_missing_page_are_refused() -> None:
    tiff = samples.image_tiff([Image.new("L", (64, 64), 0)] * 2)
    assert refusal(count_pages, tiff[:20], LIMITS) == (400, "corrupt_document")
    assert refusal(render_page, tiff, 5, LIMITS)[1] == "no_such_page"
    assert refusal(render_page, samples.blank_pdf(1), 1, LIMITS)[1] == "no_such_page"


def test_a_tiff_frame_over_the_pixel_limit_is_refused_like_an_image() -> None:
    tiff = samples.image_tiff([Image.new("L", (400, 400), 255)])
    assert refusal(render_page, tiff, 0, RenderLimits(max_pixels=100_000)) == (413, "image_too_large")
