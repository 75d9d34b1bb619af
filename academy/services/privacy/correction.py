"""Correcting a member's details: their name and how it shows, and their e-mail
address (changed only once a link sent to the new address is followed)."""

from __future__ import annotations

from academy.extensions import db
from academy.models import User
from academy.models.privacy import RequestKind
from academy.services import ServiceError
from academy.services.audit import record
from academy.services.privacy.data_requests import complete_request, open_request


def correct_details(user: User, *, display_name: str, show_name_on_verification: bool) -> list[str]:
    """Change what the member may correct themselves; returns the fields changed."""
    display_name = " ".join(display_name.split())
    if not display_name:
        raise ServiceError("Enter your name.")
    if len(display_name) > 120:
        raise ServiceError("Use at most 120 characters for your name.")
    changed = []
    if display_name != user.display_name:
        user.display_name = display_name
        changed.append("name")
    if show_name_on_verification != user.show_name_on_verification:
        user.show_name_on_verification = show_name_on_verification
        changed.append("name on verification")
    if changed:
        request = open_request(user, RequestKind.CORRECTION, actor=user, note=", ".join(changed))
        complete_request(request, actor=user, audit=False)
        record("privacy.correct", actor=user, subject=user, fields=changed)
    return changed


EMAIL_CHANGE_MAX_AGE = 24 * 3600


def request_email_change(user: User, new_email: str, password: str) -> None:
    """E-mail a confirmation link to the new address; nothing changes until it is followed.

    The answer is the same whether or not the new address already has an account
    (that would reveal someone's membership); the new address is told either way.
    """
    from academy.mail import send_template
    from academy.passwords import verify_password
    from academy.services import accounts

    if not verify_password(user.password_hash, password):
        raise ServiceError("Your password is not right.")
    new_email = accounts.normalise_email(new_email)
    if new_email == user.email:
        raise ServiceError("That is already your e-mail address.")
    if accounts.find_user_by_email(new_email) is not None:
        send_template(new_email, "email_change_taken")
        return
    token = accounts._serializer("change-email").dumps(
        {"u": user.id, "e": new_email, "v": user.session_version}
    )
    send_template(new_email, "email_change_confirm", name=user.display_name, token=token)


def confirm_email_change(token: str) -> User:
    from itsdangerous import BadSignature, SignatureExpired

    from academy.mail import send_template
    from academy.services import accounts

    try:
        data = accounts._serializer("change-email").loads(token, max_age=EMAIL_CHANGE_MAX_AGE)
    except SignatureExpired as error:
        raise ServiceError("This link has expired. Ask for a new one.") from error
    except BadSignature as error:
        raise ServiceError("This link is not valid. Check you copied all of it.") from error
    user = db.session.get(User, data.get("u") or 0)
    if user is None or not user.is_active or user.session_version != data.get("v"):
        raise ServiceError("This link has already been used or is no longer valid.")
    if accounts.find_user_by_email(data["e"]) is not None:
        raise ServiceError("That e-mail address now belongs to another account.")
    old = user.email
    user.email = data["e"]
    # Ends every session, which also makes this link single-use.
    user.end_all_sessions()
    request = open_request(user, RequestKind.CORRECTION, actor=user, note="e-mail address")
    complete_request(request, actor=user, audit=False)
    record("privacy.correct", actor=user, subject=user, fields=["e-mail address"])
    send_template(old, "email_changed")
    return user
