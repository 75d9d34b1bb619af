"""Signing in in two steps without telling anyone whether the password alone was right.

The problem. With two-factor sign-in, the obvious flow asks for the code only
after a right password. Its second page then tells whoever typed the password
that it was right, whether or not they have the person's phone: a password
oracle for anyone trying leaked passwords against a staff account. The obvious
fix, asking every account that has two-factor sign-in for a code whatever the
password, tells the same person something worse: that the e-mail has an account
here at all, and having an account here reveals party membership (special
category data), which every other answer of the Academy keeps to itself
(registration, reset and sign-in answer the same for unknown addresses).

The design. After the password step there are only two outcomes:

- a right password for an account *without* a second factor signs in
  (as before: nothing to hide, the password is the whole proof);
- everything else gets the same second-step page, byte for byte: a right
  password for an account with a second factor, a wrong password for any
  account, an unknown e-mail address, an account not yet confirmed.

The page asks for a code and says that, for anyone who has not turned on
two-step sign-in, reaching it means the e-mail address or password was not
right. The verdict on the password is never given on its own: it is given only
together with the verdict on the code, and only as "signed in" or "that did not
work" (password or code, without saying which). So learning whether a password
is right needs the code as well, and every try counts against the same
per-account limit as the password step (LOGIN_RATE_LIMIT, keyed by the e-mail
address) and a per-address limit.

What the page carries is the same in every case too. The half-finished sign-in
lives in the session cookie, which the browser can read (Flask signs it but does
not encrypt it), so it is sealed with a key derived from SECRET_KEY
(academy.crypto) and padded to one length before sealing: the cookie looks the
same whether the password was right or not. Both steps do the same work either
way: one Argon2 verification at the password step (academy.services.accounts
.check_password, which says why an old hash is upgraded there), one security-log
row and commit, and at the code step one TOTP check against a stand-in secret
when there is no real one to check.

The cost: a member without two-step sign-in who mistypes their password sees
the code page instead of "wrong password" on the form, and goes back from it.
For an organisation holding special category data that is the right trade.

The sign-in time is written only once the person is signed in.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

import pyotp
from flask import session

from academy.crypto import InvalidToken, box
from academy.extensions import db
from academy.models import User
from academy.models.people import new_session_version
from academy.services import two_factor
from academy.services.accounts import PasswordCheck, normalise_email

SESSION_KEY = "sign_in"
PENDING_SECONDS = 10 * 60
_PURPOSE = "sign-in-second-step"
# E-mail (254 at most) and the rest: every sealed state is this long.
_PADDED_LENGTH = 320
# Checked when there is no real secret, so both paths spend the same time.
_STAND_IN_SECRET = pyotp.random_base32(32)


@dataclass(frozen=True)
class Pending:
    email: str
    user_id: int  # 0 when the e-mail has no account
    password_ok: bool
    started: int
    version: str  # the account's session version then: a password change since voids it

    @property
    def expired(self) -> bool:
        return time.time() - self.started > PENDING_SECONDS


def start(email: str, check: PasswordCheck) -> None:
    """Keep the password step's outcome, sealed, for the code step."""
    data = {
        "e": normalise_email(email)[:254],
        # Fixed width: the account's id (or 0) must not change the state's length.
        "u": f"{check.user.id if check.user else 0:012d}",
        "ok": 1 if check.ok else 0,
        "t": int(time.time()),
        "v": check.user.session_version if check.user else new_session_version(),
    }
    plain = json.dumps(data, separators=(",", ":")).ljust(_PADDED_LENGTH)
    session[SESSION_KEY] = box(_PURPOSE).encrypt(plain.encode()).decode()


def current() -> Pending | None:
    sealed = session.get(SESSION_KEY)
    if not sealed:
        return None
    try:
        data = json.loads(box(_PURPOSE).decrypt(sealed.encode()))
    except (InvalidToken, ValueError):
        return None
    return Pending(
        email=data["e"],
        user_id=int(data["u"]),
        password_ok=bool(data["ok"]),
        started=data["t"],
        version=data["v"],
    )


def finish() -> None:
    session.pop(SESSION_KEY, None)


def check(pending: Pending, code: str) -> User | None:
    """The person to sign in if the password was right and `code` is a good one now."""
    user = db.session.get(User, pending.user_id) if pending.user_id else None
    if (
        user is None
        or not pending.password_ok
        or not user.is_active
        or not user.has_second_factor
        or pending.expired
        or user.session_version != pending.version
    ):
        # The same kind of work as a real check, and the same answer as a wrong code.
        pyotp.TOTP(_STAND_IN_SECRET).verify(code or "000000")
        return None
    if two_factor.check_code(user, code) is None:
        return None
    return user
