"""Signing off many members at once: everyone ready is listed and ticked, the ticked
ones are signed off together, and a choice with anyone who cannot be signed off
changes nothing and says who and why."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from academy.extensions import db
from academy.models import AuditEvent, Cohort, CohortMember, Enrolment, User
from academy.services import cohorts as service
from academy.services.cohorts import signing_off as cohort_sign_off
from academy.timeutil import utcnow

from .conftest import held_session


def _complete(cohort, *users):
    db.session.execute(
        sa.update(Enrolment)
        .where(
            Enrolment.course_id == cohort.course_id,
            Enrolment.user_id.in_([user.id for user in users]),
        )
        .values(completed_at=utcnow())
    )
    db.session.commit()


def _signed_off(cohort) -> dict[int, int | None]:
    """Member id -> who signed them off, for everyone signed off."""
    db.session.expire_all()
    return dict(
        db.session.execute(
            sa.select(CohortMember.user_id, CohortMember.signed_off_by_id).where(
                CohortMember.cohort_id == cohort.id, CohortMember.signed_off_at.is_not(None)
            )
        ).all()
    )


def _sign_off_audits() -> list[tuple[int, int]]:
    return db.session.execute(
        sa.select(AuditEvent.subject_user_id, AuditEvent.actor_id)
        .where(AuditEvent.action == "cohort.sign_off")
        .order_by(AuditEvent.subject_user_id)
    ).all()


def _ticked(page: str) -> set[int]:
    return {
        int(value)
        for value, rest in re.findall(r'name="members" value="(\d+)"([^>]*)>', page)
        if "checked" in rest
    }


@pytest.fixture
def strict_cohort(make_cohort, trainer):
    return make_cohort(trainer, min_attendance_percent=75)


def test_the_page_lists_who_is_ready_ticked_and_who_is_not_yet_and_why(
    client, login, trainer, strict_cohort, add_members
):
    ready, short, studying, done = add_members(strict_cohort, 4)
    held_session(
        strict_cohort, trainer, {ready.id: "present", short.id: "absent", done.id: "present"}
    )
    _complete(strict_cohort, ready, short, done)
    service.sign_off(strict_cohort, done.id, trainer)
    db.session.commit()
    login(client, trainer)

    page = client.get(f"/cohorts/{strict_cohort.id}/sign-off").text

    assert "1 member ready to be signed off" in page
    assert _ticked(page) == {ready.id}
    assert "Attendance 0%, below the 75% needed" in page
    assert short.display_name in page
    assert studying.display_name not in page  # still studying
    assert done.display_name not in page  # signed off already
    assert (
        f'href="/cohorts/{strict_cohort.id}/sign-off"'
        in client.get(f"/cohorts/{strict_cohort.id}/").text
    )


def test_the_ticked_members_are_signed_off_together_and_each_is_audited(
    client, login, trainer, cohort, add_members
):
    members = add_members(cohort, 4)
    _complete(cohort, *members)
    left_out = members[3]
    login(client, trainer)

    response = client.post(
        f"/cohorts/{cohort.id}/sign-off", data={"members": [m.id for m in members[:3]]}
    )

    assert response.status_code == 302
    assert response.location.endswith(f"/cohorts/{cohort.id}/?sort=status")
    assert "3 members signed off." in client.get(response.location).text
    assert _signed_off(cohort) == {m.id: trainer.id for m in members[:3]}
    assert _sign_off_audits() == sorted((m.id, trainer.id) for m in members[:3])
    # The one left unticked is still waiting, and still listed.
    assert _ticked(client.get(f"/cohorts/{cohort.id}/sign-off").text) == {left_out.id}


@pytest.mark.parametrize("why", ["not complete", "attendance", "not in the cohort"])
def test_a_choice_with_anyone_who_cannot_be_signed_off_changes_nothing(
    client, login, trainer, strict_cohort, add_members, make_cohort, why
):
    good, bad = add_members(strict_cohort, 2)
    stranger = add_members(make_cohort(trainer, name="Another cohort"), 1, prefix="Stranger")[0]
    held_session(strict_cohort, trainer, {good.id: "present", bad.id: "present"})
    _complete(strict_cohort, good, bad, stranger)
    expected = {
        "not complete": (bad, f"{bad.display_name}: Course not complete yet"),
        "attendance": (bad, f"{bad.display_name}: Attendance 50%, below the 75% needed"),
        "not in the cohort": (stranger, f"Member {stranger.id}: Not in this cohort"),
    }
    chosen, message = expected[why]
    if why == "not complete":
        db.session.execute(
            sa.update(Enrolment).where(Enrolment.user_id == bad.id).values(completed_at=None)
        )
        db.session.commit()
    if why == "attendance":
        held_session(strict_cohort, trainer, {good.id: "present", bad.id: "absent"})
    login(client, trainer)

    response = client.post(
        f"/cohorts/{strict_cohort.id}/sign-off", data={"members": [good.id, chosen.id]}
    )

    assert response.status_code == 400
    assert "Nobody was signed off: 1 of the members you chose cannot be signed off yet." in (
        response.text
    )
    assert message in response.text
    assert stranger.display_name not in response.text  # nobody else's member is named
    assert _signed_off(strict_cohort) == {}
    assert _sign_off_audits() == []
    # What the trainer ticked stays ticked, to untick the one who cannot be signed off.
    assert good.id in _ticked(response.text)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Choose at least one member to sign off."),
        ({"members": ["abc"]}, "Choose at least one member to sign off."),
    ],
)
def test_an_empty_or_malformed_choice_gets_a_clear_message(
    client, login, trainer, cohort, add_members, data, message
):
    members = add_members(cohort, 2)
    _complete(cohort, *members)
    login(client, trainer)
    response = client.post(f"/cohorts/{cohort.id}/sign-off", data=data)
    assert response.status_code == 400
    assert message in response.text
    assert _signed_off(cohort) == {}


def test_members_signed_off_meanwhile_are_left_as_they_are(
    client, login, trainer, make_user, cohort, add_members
):
    co_trainer = make_user(roles=("trainer",), name="Cora Co-trainer")
    first, second = add_members(cohort, 2)
    _complete(cohort, first, second)
    service.sign_off(cohort, first.id, co_trainer)  # after the page was shown
    db.session.commit()
    login(client, trainer)

    response = client.post(
        f"/cohorts/{cohort.id}/sign-off", data={"members": [first.id, second.id]}
    )

    assert "1 member signed off." in client.get(response.location).text
    assert _signed_off(cohort) == {first.id: co_trainer.id, second.id: trainer.id}
    assert [subject for subject, _ in _sign_off_audits()] == sorted([first.id, second.id])


def test_the_cohort_figures_show_the_sign_offs_at_once(client, login, trainer, cohort, add_members):
    members = add_members(cohort, 3)
    _complete(cohort, *members)
    login(client, trainer)
    figures = re.compile(r"<dt>Signed off</dt><dd>(\d+)</dd>")
    assert figures.search(client.get(f"/cohorts/{cohort.id}/").text)[1] == "0"  # now kept

    client.post(f"/cohorts/{cohort.id}/sign-off", data={"members": [m.id for m in members]})

    assert figures.search(client.get(f"/cohorts/{cohort.id}/").text)[1] == "3"


def test_others_cannot_sign_off_members_of_a_cohort_they_do_not_run(
    app, login, trainer, make_user, cohort, add_members
):
    members = add_members(cohort, 2)
    _complete(cohort, *members)
    outsiders = {
        make_user(roles=("trainer",), name="Other Trainer"): 404,
        make_user(roles=("staff",), academy="london", name="London Staff"): 404,
        members[0]: 403,  # a member of the cohort
    }
    for person, status in outsiders.items():
        client = login(app.test_client(), person)
        assert client.get(f"/cohorts/{cohort.id}/sign-off").status_code == status
        response = client.post(
            f"/cohorts/{cohort.id}/sign-off", data={"members": [m.id for m in members]}
        )
        assert response.status_code == status, person.display_name
    assert _signed_off(cohort) == {}
    assert _sign_off_audits() == []
    # Staff of the cohort's academy may.
    staff = login(app.test_client(), make_user(roles=("staff",), name="North West Staff"))
    staff.post(f"/cohorts/{cohort.id}/sign-off", data={"members": [members[0].id]})
    assert list(_signed_off(cohort)) == [members[0].id]


def test_listing_and_signing_off_take_the_same_queries_for_5_or_300_members(
    trainer, make_cohort, add_members, count_queries
):
    counts = {}
    trainer_id = trainer.id
    for n in (5, 300):
        trainer = db.session.get(User, trainer_id)
        cohort = make_cohort(trainer, name=f"Cohort of {n}", capacity=n, min_attendance_percent=50)
        members = add_members(cohort, n)
        held_session(cohort, trainer, {m.id: "present" for m in members})
        _complete(cohort, *members)
        # As a fresh request would start: nothing loaded but the cohort and the trainer.
        cohort_id = cohort.id
        db.session.expunge_all()
        cohort, actor = db.session.get(Cohort, cohort_id), db.session.get(User, trainer_id)
        with count_queries() as listing:
            waiting = cohort_sign_off.waiting(cohort)
        with count_queries() as signing:
            signed = cohort_sign_off.sign_off_members(
                cohort, [person.user_id for person in waiting], actor
            )
            db.session.commit()
        assert signed == n
        counts[n] = (len(listing), len(signing))
    assert counts[5] == counts[300]
