from mesh.names import USER_SERVICE
from mesh.observability import Readiness
from mesh.runtime import serve_main
from user_service.config import UserSettings
from user_service.main import create_app

settings = UserSettings()
readiness = Readiness()
raise SystemExit(
    serve_main(
        USER_SERVICE,
        settings,
        lambda registry: create_app(settings, registry, readiness=readiness),
        readiness,
    )
)
