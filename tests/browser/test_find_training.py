"""A member finds an online cohort on Find training, signs in from its listing and
is brought back to sign up in one click; the trainer marks them present at a
session, and the member rates it. Real Chromium at phone width, axe on each page."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from academy.extensions import db
from academy.models import Course, SessionFeedback
from academy.services import accounts
from academy.services import cohorts as service
from academy.services.academies import academy_by_slug
from tests.browser.helpers import assert_phone_ready, sign_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def world(live_server):
    with live_server.app.app_context():
        trainer = accounts.create_user(
            "trainer.find@example.org", "Tom Trainer", PASSWORD, check_password=False
        )
        accounts.grant_role(trainer, "trainer", academy=academy_by_slug("london"))
        member = accounts.create_user(
            "member.find@example.org", "Fay Finder", PASSWORD, check_password=False
        )
        course = db.session.scalar(sa.select(Course).where(Course.slug == "organising-basics"))
        cohort = service.create_cohort(
            trainer,
            academy=academy_by_slug("london"),
            course=course,
            details=service.CohortDetails(
                name="Tuesday evenings online",
                mode="online",
                venue="",
                meeting_url="https://meet.example.org/tuesdays",
                starts_on=date.today() - timedelta(days=1),
                ends_on=date.today() + timedelta(days=40),
                capacity=12,
                min_attendance_percent=None,
                inactive_after_days=14,
                is_open=True,
            ),
        )
        start = datetime.now(UTC) - timedelta(hours=3)
        service.schedule_session(
            cohort,
            trainer,
            service.SessionDetails(
                "Media basics", start, start + timedelta(hours=2), "", cohort.meeting_url, ""
            ),
        )
        db.session.commit()
        return {"trainer": trainer.email, "member": member.email, "cohort_id": cohort.id}


def test_a_member_finds_signs_up_attends_and_rates(live_server, browser, world):
    url = live_server.url
    member = browser.new_context(viewport={"width": 360, "height": 740})
    trainer = browser.new_context(viewport={"width": 360, "height": 740})
    m, t = member.new_page(), trainer.new_page()
    try:
        # Not signed in, the member finds online training in the North West list.
        m.goto(url + "/")
        m.get_by_role("link", name="Find training").first.click()
        assert_phone_ready(m)
        m.get_by_label("Region").select_option(label="North West")
        m.get_by_label("Format").select_option(label="Online")
        m.get_by_role("button", name="Show training").click()
        assert_phone_ready(m)
        m.get_by_role("link", name="Organising basics: Tuesday evenings online").click()
        assert m.get_by_text("Tom Trainer").is_visible()
        assert_phone_ready(m)

        # Signs in from the listing and comes back to it.
        m.get_by_role("link", name="Sign in to sign up").click()
        m.get_by_label("E-mail address").fill(world["member"])
        m.get_by_label("Password").fill(PASSWORD)
        m.get_by_role("button", name="Sign in").click()
        m.get_by_role("button", name="Sign up").wait_for()
        assert m.url.endswith(f"/training/{world['cohort_id']}")
        assert_phone_ready(m)
        m.get_by_role("button", name="Sign up").click()
        m.get_by_text("You are in Tuesday evenings online").wait_for()
        assert_phone_ready(m)

        # The trainer sees the sign-up and marks the member present.
        sign_in(t, url, world["trainer"])
        t.goto(url + f"/cohorts/{world['cohort_id']}/")
        t.get_by_role("link", name="Sign-ups and waiting list").click()
        assert t.get_by_role("cell", name="Fay Finder").is_visible()
        assert_phone_ready(t)
        t.goto(url + f"/cohorts/{world['cohort_id']}/")
        t.get_by_role("link", name="Sessions and attendance").click()
        t.get_by_role("link", name="Take attendance for Media basics").click()
        t.get_by_role("group", name="Fay Finder").get_by_label("Present").check()
        t.get_by_role("button", name="Save attendance").click()
        t.get_by_text("Attendance saved for 1 members").wait_for()

        # The member rates the session.
        m.goto(url + f"/cohorts/{world['cohort_id']}/")
        m.get_by_role("link", name="Rate the sessions you attended").click()
        assert_phone_ready(m)
        m.get_by_role("link", name="Rate Media basics").click()
        assert_phone_ready(m)
        for question in (
            "The session was clear",
            "The session was useful to me",
            "The session was well run",
            "I would recommend this session to other members",
        ):
            m.get_by_role("group", name=question).get_by_label("4", exact=True).check()
        m.get_by_label("Comment (optional)").fill("Practical and friendly.")
        m.get_by_role("button", name="Send my answer").click()
        m.get_by_text("Thank you: your answer is saved").wait_for()
        assert m.get_by_text("Practical and friendly.").is_visible()
        assert_phone_ready(m)

        # One answer: the trainer's page says it is too few to show.
        t.goto(url + f"/cohorts/{world['cohort_id']}/feedback")
        assert t.get_by_text("1 answer so far").is_visible()
        assert not t.get_by_text("Practical and friendly.").is_visible()
        assert_phone_ready(t)
        with live_server.app.app_context():
            answer = db.session.scalar(sa.select(SessionFeedback))
            assert (answer.clear, answer.comment) == (4, "Practical and friendly.")
            db.session.remove()
    finally:
        member.close()
        trainer.close()
