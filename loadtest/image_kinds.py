"""The three kinds of image the load study and the node benchmark run on, rendered offline.

- `card`: the ~900×420 five-line card (`image.render_card`), a light image.
- `page`: an A4 page scanned at 300 dpi (2480×3508), 44 lines of Chinese and English body
  text, scanner noise, JPEG.
- `photo`: a 12 MP (4032×3024) phone photo of a printed page lying on a desk: perspective,
  uneven light, slight blur and sensor noise, JPEG.

Everything is seeded, so each kind is the same bytes on every run.
"""

from __future__ import annotations

import io
import random
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw

from loadtest.image import KINDS, render_card
from mesh_tools.textimage import cjk_font

A4_300DPI = (2480, 3508)
PHOTO_SIZE = (4032, 3024)
PAGE_LINES = 44

_WORDS_ZH = (
    "微服务 网关 负载均衡 注册中心 配置 实例 请求 响应 识别 文字 图片 服务 用户 登录 令牌 "
    "时间 并发 测试 结果 报告 容器 部署 监控 告警 队列 文档 页面 模型 推理 吞吐量"
).split()
_WORDS_EN = (
    "gateway service registry Nacos instance request latency throughput OCR image text model "
    "report load test cluster container deploy monitor queue page token login user version"
).split()


def _sentence(rng: random.Random, width: int) -> str:
    parts: list[str] = []
    while sum(len(p) for p in parts) < width:
        if rng.random() < 0.7:
            parts.append("".join(rng.choice(_WORDS_ZH) for _ in range(rng.randint(2, 4))))
        else:
            parts.append(" ".join(rng.choice(_WORDS_EN) for _ in range(rng.randint(1, 3))))
        if rng.random() < 0.15:
            parts.append(f" {rng.randint(1, 2026)} ")
    return "，".join(parts)[:width] + "。"


def page_image(seed: int = 7) -> Image.Image:
    """A white A4 page at 300 dpi with a title and PAGE_LINES lines of mixed body text."""
    rng = random.Random(seed)
    page = Image.new("RGB", A4_300DPI, "white")
    draw = ImageDraw.Draw(page)
    margin, top = 220, 260
    draw.text((margin, top), "OCR Mesh 运行报告 Operating Report", fill="black", font=cjk_font(72))
    body = cjk_font(42)
    step = (A4_300DPI[1] - top - 200 - 2 * margin) // PAGE_LINES
    for i in range(PAGE_LINES):
        draw.text((margin, top + 180 + i * step), _sentence(rng, 44), fill=(25, 25, 25), font=body)
    return page


def _jpeg(bgr: np.ndarray, quality: int) -> bytes:
    ok, data = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    return bytes(data.tobytes())


def scanned_page(seed: int = 7) -> bytes:
    """The A4 page as a 300 dpi scan: a grey cast, slight blur, noise, JPEG quality 85."""
    rng = np.random.default_rng(seed)
    page = np.asarray(cv2.cvtColor(np.asarray(page_image(seed)), cv2.COLOR_RGB2BGR), dtype=np.float32)
    scan = cv2.GaussianBlur(page * np.float32(0.93) + np.float32(8), (3, 3), 0.6)
    noisy = scan + rng.normal(0.0, 4.0, page.shape).astype(np.float32)
    return _jpeg(np.clip(noisy, 0, 255).astype(np.uint8), 85)


def phone_photo(seed: int = 7) -> bytes:
    """The A4 page photographed at 12 MP on a desk: tilted, unevenly lit, a little soft."""
    rng = np.random.default_rng(seed)
    page = cv2.cvtColor(np.asarray(page_image(seed)), cv2.COLOR_RGB2BGR)
    width, height = PHOTO_SIZE
    corners = np.array([[0, 0], [A4_300DPI[0], 0], [A4_300DPI[0], A4_300DPI[1]], [0, A4_300DPI[1]]])
    target = np.array([[1130, 170], [2990, 260], [3130, 2860], [980, 2790]])
    matrix = cv2.getPerspectiveTransform(corners.astype(np.float32), target.astype(np.float32))
    desk = np.full((height, width, 3), (70, 95, 120), dtype=np.uint8)
    photo = cv2.warpPerspective(
        page, matrix, (width, height), dst=desk, borderMode=cv2.BORDER_TRANSPARENT, flags=cv2.INTER_AREA
    ).astype(np.float32)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    light = 1.05 - 0.35 * (((xs - width * 0.3) / width) ** 2 + ((ys - height * 0.2) / height) ** 2)
    photo = cv2.GaussianBlur(photo * light[..., None], (5, 5), 1.1)
    photo += rng.normal(0, 5, photo.shape).astype(np.float32)
    return _jpeg(np.clip(photo, 0, 255).astype(np.uint8), 90)


def card() -> bytes:
    """The load test's default card."""
    return render_card()


def render(kind: str) -> bytes:
    """The encoded image of one kind: card, page or photo."""
    makers = {"card": card, "page": scanned_page, "photo": phone_photo}
    if kind not in makers:
        raise ValueError(f"unknown image kind {kind!r}: choose from {', '.join(makers)}")
    return makers[kind]()


SUFFIX = {"card": "png", "page": "jpg", "photo": "jpg"}


def load_images(paths: list[Path] | None, kind: str = "card") -> list[tuple[str, bytes]]:
    """(name, bytes) of each given image, or of the rendered image of one kind."""
    if not paths:
        return [(f"{kind}.{SUFFIX[kind]}", render(kind))]
    return [(p.name, p.read_bytes()) for p in paths]


def many_sizes(count: int, seed: int = 7) -> list[bytes]:
    """`count` images of distinct sizes, shuffled: a fifth scans and a tenth photos (0.3-1.0x),
    the rest cards (0.5-1.5x), each rescaled from its kind's rendering and encoded as it was."""
    rng = random.Random(seed)
    pages, photos = max(1, round(count * 0.2)), max(1, round(count * 0.1))
    plan = [("card", count - pages - photos, 0.5, 1.5), ("page", pages, 0.3, 1.0)]
    plan.append(("photo", photos, 0.3, 1.0))
    out: list[bytes] = []
    for kind, n, low, high in plan:
        source = Image.open(io.BytesIO(render(kind)))
        for i in range(n):
            scale = low + (high - low) * (i + rng.random()) / n  # one per slice: no size repeats
            size = (round(source.width * scale), round(source.height * scale))
            buf = io.BytesIO()
            options = {"quality": 90} if source.format == "JPEG" else {}
            source.convert("RGB").resize(size, Image.Resampling.BILINEAR).save(buf, source.format, **options)
            out.append(buf.getvalue())
    rng.shuffle(out)
    return out


def _preview() -> None:
    """Write the three kinds next to each other for a look (python -m loadtest.image_kinds)."""
    for kind in KINDS:
        data = render(kind)
        Image.open(io.BytesIO(data)).save(f"/tmp/kind-{kind}.png")
        print(kind, len(data), "bytes")


if __name__ == "__main__":
    _preview()
