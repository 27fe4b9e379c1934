"""Pages of an upload: PDF pages rendered with PDFium, TIFF frames, or the image itself.

These functions run in the renderer's worker process (gateway/documents/renderer.py), never
in the event loop: a hostile document can only exhaust or crash that process. They raise
`Unreadable` (plain, picklable arguments) for anything the caller should answer with an error.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import Any

PDF_MAGIC = b"%PDF-"
TIFF_MAGICS = (b"II*\x00", b"MM\x00*")
POINTS_PER_INCH = 72.0


class Unreadable(Exception):
    """A document or page that cannot be read: HTTP status, stable code, message for people."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(status, code, message)
        self.status, self.code, self.message = status, code, message


@dataclass(frozen=True)
class RenderLimits:
    """How pages are made: PDF resolution, the longest rendered side, pixels per page, page count,
    and the largest page sent uncompressed (BMP; PNG above it, 0: always PNG)."""

    dpi: float = 150.0
    max_side: int = 2000
    max_pixels: int = 40_000_000
    max_pages: int = 200
    bmp_max_bytes: int = 10 * 1024 * 1024 - 4096  # under the OCR node's 10 MiB upload limit


def kind_of(data: bytes) -> str:
    """'pdf', 'tiff' or 'image', from the leading bytes (a PDF may have junk before its header)."""
    if PDF_MAGIC in data[:1024]:
        return "pdf"
    if data[:4] in TIFF_MAGICS:
        return "tiff"
    return "image"


def too_many(count: int | str, limit: int) -> Unreadable:
    return Unreadable(413, "too_many_pages", f"the document has {count} pages; at most {limit} are read")


def count_pages(data: bytes, limits: RenderLimits) -> int:
    """How many pages `data` holds (1 for a plain image); refuses what cannot be read."""
    kind = kind_of(data)
    if kind == "pdf":
        pdf = _open_pdf(data)
        try:
            count = len(pdf)
        finally:
            pdf.close()
        if count < 1:
            raise Unreadable(400, "empty_document", "the PDF has no pages")
        if count > limits.max_pages:
            raise too_many(count, limits.max_pages)
        return count
    if kind == "tiff":
        return _count_frames(data, limits.max_pages)
    return 1


def render_page(data: bytes, index: int, limits: RenderLimits) -> bytes:
    """Page `index` (0-based) as BMP or PNG, within the limits; an image is passed on as it is."""
    kind = kind_of(data)
    if kind == "pdf":
        return _render_pdf_page(data, index, limits)
    if kind == "tiff":
        return _tiff_frame(data, index, limits)
    return data


def _open_pdf(data: bytes) -> Any:
    """The opened PDF (a pypdfium2 PdfDocument; imported here, in the render process only)."""
    import pypdfium2 as pdfium

    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if exc.err_code == pdfium.raw.FPDF_ERR_PASSWORD:
            raise Unreadable(400, "encrypted_document", "the PDF is protected by a password") from None
        if exc.err_code == pdfium.raw.FPDF_ERR_SECURITY:
            raise Unreadable(400, "encrypted_document", "the PDF uses an unsupported encryption") from None
        raise Unreadable(400, "corrupt_document", "the PDF is corrupt or truncated") from None


def render_scale(width_pt: float, height_pt: float, limits: RenderLimits) -> float:
    """Pixels per point: the configured DPI, lowered so the page fits max_side and max_pixels."""
    scale = limits.dpi / POINTS_PER_INCH
    longest = max(width_pt, height_pt, 1e-6)
    scale = min(scale, limits.max_side / longest)
    area = max(width_pt * height_pt, 1e-6)
    return min(scale, (limits.max_pixels / area) ** 0.5)


def _render_pdf_page(data: bytes, index: int, limits: RenderLimits) -> bytes:
    import pypdfium2 as pdfium

    pdf = _open_pdf(data)
    try:
        if not 0 <= index < len(pdf):
            raise Unreadable(400, "no_such_page", f"the PDF has no page {index + 1}")
        try:
            page = pdf[index]
            width, height = page.get_size()
            if width <= 0 or height <= 0:
                raise Unreadable(400, "corrupt_page", f"page {index + 1} has no area")
            # Forms are never initialised, so no form JavaScript runs (PDFium here has no V8).
            bitmap = page.render(scale=render_scale(width, height, limits), may_draw_forms=False)
            image = bitmap.to_pil()
        except pdfium.PdfiumError:
            raise Unreadable(400, "corrupt_page", f"page {index + 1} of the PDF cannot be rendered") from None
        return page_image(image, limits)
    finally:
        pdf.close()


def _count_frames(data: bytes, limit: int) -> int:
    """Frames of a TIFF, counted by walking its directories, stopping past `limit`."""
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=["TIFF"])
        with image:
            count = 1
            while True:
                try:
                    image.seek(count)
                except EOFError:
                    return count
                count += 1
                if count > limit:
                    raise too_many(f"more than {limit}", limit)
    except Unreadable:
        raise
    except Image.DecompressionBombError:
        raise Unreadable(413, "image_too_large", "the TIFF's first page has too many pixels") from None
    except Exception:
        raise Unreadable(400, "corrupt_document", "the TIFF is corrupt or truncated") from None


def _tiff_frame(data: bytes, index: int, limits: RenderLimits) -> bytes:
    """One frame as BMP or PNG, oriented by its EXIF tag; over the pixel limit is refused, as an image is."""
    from PIL import Image, ImageOps

    try:
        with warnings.catch_warnings():
            # Pillow's own bomb check is ours to make, per frame, against max_pixels.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=["TIFF"])
        with image:
            image.seek(index)
            width, height = image.size
            if width * height > limits.max_pixels:
                raise Unreadable(
                    413,
                    "image_too_large",
                    f"page {index + 1} has {width * height} pixels; at most {limits.max_pixels} are accepted",
                )
            image.load()
            frame = ImageOps.exif_transpose(image)
            if frame.mode in ("CMYK", "YCbCr", "LAB"):  # PNG cannot hold these
                frame = frame.convert("RGB")
            return page_image(frame, limits)
    except Unreadable:
        raise
    except Image.DecompressionBombError:
        raise Unreadable(413, "image_too_large", f"page {index + 1} has too many pixels") from None
    except EOFError:
        raise Unreadable(400, "no_such_page", f"the TIFF has no page {index + 1}") from None
    except Exception:
        raise Unreadable(400, "corrupt_page", f"page {index + 1} of the TIFF is corrupt") from None


def bmp_bytes(width: int, height: int, mode: str) -> int:
    """The size of an uncompressed BMP: 4-byte aligned rows, and a palette for 8-bit grey."""
    bits = 24 if mode == "RGB" else 8
    return 54 + (1024 if bits == 8 else 0) + ((width * bits + 31) // 32 * 4) * height


def page_image(image: object, limits: RenderLimits) -> bytes:
    """The page as the OCR node gets it, lossless: BMP when it fits `limits.bmp_max_bytes`, else PNG.

    On an A4 page at 150 dpi BMP takes ~3 ms to write and ~1 ms to read where PNG (zlib level 1,
    ~4x faster than the default) takes 20 ms to write and 7 to read on a sparse page, 130 and 40 on
    a scan; it is 6.5 MB instead of 0.1-2.8 MB, a cost only between hosts (set the bound to 0 there).
    """
    from PIL import Image

    assert isinstance(image, Image.Image)
    buffer = io.BytesIO()
    if image.mode in ("RGB", "L") and bmp_bytes(*image.size, image.mode) <= limits.bmp_max_bytes:
        image.save(buffer, "BMP")
    else:
        image.save(buffer, "PNG", compress_level=1)
    return buffer.getvalue()
