"""Signed-in sessions: the session version in the id ends every session at once."""

from __future__ import annotations

from flask import Flask, request
from flask_login import LoginManager, current_user
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from academy.extensions import db
from academy.models import User

# One query for the person and their roles (which nearly every page asks about),
# instead of three (the roles' own selectin loads). Built once: every signed-in
# request runs it, and `Session.get` with options builds its cache key anew each time.
_PERSON_WITH_ROLES = (
    select(User)
    .options(joinedload(User.role_grants), joinedload(User.academy_roles))
    .where(User.id == bindparam("user_id"))
)


def load_user(session_id: str) -> User | None:
    user_id, _, version = session_id.partition(":")
    if not user_id.isdigit() or not version:
        return None
    user = (
        db.session.execute(_PERSON_WITH_ROLES, {"user_id": int(user_id)})
        .unique()
        .scalar_one_or_none()
    )
    if user is None or not user.is_active or user.session_version != version:
        return None
    return user


def init_app(app: Flask, login_manager: LoginManager) -> None:
    login_manager.init_app(app)
    login_manager.user_loader(load_user)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to see that page."
    login_manager.login_message_category = "info"
    # Guards against a stolen cookie being used from elsewhere.
    login_manager.session_protection = "basic"

    @app.before_request
    def _load_person() -> None:
        # Loaded before the view rather than by the first after-request hook that asks
        # (every page's Cache-Control does): a database connection dropped under this
        # query is then replaced and the request run again (academy/database.py).
        if request.endpoint != "static":
            current_user._get_current_object()
