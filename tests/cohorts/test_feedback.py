"""Session feedback and course evaluations: who may answer, the 1-5 scale, answering
once, changing and erasing, aggregates only from five answers, comments without
names, trainers limited to their own cohorts, and the member's data export."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from academy.extensions import db
from academy.models import CourseEvaluation, Enrolment, SessionFeedback
from academy.services import ServiceError, feedback, privacy
from academy.services import cohorts as service
from academy.timeutil import utcnow
from tests.cohorts.conftest import held_session

GOOD = {"clear": "5", "useful": "4", "well_run": "5", "recommend": "4", "comment": "Loved it"}


@pytest.fixture
def attended(cohort, trainer, add_members):
    """A held session with five members present, one absent."""
    members = add_members(cohort, 6)
    held_session(
        cohort,
        trainer,
        {m.id: "present" for m in members[:5]} | {members[5].id: "absent"},
    )
    session = service.sessions_of(cohort)[0]
    return session, members


def _count(session) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(SessionFeedback)
        .where(SessionFeedback.session_id == session.id)
    )


def test_a_member_marked_present_rates_a_session(client, login, attended):
    session, members = attended
    login(client, members[0])
    assert "Rate Week" in client.get("/training/feedback/").get_data(as_text=True)
    response = client.post(f"/training/sessions/{session.id}/feedback", data=GOOD)
    assert response.status_code == 302
    answer = db.session.scalar(
        sa.select(SessionFeedback).where(SessionFeedback.user_id == members[0].id)
    )
    assert (answer.clear, answer.useful, answer.well_run, answer.recommend) == (5, 4, 5, 4)
    assert answer.comment == "Loved it"
    page = client.get("/training/feedback/").get_data(as_text=True)
    assert "Loved it" in page
    assert "Rate Week" not in page


def test_not_attending_out_of_range_and_twice_are_refused_and_change_nothing(
    client, login, attended, make_user
):
    session, members = attended
    login(client, members[5])  # marked absent
    response = client.post(f"/training/sessions/{session.id}/feedback", data=GOOD)
    assert "Only members marked present" in client.get(response.location).get_data(as_text=True)
    login(client, make_user())  # not in the cohort at all
    client.post(f"/training/sessions/{session.id}/feedback", data=GOOD)
    assert _count(session) == 0
    login(client, members[0])
    response = client.post(f"/training/sessions/{session.id}/feedback", data=GOOD | {"clear": "6"})
    assert response.status_code == 400
    assert "There is a problem" in response.get_data(as_text=True)
    assert _count(session) == 0
    client.post(f"/training/sessions/{session.id}/feedback", data=GOOD)
    response = client.post(
        f"/training/sessions/{session.id}/feedback", data=GOOD | {"comment": "Second go"}
    )
    assert "already rated this session" in client.get(response.location).get_data(as_text=True)
    assert _count(session) == 1
    assert db.session.scalar(sa.select(SessionFeedback.comment)) == "Loved it"
    with pytest.raises(ServiceError, match="from 1 to 5"):
        feedback.give_feedback(
            session, members[1], {"clear": 0, "useful": 1, "well_run": 1, "recommend": 1}
        )


def test_a_future_session_cannot_be_rated(client, login, cohort, trainer, add_members):
    (member,) = add_members(cohort, 1)
    start = datetime.now(UTC) + timedelta(days=2)
    session = service.schedule_session(
        cohort,
        trainer,
        service.SessionDetails("Later", start, start + timedelta(hours=1), "Hall", "", ""),
    )
    db.session.commit()
    assert feedback.feedback_problem(session, member) == (
        "You can rate a session once it has taken place."
    )


def test_members_change_and_erase_their_answers_and_no_one_else_can(client, login, attended):
    session, members = attended
    login(client, members[0])
    client.post(f"/training/sessions/{session.id}/feedback", data=GOOD)
    answer = db.session.scalar(sa.select(SessionFeedback))
    # Another member can neither change nor erase it.
    login(client, members[1])
    assert client.get(f"/training/feedback/{answer.id}/edit").status_code == 404
    assert client.post(f"/training/feedback/{answer.id}/erase").status_code == 404
    login(client, members[0])
    client.post(f"/training/feedback/{answer.id}/edit", data=GOOD | {"clear": "2", "comment": ""})
    db.session.refresh(answer)
    assert answer.clear == 2
    assert answer.comment == ""
    client.post(f"/training/feedback/{answer.id}/erase")
    assert _count(session) == 0


def _answers(client, login, session, members, n):
    for i, member in enumerate(members[:n]):
        login(client, member)
        client.post(
            f"/training/sessions/{session.id}/feedback",
            data=GOOD | {"clear": str(1 + i % 5), "comment": f"Comment number {i}"},
        )


def test_trainers_see_nothing_under_five_answers(client, login, trainer, cohort, attended):
    session, members = attended
    _answers(client, login, session, members, 4)
    login(client, trainer)
    page = client.get(f"/cohorts/{cohort.id}/feedback").get_data(as_text=True)
    assert "4 answers so far" in page
    assert "Comment number" not in page
    assert "on average" not in page


def test_from_five_answers_trainers_see_averages_and_comments_without_names(
    client, login, trainer, cohort, attended
):
    session, members = attended
    _answers(client, login, session, members, 5)
    login(client, trainer)
    page = client.get(f"/cohorts/{cohort.id}/feedback").get_data(as_text=True)
    assert "The session was clear: <strong>3.0</strong> out of 5 on average" in page  # 1 to 5
    assert "Comment number 4" in page
    for member in members:
        assert member.display_name not in page


def test_a_trainer_cannot_read_another_cohorts_feedback(client, login, make_user, cohort):
    other = make_user(roles=("trainer",))
    login(client, other)
    assert client.get(f"/cohorts/{cohort.id}/feedback").status_code == 404
    member = make_user()
    login(client, member)
    assert client.get(f"/cohorts/{cohort.id}/feedback").status_code == 403


def test_course_evaluation_after_completing_the_course(client, login, cohort, add_members):
    member, other = add_members(cohort, 2)
    login(client, member)
    data = {"overall": "4", "recommend": "5", "comment": "Worth it"}
    response = client.post(f"/training/cohorts/{cohort.id}/evaluation", data=data)
    assert "once you have completed it" in client.get(response.location).get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CourseEvaluation)) == 0
    enrolment = db.session.scalar(sa.select(Enrolment).where(Enrolment.user_id == member.id))
    enrolment.completed_at = utcnow()
    db.session.commit()
    assert "Evaluate" in client.get("/training/feedback/").get_data(as_text=True)
    client.post(f"/training/cohorts/{cohort.id}/evaluation", data=data)
    evaluation = db.session.scalar(sa.select(CourseEvaluation))
    assert (evaluation.overall, evaluation.recommend, evaluation.comment) == (4, 5, "Worth it")
    login(client, other)
    assert client.post(f"/training/evaluations/{evaluation.id}/erase").status_code == 404
    login(client, member)
    client.post(f"/training/evaluations/{evaluation.id}/erase")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CourseEvaluation)) == 0


def test_answers_are_in_the_data_export_and_erased_with_the_account(client, login, attended):
    session, members = attended
    login(client, members[0])
    client.post(f"/training/sessions/{session.id}/feedback", data=GOOD)
    data = privacy.export_data(members[0])
    rows = data["records"]["session_feedback"]
    assert rows[0]["comment"] == "Loved it"
    assert json.dumps(data)  # JSON-ready
    privacy.erase_account(members[0])
    db.session.commit()
    assert _count(session) == 0


def test_staff_see_feedback_per_academy_and_trainer_with_a_chart_and_csv(
    client, login, make_user, trainer, cohort, attended
):
    session, members = attended
    _answers(client, login, session, members, 5)
    staff = make_user(roles=("staff",))  # North West, as the cohort
    login(client, staff)
    page = client.get("/reports/north-west/feedback")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "<svg" in text
    assert "Tara Trainer" in text
    assert "3.0" in text
    assert "Comment number" not in text
    for member in members:
        assert member.display_name not in text
    csv = client.get("/reports/north-west/feedback.csv")
    assert csv.status_code == 200
    body = csv.get_data(as_text=True)
    assert "Trainer,Tara Trainer,5,3.0" in body
    # Another academy's staff cannot read it; their own academy has too few answers.
    london_staff = make_user(roles=("staff",), academy="london")
    login(client, london_staff)
    assert client.get("/reports/north-west/feedback").status_code == 403
    london = client.get("/reports/london/feedback").get_data(as_text=True)
    assert "Tara Trainer" not in london


def test_staff_reports_hide_groups_under_five(client, login, make_user, cohort, attended):
    session, members = attended
    _answers(client, login, session, members, 4)
    login(client, make_user(roles=("staff",)))
    body = client.get("/reports/north-west/feedback.csv").get_data(as_text=True)
    assert "Trainer,Tara Trainer,4,,,," in body
    text = client.get("/reports/north-west/feedback").get_data(as_text=True)
    assert "fewer than 5 answers (hidden)" in text
