"""Joining with a code or a link: sign-in first, capacity, expiry, withdrawal, enrolment."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from academy.extensions import db
from academy.models import CohortMember, Enrolment
from academy.services import cohorts as service
from academy.timeutil import utcnow


@pytest.fixture
def invite(cohort, trainer):
    invite = service.create_invite(cohort, trainer)
    db.session.commit()
    return invite


def _members(cohort):
    return set(
        db.session.scalars(
            sa.select(CohortMember.user_id).where(CohortMember.cohort_id == cohort.id)
        )
    )


def test_codes_are_short_unambiguous_and_unguessable_links_are_long(cohort, trainer):
    codes = {service.create_invite(cohort, trainer).code for _ in range(20)}
    assert len(codes) == 20
    for code in codes:
        assert len(code) == 8
        assert set(code) <= set(service.CODE_ALPHABET)
        assert not set(code) & set("0O1I")
    invite = service.create_invite(cohort, trainer)
    assert len(invite.token) >= 32


def test_anonymous_visitor_is_sent_to_sign_in_and_back(client, invite):
    response = client.get(f"/join/{invite.token}")
    assert response.status_code == 302
    assert "/login?next=" in response.location
    assert invite.token in response.location


def test_member_joins_with_a_code_typed_in_lower_case_with_a_hyphen(
    app, client, login, make_user, invite, cohort
):
    member = make_user(name="Jo Joiner")
    login(client, member)
    typed = service.format_code(invite.code).lower()
    response = client.post("/join", data={"code": f" {typed} "})
    assert response.status_code == 302
    assert response.location.endswith(f"/join/{invite.code}")
    page = client.get(response.location)
    assert page.status_code == 200
    assert "Join this cohort" in page.text
    assert member.id not in _members(cohort)  # looking is not joining
    joined = client.post(response.location)
    assert joined.status_code == 302
    assert joined.location.endswith(f"/cohorts/{cohort.id}/")
    assert member.id in _members(cohort)
    enrolment = db.session.scalar(
        sa.select(Enrolment).where(
            Enrolment.user_id == member.id, Enrolment.course_id == cohort.course_id
        )
    )
    assert enrolment is not None
    assert enrolment.left_at is None
    db.session.refresh(invite)
    assert invite.uses == 1


def test_member_joins_with_the_link(client, login, make_user, invite, cohort):
    member = make_user()
    login(client, member)
    assert client.post(f"/join/{invite.token}").status_code == 302
    assert member.id in _members(cohort)
    # Following the link again just goes to the cohort.
    again = client.get(f"/join/{invite.token}")
    assert again.status_code == 302
    assert again.location.endswith(f"/cohorts/{cohort.id}/")


def test_a_wrong_code_gets_a_clear_message(client, login, make_user):
    login(client, make_user())
    response = client.post("/join", data={"code": "ZZZZ-ZZZZ"})
    assert response.status_code == 200
    assert "That join code is not right" in response.text
    assert client.get("/join/not-a-real-token-at-all").status_code == 404


def test_expired_invitation_is_refused(client, login, make_user, invite, cohort):
    invite.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    member = make_user()
    login(client, member)
    page = client.get(f"/join/{invite.code}")
    assert page.status_code == 409
    assert "expired" in page.text
    assert "Join this cohort" not in page.text
    response = client.post(f"/join/{invite.code}")
    assert response.status_code == 409
    assert member.id not in _members(cohort)


def test_withdrawn_invitation_is_refused(app, client, login, make_user, invite, cohort, trainer):
    trainer_client = login(app.test_client(), trainer)
    response = trainer_client.post(f"/cohorts/{cohort.id}/invitations/{invite.id}/revoke")
    assert response.status_code == 302
    member = make_user()
    login(client, member)
    response = client.post(f"/join/{invite.token}")
    assert response.status_code == 409
    assert "withdrawn" in response.text
    assert member.id not in _members(cohort)


def test_capacity_is_enforced(client, login, make_user, make_cohort, trainer):
    small = make_cohort(trainer, capacity=2)
    invite = service.create_invite(small, trainer)
    db.session.commit()
    people = [make_user() for _ in range(3)]
    for person in people[:2]:
        login(client, person)
        assert client.post(f"/join/{invite.code}").status_code == 302
    login(client, people[2])
    page = client.get(f"/join/{invite.code}")
    assert "this cohort is full" in page.text
    response = client.post(f"/join/{invite.code}")
    assert response.status_code == 409
    assert "this cohort is full" in response.text
    assert _members(small) == {people[0].id, people[1].id}


def test_capacity_cannot_be_lowered_below_the_members(cohort, trainer, add_members):
    add_members(cohort, 3)
    details = service.CohortDetails(
        name=cohort.name,
        mode=cohort.mode,
        venue=cohort.venue,
        meeting_url=cohort.meeting_url,
        starts_on=cohort.starts_on,
        ends_on=cohort.ends_on,
        capacity=2,
        min_attendance_percent=None,
        inactive_after_days=14,
    )
    with pytest.raises(service.ServiceError, match="already has 3 members"):
        service.update_cohort(trainer, cohort, details, [])


def test_personal_invitation_works_once(client, login, make_user, cohort, trainer):
    invite, _message = service.invite_by_email(cohort, "new@example.org", trainer)
    db.session.commit()
    first, second = make_user(), make_user()
    login(client, first)
    assert client.post(f"/join/{invite.token}").status_code == 302
    login(client, second)
    response = client.post(f"/join/{invite.token}")
    assert response.status_code == 409
    assert "already been used" in response.text
    assert _members(cohort) == {first.id}


def test_a_personal_invitation_is_not_a_join_code(client, login, make_user, cohort, trainer):
    invite, _message = service.invite_by_email(cohort, "new@example.org", trainer)
    db.session.commit()
    assert invite.code is None
    member = make_user()
    login(client, member)
    response = client.post("/join", data={"code": invite.token})
    assert response.status_code == 200  # the form again, with a message
    assert 'aria-invalid="true"' in response.text
    assert member.id not in _members(cohort)


def test_a_finished_cohort_cannot_be_joined(client, login, make_user, make_cohort, trainer):
    from datetime import date

    old = make_cohort(
        trainer,
        starts_on=date.today() - timedelta(days=90),
        ends_on=date.today() - timedelta(days=1),
    )
    invite = service.create_invite(old, trainer)
    db.session.commit()
    member = make_user()
    login(client, member)
    page = client.get(f"/join/{invite.code}")
    assert page.status_code == 409
    assert "This cohort has finished" in page.text
    assert client.post(f"/join/{invite.code}").status_code == 409
    assert member.id not in _members(old)


def test_a_member_can_leave_a_cohort_and_keeps_their_course(
    app, client, login, make_user, invite, cohort, trainer
):
    member = make_user()
    login(client, member)
    client.post(f"/join/{invite.code}")
    assert client.get(f"/cohorts/{cohort.id}/leave").status_code == 200
    response = client.post(f"/cohorts/{cohort.id}/leave")
    assert response.status_code == 302
    assert member.id not in _members(cohort)
    assert db.session.scalar(sa.select(Enrolment).where(Enrolment.user_id == member.id))
    assert client.get(f"/cohorts/{cohort.id}/").status_code == 404
    # A trainer is not a member, so has nothing to leave.
    trainer_client = login(app.test_client(), trainer)
    assert trainer_client.get(f"/cohorts/{cohort.id}/leave").status_code == 404


def test_a_member_finds_the_join_code_entry_from_their_dashboard(
    client, login, make_user, invite, cohort
):
    """Nobody has to know to type /join: the dashboard links to it, and the link works."""
    import re

    member = make_user(name="Dee Dashboard")
    login(client, member)
    dashboard = client.get("/dashboard")
    assert dashboard.status_code == 200
    links = re.findall(r'<a [^>]*href="([^"]+)"[^>]*>Enter a join code</a>', dashboard.text)
    assert links == ["/join"]
    form = client.get(links[0])
    assert form.status_code == 200
    assert "Join code" in form.text
    response = client.post(links[0], data={"code": service.format_code(invite.code)})
    assert response.status_code == 302
    assert client.post(response.location).status_code == 302
    assert member.id in _members(cohort)
