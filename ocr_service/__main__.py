from mesh.names import OCR_SERVICE
from mesh.runtime import serve_main
from ocr_service.config import OcrSettings
from ocr_service.main import create_app, instance_metadata

settings = OcrSettings()
raise SystemExit(
    serve_main(
        OCR_SERVICE,
        settings,
        lambda registry, readiness: create_app(settings, registry, readiness=readiness),
        instance_metadata(settings),
    )
)
