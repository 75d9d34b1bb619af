"""Error pages in the site's layout."""

from __future__ import annotations

import logging

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException, InternalServerError

from academy.database import DISCONNECTED, dropped
from academy.extensions import db
from academy.services import security_log

log = logging.getLogger("academy.errors")

MESSAGES = {
    400: (
        "Something was wrong with that request",
        "Please go back, check what you entered and try again.",
    ),
    403: (
        "You do not have access to this page",
        "Your account does not have the role this page needs. If you think it should, "
        "ask your academy's staff.",
    ),
    404: (
        "Page not found",
        "If you typed the address, check it is correct. If you followed a link, it may be out "
        "of date.",
    ),
    405: ("That action is not allowed here", "Please go back and use the page's buttons."),
    429: (
        "Too many attempts",
        "For your security we have paused this for a while. Please wait a few minutes and "
        "try again.",
    ),
    503: (
        "Sorry, we could not finish that just now",
        "Please try again in a moment.",
    ),
    500: (
        "Sorry, something went wrong on our side",
        "Nothing you did caused this. Please try again in a few minutes.",
    ),
}


# A 429 on these is a lock-out of sign-in, recorded as such in the security log.
SIGN_IN_ENDPOINTS = frozenset({"auth.login", "auth.second_step"})


def render_error(code: int, detail: str | None = None):
    title, message = MESSAGES.get(code, MESSAGES[500])
    return render_template(
        "errors/error.html", code=code, title=title, message=detail or message
    ), code


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return render_error(
            400,
            "This form had expired or was sent from elsewhere, so nothing was saved. "
            "Please go back, reload the page and try again.",
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code == 403:
            security_log.record_refusal("forbidden", 403)
        elif error.code == 429:
            locked = request.endpoint in SIGN_IN_ENDPOINTS
            security_log.record_refusal("signin.locked" if locked else "rate-limited", 429)
        if error.code in MESSAGES:
            # A reason given to abort() (abort(400, description=...)) says more than ours.
            given = error.description if error.description != type(error).description else None
            return render_error(error.code, given)
        return error

    @app.errorhandler(DBAPIError)
    def database_error(error: DBAPIError):
        # A connection dropped after this request had committed (before, it is run
        # again: academy/database.py): say so plainly rather than show a 500.
        if not dropped(error):
            raise error
        db.session.rollback()
        log.warning("The database connection was dropped after a commit: %s", request.path)
        return render_error(503, DISCONNECTED)

    @app.errorhandler(InternalServerError)
    def server_error(error: InternalServerError):
        log.error("unhandled error", exc_info=error.original_exception)
        return render_error(500)
