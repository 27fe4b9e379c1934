"""The default load-test image: a rendered ~900×420 card of Chinese and English text."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
CARD_LINES = (
    "OCR Mesh 负载测试 Load Test",
    "姓名：张三  Name: Zhang San",
    "订单编号 Order No. 2024-0815",
    "金额 Amount: ¥ 1,280.00",
    "地址：北京市海淀区中关村大街1号",
)
CARD_SIZE = (900, 420)
KINDS = ("card", "page", "photo")  # the images a study can send, rendered by image_kinds.render


def render_card(lines: tuple[str, ...] = CARD_LINES, size: tuple[int, int] = CARD_SIZE) -> bytes:
    """A white PNG card with black text lines, one under another."""
    if not CJK_FONT.exists():
        raise FileNotFoundError(f"CJK font {CJK_FONT} not found (Debian package fonts-wqy-microhei)")
    height = size[1]
    step = height // (len(lines) + 1)
    font = ImageFont.truetype(str(CJK_FONT), int(step * 0.55))
    img = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(img)
    for i, line in enumerate(lines):
        draw.text((40, step // 2 + i * step), line, fill="black", font=font)
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()
