""" "Didn't get the e-mail?" and bad confirmation links: the same answer for every address,
a clear page for an expired or used link, and nothing changed by either."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from academy.extensions import db
from academy.models import User
from academy.services import accounts
from tests.conftest import PASSWORD


@pytest.fixture
def pending(client, outbox) -> User:
    """An account registered and not yet confirmed (its first e-mail is in `outbox`)."""
    client.post(
        "/register",
        data={
            "display_name": "Lou Lost",
            "email": "lou@example.org",
            "password": PASSWORD,
            "consent": "y",
        },
    )
    return db.session.scalar(sa.select(User).where(User.email == "lou@example.org"))


def _link(message) -> str:
    return re.search(r"http://academy\.test(/confirm/\S+)", message.body).group(1)


def test_the_page_is_linked_from_check_email_and_sign_in(client):
    for page in ("/register/check-your-email", "/login"):
        assert 'href="/register/resend"' in client.get(page).get_data(as_text=True)


def test_a_pending_account_gets_a_new_link_that_works(client, outbox, pending):
    first = _link(outbox[0])
    answer = client.post("/register/resend", data={"email": "LOU@Example.org"})
    assert answer.status_code == 200
    assert "Check your e-mail" in answer.get_data(as_text=True)
    assert len(outbox) == 2
    assert outbox[1].to == ["lou@example.org"]
    assert outbox[1].subject == "Confirm your Organising Academy account"
    # The new link confirms; the old one then says it was used.
    assert client.post(_link(outbox[1])).status_code == 200
    db.session.refresh(pending)
    assert pending.confirmed_at is not None
    used = client.get(first)
    assert used.status_code == 400
    assert "already been used" in used.get_data(as_text=True)


def test_the_answer_is_the_same_whether_or_not_the_address_has_an_account(
    client, outbox, pending, make_user
):
    make_user(email="done@example.org")  # confirmed
    pages = {}
    for address in ("lou@example.org", "done@example.org", "nobody@example.org"):
        answer = client.post("/register/resend", data={"email": address})
        pages[address] = (answer.status_code, answer.get_data(as_text=True))
    assert len(set(pages.values())) == 1
    # What differs is only what reaches each address's owner.
    sent = [(m.to, m.subject) for m in outbox[1:]]
    assert sent == [
        (["lou@example.org"], "Confirm your Organising Academy account"),
        (["done@example.org"], "Your Organising Academy account is ready"),
    ]


def test_registering_again_while_pending_sends_a_new_link(client, outbox, pending):
    client.post(
        "/register",
        data={
            "display_name": "Lou Again",
            "email": "lou@example.org",
            "password": PASSWORD,
            "consent": "y",
        },
    )
    assert [m.subject for m in outbox] == ["Confirm your Organising Academy account"] * 2
    db.session.refresh(pending)
    assert pending.display_name == "Lou Lost"  # nothing about the account changed


def test_resending_is_rate_limited_per_address(client, outbox, pending):
    for _ in range(3):
        assert client.post("/register/resend", data={"email": "lou@example.org"}).status_code == 200
    assert client.post("/register/resend", data={"email": "lou@example.org"}).status_code == 429
    assert len(outbox) == 4  # the registration's and three resends, no more


def test_a_bad_address_is_a_clear_message(client, outbox):
    answer = client.post("/register/resend", data={"email": "not an address"})
    assert answer.status_code == 200
    assert "Enter an e-mail address in the right format" in answer.get_data(as_text=True)
    assert outbox == []


def test_an_expired_link_says_so_and_changes_nothing(client, outbox, pending, monkeypatch):
    link = _link(outbox[0])
    monkeypatch.setattr(accounts, "CONFIRM_MAX_AGE", -1)  # every link is now past its age
    for answer in (client.get(link), client.post(link)):
        assert answer.status_code == 400
        text = answer.get_data(as_text=True)
        assert "This link has expired" in text
        assert 'href="/register/resend"' in text
    db.session.refresh(pending)
    assert pending.confirmed_at is None


def test_a_used_link_says_so_and_changes_nothing(client, outbox, pending):
    link = _link(outbox[0])
    assert client.post(link).status_code == 200
    db.session.refresh(pending)
    confirmed_at = pending.confirmed_at
    again = client.post(link)
    assert again.status_code == 400
    assert "already been used" in again.get_data(as_text=True)
    db.session.refresh(pending)
    assert pending.confirmed_at == confirmed_at
