"""The cohort page's whole-cohort figures are kept for a minute (services/cohorts/summaries):
what trainers do shows at once, members' own progress within the minute, and "sessions
held" is never out of date."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from academy.extensions import cache, db
from academy.models import Enrolment
from academy.services import cohorts as service
from academy.services.cohorts import table as cohorts_table
from academy.timeutil import utcnow


def _figures(page: str) -> dict[str, str]:
    return dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", page))


def _complete(user, cohort) -> None:
    """The member finishes the course on their own (their progress, not the trainer's)."""
    enrolment = db.session.scalar(
        sa.select(Enrolment).where(
            Enrolment.user_id == user.id, Enrolment.course_id == cohort.course_id
        )
    )
    enrolment.completed_at = utcnow()
    db.session.commit()


def _counted(queries: list[str]) -> bool:
    """Whether the whole-cohort aggregate ran (it alone sums a CASE over the members)."""
    return any("coalesce(sum(CASE" in statement for statement in queries)


def _schedule(cohort, trainer, start):
    session = service.schedule_session(
        cohort,
        trainer,
        service.SessionDetails("Week", start, start + timedelta(hours=2), "Hall", "", ""),
    )
    db.session.commit()
    return session


def _later(monkeypatch, seconds: float) -> None:
    """The cohort page from now on runs `seconds` later than the clock says."""
    moment = utcnow() + timedelta(seconds=seconds)
    monkeypatch.setattr(cohorts_table, "utcnow", lambda: moment)


def test_members_progress_shows_in_the_figures_within_the_minute(
    client, login, trainer, cohort, add_members, count_queries, monkeypatch
):
    first, _second = add_members(cohort, 2)
    login(client, trainer)
    with count_queries() as queries:
        page = client.get(f"/cohorts/{cohort.id}/").text
    assert _counted(queries)
    assert _figures(page)["Completed the course"] == "0"
    assert "up to a minute behind members' own progress" in page

    _complete(first, cohort)
    with count_queries() as queries:
        page = client.get(f"/cohorts/{cohort.id}/").text
    assert not _counted(queries)
    assert _figures(page)["Completed the course"] == "0"  # kept...
    assert page.count('tag tag-ok">Completed<') == 1  # ...while the table is up to date

    _later(monkeypatch, 61)
    with count_queries() as queries:
        page = client.get(f"/cohorts/{cohort.id}/").text
    assert _counted(queries)
    assert _figures(page)["Completed the course"] == "1"


def test_what_trainers_do_shows_at_once(
    client, login, trainer, make_cohort, add_members, count_queries
):
    cohort, other = make_cohort(trainer, name="Tuesdays"), make_cohort(trainer, name="Fridays")
    (member,) = add_members(cohort, 1)
    add_members(other, 3)
    _complete(member, cohort)
    login(client, trainer)
    for each in (cohort, other):
        assert _figures(client.get(f"/cohorts/{each.id}/").text)["Signed off"] == "0"

    client.post(f"/cohorts/{cohort.id}/members/{member.id}/sign-off")
    with count_queries() as queries:
        page = client.get(f"/cohorts/{cohort.id}/").text
    assert _counted(queries)
    assert _figures(page)["Signed off"] == "1"
    # The other cohort's figures were not touched by it.
    with count_queries() as queries:
        page = client.get(f"/cohorts/{other.id}/").text
    assert not _counted(queries)
    assert _figures(page)["Members"] == "3 of 30"

    client.post(f"/cohorts/{cohort.id}/members/{member.id}/withdraw-sign-off")
    assert _figures(client.get(f"/cohorts/{cohort.id}/").text)["Signed off"] == "0"

    # A member added, and a session recorded after it happened.
    add_members(cohort, 2)
    _schedule(cohort, trainer, utcnow() - timedelta(days=1))
    figures = _figures(client.get(f"/cohorts/{cohort.id}/").text)
    assert figures["Members"] == "3 of 30"
    assert figures["Sessions held"] == "1"


def test_sessions_held_are_counted_again_when_the_next_one_starts(
    client, login, trainer, cohort, add_members, monkeypatch
):
    add_members(cohort, 2)
    _schedule(cohort, trainer, utcnow() + timedelta(seconds=30))
    login(client, trainer)
    assert _figures(client.get(f"/cohorts/{cohort.id}/").text)["Sessions held"] == "0"
    _later(monkeypatch, 20)
    assert _figures(client.get(f"/cohorts/{cohort.id}/").text)["Sessions held"] == "0"
    _later(monkeypatch, 40)  # within the minute, but the session has started
    assert _figures(client.get(f"/cohorts/{cohort.id}/").text)["Sessions held"] == "1"


def test_a_change_rolled_back_keeps_the_figures(
    client, login, trainer, cohort, add_members, count_queries
):
    (member,) = add_members(cohort, 1)
    login(client, trainer)
    client.get(f"/cohorts/{cohort.id}/")
    cohort.name = "Renamed, then not"
    db.session.flush()
    db.session.rollback()
    member.display_name = "Renamed for good"  # a later commit of something else
    db.session.commit()
    with count_queries() as queries:
        client.get(f"/cohorts/{cohort.id}/")
    assert not _counted(queries)


def test_without_the_cache_the_page_still_counts(
    client, login, trainer, cohort, add_members, monkeypatch
):
    (member,) = add_members(cohort, 1)
    _complete(member, cohort)

    def down(*_args, **_kwargs):
        raise ConnectionError("Redis is down")

    for method in ("get", "set", "delete_many"):
        monkeypatch.setattr(cache, method, down)
    login(client, trainer)
    response = client.get(f"/cohorts/{cohort.id}/")
    assert response.status_code == 200
    assert _figures(response.text)["Completed the course"] == "1"


def test_keeping_can_be_switched_off(
    app, client, login, trainer, cohort, add_members, count_queries
):
    app.config["COHORT_SUMMARY_SECONDS"] = 0
    add_members(cohort, 1)
    login(client, trainer)
    client.get(f"/cohorts/{cohort.id}/")
    with count_queries() as queries:
        page = client.get(f"/cohorts/{cohort.id}/").text
    assert _counted(queries)
    assert "behind members' own progress" not in page
