"""Browser security headers on every answer of a service: page, API, static files and errors.

The policy is strict: scripts, styles, fonts and connections only from the origin itself, no
inline script or style, no plugins, no framing. HSTS goes only on answers to requests that came
over TLS (directly, or through a trusted proxy that said so in X-Forwarded-Proto).
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}
HSTS_SECONDS = 31_536_000  # one year


class SecurityHeadersMiddleware:
    """Set the security headers on every HTTP answer, replacing any an inner layer set."""

    def __init__(self, app: ASGIApp, hsts_seconds: int = HSTS_SECONDS) -> None:
        self.app = app
        self.headers = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
        self.hsts = (b"strict-transport-security", f"max-age={hsts_seconds}".encode())
        self.names = {name for name, _ in self.headers} | {self.hsts[0]}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        own = [*self.headers, self.hsts] if scope.get("scheme") == "https" else self.headers

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in self.names]
                message["headers"] = [*kept, *own]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install_security_headers(app: FastAPI, hsts_seconds: int = HSTS_SECONDS) -> None:
    """Wrap the app's whole middleware stack, so the headers are also on the 500 answer that
    Starlette's ServerErrorMiddleware writes outside every middleware added with add_middleware."""
    build = app.build_middleware_stack

    def build_with_headers() -> ASGIApp:
        return SecurityHeadersMiddleware(build(), hsts_seconds)

    app.build_middleware_stack = build_with_headers  # type: ignore[method-assign]
