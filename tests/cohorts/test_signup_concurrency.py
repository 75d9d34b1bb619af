"""Fifty members sign up at once for the last three places of an open cohort,
through a real server on a committed database (SQLite here, PostgreSQL when
TEST_DATABASE_URL is set), each request on its own connection: exactly three
get in and forty-seven wait. The cohort's row lock decides, not luck."""

from __future__ import annotations

import http.client
import threading
import uuid
from datetime import date, timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa

from academy.extensions import db
from academy.models import CohortMember, Course, User, WaitingPlace
from academy.services import accounts
from academy.services import cohorts as service
from academy.services.academies import academy_by_slug
from academy.timeutil import utcnow
from tests.certificates.test_concurrency import signed_in_cookie
from tests.conftest import _PASSWORD_HASH, PASSWORD

SIGN_UPS = 50
LAST_PLACES = 3
ALREADY_IN = 2


def _world(app) -> tuple[int, list[User]]:
    tag = uuid.uuid4().hex[:8]
    trainer = accounts.create_user(
        f"trainer-{tag}@example.org", "Race Trainer", PASSWORD, check_password=False
    )
    accounts.grant_role(trainer, "trainer", academy=academy_by_slug("north-west"))
    course = db.session.scalar(sa.select(Course).where(Course.slug == "organising-basics"))
    cohort = service.create_cohort(
        trainer,
        academy=academy_by_slug("north-west"),
        course=course,
        details=service.CohortDetails(
            name="Last places",
            mode="online",
            venue="",
            meeting_url="https://meet.example.org/race",
            starts_on=date.today(),
            ends_on=date.today() + timedelta(days=30),
            capacity=ALREADY_IN + LAST_PLACES,
            min_attendance_percent=None,
            inactive_after_days=14,
            is_open=True,
        ),
    )
    now = utcnow()
    people = [
        User(
            email=f"racer-{tag}-{n}@example.org",
            display_name=f"Racer {n}",
            password_hash=_PASSWORD_HASH,
            privacy_accepted_at=now,
            confirmed_at=now,
        )
        for n in range(SIGN_UPS + ALREADY_IN)
    ]
    db.session.add_all(people)
    db.session.flush()
    for person in people[:ALREADY_IN]:
        db.session.add(CohortMember(cohort_id=cohort.id, user_id=person.id, joined_via="csv"))
    db.session.commit()
    return cohort.id, people[ALREADY_IN:]


def test_fifty_concurrent_sign_ups_for_the_last_three_places(live_server):
    app = live_server.app
    with app.app_context():
        cohort_id, racers = _world(app)
        cookies = [signed_in_cookie(app, person) for person in racers]
        racer_ids = {person.id for person in racers}
        db.session.remove()

    address = urlsplit(live_server.url)
    start = threading.Barrier(SIGN_UPS)
    statuses: list[int] = []
    lock = threading.Lock()

    def sign_up(cookie: str, token: str) -> None:
        connection = http.client.HTTPConnection(address.hostname, address.port, timeout=120)
        try:
            start.wait()
            connection.request(
                "POST",
                f"/training/{cohort_id}/sign-up",
                body=f"csrf_token={token}",
                headers={
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Cookie": cookie,
                    "Referer": f"{live_server.url}/training/{cohort_id}",
                },
            )
            response = connection.getresponse()
            response.read()
            with lock:
                statuses.append(response.status)
        finally:
            connection.close()

    threads = [threading.Thread(target=sign_up, args=pair) for pair in cookies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [302] * SIGN_UPS
    with app.app_context():
        members = set(
            db.session.scalars(
                sa.select(CohortMember.user_id).where(CohortMember.cohort_id == cohort_id)
            )
        )
        waiting = list(
            db.session.scalars(
                sa.select(WaitingPlace.user_id).where(WaitingPlace.cohort_id == cohort_id)
            )
        )
        db.session.remove()
    assert len(members) == ALREADY_IN + LAST_PLACES
    assert len(members & racer_ids) == LAST_PLACES
    assert len(waiting) == SIGN_UPS - LAST_PLACES
    assert set(waiting) == racer_ids - members
