from mesh.names import USER_SERVICE
from mesh.runtime import serve_main
from user_service.config import UserSettings
from user_service.main import create_app

settings = UserSettings()
raise SystemExit(
    serve_main(USER_SERVICE, settings, lambda r, ready: create_app(settings, r, readiness=ready))
)
