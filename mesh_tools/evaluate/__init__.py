"""`ocr-mesh eval`: score OCR accuracy on a labelled folder."""
