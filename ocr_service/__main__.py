from mesh.names import OCR_SERVICE
from mesh.observability import Readiness
from mesh.runtime import serve_main
from ocr_service.config import OcrSettings
from ocr_service.main import create_app, instance_metadata

settings = OcrSettings()
readiness = Readiness()
raise SystemExit(
    serve_main(
        OCR_SERVICE,
        settings,
        lambda registry: create_app(settings, registry, readiness=readiness),
        readiness,
        instance_metadata(settings),
    )
)
