"""Who may use which route: the one place every blueprint takes its rules from.

Every view function carries an `access_rule` attribute set by one of these
decorators; a test walks the URL map and fails on any route without one, so
a new page cannot ship unprotected by accident.

Object-level rules (this cohort, that certificate) live on the models and in
the services; these decorators only answer "may this kind of person use this
page at all?".
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TypeVar

from flask import abort
from flask_login import current_user

from academy.extensions import login_manager

F = TypeVar("F", bound=Callable)

PUBLIC = "public"
SIGNED_IN = "signed-in"


def public(view: F) -> F:
    """Anyone, signed in or not."""
    view.access_rule = PUBLIC
    return view


def signed_in(view: F) -> F:
    """Any signed-in person (every account is a member)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
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
            return view(*args, **kwargs)

        wrapper.access_rule = frozenset(roles)
        return wrapper

    return decorator


def access_rule_of(view: Callable) -> object | None:
    return getattr(view, "access_rule", None)
