"""A trainer's teaching journey in a real Chromium at phone width: from a session of
their Train the trainer cohort to its facilitator's guide and session pack (a PDF read
back with pypdf), then recording a candidate's observed practice, which the candidate
reads on their cohort page; the candidate cannot open the guide."""

from __future__ import annotations

import datetime as dt
import io

import pypdf
import pytest
import sqlalchemy as sa

from academy.extensions import db
from academy.models import Cohort, CohortMember, CohortSession, CohortTrainer, Course, Module
from academy.services import accounts
from academy.services.academies import academy_by_slug
from academy.timeutil import utcnow
from tests.browser.helpers import assert_phone_ready, sign_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser
TTT = "leading-campaigns"  # the test curriculum's course with a rubric and a guide


@pytest.fixture(scope="module")
def people(live_server):
    with live_server.app.app_context():
        north_west = academy_by_slug("north-west")
        course = db.session.scalar(sa.select(Course).where(Course.slug == TTT))
        module = db.session.scalar(
            sa.select(Module).where(Module.course_id == course.id, Module.slug == "power-mapping")
        )
        trainer = accounts.create_user(
            "trainer.guides@example.org", "Tariq Trainer", PASSWORD, check_password=False
        )
        accounts.grant_role(trainer, "trainer", academy=north_west)
        candidate = accounts.create_user(
            "candidate.guides@example.org", "Carys Candidate", PASSWORD, check_password=False
        )
        now = utcnow()
        cohort = Cohort(
            academy_id=north_west.id,
            course_id=course.id,
            name="Wigan trainers cohort",
            mode="in-person",
            starts_on=now.date() - dt.timedelta(days=10),
            ends_on=now.date() + dt.timedelta(days=30),
            capacity=12,
        )
        db.session.add(cohort)
        db.session.flush()
        db.session.add(CohortTrainer(cohort_id=cohort.id, user_id=trainer.id))
        db.session.add(CohortMember(cohort_id=cohort.id, user_id=candidate.id))
        start = now - dt.timedelta(days=1)
        db.session.add(
            CohortSession(
                cohort_id=cohort.id,
                title="Practice: power mapping",
                starts_at=start,
                ends_at=start + dt.timedelta(hours=2),
                venue="Wigan Labour Club",
                module_id=module.id,
            )
        )
        db.session.commit()
        return {"trainer": trainer.email, "candidate": candidate.email, "cohort": cohort.id}


def test_a_trainer_opens_a_sessions_guide_downloads_its_pack_and_observes_practice(
    live_server, browser, people
):
    url = live_server.url
    contexts = [
        browser.new_context(viewport={"width": 360, "height": 740}, accept_downloads=True)
        for _ in range(2)
    ]
    trainer, candidate = (context.new_page() for context in contexts)
    try:
        sign_in(trainer, url, people["trainer"])
        trainer.goto(f"{url}/cohorts/{people['cohort']}/sessions")
        assert_phone_ready(trainer)
        trainer.get_by_role("link", name="Facilitator's guide for Practice: power mapping").click()
        trainer.get_by_role("heading", name="Session guide: Power mapping", level=1).wait_for()
        trainer.get_by_role("heading", name="Session plan: in person").wait_for()
        assert_phone_ready(trainer)

        with trainer.expect_download() as download:
            trainer.get_by_role("link", name="Download the session pack (PDF)").click()
        pdf = pypdf.PdfReader(io.BytesIO(open(download.value.path(), "rb").read()))  # noqa: SIM115
        text = "\n".join(page.extract_text() for page in pdf.pages)
        assert "Power mapping" in text
        assert "Session plan: in person" in text
        assert download.value.suggested_filename == f"{TTT}-power-mapping-session-pack.pdf"

        # The trainer records the candidate's practice from the cohort.
        trainer.goto(f"{url}/cohorts/{people['cohort']}/")
        trainer.get_by_role("link", name="Carys Candidate").click()
        trainer.get_by_role("heading", name="Observed practice: Carys Candidate").wait_for()
        assert_phone_ready(trainer)
        trainer.get_by_label("Session observed").select_option(label="Practice: power mapping")
        trainer.locator("#criterion-planning-secure").check()
        trainer.locator("#criterion-feedback-strong").check()
        trainer.get_by_label("Written feedback").fill("A clear plan; check understanding sooner.")
        trainer.get_by_label("Passed", exact=True).check()
        trainer.get_by_role("button", name="Record the observation").click()
        trainer.get_by_text("Observation of Carys Candidate recorded").wait_for()
        assert_phone_ready(trainer)

        # The candidate reads the feedback, and cannot open the guide.
        sign_in(candidate, url, people["candidate"])
        candidate.goto(f"{url}/cohorts/{people['cohort']}/")
        candidate.get_by_role("heading", name="Your observed teaching practice").wait_for()
        assert candidate.get_by_text("check understanding sooner").is_visible()
        assert_phone_ready(candidate)
        response = candidate.goto(f"{url}/courses/{TTT}/guides/power-mapping")
        assert response.status == 404
    finally:
        for context in contexts:
            context.close()
