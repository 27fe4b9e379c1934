"""OCR node: PaddleOCR engine behind input validation and a bounded queue."""
