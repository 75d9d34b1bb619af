"""Delivery over SMTP to a real server on loopback (aiosmtpd), and what happens when the
server refuses or is not there: the job retries with back-off, the person's action
still succeeds, and a message that never goes is recorded for admins."""

from __future__ import annotations

import re
from email.utils import parseaddr, parsedate_to_datetime

import pytest
import sqlalchemy as sa

from academy import jobs
from academy.extensions import db
from academy.models import MailFailure, User
from academy.services import cohorts as cohort_service
from academy.services.cohorts.membership import added_message
from tests.conftest import PASSWORD

from .conftest import parts, smtp_config


@pytest.fixture
def app_config(app_config, smtp_server):
    return smtp_config(app_config, smtp_server[1])


@pytest.fixture
def waits(monkeypatch) -> list[float]:
    """The back-off delays asked for, recorded instead of slept."""
    asked: list[float] = []
    monkeypatch.setattr(jobs, "_sleep", asked.append)
    return asked


def _register(client, address: str):
    return client.post(
        "/register",
        data={"display_name": "Sam Smtp", "email": address, "password": PASSWORD, "consent": "y"},
    )


def test_the_confirmation_goes_out_over_smtp_with_both_parts(app, client, smtp_server):
    recorder, _, _ = smtp_server
    assert app.config["MAIL_BACKEND"] == "smtp"  # chosen by academy.config, not by the test
    assert _register(client, "sam@example.org").status_code == 302

    (message,) = recorder.messages
    assert recorder.envelopes[0].rcpt_tos == ["sam@example.org"]
    assert message["To"] == "sam@example.org"
    assert parseaddr(message["From"]) == ("Organising Academy", "academy@localhost")
    assert message["Subject"] == "Confirm your Organising Academy account"
    assert re.fullmatch(r"<[^@<>]+@localhost>", message["Message-ID"])
    assert parsedate_to_datetime(message["Date"]).tzinfo is not None
    assert message["Reply-To"] is None  # nothing in it says "reply to your trainer"
    assert message.get_content_type() == "multipart/alternative"
    text, html = parts(message)
    link = re.search(r"http://academy\.test/confirm/\S+", text).group(0)
    assert f'href="{link}"' in html
    assert "Hello Sam Smtp" in text
    assert html.lstrip().startswith("<!doctype html>")

    # The link confirms the account (through its button).
    path = link.removeprefix("http://academy.test")
    assert client.post(path).status_code == 200
    assert db.session.scalar(sa.select(User.confirmed_at).where(User.email == "sam@example.org"))


def test_reply_to_is_the_trainer_where_the_text_says_so(
    app, smtp_server, cohort, trainer, make_user
):
    recorder, _, _ = smtp_server
    member = make_user(email="mo@example.org", name="Mo Member")
    cohort_service.send_later([added_message(cohort, member, trainer)])

    (message,) = recorder.messages
    assert message["To"] == "mo@example.org"
    assert message["Reply-To"] == trainer.email
    text, html = parts(message)
    assert "reply to your trainer" in text
    assert f"http://academy.test/cohorts/{cohort.id}/" in text
    assert f"http://academy.test/cohorts/{cohort.id}/" in html


def test_announcements_reply_to_their_author(app, smtp_server, cohort, trainer, make_user):
    recorder, _, _ = smtp_server
    members = [make_user(email=f"m{n}@example.org") for n in range(2)]
    for member in members:
        cohort_service.add_existing_member(cohort, member, trainer, via="test")
    db.session.commit()
    announcement = cohort_service.announce(
        cohort, trainer, "Room change", "We meet in Room 4 <b>this</b> week."
    )
    db.session.commit()
    cohort_service.send_later(cohort_service.announcement_messages(cohort, announcement))

    announced = [m for m in recorder.messages if m["Subject"] == "[Salford spring] Room change"]
    assert sorted(m["To"] for m in announced) == ["m0@example.org", "m1@example.org"]
    for message in announced:
        assert message["Reply-To"] == trainer.email
        text, html = parts(message)
        assert "Room 4 <b>this</b>" in text  # plain text, as written
        assert "Room 4 &lt;b&gt;this&lt;/b&gt;" in html  # escaped in the HTML part


def test_a_refusing_server_is_retried_then_recorded_and_registration_still_succeeds(
    app, client, smtp_server, waits
):
    recorder, _, _ = smtp_server
    recorder.refuse = -1  # 550 for every recipient
    answer = _register(client, "refused@example.org")

    assert answer.status_code == 302  # the person's action went through
    assert db.session.scalar(sa.select(User).where(User.email == "refused@example.org"))
    # Tried 1 + len(MAIL_RETRY_DELAYS) times, waiting the shipped delays in between.
    assert waits == list(app.config["MAIL_RETRY_DELAYS"]) == [10, 60, 300, 900]
    (failure,) = db.session.scalars(sa.select(MailFailure)).all()
    assert failure.recipient == "r…@example.org"
    assert failure.template == "confirm_account"
    assert failure.attempts == 5
    assert "550" in failure.reason
    assert "SMTPRecipientsRefused" in failure.reason
    assert recorder.messages == []


def test_a_server_that_refuses_twice_then_accepts_loses_nothing(app, client, smtp_server, waits):
    recorder, _, _ = smtp_server
    recorder.refuse = 2
    assert _register(client, "patient@example.org").status_code == 302

    assert waits == [10, 60]
    (message,) = recorder.messages
    assert message["To"] == "patient@example.org"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MailFailure)) == 0


def test_a_server_that_is_down_is_retried_then_recorded(app, client, smtp_server, waits):
    """The server stops: nothing listens on its port, every attempt is refused."""
    recorder, _, controller = smtp_server
    controller.stop()
    assert _register(client, "down@example.org").status_code == 302

    assert db.session.scalar(sa.select(User).where(User.email == "down@example.org"))
    assert waits == [10, 60, 300, 900]
    (failure,) = db.session.scalars(sa.select(MailFailure)).all()
    assert (failure.recipient, failure.attempts) == ("d…@example.org", 5)
    assert "ConnectionRefusedError" in failure.reason
    assert recorder.messages == []
