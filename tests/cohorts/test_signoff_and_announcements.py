"""Sign-off needs the course complete (and the cohort's attendance rule); announcements
are e-mailed to each member separately and shown on the cohort page."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from academy.extensions import db
from academy.models import AuditEvent, CohortMember, Enrolment
from academy.services import cohorts as service
from academy.timeutil import utcnow

from .conftest import held_session


def _complete(user, cohort):
    enrolment = db.session.scalar(
        sa.select(Enrolment).where(
            Enrolment.user_id == user.id, Enrolment.course_id == cohort.course_id
        )
    )
    enrolment.completed_at = utcnow()
    db.session.commit()


def _membership(cohort, user):
    db.session.expire_all()
    return db.session.get(CohortMember, (cohort.id, user.id))


def test_sign_off_requires_the_course_complete(client, login, trainer, cohort, add_members):
    (member,) = add_members(cohort, 1)
    login(client, trainer)
    page = client.get(f"/cohorts/{cohort.id}/").text
    assert "Course not complete yet" in page
    response = client.post(f"/cohorts/{cohort.id}/members/{member.id}/sign-off")
    assert response.status_code == 302
    assert "not completed the course" in client.get(response.location).text
    assert _membership(cohort, member).signed_off_at is None

    _complete(member, cohort)
    response = client.post(f"/cohorts/{cohort.id}/members/{member.id}/sign-off")
    membership = _membership(cohort, member)
    assert membership.signed_off_at is not None
    assert membership.signed_off_by_id == trainer.id
    assert db.session.scalar(
        sa.select(AuditEvent).where(
            AuditEvent.action == "cohort.sign_off", AuditEvent.subject_user_id == member.id
        )
    )
    page = client.get(f"/cohorts/{cohort.id}/").text
    assert "Signed off" in page

    client.post(f"/cohorts/{cohort.id}/members/{member.id}/withdraw-sign-off")
    assert _membership(cohort, member).signed_off_at is None


def test_sign_off_can_require_minimum_attendance(trainer, make_cohort, add_members):
    cohort = make_cohort(trainer, min_attendance_percent=75)
    good, poor = add_members(cohort, 2)
    held_session(cohort, trainer, {good.id: "present", poor.id: "present"})
    held_session(cohort, trainer, {good.id: "present", poor.id: "apologies"})
    _complete(good, cohort)
    _complete(poor, cohort)
    assert service.sign_off_problem(cohort, good.id) is None
    assert "attended 50% of sessions" in service.sign_off_problem(cohort, poor.id)
    service.sign_off(cohort, good.id, trainer)
    with pytest.raises(service.ServiceError, match="at least 75%"):
        service.sign_off(cohort, poor.id, trainer)
    assert _membership(cohort, poor).signed_off_at is None


def test_the_sign_off_redirect_stays_on_this_site(client, login, trainer, cohort, add_members):
    (member,) = add_members(cohort, 1)
    _complete(member, cohort)
    login(client, trainer)
    response = client.post(
        f"/cohorts/{cohort.id}/members/{member.id}/sign-off",
        data={"back": "https://evil.example/"},
    )
    assert response.location.endswith(f"/cohorts/{cohort.id}/")
    response = client.post(
        f"/cohorts/{cohort.id}/members/{member.id}/withdraw-sign-off",
        data={"back": f"/cohorts/{cohort.id}/?sort=status"},
    )
    assert response.location.endswith("sort=status")


def test_removing_a_member_keeps_their_course_progress(client, login, trainer, cohort, add_members):
    (member,) = add_members(cohort, 1)
    login(client, trainer)
    client.post(f"/cohorts/{cohort.id}/members/{member.id}/remove")
    assert _membership(cohort, member) is None
    assert db.session.scalar(sa.select(Enrolment).where(Enrolment.user_id == member.id))


def test_an_announcement_is_emailed_to_each_member_and_shown(
    client, login, trainer, cohort, add_members, outbox
):
    members = add_members(cohort, 3)
    login(client, trainer)
    response = client.post(
        f"/cohorts/{cohort.id}/announcements/new",
        data={"subject": "Room change", "body": "We meet in Room 4 this week.\n\nBring a pen."},
    )
    assert response.status_code == 302
    assert len(outbox) == 3
    assert sorted(m.to[0] for m in outbox) == sorted(u.email for u in members)
    for message in outbox:
        assert len(message.to) == 1  # nobody sees the others' addresses
        assert not message.cc
        assert not message.bcc
        assert message.subject == "[Salford spring] Room change"
        assert "Room 4" in message.body
    login(client, members[0])
    page = client.get(f"/cohorts/{cohort.id}/").text
    assert "Room change" in page
    assert "Bring a pen." in page


def test_an_empty_announcement_is_refused(client, login, trainer, cohort, add_members, outbox):
    add_members(cohort, 1)
    login(client, trainer)
    response = client.post(
        f"/cohorts/{cohort.id}/announcements/new", data={"subject": "", "body": ""}
    )
    assert response.status_code == 200
    assert "Write a subject." in response.text
    assert outbox == []
