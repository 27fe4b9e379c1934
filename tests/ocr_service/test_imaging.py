"""Sniffing, limits and pixel conversion, without the model."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from mesh.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType
from ocr_service.imaging import decode_image, fit_side, sniff_format


def encode(image: Image.Image, fmt: str, **kwargs: object) -> bytes:
    buf = io.BytesIO()
    image.save(buf, fmt, **kwargs)
    return buf.getvalue()


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "BMP", "TIFF", "WEBP"])
def test_supported_formats_decode_to_bgr(fmt: str) -> None:
    image = Image.new("RGB", (40, 30), (255, 0, 0))
    decoded = decode_image(encode(image, fmt), 10_000, 2000)
    assert decoded.format == fmt
    assert decoded.bgr.shape == (30, 40, 3) and decoded.bgr.dtype == np.uint8
    blue, green, red = (int(v) for v in decoded.bgr[15, 20])
    assert red > 200 and green < 60 and blue < 60  # BGR order


def test_sniffing_ignores_names_and_refuses_other_bytes() -> None:
    with pytest.raises(BadRequest) as empty:
        sniff_format(b"")
    assert empty.value.code == "empty_image"
    for data in (b"GIF89a....", b"%PDF-1.7", b"hello", b"RIFF\x00\x00\x00\x00WAVE"):
        with pytest.raises(UnsupportedMediaType):
            sniff_format(data)


def test_pixel_limit_is_checked_from_the_header() -> None:
    data = encode(Image.new("L", (300, 200), 255), "PNG")
    with pytest.raises(PayloadTooLarge) as err:
        decode_image(data, 300 * 200 - 1, 2000)
    assert err.value.code == "image_too_large"


def test_truncated_jpeg_is_corrupt() -> None:
    rng = np.random.default_rng(1)
    data = encode(Image.fromarray(rng.integers(0, 255, (200, 200, 3), dtype=np.uint8)), "JPEG")
    with pytest.raises(BadRequest) as err:
        decode_image(data[: len(data) // 3], 10**6, 2000)
    assert err.value.code == "corrupt_image"


def test_sixteen_bit_gray_is_scaled_not_clipped() -> None:
    array = np.full((10, 10), 65535, dtype=np.uint16)
    array[:, :5] = 32768
    decoded = decode_image(encode(Image.fromarray(array), "PNG"), 10**6, 2000)
    assert decoded.bgr.dtype == np.uint8 and decoded.bgr.shape == (10, 10, 3)
    assert int(decoded.bgr[0, 9, 0]) == 255
    assert 120 <= int(decoded.bgr[0, 0, 0]) <= 135


def test_alpha_is_flattened_onto_white() -> None:
    image = Image.new("RGBA", (10, 10), (0, 0, 0, 0))
    image.putpixel((5, 5), (0, 0, 0, 255))
    bgr = decode_image(encode(image, "PNG"), 10**6, 2000).bgr
    assert bgr[0, 0].tolist() == [255, 255, 255]
    assert bgr[5, 5].tolist() == [0, 0, 0]


@pytest.mark.parametrize("mode", ["L", "1", "P", "LA", "CMYK"])
def test_other_modes_become_three_channels(mode: str) -> None:
    image = Image.new("RGB", (8, 6), (10, 200, 30)).convert(mode)
    fmt = "TIFF" if mode == "CMYK" else "PNG"
    decoded = decode_image(encode(image, fmt), 10**6, 2000)
    assert decoded.bgr.shape == (6, 8, 3) and decoded.bgr.dtype == np.uint8


def test_exif_orientation_swaps_the_reported_size() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6
    data = encode(Image.new("RGB", (40, 30), "white"), "JPEG", exif=exif)
    decoded = decode_image(data, 10**6, 2000)
    assert (decoded.width, decoded.height) == (30, 40)
    assert decoded.bgr.shape[:2] == (40, 30)


def test_longest_side_is_shrunk_and_scale_maps_back() -> None:
    small, scale = fit_side(np.zeros((1000, 5000, 3), dtype=np.uint8), 2000)
    assert small.shape[:2] == (400, 2000) and scale == 2.5
    same, one = fit_side(np.zeros((10, 20, 3), dtype=np.uint8), 2000)
    assert same.shape[:2] == (10, 20) and one == 1.0


@pytest.mark.parametrize("orientation", [1, 6])
def test_a_large_jpeg_decodes_reduced_and_maps_back_to_its_full_size(orientation: int) -> None:
    exif = Image.Exif()
    exif[0x0112] = orientation
    image = Image.new("RGB", (4400, 3000), "white")
    image.paste((0, 0, 0), (0, 0, 2200, 1500))  # the top-left quarter is black
    decoded = decode_image(encode(image, "JPEG", exif=exif), 20_000_000, 1000)
    full = (3000, 4400) if orientation == 6 else (4400, 3000)
    assert (decoded.width, decoded.height) == full
    assert max(decoded.bgr.shape[:2]) == 1000
    assert decoded.scale == pytest.approx(4.4, rel=0.01)
    rows, cols = decoded.bgr.shape[:2]
    dark_corner = (0, cols - 1) if orientation == 6 else (0, 0)  # turned 90° clockwise upright
    assert int(decoded.bgr[dark_corner][0]) < 40
    assert int(decoded.bgr[rows - 1, cols // 2 if orientation == 6 else cols - 1][0]) > 200
