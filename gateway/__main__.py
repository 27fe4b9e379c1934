from gateway.config import GatewaySettings
from gateway.main import create_app
from mesh.runtime import serve_main

settings = GatewaySettings()
raise SystemExit(serve_main("ocr-gateway", settings, lambda registry: create_app(settings, registry)))
