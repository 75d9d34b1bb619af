"""Promoting graduates of Train the trainer to trainers, declining and demoting,
the lineage kept, and the audit log staff can read but not change."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from academy.extensions import db
from academy.models import AuditEvent, Role
from academy.models.audit import AppendOnlyError
from academy.models.certificates import TrainerLineage, TrainerPromotion
from academy.services import ServiceError, promotion
from academy.services import certificates as service
from academy.services.academies import academy_by_slug
from tests.guides.conftest import add_session, observe

from .conftest import complete, course, make_cohort

# The test curriculum has no Train the trainer course: Leading campaigns stands in.
TTT = "leading-campaigns"


@pytest.fixture
def app_config(app_config):
    return {**app_config, "ACADEMY_TRAINER_COURSE": TTT}


@pytest.fixture
def graduate(make_user, staff):
    """A member trained in a cohort by two trainers, holding the TtT certificate."""
    first = make_user(roles=("trainer",), name="Ada Trainer")
    second = make_user(roles=("trainer",), name="Bo Trainer")
    member = make_user(name="Gina Graduate")
    complete(member, TTT)
    cohort = make_cohort(TTT, trainers=[first, second], members=[member], name="TtT autumn")
    service.issue(member, course(TTT), actor=staff, cohort=cohort)
    db.session.commit()
    member.cohort = cohort
    member.trainers = (first, second)
    member.observation = observe(cohort, member, add_session(cohort), second)
    return member


def north_west():
    return academy_by_slug("north-west")


def test_staff_promote_a_graduate_who_is_told_and_whose_lineage_is_kept(
    client, login, staff, graduate, outbox
):
    login(client, staff)
    page = client.get("/staff/promotions").get_data(as_text=True)
    assert "Gina Graduate" in page

    response = client.post(
        "/staff/promotions/promote",
        data={"user_id": graduate.id, "academy_id": north_west().id, "note": "Ready."},
    )

    assert response.status_code == 302
    db.session.refresh(graduate)
    assert graduate.has_role(Role.TRAINER)
    assert north_west().id in graduate.academy_ids(Role.TRAINER)
    links = db.session.scalars(
        sa.select(TrainerLineage).where(TrainerLineage.trainee_id == graduate.id)
    ).all()
    assert {link.trainer_id for link in links} == {t.id for t in graduate.trainers}
    assert {link.cohort_id for link in links} == {graduate.cohort.id}
    assert outbox[-1].to == [graduate.email]
    assert "You are now a trainer" in outbox[-1].subject
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "trainer.promote"))
    assert (event.actor_id, event.subject_user_id) == (staff.id, graduate.id)

    # The trainers page shows who trained them and where; the lineage nests them.
    page = client.get("/staff/promotions").get_data(as_text=True)
    assert "Ada Trainer, Bo Trainer, in TtT autumn" in page
    # ... and who observed their practice.
    row = db.session.scalar(sa.select(TrainerPromotion))
    assert row.observation_id == graduate.observation.id
    assert "<td>Bo Trainer</td>" in page
    tree = promotion.lineage(north_west())
    parents = {
        node.user.display_name: [c.user.display_name for c in node.children] for node in tree
    }
    assert parents["Ada Trainer"] == ["Gina Graduate"]
    assert parents["Bo Trainer"] == ["Gina Graduate"]
    assert "Gina Graduate" in client.get("/staff/lineage").get_data(as_text=True)


def test_promotion_requires_the_train_the_trainer_certificate(client, login, staff, make_user):
    member = make_user(name="No Certificate")
    complete(member, TTT)  # completed, but never certified
    other = make_user(name="Other Course")
    complete(other)
    service.issue(other, course("organising-basics"), actor=staff, academy=north_west())
    db.session.commit()
    login(client, staff)

    for person in (member, other):
        client.post(
            "/staff/promotions/promote", data={"user_id": person.id, "academy_id": north_west().id}
        )
        db.session.refresh(person)
        assert not person.has_role(Role.TRAINER)
    assert db.session.scalar(sa.select(sa.func.count(TrainerPromotion.id))) == 0


def test_promotion_is_refused_without_a_passed_observation_and_allowed_after(
    client, login, staff, make_user
):
    trainer = make_user(roles=("trainer",), name="Ada Trainer")
    member = make_user(name="Una Observed")
    complete(member, TTT)
    cohort = make_cohort(TTT, trainers=[trainer], members=[member], name="TtT winter")
    service.issue(member, course(TTT), actor=staff, cohort=cohort)
    db.session.commit()
    login(client, staff)

    def try_promote():
        return client.post(
            "/staff/promotions/promote",
            data={"user_id": member.id, "academy_id": north_west().id},
            follow_redirects=True,
        ).get_data(as_text=True)

    page = try_promote()
    assert "Una Observed has not passed an observed practice session" in page
    assert "Not observed yet" in page
    db.session.refresh(member)
    assert not member.has_role(Role.TRAINER)

    first = add_session(cohort, days_ago=7)
    observe(
        cohort,
        member,
        first,
        trainer,
        {"planning": "not-yet", "feedback": "secure"},
        outcome="needs-practice",
    )
    page = try_promote()
    assert "has not passed an observed practice session" in page
    assert "Observed practice: needs more practice" in page
    assert db.session.scalar(sa.select(sa.func.count(TrainerPromotion.id))) == 0

    passed = observe(cohort, member, add_session(cohort), trainer)
    assert "Observed practice passed" in client.get("/staff/promotions").get_data(as_text=True)
    try_promote()
    db.session.refresh(member)
    assert member.has_role(Role.TRAINER)
    row = db.session.scalar(sa.select(TrainerPromotion))
    assert row.observation_id == passed.id
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "trainer.promote"))
    assert event.details["observed_by"] == trainer.id


def test_a_revoked_or_expired_certificate_is_not_enough(staff, graduate):
    certificate = promotion.trainer_certificate(graduate)
    certificate.expires_on = certificate.issued_on.replace(year=certificate.issued_on.year - 1)
    with pytest.raises(ServiceError, match="does not hold a valid"):
        promotion.promote(graduate, north_west(), actor=staff)
    certificate.expires_on = None
    service.revoke(certificate, actor=staff, reason="Withdrawn")
    with pytest.raises(ServiceError, match="does not hold a valid"):
        promotion.promote(graduate, north_west(), actor=staff)


def test_promotion_requires_a_staff_role_in_that_academy(client, login, graduate, make_user):
    for roles in ((), ("trainer",)):
        login(client, make_user(roles=roles))
        response = client.post(
            "/staff/promotions/promote",
            data={"user_id": graduate.id, "academy_id": north_west().id},
        )
        assert response.status_code == 403
    login(client, make_user(roles=("staff",), academy="london"))
    response = client.post(
        "/staff/promotions/promote", data={"user_id": graduate.id, "academy_id": north_west().id}
    )
    assert response.status_code == 404
    assert "Gina Graduate" not in client.get("/staff/promotions").get_data(as_text=True)
    db.session.refresh(graduate)
    assert not graduate.has_role(Role.TRAINER)


def test_decline_needs_a_note_and_is_shown_to_staff(client, login, staff, graduate, outbox):
    login(client, staff)

    client.post(
        "/staff/promotions/decline",
        data={"user_id": graduate.id, "academy_id": north_west().id, "note": ""},
    )
    assert db.session.scalar(sa.select(sa.func.count(TrainerPromotion.id))) == 0

    client.post(
        "/staff/promotions/decline",
        data={
            "user_id": graduate.id,
            "academy_id": north_west().id,
            "note": "Needs more co-training first.",
        },
    )

    decision = db.session.scalar(sa.select(TrainerPromotion))
    assert (decision.decision, decision.note) == ("declined", "Needs more co-training first.")
    db.session.refresh(graduate)
    assert not graduate.has_role(Role.TRAINER)
    page = client.get("/staff/promotions").get_data(as_text=True)
    assert "Needs more co-training first." in page
    assert outbox[-1].to == [graduate.email]
    assert "co-training" not in outbox[-1].body  # the note is for the staff


def test_demotion_takes_effect_at_once(client, login, staff, graduate, app):
    promotion.promote(graduate, north_west(), actor=staff)
    db.session.commit()
    trainer_client = app.test_client()
    login(trainer_client, graduate)
    version = graduate.session_version
    login(client, staff)

    client.post(
        "/staff/trainers/demote", data={"user_id": graduate.id, "academy_id": north_west().id}
    )

    db.session.refresh(graduate)
    assert not graduate.has_role(Role.TRAINER)
    assert graduate.session_version != version  # every session of theirs has ended
    assert trainer_client.get("/certificates/").status_code == 302  # signed out
    row = db.session.scalar(sa.select(TrainerPromotion))
    assert row.demoted_at is not None
    assert row.demoted_by_id == staff.id
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "trainer.demote"))
    # Back among the candidates, who could be promoted again.
    assert "Gina Graduate" in client.get("/staff/promotions").get_data(as_text=True)


# The audit log ----------------------------------------------------------------------------


def test_the_audit_log_lists_each_action_for_the_academys_staff_only(
    client, login, staff, graduate, make_user
):
    promotion.promote(graduate, north_west(), actor=staff)
    promotion.demote(graduate, north_west(), actor=staff)
    db.session.commit()
    login(client, staff)

    page = client.get("/staff/audit").get_data(as_text=True)

    for words in ("Certificate issued", "Promoted to trainer", "Trainer role ended"):
        assert words in page
    assert "Maria Kowalczyk" in page
    assert "Gina Graduate" in page

    login(client, make_user(roles=("staff",), academy="london"))
    assert "Gina Graduate" not in client.get("/staff/audit").get_data(as_text=True)
    login(client, make_user(roles=("admin",)))
    assert "Gina Graduate" in client.get("/staff/audit").get_data(as_text=True)
    login(client, make_user(roles=("trainer",)))
    assert client.get("/staff/audit").status_code == 403


def test_audit_events_cannot_be_changed_or_deleted(staff, graduate):
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "certificate.issue"))
    event.target = "OA-0000-000000"
    with pytest.raises(AppendOnlyError):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(AuditEvent, event.id))
    with pytest.raises(AppendOnlyError):
        db.session.flush()


def test_the_audit_page_costs_the_same_however_long_the_log(
    client, login, staff, make_user, count_queries
):
    login(client, staff)

    def issue_some(n):
        for i in range(n):
            person = make_user(name=f"Audited {i}")
            complete(person)
            service.issue(person, course("organising-basics"), actor=staff, academy=north_west())
        db.session.commit()

    issue_some(1)
    with count_queries() as few:
        client.get("/staff/audit")
    issue_some(5)
    with count_queries() as many:
        client.get("/staff/audit")
    assert len(many) == len(few)


def test_the_promotions_and_lineage_pages_cost_the_same_however_many_trainers(
    client, login, staff, make_user, count_queries
):
    login(client, staff)
    trainer = make_user(roles=("trainer",), name="Root Trainer")

    def graduates(n, name):
        people = [make_user(name=f"{name} {i}") for i in range(n)]
        for person in people:
            complete(person, TTT)
        cohort = make_cohort(TTT, trainers=[trainer], members=people, name=name)
        for person in people:
            service.issue(person, course(TTT), actor=staff, cohort=cohort)
        db.session.commit()
        # Half promoted (trainers, with lineage), half waiting (candidates).
        session = add_session(cohort)
        for person in people[: n // 2]:
            observe(cohort, person, session, trainer)
            promotion.promote(person, north_west(), actor=staff)
        db.session.commit()

    graduates(2, "Few")
    with count_queries() as few:
        client.get("/staff/promotions")
        client.get("/staff/lineage")
    graduates(8, "Many")
    with count_queries() as many:
        page = client.get("/staff/promotions").get_data(as_text=True)
        client.get("/staff/lineage")

    assert "Many 7" in page
    assert len(many) == len(few)


def test_graduates_and_trainers_come_a_page_at_a_time(client, login, staff, make_user, monkeypatch):
    """At full membership tens of thousands of graduates wait: the page shows them
    oldest first, a page at a time, and pages the trainers on their own."""
    from academy.staff import routes as staff_routes

    monkeypatch.setattr(staff_routes, "PAGE_SIZE", 2)
    for n in range(3):
        member = make_user(name=f"Graduate {n}")
        complete(member, TTT)
        service.issue(member, course(TTT), actor=staff, academy=north_west())
        db.session.commit()
    for n in range(3):
        make_user(roles=("trainer",), name=f"Trainer {n}")
    login(client, staff)

    first = client.get("/staff/promotions").get_data(as_text=True)
    second = client.get("/staff/promotions?page=2&trainers=2").get_data(as_text=True)

    assert "3 graduates are waiting for a decision" in first
    assert "Graduate 0" in first
    assert "Graduate 1" in first
    assert "Graduate 2" not in first
    assert "Graduate 2" in second
    assert "Graduate 0" not in second
    assert "More graduates" in first
    assert "Previous graduates" in second
    assert "Trainer 0" in first
    assert "Trainer 2" not in first
    assert "Trainer 2" in second
    assert "Trainer 0" not in second
    # Each list's pager keeps the other's place.
    assert "/staff/promotions?page=2&amp;trainers=2#trainers" not in first
    assert "/staff/promotions?trainers=2#trainers" in first
    assert "/staff/promotions?trainers=2#graduates" in second
