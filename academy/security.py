"""Security headers on every response; no NUL character in what a request sends."""

from __future__ import annotations

from flask import Flask, Response, abort, request
from flask_login import current_user

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


NUL_REFUSED = (
    "The address or form contained a character that is not allowed (NUL), so nothing "
    "was done. Please check what you entered and try again."
)


def _has_nul(values) -> bool:
    return any("\x00" in value for items in values.listvalues() for value in items)


def init_app(app: Flask) -> None:
    production = app.config["ACADEMY_ENV"] == "production"

    @app.before_request
    def refuse_nul() -> None:
        # PostgreSQL cannot hold a NUL in text and fails the statement that carries one;
        # no one types it, so any request with one is answered 400 before it gets there.
        if _has_nul(request.args) or (request.method == "POST" and _has_nul(request.form)):
            abort(400, description=NUL_REFUSED)

    @app.after_request
    def add_headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=()"
        )
        if production:
            response.headers.setdefault(
                "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
            )
        if request.endpoint == "static":
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        elif current_user.is_authenticated:
            # Pages of a signed-in person may hold personal data: never cache them.
            response.headers["Cache-Control"] = "no-store"
        return response
