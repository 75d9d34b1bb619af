"""Sessions: scheduling in UK time, calendar files, attendance, the member's dashboard."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import render_template_string

from academy.extensions import db
from academy.models import Attendance, CohortSession
from academy.services import cohorts as service
from academy.services.cohorts.ics import escape_text, fold


def _schedule(cohort, trainer, *, title="Week 1", start=None, hours=2, **extra):
    start = start or datetime.now(UTC) + timedelta(days=3)
    session = service.schedule_session(
        cohort,
        trainer,
        service.SessionDetails(
            title=title,
            starts_at=start,
            ends_at=start + timedelta(hours=hours),
            venue=extra.get("venue", "Salford Labour Club, Room 2"),
            meeting_url=extra.get("meeting_url", ""),
            agenda=extra.get("agenda", ""),
        ),
    )
    db.session.commit()
    return session


def test_trainer_schedules_a_session_in_uk_time(client, login, trainer, cohort):
    login(client, trainer)
    next_july = date(date.today().year + 1, 7, 1)
    response = client.post(
        f"/cohorts/{cohort.id}/sessions/new",
        data={
            "title": "Power mapping",
            "day": next_july.isoformat(),
            "starts": "19:00",
            "ends": "21:30",
            "venue": "Salford Labour Club",
            "meeting_url": "",
            "agenda": "Welcome\nPower mapping in pairs",
        },
    )
    assert response.status_code == 302
    session = db.session.scalar(
        sa.select(CohortSession).where(CohortSession.title == "Power mapping")
    )
    # 7pm British Summer Time is 6pm UTC.
    assert session.starts_at == datetime(next_july.year, 7, 1, 18, 0, tzinfo=UTC)
    assert session.ends_at == datetime(next_july.year, 7, 1, 20, 30, tzinfo=UTC)
    page = client.get(f"/cohorts/{cohort.id}/sessions").text
    assert "Power mapping" in page
    assert "7pm to 9.30pm" in page


def test_a_session_must_end_after_it_starts_and_say_where(client, login, trainer, cohort):
    login(client, trainer)
    response = client.post(
        f"/cohorts/{cohort.id}/sessions/new",
        data={
            "title": "Bad",
            "day": "2027-01-05",
            "starts": "19:00",
            "ends": "18:00",
            "venue": "Hall",
        },
    )
    assert "must end after it starts" in response.text
    response = client.post(
        f"/cohorts/{cohort.id}/sessions/new",
        data={
            "title": "Bad",
            "day": "2027-01-05",
            "starts": "19:00",
            "ends": "20:00",
            "venue": "",
            "meeting_url": "",
        },
    )
    assert "Say where the session is" in response.text
    assert db.session.scalar(sa.select(CohortSession).where(CohortSession.title == "Bad")) is None


def test_members_download_a_calendar_file(client, login, trainer, cohort, make_user):
    session = _schedule(
        cohort,
        trainer,
        title="Doorstep practice; role play, feedback",
        agenda="Arrive by 6.45pm\nBring a pen",
        meeting_url="https://meet.example.org/abc",
    )
    member = make_user()
    service.add_existing_member(cohort, member, trainer, via="csv")
    db.session.commit()
    login(client, member)
    response = client.get(f"/cohorts/{cohort.id}/sessions/{session.id}/session.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    body = response.data.decode()
    assert body.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n")
    assert body.endswith("END:VCALENDAR\r\n")
    assert "\n" not in body.replace("\r\n", "")  # every line ends in CRLF
    unfolded = body.replace("\r\n ", "")
    assert f"UID:cohort-session-{session.id}@academy.test" in unfolded
    assert "SUMMARY:Doorstep practice\\; role play\\, feedback – Salford spring" in unfolded
    assert "Agenda:\\nArrive by 6.45pm\\nBring a pen" in unfolded
    assert f"DTSTART:{session.starts_at:%Y%m%dT%H%M%SZ}" in unfolded
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))
    whole = client.get(f"/cohorts/{cohort.id}/calendar.ics")
    assert whole.status_code == 200
    assert whole.data.count(b"BEGIN:VEVENT") == 1


def test_ics_text_helpers():
    assert escape_text("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"
    line = "DESCRIPTION:" + "é" * 60
    folded = fold(line)
    parts = folded.split("\r\n ")
    assert "".join(parts) == line
    assert all(len(part.encode()) <= 75 for part in parts)


def test_the_dashboard_include_lists_a_members_upcoming_sessions(
    app, client, login, trainer, cohort, make_user
):
    _schedule(cohort, trainer, title="Next week's session")
    _schedule(cohort, trainer, title="Long ago", start=datetime.now(UTC) - timedelta(days=30))
    member, outsider = make_user(), make_user()
    service.add_existing_member(cohort, member, trainer, via="csv")
    db.session.commit()
    login(client, member)
    with app.test_request_context():
        from flask_login import login_user

        login_user(member)
        html = render_template_string('{% include "cohorts/_dashboard_sessions.html" %}')
        assert "Upcoming sessions" in html
        assert "Next week&#39;s session" in html
        assert "Long ago" not in html
        assert ".ics" in html
        assert f'href="/cohorts/{cohort.id}/">Salford spring</a>' in html
        login_user(outsider)
        assert "Upcoming sessions" not in render_template_string(
            '{% include "cohorts/_dashboard_sessions.html" %}'
        )


def test_trainer_takes_attendance(client, login, trainer, cohort, add_members):
    amy, ben, cat = add_members(cohort, 3)
    session = _schedule(cohort, trainer, start=datetime.now(UTC) - timedelta(hours=3))
    login(client, trainer)
    page = client.get(f"/cohorts/{cohort.id}/sessions/{session.id}/attendance")
    assert page.status_code == 200
    assert amy.display_name in page.text
    response = client.post(
        f"/cohorts/{cohort.id}/sessions/{session.id}/attendance",
        data={
            f"status-{amy.id}": "present",
            f"status-{ben.id}": "apologies",
            f"status-{cat.id}": "absent",
        },
    )
    assert response.status_code == 302
    recorded = dict(
        db.session.execute(
            sa.select(Attendance.user_id, Attendance.status).where(
                Attendance.session_id == session.id
            )
        ).all()
    )
    assert recorded == {amy.id: "present", ben.id: "apologies", cat.id: "absent"}
    summaries = service.attendance_summaries(cohort)
    assert summaries[amy.id].percent == 100
    assert summaries[ben.id].percent == 0
    # Changing one answer later keeps the others.
    client.post(
        f"/cohorts/{cohort.id}/sessions/{session.id}/attendance",
        data={f"status-{cat.id}": "present"},
    )
    db.session.expire_all()
    assert db.session.get(Attendance, (session.id, cat.id)).status == "present"
    assert db.session.get(Attendance, (session.id, ben.id)).status == "apologies"


def test_a_bad_attendance_value_changes_nothing(client, login, trainer, cohort, add_members):
    amy, ben = add_members(cohort, 2)
    session = _schedule(cohort, trainer)
    login(client, trainer)
    response = client.post(
        f"/cohorts/{cohort.id}/sessions/{session.id}/attendance",
        data={f"status-{amy.id}": "present", f"status-{ben.id}": "sleeping"},
    )
    assert response.status_code == 400
    assert "Choose present, absent or apologies" in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attendance)) == 0


@pytest.mark.parametrize("status", ["present", "absent"])
def test_attendance_is_only_for_members_of_the_cohort(trainer, cohort, make_user, status):
    session = _schedule(cohort, trainer)
    stranger = make_user()
    with pytest.raises(service.ServiceError):
        service.record_attendance(session, trainer, {stranger.id: status})


def test_the_members_dashboard_shows_their_sessions(client, login, trainer, cohort, make_user):
    _schedule(cohort, trainer, title="Phone banking practice")
    member = make_user()
    service.add_existing_member(cohort, member, trainer, via="csv")
    db.session.commit()
    login(client, member)
    page = client.get("/dashboard")
    assert page.status_code == 200
    assert "Upcoming sessions" in page.text
    assert "Phone banking practice" in page.text


def test_everyone_not_marked_can_be_marked_present_at_once(
    client, login, trainer, cohort, add_members
):
    amy, ben, cat = add_members(cohort, 3)
    session = _schedule(cohort, trainer)
    login(client, trainer)
    client.post(
        f"/cohorts/{cohort.id}/sessions/{session.id}/attendance",
        data={f"status-{amy.id}": "apologies", "fill": "present"},
    )
    recorded = dict(
        db.session.execute(
            sa.select(Attendance.user_id, Attendance.status).where(
                Attendance.session_id == session.id
            )
        ).all()
    )
    assert recorded == {amy.id: "apologies", ben.id: "present", cat.id: "present"}
