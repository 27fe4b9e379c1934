from gateway.config import GatewaySettings
from gateway.main import create_app
from mesh.names import GATEWAY
from mesh.observability import Readiness
from mesh.runtime import serve_main

settings = GatewaySettings()
readiness = Readiness()
raise SystemExit(
    serve_main(
        GATEWAY, settings, lambda registry: create_app(settings, registry, readiness=readiness), readiness
    )
)
