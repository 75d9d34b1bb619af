"""A trainer runs a cohort end to end in a real Chromium at phone width: creates it,
makes a join code, schedules a session, a member joins with the code, the trainer
takes attendance, announces, signs the member off and exports the table."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from academy.extensions import db
from academy.models import Enrolment
from academy.services import accounts
from academy.services.academies import academy_by_slug
from academy.timeutil import utcnow
from tests.browser.helpers import assert_phone_ready, sign_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def people(live_server):
    with live_server.app.app_context():
        trainer = accounts.create_user(
            "trainer.browser@example.org", "Trina Trainer", PASSWORD, check_password=False
        )
        accounts.grant_role(trainer, "trainer", academy=academy_by_slug("north-west"))
        member = accounts.create_user(
            "member.browser@example.org", "Mena Member", PASSWORD, check_password=False
        )
        db.session.commit()
        return {"trainer": trainer.email, "member": member.email, "member_id": member.id}


def test_a_trainer_runs_a_cohort_end_to_end(live_server, browser, people):
    url = live_server.url
    outbox = live_server.app.extensions["mailman"].outbox
    outbox.clear()
    trainer = browser.new_context(viewport={"width": 360, "height": 740}, accept_downloads=True)
    member = browser.new_context(viewport={"width": 360, "height": 740}, accept_downloads=True)
    t, m = trainer.new_page(), member.new_page()
    try:
        # The trainer creates the cohort.
        sign_in(t, url, people["trainer"])
        t.get_by_role("link", name="Cohorts").first.click()
        assert_phone_ready(t)
        t.get_by_role("link", name="Create a cohort").click()
        assert_phone_ready(t)
        t.get_by_label("Course").select_option(label="Organising basics")
        t.get_by_label("Cohort name").fill("Browser cohort")
        t.get_by_label("In person").check()
        t.get_by_label("Venue").fill("Salford Labour Club")
        t.get_by_label("Meeting link").fill(
            "https://meet.example.org/a-rather-long-meeting-room-name-for-the-browser-cohort"
        )
        t.get_by_label("Start date").fill((date.today() - timedelta(days=1)).isoformat())
        t.get_by_label("End date").fill((date.today() + timedelta(days=60)).isoformat())
        t.get_by_label("Capacity").fill("25")
        t.get_by_label("Minimum attendance for sign-off (%)").fill("50")
        t.get_by_role("button", name="Create cohort").click()
        t.get_by_text("Cohort “Browser cohort” created").wait_for()

        # A join code to share.
        t.get_by_role("button", name="Make a join code").click()
        code = t.locator("code.join-code").first.inner_text()
        assert len(code) == 9  # ABCD-EFGH
        assert_phone_ready(t)

        # A session next week.
        t.get_by_role("link", name="Back to Browser cohort").click()
        cohort_url = t.url
        t.get_by_role("link", name="Sessions and attendance").click()
        t.get_by_role("link", name="Schedule a session").click()
        assert_phone_ready(t)
        t.get_by_label("Title").fill("Listening campaigns workshop")
        t.get_by_label("Date").fill((date.today() + timedelta(days=7)).isoformat())
        t.get_by_label("Start time").fill("19:00")
        t.get_by_label("End time").fill("21:00")
        t.get_by_label("Agenda").fill("Welcome\nPractise listening in pairs")
        t.get_by_role("button", name="Save session").click()
        t.get_by_text("Session saved").wait_for()
        assert_phone_ready(t)

        # The member joins with the code, typed in lower case.
        sign_in(m, url, people["member"])
        m.goto(url + "/join")
        assert_phone_ready(m)
        m.get_by_label("Join code").fill(code.lower())
        m.get_by_role("button", name="Continue").click()
        assert_phone_ready(m)
        m.get_by_role("button", name="Join this cohort").click()
        m.get_by_text("Welcome to Browser cohort").wait_for()
        member_cohort_url = m.url
        assert m.get_by_role("heading", name="Listening campaigns workshop").is_visible()
        assert_phone_ready(m)
        with m.expect_download() as download:
            m.get_by_role(
                "link", name="Add “Listening campaigns workshop” to your calendar"
            ).click()
        ics = open(download.value.path(), encoding="utf-8").read()  # noqa: SIM115
        assert "BEGIN:VEVENT" in ics
        assert "Listening campaigns workshop" in ics.replace("\r\n ", "")

        # The session is on the member's dashboard.
        m.goto(url + "/dashboard")
        assert m.get_by_role("heading", name="Upcoming sessions").is_visible()
        assert m.get_by_role("heading", name="Listening campaigns workshop").is_visible()
        assert_phone_ready(m)

        # The trainer takes attendance.
        t.goto(cohort_url)
        t.get_by_role("link", name="Sessions and attendance").click()
        t.get_by_role("link", name="Take attendance for Listening campaigns workshop").click()
        assert_phone_ready(t)
        t.get_by_role("group", name="Mena Member").get_by_label("Present").check()
        t.get_by_role("button", name="Save attendance").click()
        t.get_by_text("Attendance saved for 1 members").wait_for()

        # The trainer e-mails the cohort.
        t.goto(cohort_url)
        t.get_by_role("link", name="Send an announcement").click()
        assert_phone_ready(t)
        t.get_by_label("Subject").fill("Bring a friend")
        t.get_by_label("Message").fill("Everyone is welcome next week.")
        t.get_by_role("button", name="Send to the cohort").click()
        t.get_by_text("Announcement posted").wait_for()
        assert [msg.to for msg in outbox if "Bring a friend" in msg.subject] == [[people["member"]]]
        m.goto(member_cohort_url)
        assert m.get_by_role("heading", name="Bring a friend").is_visible()

        # The member finishes the course; the trainer signs them off.
        assert t.get_by_text("Course not complete yet").is_visible()
        with live_server.app.app_context():
            enrolment = db.session.scalar(
                sa.select(Enrolment).where(Enrolment.user_id == people["member_id"])
            )
            enrolment.completed_at = utcnow()
            db.session.commit()
        t.reload()
        assert_phone_ready(t)
        assert t.get_by_role("button", name="Sign off Mena Member").is_visible()
        # Everyone ready at once, from the page that lists them, ticked.
        t.get_by_role("link", name="Sign off members").click()
        assert_phone_ready(t)
        assert t.get_by_label("Mena Member").is_checked()
        t.get_by_role("button", name="Sign off the ticked members").click()
        t.get_by_text("1 member signed off.").wait_for()
        assert t.get_by_text("Signed off", exact=True).first.is_visible()

        # And exports the table.
        with t.expect_download() as download:
            t.get_by_role("link", name="Download as CSV").click()
        exported = Path(download.value.path()).read_text(encoding="utf-8-sig")
        assert "Mena Member" in exported
        assert "Signed off" in exported.splitlines()[0]

        # The member sees they are signed off.
        m.goto(member_cohort_url)
        assert m.get_by_text("Signed off on").is_visible()
    finally:
        trainer.close()
        member.close()


def test_a_visitor_following_an_invitation_signs_in_first(live_server, page, people):
    page.goto(live_server.url + "/join/some-invitation-token-abcdefghijklmnop")
    assert "/login" in page.url
    assert "next=" in page.url
    assert_phone_ready(page)
