from gateway.config import GatewaySettings
from gateway.main import create_app
from mesh.names import GATEWAY
from mesh.runtime import serve_main

settings = GatewaySettings()
raise SystemExit(serve_main(GATEWAY, settings, lambda r, ready: create_app(settings, r, readiness=ready)))
