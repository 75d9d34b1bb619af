"""Fifty simultaneous requests to issue one member's certificate make one
certificate, against a real server on a committed database (SQLite here,
PostgreSQL when TEST_DATABASE_URL is set): the unique index decides, not luck."""

from __future__ import annotations

import datetime as dt
import http.client
import threading
import uuid
from urllib.parse import urlencode, urlsplit

import sqlalchemy as sa
from itsdangerous import URLSafeTimedSerializer

from academy.extensions import db
from academy.models import Course, Enrolment
from academy.models.certificates import Certificate, CertificateNumber
from academy.services import accounts
from academy.services.academies import academy_by_slug
from academy.services.certificates import issuing
from academy.timeutil import utcnow
from tests.conftest import PASSWORD, SECRET, give_second_factor

REQUESTS = 50


def signed_in_cookie(app, user) -> tuple[str, str]:
    """A session cookie for `user` and the CSRF token a form on it would carry."""
    raw = uuid.uuid4().hex
    serializer = app.session_interface.get_signing_serializer(app)
    cookie = serializer.dumps({"_user_id": user.get_id(), "_fresh": True, "csrf_token": raw})
    token = URLSafeTimedSerializer(SECRET, salt="wtf-csrf-token").dumps(raw)
    return f"session={cookie}", token


def test_fifty_concurrent_issues_make_one_certificate(live_server, monkeypatch):
    app = live_server.app
    # Every request gets past the service's own "already certified?" check, as racing
    # requests can: what stops the other 49 is the database's unique index.
    monkeypatch.setattr(issuing, "current_certificate", lambda user_id, course_id: None)
    with app.app_context():
        staff = accounts.create_user(
            f"staff-{uuid.uuid4().hex[:8]}@example.org",
            "Race Staff",
            PASSWORD,
            check_password=False,
        )
        accounts.grant_role(staff, "staff", academy=academy_by_slug("north-west"))
        give_second_factor(staff)  # staff cannot use their pages without it
        member = accounts.create_user(
            f"member-{uuid.uuid4().hex[:8]}@example.org",
            "Race Member",
            PASSWORD,
            check_password=False,
        )
        course = db.session.scalar(sa.select(Course).where(Course.slug == "organising-basics"))
        now = utcnow()
        db.session.add(
            Enrolment(
                user_id=member.id,
                course_id=course.id,
                enrolled_at=now - dt.timedelta(days=3),
                completed_at=now,
                last_activity_at=now,
            )
        )
        db.session.commit()
        cookie, token = signed_in_cookie(app, staff)
        body = urlencode(
            {
                "csrf_token": token,
                "user_id": member.id,
                "course_id": course.id,
                "academy_id": academy_by_slug("north-west").id,
            }
        )
        member_id, course_id = member.id, course.id
        numbers_before = db.session.scalar(sa.select(sa.func.count(CertificateNumber.id)))
        db.session.remove()

    address = urlsplit(live_server.url)
    start = threading.Barrier(REQUESTS)
    outcomes: list[tuple[int, str]] = []
    lock = threading.Lock()

    def issue() -> None:
        connection = http.client.HTTPConnection(address.hostname, address.port, timeout=120)
        try:
            start.wait()
            connection.request(
                "POST",
                "/staff/certificates/issue",
                body=body,
                headers={
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Cookie": cookie,
                    "Referer": live_server.url + "/staff/eligible",
                },
            )
            response = connection.getresponse()
            response.read()
            with lock:
                outcomes.append((response.status, response.getheader("Location", "")))
        finally:
            connection.close()

    threads = [threading.Thread(target=issue) for _ in range(REQUESTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(outcomes) == REQUESTS
    # Every request was answered sensibly: one went to the new certificate, the rest
    # back to the list with a message.
    assert all(status == 302 for status, _ in outcomes), outcomes
    winners = [location for _, location in outcomes if "/staff/certificates/" in location]
    assert len(winners) == 1, outcomes
    with app.app_context():
        certificates = db.session.scalars(
            sa.select(Certificate).where(
                Certificate.user_id == member_id, Certificate.course_id == course_id
            )
        ).all()
        assert len(certificates) == 1
        assert certificates[0].status == "valid"
        assert winners[0].endswith(f"/staff/certificates/{certificates[0].id}")
        # Numbers were drawn from the counter, never twice.
        numbers = db.session.scalar(sa.select(sa.func.count(CertificateNumber.id)))
        assert numbers >= numbers_before + 1
        db.session.remove()
