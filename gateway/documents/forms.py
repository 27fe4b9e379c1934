"""The file parts of a multipart body already read within its size limit: every `image` and `file`."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from mesh.errors import BadRequest, PayloadTooLarge, ValidationFailed

FILE_FIELDS = (b"image", b"file")


@dataclass
class Part:
    name: str
    filename: str
    data: bytearray = field(default_factory=bytearray)


class _Collector:
    """Parser callbacks keeping the parts named in FILE_FIELDS, at most `max_parts` of them."""

    def __init__(self, max_parts: int) -> None:
        self.parts: list[Part] = []
        self._max = max_parts
        self._name = bytearray()
        self._value = bytearray()
        self._current: Part | None = None

    def callbacks(self) -> dict[str, object]:
        return {
            "on_part_begin": self._begin,
            "on_header_field": lambda d, s, e: self._name.extend(d[s:e]),
            "on_header_value": lambda d, s, e: self._value.extend(d[s:e]),
            "on_header_end": self._header_end,
            "on_part_data": self._data,
        }

    def _begin(self) -> None:
        self._current = None

    def _header_end(self) -> None:
        if self._name.lower() == b"content-disposition":
            _, params = parse_options_header(bytes(self._value))
            name = params.get(b"name", b"")
            if name in FILE_FIELDS:
                if len(self.parts) >= self._max:
                    raise PayloadTooLarge(f"at most {self._max} files in one request", code="too_many_files")
                filename = params.get(b"filename", b"").decode("utf-8", "replace")[:200]
                self._current = Part(name.decode(), filename)
                self.parts.append(self._current)
        self._name.clear()
        self._value.clear()

    def _data(self, data: bytes, start: int, end: int) -> None:
        if self._current is not None:
            self._current.data += data[start:end]


def file_parts(content_type: str, body: bytes, max_parts: int) -> list[Part]:
    """The `image` and `file` parts in their order; 422 when there is none or it is not multipart."""
    kind, params = parse_options_header(content_type)
    boundary = params.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise ValidationFailed("send the file as multipart/form-data field 'image' or 'file'")
    collector = _Collector(max_parts)
    try:
        parser = MultipartParser(boundary, collector.callbacks())  # type: ignore[arg-type]
        parser.write(body)
        parser.finalize()
    except FormParserError as exc:
        raise BadRequest("the multipart body is malformed", code="bad_multipart") from exc
    if not collector.parts:
        raise ValidationFailed("multipart field 'image' or 'file' is required")
    return collector.parts


def image_form(data: bytes, filename: str = "page.png") -> tuple[str, bytes]:
    """A multipart body with one `image` field, and its Content-Type, for an OCR node."""
    boundary = f"ocrmesh-{secrets.token_hex(16)}"  # random: an upload cannot contain it on purpose
    safe = filename.replace('"', "").replace("\r", "").replace("\n", "") or "page"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="{safe}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    return f"multipart/form-data; boundary={boundary}", head + data + f"\r\n--{boundary}--\r\n".encode()
