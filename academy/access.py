"""Who may use which route: the one place every blueprint takes its rules from.

Every view function carries an `access_rule` attribute set by one of these
decorators; a test walks the URL map and fails on any route without one, so
a new page cannot ship unprotected by accident.

Object-level rules (this cohort, that certificate) live on the models and in
the services; these decorators only answer "may this kind of person use this
page at all?".

Two more rules live here because every route must follow them:

- Staff and admins reach members' data, and party membership is special
  category data, so a password alone is not enough for them: one without a
  second factor is sent to set it up from every signed-in page (not only the
  staff and admin ones: member pages such as a cohort's or a certificate's
  also open to staff by object rules), except the few marked
  `second_factor_setup` (setting it up, signing out).
- Some URLs carry a secret (a confirmation or reset token, an invitation, a
  certificate's verification code). `SECRET_URL_ARGUMENTS` names them, so that
  academy.redaction keeps them out of every log line.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TypeVar

from flask import abort, flash, redirect, request, session, url_for
from flask_login import current_user

from academy.extensions import login_manager

F = TypeVar("F", bound=Callable)

PUBLIC = "public"
SIGNED_IN = "signed-in"


def public(view: F) -> F:
    """Anyone, signed in or not."""
    view.access_rule = PUBLIC
    return view


# Endpoint -> the URL arguments that are secrets: redacted from logs (academy.redaction).
SECRET_URL_ARGUMENTS: dict[str, tuple[str, ...]] = {
    "auth.confirm": ("token",),
    "auth.reset": ("token",),
    "account.confirm_email": ("token",),
    "cohorts.join": ("key",),  # an invitation link or a cohort's join link
    "verify.certificate": ("code",),
    "verify.certificate_json": ("code",),
}
# Query-string parameters that are always secrets, whatever the route.
SECRET_QUERY_PARAMETERS = frozenset({"token", "code", "key", "secret", "password"})

SECOND_FACTOR_MESSAGE = (
    "Staff and admins need two-step sign-in: set it up now to carry on. It takes a minute "
    "with an authenticator app on your phone."
)


def second_factor_setup(view: F) -> F:
    """A page a staff member or admin without a second factor may still use (to set it up)."""
    view.second_factor_setup = True
    return view


def _second_factor_missing(view: Callable):
    """A redirect to set up two-step sign-in, if this person needs one and has none.

    `view` is the decorated wrapper: `functools.wraps` has copied the mark onto it
    from the function beneath, and a mark put on above lands on it directly.
    """
    if getattr(view, "second_factor_setup", False):
        return None
    if current_user.must_have_second_factor and not current_user.has_second_factor:
        if ("info", SECOND_FACTOR_MESSAGE) not in session.get("_flashes", []):
            flash(SECOND_FACTOR_MESSAGE, "info")
        target = request.full_path if request.method == "GET" else None
        return redirect(url_for("account.two_factor_setup", next=target))
    return None


def signed_in(view: F) -> F:
    """Any signed-in person (every account is a member)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        missing = _second_factor_missing(wrapper)
        if missing is not None:
            return missing
        return view(*args, **kwargs)

    wrapper.access_rule = SIGNED_IN
    return wrapper


def roles_required(*roles: str) -> Callable[[F], F]:
    """Signed in and holding at least one of `roles`; otherwise log-in or 403."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.has_role(*roles):
                abort(403)
            missing = _second_factor_missing(wrapper)
            if missing is not None:
                return missing
            return view(*args, **kwargs)

        wrapper.access_rule = frozenset(roles)
        return wrapper

    return decorator


def access_rule_of(view: Callable) -> object | None:
    return getattr(view, "access_rule", None)
