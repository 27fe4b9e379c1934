"""The `ocr-mesh` command: run Nacos and the services on this machine."""
