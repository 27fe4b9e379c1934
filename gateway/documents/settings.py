"""Settings of documents (mixed into GatewaySettings, so `OCR_MESH_*` environment variables)."""

from __future__ import annotations

from pydantic import BaseModel

from gateway.documents.pages import RenderLimits


class DocumentSettings(BaseModel):
    pdf_dpi: float = 150.0  # PDF pages are rendered at this resolution ...
    page_max_side: int = 2000  # ... lowered so the longest side fits (the OCR node's own max_side)
    page_max_pixels: int = 40_000_000  # a TIFF frame over this is refused, as a single image is
    max_pages: int = 200  # pages in one job; more is 413 too_many_pages
    page_bmp_max_bytes: int = RenderLimits.bmp_max_bytes  # pages up to this go uncompressed; 0: PNG
    sync_max_pages: int = 20  # pages POST /api/ocr answers in the request; more: use a job
    max_document_bytes: int = 50 * 1024 * 1024  # a job's upload (POST /api/ocr keeps max_upload_bytes)
    render_workers: int = 1  # processes rendering pages (PDFium is not thread-safe)
    render_memory_mb: int = 1536  # address-space ceiling of each render process
    render_timeout: float = 30.0  # seconds one page may take to render before its process is killed
    result_cache_mb: float = 64.0  # the result cache's size; 0 turns it off (the load test does)

    def render_limits(self) -> RenderLimits:
        return RenderLimits(
            self.pdf_dpi, self.page_max_side, self.page_max_pixels, self.max_pages, self.page_bmp_max_bytes
        )
