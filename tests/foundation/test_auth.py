import re
import time

import pytest
from sqlalchemy import func, select

from academy.extensions import db
from academy.models import User
from academy.services import accounts
from tests.conftest import PASSWORD

GOOD = {
    "display_name": "Ada Organiser",
    "email": "ada@example.org",
    "password": "a long and unusual passphrase",
    "consent": "y",
}


def _users() -> int:
    return db.session.scalar(select(func.count(User.id)))


def _strip_tokens(html: str) -> str:
    return re.sub(r'name="csrf_token" type="hidden" value="[^"]+"', "", html)


# Registration ---------------------------------------------------------------------


def test_registration_sends_a_link_whose_button_confirms_the_account(client, outbox):
    response = client.post("/register", data=GOOD)
    assert response.status_code == 302
    assert response.location.endswith("/register/check-your-email")
    user = accounts.find_user_by_email("ada@example.org")
    assert user is not None
    assert not user.is_active
    (message,) = outbox
    link = re.search(r"http://academy\.test(/confirm/\S+)", message.body).group(1)
    # Opening the link changes nothing: it shows a button.
    page = client.get(link)
    assert page.status_code == 200
    assert "Confirm my account" in page.get_data(as_text=True)
    assert user.confirmed_at is None
    # The button confirms, and does not sign anyone in: they sign in next.
    response = client.post(link)
    assert response.status_code == 200
    assert "Now sign in" in response.get_data(as_text=True)
    assert user.confirmed_at is not None
    assert "Sign out" not in client.get("/").get_data(as_text=True)
    response = client.post("/login", data={"email": GOOD["email"], "password": GOOD["password"]})
    assert response.status_code == 302
    assert "Sign out" in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"password": "short"}, "at least 8 characters"),
        ({"password": "password123"}, "too common"),
        ({"consent": ""}, "agree to the privacy notice"),
        ({"email": "not-an-email"}, "right format"),
        ({"display_name": ""}, "Enter your name"),
    ],
)
def test_registration_with_bad_input_is_refused_clearly_and_creates_nothing(
    client, outbox, change, message
):
    before = _users()
    response = client.post("/register", data={**GOOD, **change})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert message in response.get_data(as_text=True)
    assert _users() == before
    assert outbox == []


def test_duplicate_email_in_another_case_creates_nothing_and_looks_the_same(
    client, make_user, outbox
):
    make_user(email="taken@example.org")
    before = _users()
    fresh = client.post("/register", data={**GOOD, "email": "fresh@example.org"})
    taken = client.post("/register", data={**GOOD, "email": "TAKEN@Example.org"})
    assert _users() == before + 1  # only the fresh address
    assert fresh.status_code == taken.status_code == 302
    assert fresh.location == taken.location
    # The owner of the taken address is told, by e-mail only.
    assert "already has an account" in outbox[-1].body
    assert outbox[-1].to == ["taken@example.org"]


# Signing in -------------------------------------------------------------------------


def test_login_and_logout(client, make_user):
    user = make_user(email="member@example.org")
    response = client.post("/login", data={"email": "Member@Example.org", "password": PASSWORD})
    assert response.status_code == 302
    assert user.last_login_at is not None
    response = client.post("/logout")
    assert response.status_code == 302
    assert "Sign in" in client.get("/").get_data(as_text=True)


def test_logout_is_post_only(client, make_user, login):
    login(client, make_user())
    assert client.get("/logout").status_code == 405


def test_login_answers_the_same_for_unknown_and_registered_emails(client, make_user):
    make_user(email="known@example.org")
    known = client.post("/login", data={"email": "known@example.org", "password": "wrong pass 1"})
    unknown = client.post(
        "/login", data={"email": "nobody@example.org", "password": "wrong pass 1"}
    )
    assert known.status_code == unknown.status_code == 200
    known_html = _strip_tokens(known.get_data(as_text=True)).replace("known@", "X@")
    unknown_html = _strip_tokens(unknown.get_data(as_text=True)).replace("nobody@", "X@")
    assert known_html == unknown_html


def test_login_does_the_same_work_for_unknown_and_registered_emails(app, make_user, monkeypatch):
    """Both paths run exactly one Argon2 verification, so they take the same time."""
    from academy import passwords

    make_user(email="known@example.org")
    calls = []
    real = passwords._hasher

    class Counting:
        def verify(self, *args):
            calls.append(args[0])
            return real.verify(*args)

        def check_needs_rehash(self, stored):
            return real.check_needs_rehash(stored)

    monkeypatch.setattr(passwords, "_hasher", Counting())
    assert accounts.authenticate("known@example.org", "wrong password") is None
    assert accounts.authenticate("unknown@example.org", "wrong password") is None
    assert len(calls) == 2
    assert all(stored.startswith("$argon2id$") for stored in calls)


def test_unconfirmed_accounts_cannot_sign_in(client):
    client.post("/register", data=GOOD)
    response = client.post("/login", data={"email": GOOD["email"], "password": GOOD["password"]})
    assert response.status_code == 200
    assert "follow the link we e-mailed you" in response.get_data(as_text=True)


def test_login_is_rate_limited_per_account(client, make_user):
    make_user(email="target@example.org")
    for _ in range(5):
        response = client.post(
            "/login", data={"email": "target@example.org", "password": "nope nope"}
        )
        assert response.status_code == 200
    response = client.post("/login", data={"email": "target@example.org", "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many attempts" in response.get_data(as_text=True)
    # Another account from the same address is not locked out by it.
    make_user(email="other@example.org")
    response = client.post("/login", data={"email": "other@example.org", "password": PASSWORD})
    assert response.status_code == 302


def test_login_is_rate_limited_per_address(client):
    statuses = [
        client.post(
            "/login", data={"email": f"guess{i}@example.org", "password": "nope nope"}
        ).status_code
        for i in range(31)
    ]
    assert statuses[:30] == [200] * 30
    assert statuses[30] == 429


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)"],
)
def test_next_only_redirects_within_the_site(client, make_user, target):
    make_user(email="m@example.org")
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"email": "m@example.org", "password": PASSWORD},
    )
    assert response.status_code == 302
    assert response.location == "/dashboard"  # a member's own starting page


def test_next_to_a_page_of_this_site_is_followed(client, make_user):
    make_user(email="m@example.org")
    response = client.post(
        "/login",
        query_string={"next": "/privacy"},
        data={"email": "m@example.org", "password": PASSWORD},
    )
    assert response.location == "/privacy"


# CSRF ----------------------------------------------------------------------------------


def test_every_post_route_needs_a_csrf_token(app, make_user, login):
    client = app.test_client()
    login(client, make_user(roles=("admin",)))
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods:
            continue
        values = {name: 1 for name in rule.arguments}
        url = rule.build(values, append_unknown=False)[1]
        response = client.post(url, data={}, csrf=False)
        assert response.status_code == 400, rule.endpoint
        assert "expired or was sent from elsewhere" in response.get_data(as_text=True)


# Sessions end for real ----------------------------------------------------------------------


def _cookie(client) -> str:
    return client.get_cookie("session").value


def test_old_session_cookie_stops_working_after_logout(app, make_user):
    make_user(email="m@example.org")
    client = app.test_client()
    client.post("/login", data={"email": "m@example.org", "password": PASSWORD})
    stolen = _cookie(client)
    client.post("/logout")
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    response = thief.get("/account/password")
    assert response.status_code == 302
    assert "/login" in response.location


def test_password_change_ends_other_sessions_but_keeps_this_one(app, make_user):
    make_user(email="m@example.org")
    laptop, phone = app.test_client(), app.test_client()
    for client in (laptop, phone):
        client.post("/login", data={"email": "m@example.org", "password": PASSWORD})
    response = laptop.post(
        "/account/password",
        data={
            "current": PASSWORD,
            "password": "another fine passphrase",
            "confirm": "another fine passphrase",
        },
    )
    assert response.status_code == 302
    assert laptop.get("/account/password").status_code == 200
    assert phone.get("/account/password").status_code == 302


def test_wrong_current_password_changes_nothing(client, make_user, login):
    user = make_user()
    login(client, user)
    before = user.password_hash
    response = client.post(
        "/account/password",
        data={
            "current": "not it at all",
            "password": "another fine passphrase",
            "confirm": "another fine passphrase",
        },
    )
    assert "current password is not right" in response.get_data(as_text=True)
    assert user.password_hash == before


def test_disabling_an_account_or_removing_a_role_ends_sessions(app, make_user, login):
    staff = make_user(roles=("staff",))
    client = login(app.test_client(), staff)
    assert client.get("/account/password").status_code == 200
    accounts.revoke_role(staff, "staff")
    db.session.commit()
    assert client.get("/account/password").status_code == 302
    login(client, staff)
    accounts.disable(staff)
    db.session.commit()
    assert client.get("/account/password").status_code == 302


# Password reset --------------------------------------------------------------------------------


def _reset_link(outbox) -> str:
    return re.search(r"http://academy\.test(/reset-password/\S+)", outbox[-1].body).group(1)


def test_reset_token_works_once(client, make_user, outbox):
    make_user(email="m@example.org")
    client.post("/forgot-password", data={"email": "m@example.org"})
    link = _reset_link(outbox)
    new = {"password": "a brand new passphrase", "confirm": "a brand new passphrase"}
    assert client.post(link, data=new).status_code == 302
    assert client.get(link).status_code == 400
    assert client.post(link, data=new).status_code == 400
    response = client.post("/login", data={"email": "m@example.org", "password": new["password"]})
    assert response.status_code == 302


def test_reset_token_expires(app, client, make_user, outbox, monkeypatch):
    make_user(email="m@example.org")
    client.post("/forgot-password", data={"email": "m@example.org"})
    link = _reset_link(outbox)
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + app.config["PASSWORD_RESET_MAX_AGE"] + 5)
    response = client.get(link)
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)


def test_reset_answers_the_same_for_unknown_and_registered_emails(client, make_user, outbox):
    make_user(email="known@example.org")
    known = client.post("/forgot-password", data={"email": "known@example.org"})
    unknown = client.post("/forgot-password", data={"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 200
    assert _strip_tokens(known.get_data(as_text=True)) == _strip_tokens(
        unknown.get_data(as_text=True)
    )
    assert [m.to for m in outbox] == [["known@example.org"]]


def test_password_hash_is_argon2id_and_rehashed_when_parameters_change(make_user):
    from argon2 import PasswordHasher

    from academy import passwords

    user = make_user(email="m@example.org")
    assert user.password_hash.startswith("$argon2id$")
    user.password_hash = PasswordHasher(time_cost=1, memory_cost=8192).hash(PASSWORD)
    assert passwords.needs_rehash(user.password_hash)
    accounts.authenticate("m@example.org", PASSWORD)
    assert not passwords.needs_rehash(user.password_hash)
