"""The staff home page counts who is waiting without listing them, up to a cap, in
one statement whatever the numbers; the counts agree with the lists they stand for."""

from __future__ import annotations

import datetime as dt

import pytest

from academy.extensions import cache, db
from academy.models import CohortMember, Enrolment
from academy.models.certificates import BatchStatus, CertificateBatch
from academy.services import accounts, promotion, staff_counts
from academy.services import certificates as service
from academy.services.academies import academy_by_slug
from academy.timeutil import utcnow
from tests.certificates.conftest import complete, course, make_cohort
from tests.guides.conftest import add_session, observe

TTT = "leading-campaigns"  # stands in for Train the trainer, as in test_promotion


@pytest.fixture
def app_config(app_config):
    return {**app_config, "ACADEMY_TRAINER_COURSE": TTT}


def counts_agree_with_lists(actor) -> tuple[int, int]:
    """Every cap from 1 to past the end gives min(cap, the length of the list)."""
    waiting = len(service.eligible_members(actor))
    graduates = len(promotion.candidates(actor))
    for cap in range(1, max(waiting, graduates) + 3):
        assert service.count_eligible(actor, cap=cap) == min(cap, waiting), cap
        assert promotion.count_candidates(actor, cap=cap) == min(cap, graduates), cap
    return waiting, graduates


def test_waiting_members_are_counted_up_to_the_cap(app, staff, make_user, count_queries):
    for n in range(3):
        complete(make_user(name=f"Finished {n}"))
    listed = len(service.eligible_members(staff))
    assert listed >= 3
    assert service.count_eligible(staff, cap=100) == listed
    assert service.count_eligible(staff, cap=2) == 2
    # One query whatever the number waiting.
    with count_queries() as queries:
        service.count_eligible(staff, cap=100)
    assert len(queries) == 1


def test_the_counts_follow_every_rule_of_the_lists(app, staff, make_user):
    """Cohort members (signed off or not, in one or two cohorts, here or in another
    academy), self-study completions, certificates held, revoked or missing, closed
    accounts and courses that are not accredited: each counted as the list lists it."""
    trainer = make_user(roles=("trainer",), name="Tom Trainer")
    signed = [make_user(name=f"Signed {n}") for n in range(3)]
    twice = make_user(name="Signed Off Twice")
    not_signed = make_user(name="Not Signed Off")
    elsewhere = make_user(name="London Member")
    alone = [make_user(name=f"Self Study {n}") for n in range(2)]
    closed = make_user(name="Closed Account")
    certified = make_user(name="Already Certified")
    revoked = make_user(name="Revoked Holder")
    for person in [*signed, twice, not_signed, elsewhere, *alone, closed, certified, revoked]:
        complete(person)
    make_cohort(trainers=[trainer], members=[*signed, twice, closed], name="Salford")
    make_cohort(trainers=[trainer], members=[twice], name="Bolton")
    make_cohort(trainers=[trainer], members=[not_signed], signed_off=False, name="Wigan")
    make_cohort(academy="london", members=[elsewhere], name="Hackney")
    accounts.disable(closed)
    north_west = academy_by_slug("north-west")
    service.issue(certified, course("organising-basics"), actor=staff, academy=north_west)
    held = service.issue(revoked, course("organising-basics"), actor=staff, academy=north_west)
    service.revoke(held, actor=staff, reason="Issued in error.")
    db.session.commit()

    waiting, _ = counts_agree_with_lists(staff)
    # Salford's three, the member signed off twice (once), the two self-study
    # completions and the holder whose certificate was revoked.
    assert waiting == 7
    admin = make_user(roles=("admin",), name="Ada Admin")
    assert counts_agree_with_lists(admin)[0] == 8  # and London's member

    course("organising-basics").accredited = False
    db.session.commit()
    assert counts_agree_with_lists(staff) == (0, 0)


def test_graduates_waiting_for_a_decision_are_counted_like_the_list(app, staff, make_user):
    trainer = make_user(roles=("trainer",), name="Tom Trainer")
    people = [make_user(name=f"Graduate {n}") for n in range(4)]
    for person in people:
        complete(person, TTT)
    cohort = make_cohort(TTT, trainers=[trainer], members=people, name="TtT")
    for person in people:
        service.issue(person, course(TTT), actor=staff, cohort=cohort)
    db.session.commit()
    observe(cohort, people[0], add_session(cohort), trainer)
    promotion.promote(people[0], academy_by_slug("north-west"), actor=staff)
    people[1].disabled_at = utcnow()
    expired = service.current_certificate(people[2].id, course(TTT).id)
    expired.expires_on = utcnow().date() - dt.timedelta(days=1)
    db.session.commit()

    assert counts_agree_with_lists(staff) == (0, 1)  # only Graduate 3
    london = make_user(roles=("staff",), academy="london", name="London Staff")
    assert counts_agree_with_lists(london)[1] == 0


def test_without_the_trainer_course_nobody_waits_for_a_decision(app, staff):
    app.config["ACADEMY_TRAINER_COURSE"] = "no-such-course"
    assert promotion.count_candidates(staff, cap=100) == 0
    assert promotion.candidates(staff) == []


def test_the_home_page_says_how_many_are_waiting(client, login, staff, make_user):
    for n in range(2):
        complete(make_user(name=f"Waiting {n}"))
    login(client, staff)
    page = client.get("/staff/").get_data(as_text=True)
    assert "2 members are waiting for a certificate" in page
    assert "0 graduates of Train the trainer are waiting for a decision" in page


def test_past_the_cap_the_home_page_says_or_more(client, login, staff, make_user, monkeypatch):
    monkeypatch.setattr(staff_counts, "COUNT_CAP", 3)
    trainer = make_user(roles=("trainer",), name="Tom Trainer")
    in_cohort = [make_user(name=f"Cohort {n}") for n in range(2)]
    for person in [*in_cohort, *(make_user(name=f"Alone {n}") for n in range(2))]:
        complete(person)
    make_cohort(trainers=[trainer], members=in_cohort)
    login(client, staff)

    page = client.get("/staff/").get_data(as_text=True)

    # Two in a cohort and two studying alone: four, shown as "3 or more".
    assert "3 or more members are waiting for a certificate" in page


def test_the_home_page_costs_the_same_however_many_wait(
    client, login, staff, make_user, count_queries
):
    """One statement for both counts and one for the recent batches, nothing more."""
    login(client, staff)
    trainer = make_user(roles=("trainer",), name="Tom Trainer")

    def more(n, name):
        people = [make_user(name=f"{name} {i}") for i in range(n)]
        for person in people:
            complete(person)
            complete(person, TTT)
        cohort = make_cohort(trainers=[trainer], members=people[: n // 2], name=name)
        ttt = make_cohort(TTT, trainers=[trainer], members=people, name=f"{name} TtT")
        for person in people:
            service.issue(person, course(TTT), actor=staff, cohort=ttt)
        db.session.add(
            CertificateBatch(
                cohort_id=cohort.id,
                course_id=cohort.course_id,
                academy_id=cohort.academy_id,
                created_by_id=staff.id,
                user_ids=[p.id for p in people],
                status=BatchStatus.DONE,
                issued=n,
            )
        )
        db.session.commit()

    more(2, "Few")
    with count_queries() as few:
        client.get("/staff/")
    more(8, "Many")
    with count_queries() as many:
        page = client.get("/staff/").get_data(as_text=True)

    assert len(many) == len(few)
    # Signing the person in aside: one statement counts, one lists the batches
    # (a staff member's academies come with their roles).
    assert [q for q in many if "count(*)" in q] == [many[-2]]
    assert "FROM certificate_batches" in many[-1]
    assert not [q for q in many if q.startswith("SELECT academies.")]
    assert "Organising basics, North West" in page
    assert "8 of 8 issued (done)" in page
    assert "graduates of Train the trainer are waiting for a decision" in page


def test_an_admin_home_page_counts_every_academy(client, login, make_user, count_queries):
    admin = make_user(roles=("admin",), name="Ada Admin")
    trainer = make_user(roles=("trainer",), academy="london", name="Lon Trainer")
    people = [make_user(name=f"Londoner {n}") for n in range(2)]
    for person in people:
        complete(person)
    make_cohort(academy="london", trainers=[trainer], members=people, name="Hackney")
    login(client, admin)

    with count_queries() as queries:
        page = client.get("/staff/").get_data(as_text=True)

    assert "2 members are waiting for a certificate" in page
    assert "London" in page  # every academy is listed
    # After the person: the counts (one statement), every academy, the batches.
    assert [q for q in queries if "count(*)" in q] == [queries[-3]]
    assert queries[-2].startswith("SELECT academies.")
    assert "FROM certificate_batches" in queries[-1]


def test_a_member_signed_off_in_two_cohorts_is_counted_once(app, staff, make_user):
    trainer = make_user(roles=("trainer",), name="Tom Trainer")
    person = make_user(name="Twice Over")
    complete(person)
    first = make_cohort(trainers=[trainer], members=[person], name="First")
    second = make_cohort(trainers=[trainer], members=[], name="Second")
    db.session.add(CohortMember(cohort_id=second.id, user_id=person.id, signed_off_at=utcnow()))
    db.session.commit()
    assert first.id < second.id

    assert counts_agree_with_lists(staff) == (1, 0)


# Kept for a minute, forgotten when what they count changes ------------------------------


def count_statements(queries) -> int:
    return len([q for q in queries if "count(*)" in q])


def home_page(client, count_queries) -> tuple[int, str]:
    """The staff home page, and how many counting statements it ran."""
    with count_queries() as queries:
        page = client.get("/staff/").get_data(as_text=True)
    return count_statements(queries), page


def test_the_counts_are_kept_until_a_course_is_completed(
    client, login, staff, make_user, count_queries
):
    complete(make_user(name="Waiting 0"))
    studying = make_user(name="Still Studying")
    enrolment = Enrolment(
        user_id=studying.id,
        course_id=course("organising-basics").id,
        enrolled_at=utcnow() - dt.timedelta(days=3),
        last_activity_at=utcnow() - dt.timedelta(days=3),
    )
    db.session.add(enrolment)
    db.session.commit()
    login(client, staff)
    assert "1 member is waiting for a certificate" in client.get("/staff/").get_data(as_text=True)

    # Studying on (the last activity moves on every lesson) keeps the counts.
    enrolment.last_activity_at = utcnow()
    db.session.commit()
    counted, page = home_page(client, count_queries)
    assert counted == 0
    assert "1 member is waiting for a certificate" in page
    assert "at most a minute old" in page

    # Completing the course is counted at once.
    enrolment.completed_at = utcnow()
    db.session.commit()
    counted, page = home_page(client, count_queries)
    assert counted == 1
    assert "2 members are waiting for a certificate" in page


def test_issuing_and_revoking_a_certificate_are_counted_at_once(client, login, staff, make_user):
    waiting = [make_user(name=f"Waiting {n}") for n in range(2)]
    for person in waiting:
        complete(person)
    login(client, staff)
    assert "2 members are waiting" in client.get("/staff/").get_data(as_text=True)

    certificate = service.issue(
        waiting[0], course("organising-basics"), actor=staff, academy=academy_by_slug("north-west")
    )
    db.session.commit()
    assert "1 member is waiting" in client.get("/staff/").get_data(as_text=True)

    service.revoke(certificate, actor=staff, reason="Issued to the wrong person")
    db.session.commit()
    assert "2 members are waiting" in client.get("/staff/").get_data(as_text=True)


def test_a_change_rolled_back_keeps_the_counts(client, login, staff, make_user, count_queries):
    complete(make_user(name="Waiting"))
    login(client, staff)
    client.get("/staff/")
    db.session.add(
        Enrolment(
            user_id=make_user(name="Rolled Back").id,
            course_id=course("organising-basics").id,
            enrolled_at=utcnow(),
            completed_at=utcnow(),
            last_activity_at=utcnow(),
        )
    )
    db.session.flush()
    db.session.rollback()
    assert home_page(client, count_queries)[0] == 0


def test_each_set_of_academies_has_its_own_counts(app, make_user):
    north_west = make_user(roles=("staff",), academy="north-west", name="NW Staff")
    london = make_user(roles=("staff",), academy="london", name="London Staff")
    trainer = make_user(roles=("trainer",), academy="london", name="Lon Trainer")
    londoners = [make_user(name=f"Londoner {n}") for n in range(3)]
    for person in londoners:
        complete(person)
    make_cohort(academy="london", trainers=[trainer], members=londoners, name="Hackney")

    # Counted for London first: North West must not be handed London's numbers.
    london_counts = staff_counts.waiting_counts(london)
    north_west_counts = staff_counts.waiting_counts(north_west)
    assert london_counts.certificates == len(service.eligible_members(london))
    assert north_west_counts.certificates == len(service.eligible_members(north_west))
    assert london_counts.certificates - north_west_counts.certificates == 3
    assert staff_counts.waiting_counts(london) == london_counts


def test_counts_older_than_the_setting_are_taken_again(
    app, staff, make_user, count_queries, monkeypatch
):
    app.config["STAFF_COUNTS_SECONDS"] = 60
    staff_counts.waiting_counts(staff)
    now = staff_counts.time.time()
    monkeypatch.setattr(staff_counts.time, "time", lambda: now + 59)
    with count_queries() as queries:
        staff_counts.waiting_counts(staff)
    assert count_statements(queries) == 0
    monkeypatch.setattr(staff_counts.time, "time", lambda: now + 61)
    with count_queries() as queries:
        staff_counts.waiting_counts(staff)
    assert count_statements(queries) == 1


def test_without_the_cache_the_page_still_counts(client, login, staff, make_user, monkeypatch):
    complete(make_user(name="Waiting"))

    def down(*_args, **_kwargs):
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(cache, "get", down)
    monkeypatch.setattr(cache, "set", down)
    monkeypatch.setattr(cache, "delete_many", down)
    login(client, staff)
    page = client.get("/staff/").get_data(as_text=True)
    assert "1 member is waiting for a certificate" in page
