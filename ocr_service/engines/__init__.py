"""OCR engines: the base and its factory, PaddleOCR, RapidOCR."""
