"""Certificates end to end in a real Chromium at phone width: staff issue one
certificate and a cohort's batch, anyone verifies it from its link, the holder
downloads the PDF (whose QR code is that link) and chooses to show their name,
staff revoke it and the public page says so at once."""

from __future__ import annotations

import datetime as dt
import io
import re

import pypdf
import pytest
import sqlalchemy as sa

from academy.extensions import db
from academy.models import Cohort, CohortMember, CohortTrainer, Course, Enrolment
from academy.services import accounts
from academy.services.academies import academy_by_slug
from academy.timeutil import utcnow
from tests.browser.helpers import assert_phone_ready, sign_in
from tests.certificates.conftest import qr_codes
from tests.conftest import PASSWORD, give_second_factor

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def people(live_server):
    with live_server.app.app_context():
        north_west = academy_by_slug("north-west")
        course = db.session.scalar(sa.select(Course).where(Course.slug == "organising-basics"))
        staff = accounts.create_user(
            "staff.certs@example.org", "Stella Staff", PASSWORD, check_password=False
        )
        accounts.grant_role(staff, "staff", academy=north_west)
        give_second_factor(staff)
        trainer = accounts.create_user(
            "trainer.certs@example.org", "Trevor Trainer", PASSWORD, check_password=False
        )
        accounts.grant_role(trainer, "trainer", academy=north_west)
        holder = accounts.create_user(
            "holder.certs@example.org", "Hollie O'Holder", PASSWORD, check_password=False
        )
        cohort_members = [
            accounts.create_user(
                f"cohort{i}.certs@example.org", f"Cohort Person {i}", PASSWORD, check_password=False
            )
            for i in range(2)
        ]
        now = utcnow()
        for person in [holder, *cohort_members]:
            db.session.add(
                Enrolment(
                    user_id=person.id,
                    course_id=course.id,
                    enrolled_at=now - dt.timedelta(days=30),
                    completed_at=now,
                    last_activity_at=now,
                )
            )
        cohort = Cohort(
            academy_id=north_west.id,
            course_id=course.id,
            name="Bolton evening cohort",
            mode="in-person",
            starts_on=now.date() - dt.timedelta(days=40),
            ends_on=now.date() - dt.timedelta(days=2),
            capacity=20,
        )
        db.session.add(cohort)
        db.session.flush()
        db.session.add(CohortTrainer(cohort_id=cohort.id, user_id=trainer.id))
        for person in cohort_members:
            db.session.add(
                CohortMember(
                    cohort_id=cohort.id,
                    user_id=person.id,
                    signed_off_at=now,
                    signed_off_by_id=trainer.id,
                )
            )
        db.session.commit()
        return {"staff": staff.email, "holder": holder.email}


def test_issue_verify_download_and_revoke(live_server, browser, people):
    url = live_server.url
    contexts = [
        browser.new_context(viewport={"width": 360, "height": 740}, accept_downloads=True)
        for _ in range(3)
    ]
    staff, holder, public = (context.new_page() for context in contexts)
    try:
        # Staff find the member waiting and issue the certificate.
        sign_in(staff, url, people["staff"])
        staff.get_by_role("link", name="Staff").first.click()
        assert_phone_ready(staff)
        staff.get_by_role("link", name="See who is waiting and issue certificates").click()
        staff.get_by_role("heading", name="Waiting for a certificate").wait_for()
        assert_phone_ready(staff)
        staff.get_by_role("button", name="Issue certificate to Hollie O'Holder").click()
        flash = staff.get_by_role("status").filter(has_text="Its verification link")
        flash.wait_for()
        assert_phone_ready(staff)
        link = re.search(r"(http://127\.0\.0\.1:\d+/verify/[A-Za-z0-9_-]+)", flash.inner_text())
        verify_url = link.group(1)
        number = re.search(r"OA-\d{4}-\d{6}", flash.inner_text()).group(0)

        # Anyone with the link sees that it is valid, but not the holder's name.
        public.goto(verify_url)
        assert public.get_by_text("Valid.").is_visible()
        assert public.get_by_text("Organising basics").is_visible()
        assert public.get_by_text("Hollie").count() == 0
        assert_phone_ready(public)
        public.goto(url + "/verify/not-a-real-code-at-all")
        public.get_by_role("heading", name="Certificate not found").wait_for()
        assert_phone_ready(public)

        # The holder downloads the PDF: it names them, the course and the number, and its
        # QR code is the verification link.
        sign_in(holder, url, people["holder"])
        holder.goto(url + "/certificates/")
        assert_phone_ready(holder)
        with holder.expect_download() as download:
            holder.get_by_role("link", name="Download the PDF of your Organising basics").click()
        pdf = open(download.value.path(), "rb").read()  # noqa: SIM115
        text = " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)
        text = " ".join(text.split())
        assert "Hollie O'Holder" in text
        assert "Organising basics" in text
        assert number in text
        assert qr_codes(pdf) == [verify_url]

        # They choose to show their name to people who check.
        holder.get_by_label("Show my name to people who check my certificates").check()
        holder.get_by_role("button", name="Save my choice").click()
        holder.get_by_text("will now see your name").wait_for()
        public.goto(verify_url)
        assert public.get_by_text("Hollie O'Holder").is_visible()

        # Staff revoke it, with a public reason and their own words for the holder; the
        # public page says so at once, with the public reason and without the name.
        staff.get_by_label("Reason shown on the verification page").select_option(
            label="Issued in error"
        )
        staff.get_by_label("Reason for revoking, for the holder").fill(
            "Issued before the final assessment."
        )
        staff.get_by_role("button", name="Revoke certificate").click()
        staff.get_by_text(f"Certificate {number} is revoked.").wait_for()
        assert_phone_ready(staff)
        public.goto(verify_url)
        assert public.get_by_text("Revoked.").is_visible()
        assert public.get_by_text("final assessment").count() == 0
        assert public.get_by_text("Reason: issued in error.", exact=False).is_visible()
        assert public.get_by_text("Hollie O'Holder").count() == 0
        assert_phone_ready(public)

        # A whole cohort at once, with its progress page.
        staff.goto(url + "/staff/eligible")
        staff.get_by_role(
            "button", name="Issue all 2 certificates in Bolton evening cohort"
        ).click()
        staff.get_by_text("2 of 2 done").wait_for()
        assert staff.get_by_text("2 issued").is_visible()
        assert_phone_ready(staff)

        # The other staff pages hold up too.
        for path, heading in (
            ("/staff/certificates", "Issued certificates"),
            ("/staff/promotions", "Trainers and promotions"),
            ("/staff/lineage", "Training lineage: North West Organising Academy"),
            ("/staff/audit", "Audit log"),
        ):
            staff.goto(url + path)
            staff.get_by_role("heading", name=heading, exact=True).wait_for()
            assert_phone_ready(staff)
        assert staff.get_by_text("Certificate revoked").first.is_visible()
        public.goto(url + "/verify/")
        assert_phone_ready(public)

        # Promotion: the test curriculum's Organising basics stands in for Train the
        # trainer, so the cohort's graduates are candidates.
        live_server.app.config["ACADEMY_TRAINER_COURSE"] = "organising-basics"
        _passed_practice(live_server.app, "Cohort Person 0", observer="Trevor Trainer")
        staff.goto(url + "/staff/promotions")
        staff.get_by_role("heading", name="Cohort Person 0").wait_for()
        assert_phone_ready(staff)
        staff.get_by_role("button", name="Promote Cohort Person 0 to trainer").click()
        staff.get_by_text("Cohort Person 0 is now a trainer").wait_for()
        row = staff.get_by_role("row").filter(has_text="Cohort Person 0")
        assert "Trevor Trainer, in Bolton evening cohort" in row.inner_text()
        assert row.get_by_role("cell", name="Trevor Trainer", exact=True).is_visible()
        assert_phone_ready(staff)
        staff.goto(url + "/staff/lineage")
        lineage = staff.locator("ul.lineage").first.inner_text()
        assert lineage.index("Trevor Trainer") < lineage.index("Cohort Person 0")
        assert_phone_ready(staff)
    finally:
        live_server.app.config.pop("ACADEMY_TRAINER_COURSE", None)
        for context in contexts:
            context.close()


def _passed_practice(app, name: str, *, observer: str) -> None:
    """Trevor observed the graduate's practice (the observation journey is in
    test_guides.py); Organising basics stands in, so it gets a rubric here."""
    from academy.models import CohortSession, User
    from tests.guides.conftest import stand_in_rubric

    with app.app_context():
        cohort = db.session.scalar(sa.select(Cohort).where(Cohort.name == "Bolton evening cohort"))
        stand_in_rubric(cohort.course_id)
        start = utcnow() - dt.timedelta(days=3)
        session = CohortSession(
            cohort_id=cohort.id,
            title="Practice",
            starts_at=start,
            ends_at=start + dt.timedelta(hours=2),
            venue="Bolton",
        )
        db.session.add(session)
        db.session.commit()
        people = {u.display_name: u for u in db.session.scalars(sa.select(User))}
        from academy.services import guides

        guides.record_observation(
            cohort,
            people[name],
            session,
            observer=people[observer],
            ratings={"planning": "secure"},
            feedback="Ready.",
            outcome="passed",
        )
        db.session.commit()


def test_the_batch_page_follows_a_running_batch(live_server, page, people):
    """The progress page updates itself (batch-progress.js) while the job runs elsewhere."""
    from academy.services import certificates as service

    app = live_server.app
    with app.app_context():
        north_west = academy_by_slug("north-west")
        course = db.session.scalar(sa.select(Course).where(Course.slug == "organising-basics"))
        staff = accounts.find_user_by_email(people["staff"])
        now = utcnow()
        cohort = Cohort(
            academy_id=north_west.id,
            course_id=course.id,
            name="Wigan weekend cohort",
            mode="online",
            starts_on=now.date() - dt.timedelta(days=10),
            ends_on=now.date(),
            capacity=10,
        )
        db.session.add(cohort)
        db.session.flush()
        for i in range(2):
            person = accounts.create_user(
                f"wigan{i}.certs@example.org", f"Wigan Person {i}", PASSWORD, check_password=False
            )
            db.session.add(
                Enrolment(
                    user_id=person.id,
                    course_id=course.id,
                    enrolled_at=now,
                    completed_at=now,
                    last_activity_at=now,
                )
            )
            db.session.add(CohortMember(cohort_id=cohort.id, user_id=person.id, signed_off_at=now))
        db.session.flush()
        # Started but not yet picked up by a worker.
        batch_id = service.start_batch(cohort, actor=staff).id
        db.session.commit()
        db.session.remove()

    sign_in(page, live_server.url, people["staff"])
    page.goto(f"{live_server.url}/staff/batches/{batch_id}")
    page.get_by_text("Waiting to start: 0 of 2 done").wait_for()
    assert_phone_ready(page)

    with app.app_context():
        service.run_batch(batch_id)
        db.session.remove()

    # No click: the script sees the batch finish and reloads the page.
    page.get_by_text("Finished: 2 of 2 done").wait_for(timeout=15_000)
    assert (
        page.get_by_role("row").filter(has_text="Wigan Person 1").get_by_text("Issued").is_visible()
    )
    assert_phone_ready(page)
