"""Run a whole mesh on this machine: `ocr-mesh up`, `down` and `nacos`; processes by pid file."""
