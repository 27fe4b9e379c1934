"""The tools side of OCR Mesh: the `ocr-mesh` command, the local launcher, the Nacos server
manager and the accuracy evaluation. Nothing of the services imports it."""
