from mesh.runtime import serve_main
from ocr_service.config import OcrSettings
from ocr_service.main import create_app, instance_metadata

settings = OcrSettings()
raise SystemExit(
    serve_main("ocr-service", settings, lambda reg: create_app(settings, reg), instance_metadata)
)
