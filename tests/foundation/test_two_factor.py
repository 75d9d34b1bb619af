"""Two-factor sign-in: enrolment, the two steps of signing in, codes used once, limits,
the rule that staff and admins have it, turning it off and an admin's reset."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, unquote, urlsplit

import pyotp
import pytest
import sqlalchemy as sa

from academy.access import access_rule_of
from academy.extensions import db, limiter
from academy.models import AuditEvent, SecurityEvent, User
from academy.services import two_factor
from tests.conftest import PASSWORD, RECOVERY_CODES, TOTP_SECRET, totp_code

CSRF = re.compile(r'name="csrf_token" type="hidden" value="[^"]+"')


def _html(response) -> str:
    return CSRF.sub("", response.get_data(as_text=True))


def _events(kind: str) -> list[SecurityEvent]:
    return list(db.session.scalars(sa.select(SecurityEvent).where(SecurityEvent.kind == kind)))


def _sign_in(client, email: str, password: str = PASSWORD):
    return client.post("/login", data={"email": email, "password": password})


# Enrolment --------------------------------------------------------------------------------


def _setup_secret(page_html: str) -> str:
    grouped = re.search(r'<p class="secret-key" id="secret-key">([A-Z2-7 ]+)</p>', page_html)
    return grouped.group(1).replace(" ", "")


def test_enrolment_shows_a_qr_code_and_the_secret_and_needs_a_code_to_turn_on(
    client, make_user, login
):
    member = make_user(email="enrol@example.org")
    login(client, member)
    page = client.get("/account/two-factor/setup")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    secret = _setup_secret(html)
    assert len(secret) == 32
    # The QR code is the otpauth URI with the Academy as issuer, drawn inline as SVG.
    uri = two_factor.provisioning_uri(member, secret)
    parts = urlsplit(uri)
    assert parts.scheme == "otpauth"
    assert parts.netloc == "totp"
    assert parse_qs(parts.query) == {"secret": [secret], "issuer": ["Organising Academy"]}
    assert unquote(parts.path) == "/Organising Academy:enrol@example.org"
    assert str(two_factor.qr_svg(uri)) in html
    assert '<svg role="img"' in html
    # Reloading shows the same secret (it waits in the session), and nothing is on yet.
    assert _setup_secret(client.get("/account/two-factor/setup").get_data(as_text=True)) == secret
    assert not member.has_second_factor

    wrong = client.post("/account/two-factor/setup", data={"code": "000000"})
    assert wrong.status_code == 400
    assert "That code is not right" in wrong.get_data(as_text=True)
    db.session.refresh(member)
    assert not member.has_second_factor
    assert len(_events("2fa.setup-failed")) == 1

    done = client.post("/account/two-factor/setup", data={"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200
    html = done.get_data(as_text=True)
    codes = re.findall(r"<li>([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})</li>", html)
    assert len(codes) == 10
    assert len(set(codes)) == 10
    assert 'download="organising-academy-recovery-codes.txt"' in html
    assert "data-print" in html
    db.session.refresh(member)
    assert member.has_second_factor
    # Stored: the secret sealed, the codes hashed; neither in the clear.
    assert secret not in member.totp_secret
    assert two_factor.unseal(member.totp_secret) == secret
    assert not any(code in member.recovery_code_hashes for code in codes)
    assert two_factor.recovery_codes_left(member) == 10
    assert db.session.scalar(
        sa.select(sa.func.count()).where(
            AuditEvent.action == "two-factor.enable", AuditEvent.subject_user_id == member.id
        )
    )


def test_the_secret_at_rest_needs_the_secret_key(app, make_user):
    from academy.crypto import _box

    user = make_user(second_factor=True)
    sealed = user.totp_secret
    assert TOTP_SECRET not in sealed
    assert two_factor.unseal(sealed) == TOTP_SECRET
    # Under any other SECRET_KEY (a database dump without the key) it is unreadable.
    with pytest.raises(Exception, match="InvalidToken|^$"):
        _box("another-secret-key", "totp-secret").decrypt(sealed.encode())


# Signing in: two steps ---------------------------------------------------------------------


def test_an_account_with_a_second_factor_signs_in_with_password_then_code(client, make_user):
    user = make_user(email="two@example.org", second_factor=True)
    first = _sign_in(client, "two@example.org")
    assert first.status_code == 200
    assert "Two-step sign-in" in first.get_data(as_text=True)
    assert "Sign out" not in client.get("/").get_data(as_text=True)
    response = client.post("/login/code", data={"code": totp_code()})
    assert response.status_code == 302
    assert "Sign out" in client.get("/").get_data(as_text=True)
    assert user.last_login_at is not None
    assert [e.user_id for e in _events("signin.second-step")] == [user.id]


def test_an_account_without_a_second_factor_signs_in_with_its_password(client, make_user):
    make_user(email="one@example.org")
    assert _sign_in(client, "one@example.org").status_code == 302


def test_the_second_step_does_not_say_whether_the_password_was_right(app, make_user):
    """Right and wrong passwords, known and unknown e-mails: one page, one cookie size."""
    make_user(email="with2fa@example.org", second_factor=True)
    make_user(email="plain@example.org")
    cases = {
        "right password, second factor": ("with2fa@example.org", PASSWORD),
        "wrong password, second factor": ("with2fa@example.org", "not the password"),
        "wrong password, no second factor": ("plain@example.org", "not the password"),
        "unknown e-mail": ("nobody@example.org", "not the password"),
    }
    serializer = app.session_interface.get_signing_serializer(app)
    pages, cookies = {}, {}
    for name, (email, password) in cases.items():
        client = app.test_client()
        response = _sign_in(client, email, password)
        assert response.status_code == 200, name
        pages[name] = _html(response)
        # The cookie can be read by its holder: the same keys, the sealed state one length.
        session = serializer.loads(client.get_cookie("session").value)
        cookies[name] = (sorted(session), len(session["sign_in"]))
    assert len(set(pages.values())) == 1, "the second-step page differs between cases"
    assert len({repr(c) for c in cookies.values()}) == 1, cookies

    # And the code step answers a wrong code the same way whether the password was right.
    limiter.reset()  # the tries above count towards the per-account limit
    answers = {}
    for name, (email, password) in cases.items():
        client = app.test_client()
        _sign_in(client, email, password)
        answers[name] = _html(client.post("/login/code", data={"code": "123456"}))
    assert len(set(answers.values())) == 1
    assert "That did not work" in next(iter(answers.values()))


def test_a_right_code_after_a_wrong_password_does_not_sign_in(client, make_user):
    make_user(email="two@example.org", second_factor=True)
    _sign_in(client, "two@example.org", "a wrong password")
    response = client.post("/login/code", data={"code": totp_code()})
    assert response.status_code == 200
    assert "That did not work" in response.get_data(as_text=True)
    assert "Sign out" not in client.get("/").get_data(as_text=True)
    assert len(_events("signin.failed")) == 2  # the password step and the code step


def test_a_password_change_between_the_steps_voids_the_first(client, make_user):
    user = make_user(email="two@example.org", second_factor=True)
    _sign_in(client, "two@example.org")
    user.end_all_sessions()  # what a password change (or an admin's reset) does
    db.session.commit()
    assert client.post("/login/code", data={"code": totp_code()}).status_code == 200
    assert "Sign out" not in client.get("/").get_data(as_text=True)


def test_a_wrong_code_is_a_second_factor_failure_in_the_log(client, make_user):
    user = make_user(email="two@example.org", second_factor=True)
    _sign_in(client, "two@example.org")
    client.post("/login/code", data={"code": "000000"})
    (event,) = _events("2fa.failed")
    assert event.user_id == user.id
    assert event.route == "POST auth.second_step"


def test_a_code_cannot_be_used_twice(app, make_user):
    make_user(email="two@example.org", second_factor=True)
    code = totp_code()
    first = app.test_client()
    _sign_in(first, "two@example.org")
    assert first.post("/login/code", data={"code": code}).status_code == 302
    thief = app.test_client()
    _sign_in(thief, "two@example.org")
    replay = thief.post("/login/code", data={"code": code})
    assert replay.status_code == 200
    assert "That did not work" in replay.get_data(as_text=True)


def test_an_older_step_is_refused_once_a_newer_one_was_used(make_user):
    user = make_user(second_factor=True)
    assert two_factor.check_code(user, totp_code()) == two_factor.TOTP
    assert two_factor.check_code(user, totp_code(-1)) is None
    assert two_factor.check_code(user, totp_code(+1)) == two_factor.TOTP  # clock drift


def test_a_recovery_code_works_once(app, make_user):
    user = make_user(email="two@example.org", second_factor=True)
    code = RECOVERY_CODES[3].lower().replace("-", " ")  # as someone might type it
    first = app.test_client()
    _sign_in(first, "two@example.org")
    assert first.post("/login/code", data={"code": code}).status_code == 302
    db.session.refresh(user)
    assert two_factor.recovery_codes_left(user) == 9
    again = app.test_client()
    _sign_in(again, "two@example.org")
    assert again.post("/login/code", data={"code": code}).status_code == 200
    assert two_factor.recovery_codes_left(user) == 9


def test_lookalike_letters_in_a_recovery_code_are_read_as_meant():
    assert two_factor.normalise_recovery_code("abcd-0o1i-L2") == "ABCD001112"


def test_the_code_step_is_rate_limited_with_the_password_step(client, make_user):
    make_user(email="two@example.org", second_factor=True)
    _sign_in(client, "two@example.org")  # one try
    statuses = [client.post("/login/code", data={"code": "000000"}).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 200, 429]
    locked = client.post("/login/code", data={"code": totp_code()})
    assert locked.status_code == 429
    assert "Too many attempts" in locked.get_data(as_text=True)
    assert len(_events("signin.locked")) == 2
    # The password step is locked for this account too: one limit for both steps.
    assert _sign_in(client, "two@example.org").status_code == 429


def test_the_second_step_expires_after_ten_minutes(client, make_user, monkeypatch):
    import time

    make_user(email="two@example.org", second_factor=True)
    _sign_in(client, "two@example.org")
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 11 * 60)
    response = client.post("/login/code", data={"code": totp_code()})
    assert response.status_code == 302
    assert "/login" in response.location
    assert "open too long" in client.get("/login").get_data(as_text=True)


def test_the_second_step_without_a_first_goes_back_to_sign_in(client):
    response = client.post("/login/code", data={"code": "123456"})
    assert response.status_code == 302
    assert "/login" in response.location


def test_a_right_password_upgrades_an_old_hash_at_the_first_step(client, make_user):
    from argon2 import PasswordHasher

    from academy import passwords

    user = make_user(email="two@example.org", second_factor=True)
    old = PasswordHasher().hash(PASSWORD)  # argon2-cffi's (heavier) defaults
    user.password_hash = old
    db.session.commit()
    _sign_in(client, "two@example.org", "not the password")
    db.session.refresh(user)
    assert user.password_hash == old  # a wrong password changes nothing
    _sign_in(client, "two@example.org")
    db.session.refresh(user)
    assert not passwords.needs_rehash(user.password_hash)
    assert passwords.verify_password(user.password_hash, PASSWORD)
    assert user.last_login_at is None  # not signed in yet: that waits for the code
    assert client.post("/login/code", data={"code": totp_code()}).status_code == 302
    assert user.last_login_at is not None


# Staff and admins must have it ---------------------------------------------------------------


def _signed_in_get_routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or "GET" not in rule.methods:
            continue
        view = app.view_functions[rule.endpoint]
        if access_rule_of(view) == "public" or getattr(view, "second_factor_setup", False):
            continue
        values = {name: 1 for name in rule.arguments}
        yield rule.endpoint, rule.build(values, append_unknown=False)[1]


@pytest.mark.parametrize("role", ["staff", "admin"])
def test_staff_and_admins_without_a_second_factor_reach_no_page_but_its_set_up(
    app, make_user, login, role
):
    person = make_user(roles=(role,), second_factor=False)
    client = login(app.test_client(), person)
    checked = 0
    for endpoint, url in _signed_in_get_routes(app):
        response = client.get(url)
        if response.status_code == 403:  # a page of another role: refused before anything
            continue
        assert response.status_code == 302, (endpoint, response.status_code)
        assert response.location.startswith("/account/two-factor/setup"), endpoint
        checked += 1
    assert checked > 20
    # Sent to set it up, they are told why; once it is set up, the same pages open.
    home = "/staff/" if role == "staff" else "/admin/"
    setup = client.get(home, follow_redirects=True).get_data(as_text=True)
    assert "Staff and admins need two-step sign-in" in setup
    client.post("/account/two-factor/setup", data={"code": pyotp.TOTP(_setup_secret(setup)).now()})
    assert client.get(home).status_code == 200


def test_trainers_and_members_do_not_need_it(app, make_user, login):
    for role in ((), ("trainer",)):
        client = login(app.test_client(), make_user(roles=role))
        assert client.get("/dashboard").status_code == 200
        assert client.get("/cohorts/").status_code == 200


# Turning it off, renewing codes, an admin's reset -------------------------------------------


def test_a_member_turns_it_off_with_password_and_code(client, make_user, login):
    user = make_user(second_factor=True)
    login(client, user)
    wrong = client.post(
        "/account/two-factor/turn-off", data={"password": "not it", "code": totp_code()}
    )
    assert wrong.status_code == 400
    assert "password is not right" in wrong.get_data(as_text=True)
    db.session.refresh(user)
    assert user.has_second_factor
    response = client.post(
        "/account/two-factor/turn-off", data={"password": PASSWORD, "code": totp_code()}
    )
    assert response.status_code == 302
    db.session.refresh(user)
    assert not user.has_second_factor
    assert user.totp_secret is None


def test_staff_cannot_turn_it_off(client, make_user, login):
    staff = make_user(roles=("staff",))
    login(client, staff)
    page = client.post(
        "/account/two-factor/turn-off", data={"password": PASSWORD, "code": totp_code()}
    )
    assert "must keep two-step sign-in on" in page.get_data(as_text=True)
    db.session.refresh(staff)
    assert staff.has_second_factor


def test_new_recovery_codes_replace_the_old_ones(client, make_user, login):
    user = make_user(second_factor=True)
    login(client, user)
    response = client.post("/account/two-factor/recovery-codes", data={"code": totp_code()})
    assert response.status_code == 200
    new = re.findall(r"<li>([0-9A-Z-]{19})</li>", response.get_data(as_text=True))
    assert len(new) == 10
    db.session.refresh(user)
    assert two_factor.check_code(user, RECOVERY_CODES[0]) is None
    assert two_factor.check_code(user, new[0]) == two_factor.RECOVERY


def test_an_admin_resets_someones_second_factor_audited_and_ending_their_sessions(
    app, make_user, login
):
    admin = make_user(roles=("admin",))
    staff = make_user(roles=("staff",))
    theirs = login(app.test_client(), staff)
    assert theirs.get("/staff/").status_code == 200
    as_admin = login(app.test_client(), admin)
    assert "Reset two-step sign-in" in as_admin.get(f"/admin/people/{staff.id}").get_data(
        as_text=True
    )
    response = as_admin.post(f"/admin/people/{staff.id}/two-factor/reset")
    assert response.status_code == 302
    db.session.refresh(staff)
    assert not staff.has_second_factor
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "two-factor.reset"))
    assert (event.actor_id, event.subject_user_id) == (admin.id, staff.id)
    # Their sessions have ended; signed in again, they must set it up before any staff page.
    assert theirs.get("/staff/").status_code == 302
    assert "/login" in theirs.get("/staff/").location
    login(theirs, staff)
    assert theirs.get("/staff/").location.startswith("/account/two-factor/setup")


def test_only_admins_reset_and_never_their_own(app, make_user, login):
    admin = make_user(roles=("admin",))
    target = make_user(second_factor=True)
    for role in ((), ("trainer",), ("staff",)):
        client = login(app.test_client(), make_user(roles=role))
        assert client.post(f"/admin/people/{target.id}/two-factor/reset").status_code == 403
    db.session.refresh(target)
    assert target.has_second_factor
    client = login(app.test_client(), admin)
    client.post(f"/admin/people/{admin.id}/two-factor/reset")
    assert db.session.get(User, admin.id).has_second_factor


def test_a_data_export_says_it_is_on_but_holds_no_secret(make_user):
    from academy.services import privacy

    user = make_user(second_factor=True)
    account = privacy.export_data(user)["account"]
    assert account["totp_enabled_at"]
    for secret in ("totp_secret", "totp_last_step", "recovery_code_hashes"):
        assert secret not in account
