"""E-mailed links act only through their page's button, once, and never sign anyone in."""

from __future__ import annotations

import re
import time

from academy.extensions import db
from academy.services import accounts
from tests.conftest import PASSWORD

GOOD = {
    "display_name": "Ada Organiser",
    "email": "ada@example.org",
    "password": "a long and unusual passphrase",
    "consent": "y",
}


def _confirm_link(client, outbox) -> str:
    client.post("/register", data=GOOD)
    return re.search(r"http://academy\.test(/confirm/\S+)", outbox[-1].body).group(1)


def test_a_used_confirmation_link_says_so_and_changes_nothing(client, outbox):
    link = _confirm_link(client, outbox)
    assert client.post(link).status_code == 200
    user = accounts.find_user_by_email(GOOD["email"])
    confirmed_at = user.confirmed_at
    for again in (client.get(link), client.post(link)):
        assert again.status_code == 400
        assert "already been used" in again.get_data(as_text=True)
    db.session.refresh(user)
    assert user.confirmed_at == confirmed_at


def test_an_expired_confirmation_link_says_so_and_changes_nothing(client, outbox, monkeypatch):
    link = _confirm_link(client, outbox)
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + accounts.CONFIRM_MAX_AGE + 5)
    for attempt in (client.get(link), client.post(link)):
        assert attempt.status_code == 400
        assert "expired" in attempt.get_data(as_text=True)
    assert accounts.find_user_by_email(GOOD["email"]).confirmed_at is None


def test_an_attackers_confirmation_link_does_not_sign_the_victim_in(app, outbox):
    """An attacker registers, then gets a victim to open (or even press) their link."""
    attacker = app.test_client()
    link = _confirm_link(attacker, outbox)
    victim = app.test_client()
    victim.get(link)
    victim.post(link)
    assert "Sign out" not in victim.get("/").get_data(as_text=True)
    assert victim.get("/account/").status_code == 302


def test_the_confirmation_button_needs_the_form_token(client, outbox):
    link = _confirm_link(client, outbox)
    assert client.post(link, csrf=False).status_code == 400
    assert accounts.find_user_by_email(GOOD["email"]).confirmed_at is None


def test_an_expired_email_change_link_says_so_and_changes_nothing(
    client, make_user, login, outbox, monkeypatch
):
    user = make_user(email="old@example.org")
    login(client, user)
    client.post("/account/email", data={"email": "new@example.org", "password": PASSWORD})
    link = re.search(r"http://academy\.test(/account/email/confirm/\S+)", outbox[-1].body).group(1)
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 2 * 24 * 3600)  # it lasts a day
    response = client.post(link)
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.email == "old@example.org"
