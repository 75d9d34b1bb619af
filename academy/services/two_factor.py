"""Two-factor sign-in: a TOTP authenticator app, and one-time recovery codes.

Required for staff and admins (they reach members' data, and party membership
is special category data): `academy.access` sends one who has not set it up to
do so before any staff or admin page. Offered to trainers and members.

- The TOTP secret (RFC 6238: SHA-1, 6 digits, 30 seconds, as every
  authenticator app expects) is stored encrypted (`academy.crypto`); a code is
  accepted in the step before, at or after now, and a step once used is never
  accepted again (`users.totp_last_step`, claimed by a conditional UPDATE, so
  two requests racing with one code cannot both win).
- Ten recovery codes of 80 random bits each are shown once; only their SHA-256
  is stored (a salt or a slow hash adds nothing against 80 random bits), and a
  used one is removed by a conditional UPDATE, so it works once.
- Enrolment is confirmed by a code from the app before it is turned on.
- Its owner can turn it off with their password and a code, except staff and
  admins; an admin can reset someone else's (audited; it ends their sessions).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

import pyotp
import segno
import sqlalchemy as sa
from markupsafe import Markup
from sqlalchemy.orm.attributes import set_committed_value

from academy.crypto import InvalidToken, box
from academy.extensions import db
from academy.models import User
from academy.passwords import verify_password
from academy.services import ServiceError
from academy.services.audit import record
from academy.timeutil import utcnow

try:  # services/privacy is becoming a package; its registry moves into privacy.registry
    from academy.services.privacy.registry import SECRET_COLUMNS
except ImportError:
    from academy.services.privacy import SECRET_COLUMNS

# Never in a member's data export, even their own: the sealed key, the last step used and
# the recovery codes' hashes would only help an attacker (privacy's registry of secrets,
# declared here beside the columns).
SECRET_COLUMNS.update(
    {("users", "totp_secret"), ("users", "totp_last_step"), ("users", "recovery_code_hashes")}
)

ISSUER = "Organising Academy"
STEP_SECONDS = 30
RECOVERY_CODES = 10
# Crockford's base32: 32 symbols without I, L, O or U; 16 of them make 80 bits. Codes are
# read off paper, so an O typed for a 0, or an I or L for a 1, is read as meant.
RECOVERY_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RECOVERY_LENGTH = 16
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_PURPOSE = "totp-secret"

TOTP = "totp"
RECOVERY = "recovery"

WRONG_CODE = "That code is not right. Check the app shows this account and try the newest code."


# Secrets and what the person scans -------------------------------------------------------


def new_secret() -> str:
    """A fresh 160-bit secret in base32, as authenticator apps take it."""
    return pyotp.random_base32(32)


def seal(secret: str) -> str:
    return box(_PURPOSE).encrypt(secret.encode()).decode()


def unseal(sealed: str) -> str | None:
    """The secret, or None if it was sealed under another SECRET_KEY (see academy.crypto)."""
    try:
        return box(_PURPOSE).decrypt(sealed.encode()).decode()
    except InvalidToken:
        return None


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_svg(uri: str) -> Markup:
    """The otpauth URI as an inline SVG QR code with an accessible name."""
    svg = segno.make(uri, error="m").svg_inline(
        scale=4, title="QR code to add the Organising Academy to your authenticator app"
    )
    return Markup(svg.replace("<svg ", '<svg role="img" ', 1))  # noqa: S704 - segno's own SVG


def grouped(secret: str) -> str:
    """ABCD EFGH …: easier to type into an app than 32 letters in a row."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


# Checking codes ------------------------------------------------------------------------------


def _digits(code: str) -> str:
    return "".join(ch for ch in code if not ch.isspace())


def _matching_step(secret: str, code: str, now: float | None = None) -> int | None:
    """The time step (now, or one either side for clock drift) whose code this is."""
    code = _digits(code)
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = int((time.time() if now is None else now) // STEP_SECONDS)
    found = None
    for step in (current - 1, current, current + 1):
        # Every candidate is compared, in constant time, whatever matched before.
        if hmac.compare_digest(totp.generate_otp(step), code):
            found = step
    return found


def _claim_step(user: User, step: int) -> bool:
    """Record `step` as used, unless it (or a later one) already was. Atomic."""
    result = db.session.execute(
        sa.update(User)
        .where(
            User.id == user.id,
            sa.or_(User.totp_last_step.is_(None), User.totp_last_step < step),
        )
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    set_committed_value(user, "totp_last_step", step)
    return True


def normalise_recovery_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum()).translate(_LOOKALIKES)


def _recovery_hash(code: str) -> str:
    return hashlib.sha256(normalise_recovery_code(code).encode()).hexdigest()


def _spend_recovery_code(user: User, code: str) -> bool:
    stored = user.recovery_code_hashes or ""
    wanted = _recovery_hash(code)
    hashes = stored.split()
    match = [h for h in hashes if hmac.compare_digest(h, wanted)]
    if not match:
        return False
    remaining = " ".join(h for h in hashes if h != wanted)
    # Only if nobody spent a code in between: a code races itself to one success.
    result = db.session.execute(
        sa.update(User)
        .where(User.id == user.id, User.recovery_code_hashes == stored)
        .values(recovery_code_hashes=remaining)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    set_committed_value(user, "recovery_code_hashes", remaining)
    return True


def check_code(user: User, code: str) -> str | None:
    """Accept a current authenticator code or an unused recovery code, once.

    Returns TOTP or RECOVERY for what was accepted (and is now spent), or None.
    """
    if not user.has_second_factor or not code:
        return None
    cleaned = _digits(code)
    if cleaned.isdigit() and len(cleaned) == 6:
        secret = unseal(user.totp_secret or "")
        step = _matching_step(secret, cleaned) if secret else None
        if step is not None and _claim_step(user, step):
            return TOTP
        return None
    if _spend_recovery_code(user, code):
        return RECOVERY
    return None


def recovery_codes_left(user: User) -> int:
    return len((user.recovery_code_hashes or "").split())


# Turning it on, renewing codes, turning it off -----------------------------------------------


def _new_recovery_codes() -> list[str]:
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
        codes.append("-".join(raw[i : i + 4] for i in range(0, RECOVERY_LENGTH, 4)))
    return codes


def _store_recovery_codes(user: User) -> list[str]:
    codes = _new_recovery_codes()
    user.recovery_code_hashes = " ".join(_recovery_hash(code) for code in codes)
    return codes


def enable(user: User, secret: str, code: str) -> list[str]:
    """Turn two-factor sign-in on once `code` shows the app has `secret`; the recovery codes.

    The caller shows the codes once: only their hashes are kept.
    """
    if user.has_second_factor:
        raise ServiceError("Two-step sign-in is already on for your account.")
    step = _matching_step(secret, code)
    if step is None:
        raise ServiceError(WRONG_CODE)
    user.totp_secret = seal(secret)
    user.totp_enabled_at = utcnow()
    user.totp_last_step = step  # the code just typed cannot be used to sign in
    codes = _store_recovery_codes(user)
    record("two-factor.enable", actor=user, subject=user)
    return codes


def enrol_for_demo(user: User) -> tuple[str, list[str]]:
    """Turn it on without a code from an app (`flask academy seed-demo` only): the new
    secret and recovery codes, for the command to print."""
    secret = new_secret()
    user.totp_secret = seal(secret)
    user.totp_enabled_at = utcnow()
    user.totp_last_step = None
    return secret, _store_recovery_codes(user)


def renew_recovery_codes(user: User, code: str) -> list[str]:
    """New recovery codes (the old ones stop working), confirmed by a current code."""
    if check_code(user, code) is None:
        raise ServiceError(WRONG_CODE)
    codes = _store_recovery_codes(user)
    record("two-factor.recovery-codes", actor=user, subject=user)
    return codes


def _clear(user: User) -> None:
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    user.recovery_code_hashes = None


def disable(user: User, password: str, code: str) -> None:
    """The owner turns it off with their password and a code; never staff or admins."""
    if user.must_have_second_factor:
        raise ServiceError(
            "Staff and admins must keep two-step sign-in on. If you have lost your "
            "authenticator app, ask an admin to reset it."
        )
    if not verify_password(user.password_hash, password):
        raise ServiceError("Your password is not right.")
    if check_code(user, code) is None:
        raise ServiceError(WRONG_CODE)
    _clear(user)
    record("two-factor.disable", actor=user, subject=user)


def reset(user: User, *, actor: User) -> None:
    """An admin clears someone's second factor (a lost phone): it ends all their sessions.

    Staff and admins must then set it up again before their next staff page.
    """
    if actor.id == user.id:
        raise ServiceError("You cannot reset your own two-step sign-in; ask another admin.")
    if not user.has_second_factor:
        raise ServiceError("This person has not set up two-step sign-in.")
    _clear(user)
    user.end_all_sessions()
    record("two-factor.reset", actor=actor, subject=user)
