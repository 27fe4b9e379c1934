"""Read one multipart field from the request stream, never holding more than a limit."""

from __future__ import annotations

from fastapi import Request
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from mesh.errors import BadRequest, PayloadTooLarge, ValidationFailed
from mesh.uploads import limited_stream

FORM_OVERHEAD = 64 * 1024  # boundaries, part headers and small extra fields


class _FieldCollector:
    """Parser callbacks that keep the bytes of one named part, up to a limit."""

    def __init__(self, field: str, limit: int) -> None:
        self.field = field.encode()
        self.limit = limit
        self.data: bytearray | None = None
        self._header_name = bytearray()
        self._header_value = bytearray()
        self._current_is_field = False

    def callbacks(self) -> dict[str, object]:
        return {
            "on_part_begin": self._part_begin,
            "on_header_field": self._header_field,
            "on_header_value": self._header_val,
            "on_header_end": self._header_end,
            "on_part_data": self._part_data,
        }

    def _part_begin(self) -> None:
        self._current_is_field = False

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def _header_val(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _header_end(self) -> None:
        if self._header_name.lower() == b"content-disposition":
            _, params = parse_options_header(bytes(self._header_value))
            if params.get(b"name") == self.field and self.data is None:
                self._current_is_field = True
                self.data = bytearray()
        self._header_name.clear()
        self._header_value.clear()

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if not self._current_is_field or self.data is None:
            return
        self.data += data[start:end]
        if len(self.data) > self.limit:
            raise PayloadTooLarge(f"the upload is larger than {self.limit} bytes")


async def read_form_file(request: Request, field: str, limit: int, seconds: float) -> bytes:
    """The bytes of multipart field `field`; 413 as soon as it grows past `limit`, 408 when the
    body has not arrived within `seconds`."""
    content_type, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise ValidationFailed(f"send the image as multipart/form-data field '{field}'")
    collector = _FieldCollector(field, limit)
    message = f"the upload is larger than {limit} bytes"
    try:
        parser = MultipartParser(boundary, collector.callbacks())  # type: ignore[arg-type]
        async for chunk in limited_stream(request, limit + FORM_OVERHEAD, message, seconds):
            parser.write(chunk)
        parser.finalize()
    except FormParserError as exc:
        raise BadRequest("the multipart body is malformed", code="bad_multipart") from exc
    if collector.data is None:
        raise ValidationFailed(f"multipart field '{field}' is required")
    return bytes(collector.data)
