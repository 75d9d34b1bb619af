"""Accounts: registration, signing in, passwords, roles.

Having an account here reveals party membership, so every public answer is
the same whether or not an e-mail is registered: registration and password
reset always say "check your e-mail" and do the same work either way (one
Argon2 hash, one queued e-mail); the e-mail itself tells the owner of the
address what happened.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select

from academy.extensions import db
from academy.mail import send_template
from academy.models import Academy, AcademyRole, Role, User, UserRole
from academy.passwords import hash_password, needs_rehash, password_problem, verify_password
from academy.services import ServiceError
from academy.services.audit import record
from academy.timeutil import utcnow

CONFIRM_MAX_AGE = 7 * 24 * 3600


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def _serializer(salt: str) -> URLSafeTimedSerializer:
    # itsdangerous signs with the last key and accepts any: links sent before a
    # SECRET_KEY rotation keep working while the old key is in SECRET_KEY_FALLBACKS.
    config = current_app.config
    keys = [*config.get("SECRET_KEY_FALLBACKS", []), config["SECRET_KEY"]]
    return URLSafeTimedSerializer(keys, salt=salt)


def _hash_fingerprint(user: User) -> str:
    # Part of a reset token: once the password changes the token stops working.
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:20]


# Registration ---------------------------------------------------------------


def register(email: str, display_name: str, password: str) -> None:
    """Start a registration. Creates a pending account only for a new address."""
    email = normalise_email(email)
    problem = password_problem(password, email=email, name=display_name)
    if problem:
        raise ServiceError(problem)
    password_hash = hash_password(password)  # done either way: same time for both paths
    existing = find_user_by_email(email)
    if existing is not None:
        if existing.confirmed_at is None and existing.disabled_at is None:
            # Registered, never confirmed (the first e-mail lost?): a fresh link is what
            # they need; the account keeps the name and password it was made with.
            _send_confirmation(existing)
        else:
            send_template(email, "account_exists")
        return
    user = User(
        email=email,
        display_name=display_name.strip(),
        password_hash=password_hash,
        privacy_accepted_at=utcnow(),
    )
    db.session.add(user)
    db.session.flush()
    _send_confirmation(user)


def _send_confirmation(user: User) -> None:
    token = _serializer("confirm").dumps({"u": user.id})
    send_template(user.email, "confirm_account", name=user.display_name, token=token)


def resend_confirmation(email: str) -> None:
    """A new confirmation link ("Didn't get the e-mail?") for an account not yet confirmed.

    The caller answers the same whatever happens here: an unknown address gets
    nothing, a confirmed account a note that it is ready (its owner may be the one
    asking), a pending one a new link (earlier links keep working until they expire).
    """
    user = find_user_by_email(email)
    if user is None or user.disabled_at is not None:
        _serializer("confirm").dumps({"u": 0})  # the signing the other paths do
        return
    if user.confirmed_at is not None:
        send_template(user.email, "already_confirmed", name=user.display_name)
        return
    _send_confirmation(user)


def confirmation_user(token: str) -> User:
    """The account an e-mailed confirmation link is for, if it can still be confirmed.

    Reads only: the link's page shows a button, and only posting it confirms
    (a link opened by a mail scanner, or mailed to someone by an attacker,
    changes nothing by being opened).
    """
    try:
        data = _serializer("confirm").loads(token, max_age=CONFIRM_MAX_AGE)
    except SignatureExpired as error:
        raise ServiceError(
            "This link has expired. Ask for a new one: nothing has been changed."
        ) from error
    except BadSignature as error:
        raise ServiceError("This link is not valid. Check you copied all of it.") from error
    user = db.session.get(User, data.get("u"))
    if user is None or user.disabled_at is not None:
        raise ServiceError("This link is not valid. Check you copied all of it.")
    if user.confirmed_at is not None:
        raise ServiceError(
            "This link has already been used: the account is confirmed. Please sign in."
        )
    return user


def confirm(token: str) -> User:
    """Finish a registration from the e-mailed link. Does not sign anyone in."""
    user = confirmation_user(token)
    user.confirmed_at = utcnow()
    return user


# Signing in -------------------------------------------------------------------


@dataclass(frozen=True)
class PasswordCheck:
    """What the password step found. `user` is set whenever the e-mail has an account."""

    user: User | None
    ok: bool  # an active account, and the right password for it


def check_password(email: str, password: str) -> PasswordCheck:
    """Check an e-mail and password: one Argon2 verification whether or not the account exists.

    A right password whose stored hash was made with older parameters is hashed
    again with today's (passwords.needs_rehash) and stored, here, at the first
    step. That costs one more hash, so that attempt takes longer than a wrong
    one; doing the same extra work for wrong passwords instead would make every
    attempt on a registered address slower than on an unknown one, repeatably,
    which would show who has an account. The extra hash happens once per account
    and parameter change (the hash is then current), and every account with a
    second factor has signed in, and so been upgraded, since setting it up.
    """
    user = find_user_by_email(email)
    right = verify_password(user.password_hash if user else None, password)
    ok = right and user is not None and user.is_active
    if ok and needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return PasswordCheck(user=user, ok=ok)


def record_sign_in(user: User) -> None:
    """The person is signed in (after their second factor, if they have one)."""
    user.last_login_at = utcnow()


def authenticate(email: str, password: str) -> User | None:
    """The active account with this e-mail and password, or None (same time either way).

    For accounts without a second factor; `check_password` is the first of two steps.
    """
    check = check_password(email, password)
    if not check.ok:
        return None
    record_sign_in(check.user)
    return check.user


def sign_out_everywhere(user: User) -> None:
    user.end_all_sessions()


def change_password(user: User, current: str, new: str) -> None:
    if not verify_password(user.password_hash, current):
        raise ServiceError("Your current password is not right.")
    problem = password_problem(new, email=user.email, name=user.display_name)
    if problem:
        raise ServiceError(problem)
    user.password_hash = hash_password(new)
    user.end_all_sessions()


def request_password_reset(email: str) -> None:
    """E-mail a reset link if the account exists; the caller answers the same either way."""
    user = find_user_by_email(email)
    if user is None or user.disabled_at is not None:
        # Spend the time the other path spends on signing and queueing.
        _serializer("reset").dumps({"u": 0, "h": ""})
        return
    token = _serializer("reset").dumps({"u": user.id, "h": _hash_fingerprint(user)})
    send_template(
        user.email,
        "password_reset",
        name=user.display_name,
        token=token,
        minutes=current_app.config["PASSWORD_RESET_MAX_AGE"] // 60,
    )


def user_for_reset_token(token: str) -> User:
    try:
        data = _serializer("reset").loads(
            token, max_age=current_app.config["PASSWORD_RESET_MAX_AGE"]
        )
    except SignatureExpired as error:
        raise ServiceError("This reset link has expired. Ask for a new one.") from error
    except BadSignature as error:
        raise ServiceError("This reset link is not valid. Ask for a new one.") from error
    user = db.session.get(User, data.get("u") or 0)
    if user is None or user.disabled_at is not None or data.get("h") != _hash_fingerprint(user):
        raise ServiceError("This reset link has already been used or is not valid.")
    return user


def reset_password(token: str, new: str) -> User:
    user = user_for_reset_token(token)
    problem = password_problem(new, email=user.email, name=user.display_name)
    if problem:
        raise ServiceError(problem)
    user.password_hash = hash_password(new)
    # Following the link proves the address, so a pending account is confirmed too.
    user.confirmed_at = user.confirmed_at or utcnow()
    user.end_all_sessions()
    return user


# Roles ------------------------------------------------------------------------


def grant_role(
    user: User, role: str, *, academy: Academy | None = None, actor: User | None = None
) -> None:
    """Give `user` a role; trainer and staff need the academy they hold it in."""
    role = Role(role).value
    if role == Role.MEMBER:
        return
    if role in (Role.TRAINER, Role.STAFF) and academy is None:
        raise ServiceError(f"Choose the academy this {role} belongs to.")
    if role not in {grant.role for grant in user.role_grants}:
        user.role_grants.append(UserRole(role=role))
    if academy is not None and academy.id not in user.academy_ids(role):
        user.academy_roles.append(AcademyRole(academy_id=academy.id, role=role))
    record(
        "role.grant",
        actor=actor,
        subject=user,
        academy_id=academy.id if academy else None,
        target=role,
    )


def revoke_role(
    user: User, role: str, *, academy: Academy | None = None, actor: User | None = None
) -> None:
    """Take a role away (in one academy, or everywhere); their sessions end at once."""
    role = Role(role).value
    for link in list(user.academy_roles):
        if link.role == role and (academy is None or link.academy_id == academy.id):
            user.academy_roles.remove(link)
    if role not in (Role.TRAINER, Role.STAFF) or not user.academy_ids(role):
        for grant in list(user.role_grants):
            if grant.role == role:
                user.role_grants.remove(grant)
    user.end_all_sessions()
    record(
        "role.revoke",
        actor=actor,
        subject=user,
        academy_id=academy.id if academy else None,
        target=role,
    )


def disable(user: User, *, actor: User | None = None) -> None:
    user.disabled_at = utcnow()
    user.end_all_sessions()
    record("account.disable", actor=actor, subject=user)


def create_user(
    email: str,
    display_name: str,
    password: str,
    *,
    check_password: bool = True,
) -> User:
    """Create a confirmed account directly (CLI, demo data, tests)."""
    email = normalise_email(email)
    if find_user_by_email(email) is not None:
        raise ServiceError(f"An account with the e-mail {email} already exists.")
    if check_password:
        problem = password_problem(password, email=email, name=display_name)
        if problem:
            raise ServiceError(problem)
    now = utcnow()
    user = User(
        email=email,
        display_name=display_name,
        password_hash=hash_password(password),
        privacy_accepted_at=now,
        confirmed_at=now,
    )
    db.session.add(user)
    db.session.flush()
    return user
