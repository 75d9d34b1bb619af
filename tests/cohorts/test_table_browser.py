"""The cohort table's pages in a real Chromium at phone width: the pager fits, passes
axe, and takes the trainer from page to page in the order they chose."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from academy.extensions import db
from academy.models import Cohort, CohortMember, CohortTrainer, Course, Enrolment, User
from academy.services import accounts
from academy.services.academies import academy_by_slug
from academy.timeutil import utcnow
from tests.browser.helpers import assert_phone_ready, sign_in
from tests.conftest import _PASSWORD_HASH, PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def big_cohort(live_server):
    """A trainer and a cohort of 120 members (three pages)."""
    with live_server.app.app_context():
        trainer = accounts.create_user(
            "pages.trainer@example.org", "Paige Trainer", PASSWORD, check_password=False
        )
        academy = academy_by_slug("north-west")
        accounts.grant_role(trainer, "trainer", academy=academy)
        course = db.session.scalar(sa.select(Course).where(Course.slug == "organising-basics"))
        cohort = Cohort(
            academy_id=academy.id,
            course_id=course.id,
            name="Big browser cohort",
            mode="online",
            starts_on=date.today() - timedelta(days=10),
            ends_on=date.today() + timedelta(days=50),
            capacity=200,
        )
        db.session.add(cohort)
        db.session.flush()
        db.session.add(CohortTrainer(cohort_id=cohort.id, user_id=trainer.id))
        now = utcnow()
        people = [
            User(
                email=f"pages-{i}@example.org",
                display_name=f"Pat Person {i:03d}",
                password_hash=_PASSWORD_HASH,
                privacy_accepted_at=now,
                confirmed_at=now,
            )
            for i in range(120)
        ]
        db.session.add_all(people)
        db.session.flush()
        for person in people:
            db.session.add(CohortMember(cohort_id=cohort.id, user_id=person.id, joined_via="csv"))
            db.session.add(Enrolment(user_id=person.id, course_id=course.id))
        db.session.commit()
        return {"trainer": trainer.email, "url": f"{live_server.url}/cohorts/{cohort.id}/"}


def test_a_trainer_pages_through_a_big_cohort_on_a_phone(live_server, page, big_cohort):
    sign_in(page, live_server.url, big_cohort["trainer"])
    page.goto(big_cohort["url"])
    assert page.get_by_text("Showing 1–50 of 120 members").is_visible()
    assert page.get_by_role("row", name="Pat Person 049").is_visible()
    assert page.get_by_role("row", name="Pat Person 050").count() == 0
    pager = page.get_by_role("navigation", name="Pages of members")
    pager.scroll_into_view_if_needed()
    assert_phone_ready(page)

    pager.get_by_role("link", name="Next page of members").click()
    page.get_by_text("Showing 51–100 of 120 members").wait_for()
    assert page.get_by_role("row", name="Pat Person 050").is_visible()
    assert_phone_ready(page)

    # Sorted by name, Z to A, the last page is the first twenty names.
    # By name A to Z is the order already: its header turns it round, from page 1.
    page.get_by_role("link", name=re.compile(r"^Member\b.*sorted ascending, sort$")).click()
    page.get_by_text("Showing 1–50 of 120 members").wait_for()
    assert page.get_by_role("row", name="Pat Person 119").is_visible()
    pager.get_by_role("link", name="Page 3").click()
    page.get_by_text("Showing 101–120 of 120 members").wait_for()
    assert page.get_by_role("row", name="Pat Person 000").is_visible()
    assert "dir=desc" in page.url
    assert pager.get_by_role("link", name="Next page of members").count() == 0
    assert_phone_ready(page)

    # A page that no longer exists lands on the last one and says so.
    page.goto(big_cohort["url"] + "?page=7")
    page.get_by_text("There is no page 7").wait_for()
    assert page.get_by_text("Showing 101–120 of 120 members").is_visible()
    assert_phone_ready(page)
