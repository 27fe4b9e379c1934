"""Documents made on the spot for the tests and the benchmark: text PDFs and TIFFs, and hostile ones
(password, thousands of pages, giant pages, JavaScript, a broken xref, thousands of TIFF frames)."""

from __future__ import annotations

import io
import struct
from collections.abc import Sequence

from PIL import Image

from mesh_tools.textimage import render_lines

RENDER_DPI = 150  # the gateway's default: pages come back at the pixel size they were drawn


def text_pages(pages: Sequence[Sequence[str]], size: int = 32) -> list[Image.Image]:
    """One image per page; an empty list of lines is a blank page."""
    images = []
    for lines in pages:
        if lines:
            images.append(Image.open(io.BytesIO(render_lines(list(lines), size=size))).convert("RGB"))
        else:
            images.append(Image.new("RGB", (900, 600), "white"))
    return images


def image_pdf(images: Sequence[Image.Image]) -> bytes:
    """A PDF with one image per page, sized so the gateway's DPI gives back the same pixels."""
    buffer = io.BytesIO()
    first, *rest = images
    first.save(buffer, "PDF", save_all=True, append_images=rest, resolution=RENDER_DPI)
    return buffer.getvalue()


def image_tiff(images: Sequence[Image.Image]) -> bytes:
    buffer = io.BytesIO()
    first, *rest = images
    first.save(buffer, "TIFF", save_all=True, append_images=rest)
    return buffer.getvalue()


def assemble(objects: Sequence[bytes], trailer: bytes = b"") -> bytes:
    """A PDF from object bodies (object 1 is the catalog), with a correct xref table."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R %s >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        trailer,
        xref,
    )
    return bytes(out)


def blank_pdf(pages: int = 1, box: tuple[float, float] = (612, 792), catalog: bytes = b"") -> bytes:
    """`pages` empty pages of `box` points; `catalog` adds entries to the catalog (actions, ...)."""
    kids = b" ".join(b"%d 0 R" % (3 + i) for i in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R %s >>" % catalog,
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages),
    ]
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %g %g] >>" % box
    return assemble([*objects, *([page] * pages)])


def encrypted_pdf() -> bytes:
    """Standard security handler, revision 2, with a user password that is not empty."""
    encrypt = b"<< /Filter /Standard /V 1 /R 2 /O <%s> /U <%s> /P -44 >>" % (b"ab" * 32, b"cd" * 32)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>",
        encrypt,
    ]
    return assemble(
        objects, b"/Encrypt 4 0 R /ID [<0123456789abcdef0123456789abcdef> <0123456789abcdef0123456789abcdef>]"
    )


def javascript_pdf() -> bytes:
    """A page that asks to run JavaScript when opened (the renderer never runs it)."""
    action = b"/OpenAction << /S /JavaScript /JS (app.alert('hi'); while (true) {}) >>"
    return blank_pdf(1, catalog=action + b" /Names << /JavaScript << /Names [] >> >>")


def broken_xref_pdf(pdf: bytes) -> bytes:
    """Every xref offset wrong and startxref pointing nowhere: a reader must rebuild or refuse."""
    head, _, _ = pdf.rpartition(b"startxref")
    table = head.index(b"xref\n")
    garbled = head[:table] + head[table:].replace(b" 00000 n", b" 00000 n").replace(b"\n00", b"\n99")
    return garbled + b"startxref\n999999999\n%%EOF\n"


def many_frames_tiff(frames: int) -> bytes:
    """`frames` 1x1 gray frames sharing one pixel, written directly (Pillow takes seconds for this)."""
    tags = [
        (256, 3, 1),
        (257, 3, 1),
        (258, 3, 8),
        (259, 3, 1),
        (262, 3, 1),
        (273, 4, 8),
        (278, 3, 1),
        (279, 4, 1),
    ]
    ifd_size = 2 + 12 * len(tags) + 4
    out = bytearray(b"II*\x00" + struct.pack("<I", 9) + b"\xff")  # header, then the shared pixel at 8
    for i in range(frames):
        at = 9 + i * ifd_size
        out += struct.pack("<H", len(tags))
        for tag, kind, value in tags:
            out += struct.pack("<HHI", tag, kind, 1) + (
                struct.pack("<HH", value, 0) if kind == 3 else struct.pack("<I", value)
            )
        out += struct.pack("<I", at + ifd_size if i + 1 < frames else 0)
    return bytes(out)


# The real-mesh document: (lines, a word its text must hold once spaces are dropped). Page 5 is
# turned a quarter, page 6 is blank.
TWELVE = [
    (["Quarterly report 2026", "Prepared for the board"], "quarterlyreport"),
    (["第二页 你好世界", "今天天气很好"], "你好世界"),
    (["Shipping address", "Berlin Hauptstrasse 12"], "shipping"),
    (["订单编号 一二三", "请在三天内付款"], "订单"),
    (["Rotated page five", "read after turning"], "rotated"),
    ([], ""),
    (["Mixed 中文 and English", "第七页 page seven"], "中文"),
    (["Receipt number 8", "Thank you for shopping"], "receipt"),
    (["发票 金额 九十元", "第九页"], "发票"),
    (["Delivery window Monday", "between 9 and 17"], "delivery"),
    (["北京 上海 广州", "第十一页"], "上海"),
    (["The end of the document", "page twelve of twelve"], "document"),
]
TURNED = 4  # 0-based index of the page drawn a quarter turn


def twelve_page_images() -> list[Image.Image]:
    images = text_pages([lines for lines, _ in TWELVE], size=40)
    images[TURNED] = images[TURNED].rotate(90, expand=True)
    return images


def compact(text: str) -> str:
    return "".join(text.split()).lower()
