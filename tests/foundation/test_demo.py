"""`flask academy seed-demo`, as `make run` calls it: a small academy in motion on the
shipped curriculum, marked as demo data, never in production, the same after a second run;
and each demo role signs in to a page with something to do."""

from __future__ import annotations

import re

import pyotp
import pytest
import sqlalchemy as sa

from academy import paths
from academy.content.sync import sync_path
from academy.extensions import db
from academy.models import Certificate, Cohort, DataRequest, User
from academy.models.cohorts import CohortMember, CohortSession
from academy.ops import demo
from academy.services import accounts
from academy.services import cohorts as cohorts_service
from academy.services.cohorts import table as cohorts_table
from academy.timeutil import utcnow

LOGIN = re.compile(r"^\s+(\w+)\s+(\S+@\S+)\s+password: (\S+)", re.MULTILINE)
SECOND = re.compile(r"two-step sign-in key: ([A-Z2-7 ]+) \(.*recovery code: (\S+)")


@pytest.fixture
def shipped_curriculum(app):
    """The curriculum `make run` loads (the tests' own is smaller), synced in this test's
    transaction."""
    sync_path(paths.CURRICULUM_DIR, db.session)
    db.session.commit()


@pytest.fixture
def seeded(shipped_curriculum, runner):
    result = runner.invoke(args=["academy", "seed-demo"])
    assert result.exit_code == 0, result.output
    return result.output


def _sign_in(app, role: str, email: str, password: str, factor):
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": password})
    if factor is not None:
        key, recovery = factor
        code = recovery if role == "admin" else pyotp.TOTP(key.replace(" ", "")).now()
        response = client.post("/login/code", data={"code": code})
    assert response.status_code == 302, (role, response.get_data(as_text=True)[:300])
    return client, response.location


def test_each_demo_role_signs_in_to_a_page_with_something_to_do(app, seeded):
    logins = LOGIN.findall(seeded)
    assert [role for role, _, _ in logins] == ["member", "trainer", "staff", "admin"]
    assert all(email.endswith("@demo.example.org") for _, email, _ in logins)
    # Staff and admins have two-step sign-in: the key and a recovery code are printed.
    second = SECOND.findall(seeded)
    assert len(second) == 2
    expected = {
        "member": ("/dashboard", ["Continue", "Community organising", "Upcoming sessions"]),
        "trainer": ("/cohorts/", ["Salford organising cohort (demo)"]),
        "staff": (
            "/staff/",
            # Chloe and Ben (signed off), and Priya's Community organising (self-study).
            ["3 members are waiting for a certificate", "1 graduate of Train the trainer is"],
        ),
        "admin": ("/admin/", ["1 open"]),
    }
    for (role, email, password), factor in zip(logins, [None, None, *second], strict=True):
        client, landing = _sign_in(app, role, email, password, factor)
        assert role in accounts.find_user_by_email(email).roles
        path, things = expected[role]
        assert landing == path, role
        page = client.get(landing)
        assert page.status_code == 200, role
        text = page.get_data(as_text=True)
        words = " ".join(re.sub(r"<[^>]+>", " ", text).split())
        for thing in things:
            assert thing in words, (role, thing, words[words.find("<main") :][:1500])
        assert "Demo data." in text  # the banner, on every page while demo data is here
        # What to try is printed under each account.
        assert demo.TO_TRY[role] in " ".join(seeded.split())


def test_the_demo_is_a_small_academy_in_motion(app, seeded):
    cohort = db.session.scalar(sa.select(Cohort).where(Cohort.name == demo.COHORT_NAME))
    members = db.session.scalars(
        sa.select(CohortMember).where(CohortMember.cohort_id == cohort.id)
    ).all()
    assert len(members) == 12
    assert sum(m.signed_off_at is not None for m in members) == 3

    # Different stages, one falling behind; one completed and waiting for sign-off.
    table = cohorts_table.whole_table(cohort)
    percents = sorted(row.progress.percent for row in table.rows)
    assert percents[0] == 0
    assert percents[-1] == 100
    assert len(set(percents)) >= 8
    behind = [row for row in table.rows if row.inactive_days is not None]
    assert [row.display_name for row in behind] == ["Emeka Adebayo (demo)"]
    assert [w.display_name for w in cohorts_service.signing_off.waiting(cohort)] == [
        "Dafydd Jones (demo)"
    ]

    # Sessions held, with attendance, and sessions to come.
    sessions = db.session.scalars(
        sa.select(CohortSession).where(CohortSession.cohort_id == cohort.id)
    ).all()
    now = utcnow()
    held = [s for s in sessions if s.starts_at < now]
    assert len(held) == 4
    assert len(sessions) - len(held) == 2
    for session in held:
        assert len(cohorts_service.attendance_for_session(session)) == 12

    # Certificates: issued (one in the cohort, the member's own, the graduate's), revoked.
    certificates = db.session.scalars(sa.select(Certificate)).all()
    by_status = sorted((c.holder_name, c.status) for c in certificates)
    assert by_status == [
        ("Aisha Khan (demo)", "valid"),
        ("Ben Okafor (demo)", "revoked"),
        ("Demo Member", "valid"),
        ("Priya Shah (demo)", "valid"),
    ]
    revoked = next(c for c in certificates if c.status == "revoked")
    assert revoked.revoked_category == "issued-in-error"

    # The admin's open data request, logged from a letter.
    [request] = db.session.scalars(sa.select(DataRequest)).all()
    assert request.channel == "staff"
    assert request.completed_at is None

    # Nobody real: every address is @demo.example.org.
    emails = db.session.scalars(sa.select(User.email)).all()
    assert emails
    assert all(email.endswith("@demo.example.org") for email in emails)

    # Report figures are there for staff to read.
    [_, (role, email, password), _] = LOGIN.findall(seeded)[1:]
    client, _ = _sign_in(app, role, email, password, SECOND.findall(seeded)[0])
    reports = client.get("/reports/", follow_redirects=True)
    assert reports.status_code == 200
    html = reports.get_data(as_text=True)
    assert "Community organising" in html
    assert demo.COHORT_NAME in html


def _counts() -> dict[str, int]:
    return {
        table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    }


def test_seeding_again_changes_no_data(app, seeded, runner):
    before = _counts()
    assert before["users"] == 16
    assert before["certificates"] == 4
    again = runner.invoke(args=["academy", "seed-demo"])
    assert again.exit_code == 0, again.output
    assert "already here, left as it is" in again.output
    assert _counts() == before
    # New passwords each run: the ones printed now are the ones that work.
    _, email, password = LOGIN.findall(again.output)[0]
    assert _sign_in(app, "member", email, password, None)[1] == "/dashboard"


def test_demo_data_is_never_made_in_production(app, shipped_curriculum, runner):
    app.config["ACADEMY_ENV"] = "production"
    before = _counts()
    result = runner.invoke(args=["academy", "seed-demo"])
    assert result.exit_code != 0
    assert "never created in production" in result.output
    assert _counts() == before
    assert not demo.marker_path().exists()


def test_no_banner_without_demo_data_nor_ever_in_production(app, seeded, client):
    assert "Demo data." in client.get("/").get_data(as_text=True)
    app.config["ACADEMY_ENV"] = "production"
    assert "Demo data." not in client.get("/").get_data(as_text=True)
    app.config["ACADEMY_ENV"] = "development"
    demo.marker_path().unlink()
    assert "Demo data." not in client.get("/").get_data(as_text=True)
