"""Who may see and change a cohort: trainers only their own, staff their academy's,
members only the member view of their own cohort, whatever ids they guess."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from academy.extensions import db
from academy.models import AuditEvent, Cohort, CohortMember, CohortSession
from academy.services import cohorts as service

MANAGER_ENDPOINTS_GET = (
    "cohorts.edit",
    "cohorts.export",
    "cohorts.invitations",
    "cohorts.import_members",
    "cohorts.sessions",
    "cohorts.announce",
    "cohorts.sign_off_members",
)


def _cohort_urls(app, cohort, session, invite, member_id):
    """Every cohorts URL that names a cohort, with real ids of *this* cohort filled in."""
    values = {
        "cohort_id": cohort.id,
        "session_id": session.id,
        "invite_id": invite.id,
        "user_id": member_id,
    }
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if not rule.endpoint.startswith("cohorts.") or "cohort_id" not in rule.arguments:
                continue
            url = rule.build({k: values[k] for k in rule.arguments}, append_unknown=False)[1]
            method = "GET" if "GET" in rule.methods else "POST"
            yield rule.endpoint, url, method


@pytest.fixture
def world(app, make_user, make_cohort, trainer):
    cohort = make_cohort(trainer)
    member = make_user(name="Mo Member")
    service.add_existing_member(cohort, member, trainer, via="csv")
    session = service.schedule_session(
        cohort,
        trainer,
        service.SessionDetails(
            title="Week 1",
            starts_at=datetime.now(UTC) + timedelta(days=2),
            ends_at=datetime.now(UTC) + timedelta(days=2, hours=2),
            venue="Hall",
            meeting_url="",
            agenda="",
        ),
    )
    invite = service.create_invite(cohort, trainer)
    db.session.commit()
    return {
        "cohort": cohort,
        "member": member,
        "session": session,
        "invite": invite,
        "other_trainer": make_user(roles=("trainer",), name="Other Trainer"),
        "staff": make_user(roles=("staff",), name="Same Academy Staff"),
        "far_staff": make_user(roles=("staff",), academy="london", name="London Staff"),
        "outsider": make_user(name="Not In It"),
        "admin": make_user(roles=("admin",)),
    }


def _state(cohort_id):
    """Everything a request could have changed about the cohort."""
    db.session.expire_all()
    cohort = db.session.get(Cohort, cohort_id)
    return (
        cohort.name,
        cohort.capacity,
        sorted(cohort.trainer_ids),
        db.session.scalars(
            sa.select(CohortMember.user_id, CohortMember.signed_off_at).where(
                CohortMember.cohort_id == cohort_id
            )
        ).all(),
        db.session.scalars(
            sa.select(CohortSession.title).where(CohortSession.cohort_id == cohort_id)
        ).all(),
    )


def test_another_trainer_gets_404_on_every_cohort_url_and_changes_nothing(
    app, world, login, trainer
):
    cohort = world["cohort"]
    client = login(app.test_client(), world["other_trainer"])
    before = _state(cohort.id)
    audit_before = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    checked = 0
    for endpoint, url, method in _cohort_urls(
        app, cohort, world["session"], world["invite"], world["member"].id
    ):
        data = {
            "name": "Hijacked",
            "capacity": "1",
            "subject": "Hi",
            "body": "x",
            "title": "Hijack",
            f"status-{world['member'].id}": "absent",
        }
        response = client.open(url, method=method, data={**data, "csrf_token": client.csrf_token()})
        assert response.status_code == 404, (endpoint, response.status_code)
        checked += 1
    assert checked >= 15
    assert _state(cohort.id) == before
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == audit_before


def test_staff_of_another_academy_and_outsiders_get_404(app, world, login):
    cohort = world["cohort"]
    for who in ("far_staff", "outsider"):
        client = login(app.test_client(), world[who])
        assert client.get(f"/cohorts/{cohort.id}/").status_code == 404, who
        assert client.get(f"/cohorts/{cohort.id}/calendar.ics").status_code == 404, who


def test_the_trainer_staff_of_the_academy_and_admins_manage_it(app, world, login, trainer):
    cohort = world["cohort"]
    for user in (trainer, world["staff"], world["admin"]):
        client = login(app.test_client(), user)
        page = client.get(f"/cohorts/{cohort.id}/")
        assert page.status_code == 200
        assert "Mo Member" in page.text  # the progress table
        for endpoint in MANAGER_ENDPOINTS_GET:
            with app.test_request_context():
                from flask import url_for

                url = url_for(endpoint, cohort_id=cohort.id)
            assert client.get(url).status_code == 200, (endpoint, user.display_name)


def test_lists_show_only_what_each_person_may_see(app, world, login, trainer, make_cohort):
    theirs = make_cohort(world["other_trainer"], name="Someone else's cohort")
    client = login(app.test_client(), trainer)
    page = client.get("/cohorts/").text
    assert "Salford spring" in page
    assert "Someone else" not in page
    staff_page = login(app.test_client(), world["staff"]).get("/cohorts/").text
    assert "Salford spring" in staff_page
    assert "Someone else" in staff_page
    far = login(app.test_client(), world["far_staff"]).get("/cohorts/").text
    assert "Salford spring" not in far
    assert theirs.can_manage(world["staff"])
    assert not theirs.can_manage(trainer)


def test_a_member_sees_the_member_view_and_403_on_trainer_pages(app, world, login, make_user):
    cohort = world["cohort"]
    classmate = make_user(name="Private Classmate")
    service.add_existing_member(cohort, classmate, world["admin"], via="csv")
    db.session.commit()
    client = login(app.test_client(), world["member"])
    page = client.get(f"/cohorts/{cohort.id}/")
    assert page.status_code == 200
    assert "Week 1" in page.text  # sessions
    assert "Private Classmate" not in page.text  # nobody else's progress
    assert "Progress" not in page.text
    for endpoint, url, method in _cohort_urls(
        app, cohort, world["session"], world["invite"], classmate.id
    ):
        response = client.open(url, method=method, data={"csrf_token": client.csrf_token()})
        if endpoint in (
            "cohorts.detail",
            "cohorts.calendar",
            "cohorts.session_ics",
            "cohorts.leave",
        ):
            assert response.status_code == 200, endpoint
        else:
            assert response.status_code == 403, (endpoint, response.status_code)


def test_ids_from_another_cohort_in_the_url_are_404(app, world, login, trainer, make_cohort):
    mine = world["cohort"]
    other = make_cohort(world["other_trainer"], name="Theirs")
    their_session = service.schedule_session(
        other,
        world["other_trainer"],
        service.SessionDetails(
            title="Their session",
            starts_at=datetime.now(UTC),
            ends_at=datetime.now(UTC) + timedelta(hours=1),
            venue="Elsewhere",
            meeting_url="",
            agenda="",
        ),
    )
    their_invite = service.create_invite(other, world["other_trainer"])
    stranger = world["outsider"]
    db.session.commit()
    client = login(app.test_client(), trainer)
    base = f"/cohorts/{mine.id}"
    assert client.get(f"{base}/sessions/{their_session.id}/attendance").status_code == 404
    assert client.get(f"{base}/sessions/{their_session.id}/edit").status_code == 404
    assert client.get(f"{base}/sessions/{their_session.id}/session.ics").status_code == 404
    assert client.post(f"{base}/invitations/{their_invite.id}/revoke").status_code == 404
    assert client.post(f"{base}/members/{stranger.id}/sign-off").status_code == 404
    db.session.refresh(their_invite)
    assert their_invite.revoked_at is None


def test_a_trainer_cannot_create_a_cohort_in_another_academy(app, login, trainer, course):
    from academy.services.academies import academy_by_slug

    london = academy_by_slug("london")
    client = login(app.test_client(), trainer)
    response = client.post(
        "/cohorts/new",
        data={
            "academy": str(london.id),
            "course": str(course.id),
            "name": "Sneaky",
            "mode": "online",
            "meeting_url": "https://meet.example.org/x",
            "starts_on": "2027-01-10",
            "ends_on": "2027-03-10",
            "capacity": "20",
            "inactive_after_days": "14",
        },
    )
    assert response.status_code == 200
    assert "Not a valid choice" in response.text
    assert db.session.scalar(sa.select(Cohort).where(Cohort.name == "Sneaky")) is None


def test_a_member_without_a_role_cannot_create_cohorts(app, login, make_user):
    client = login(app.test_client(), make_user())
    assert client.get("/cohorts/new").status_code == 403
    assert client.get("/cohorts/").status_code == 200


def test_sql_filters_agree_with_the_object_rules(world, trainer):
    cohort = world["cohort"]
    people = [trainer, *(world[k] for k in ("member", "other_trainer", "staff", "far_staff"))]
    people += [world["outsider"], world["admin"]]
    for person in people:
        managed = db.session.scalars(sa.select(Cohort.id).where(Cohort.managed_by(person))).all()
        visible = db.session.scalars(sa.select(Cohort.id).where(Cohort.visible_to(person))).all()
        assert (cohort.id in managed) == cohort.can_manage(person), person.display_name
        assert (cohort.id in visible) == cohort.can_view(person), person.display_name
    assert cohort.can_view(world["member"])
    assert not cohort.can_manage(world["member"])
    assert not cohort.can_view(world["outsider"])
