"""Session reminders: the day before, by e-mail with the session's .ics, once, and
never to a member who turned them off."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from academy.extensions import db
from academy.services import cohorts as service


def _session(cohort, trainer, hours_ahead: float, title: str = "Week 2"):
    start = datetime.now(UTC) + timedelta(hours=hours_ahead)
    session = service.schedule_session(
        cohort,
        trainer,
        service.SessionDetails(
            title, start, start + timedelta(hours=2), "Salford Labour Club", "", ""
        ),
    )
    db.session.commit()
    return session


def test_members_get_a_reminder_with_the_ics_a_day_before_once(
    runner, outbox, cohort, trainer, add_members
):
    keen, quiet = add_members(cohort, 2)
    quiet.session_reminders = False
    db.session.commit()
    _session(cohort, trainer, 20, "Tomorrow's session")
    _session(cohort, trainer, 60, "Later session")  # not yet
    result = runner.invoke(args=["academy", "training", "remind"])
    assert result.exit_code == 0, result.output
    assert "1 session reminders sent" in result.output
    assert [m.to for m in outbox] == [[keen.email]]
    message = outbox[0]
    assert "Tomorrow's session" in message.subject
    assert "Salford Labour Club" in message.body
    assert "/account/training" in message.body
    (name, calendar, mimetype) = message.attachments[0]
    assert name == "session.ics"
    assert mimetype == "text/calendar"
    assert "BEGIN:VEVENT" in calendar
    assert "SUMMARY:Tomorrow's session" in calendar
    # Running again sends nothing more.
    result = runner.invoke(args=["academy", "training", "remind"])
    assert "0 session reminders sent" in result.output
    assert len(outbox) == 1


def test_a_member_turns_reminders_off_on_the_account_page(client, login, make_user):
    member = make_user()
    login(client, member)
    page = client.get("/account/training").get_data(as_text=True)
    assert 'name="session_reminders"' in page
    assert "checked" in page
    response = client.post("/account/training", data={"region": ""})
    assert response.status_code == 302
    db.session.refresh(member)
    assert member.session_reminders is False
    assert member.home_academy_id is None


def test_an_unknown_region_is_refused(client, login, make_user):
    member = make_user()
    login(client, member)
    response = client.post("/account/training", data={"region": "999999", "session_reminders": "y"})
    assert response.status_code == 400
    assert "There is a problem" in response.get_data(as_text=True)
    db.session.refresh(member)
    assert member.home_academy_id is None
