"""A session is scheduled against a module and links its guide and pack for the
trainer (never the members); a new trainer's first screen says what to do next."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from academy.extensions import db
from academy.models import CohortSession, Module

from .conftest import GUIDE_URL, PACK_URL, TTT


def _module(course_slug: str, slug: str) -> Module:
    return db.session.scalar(
        sa.select(Module).where(Module.slug == slug, Module.course.has(slug=course_slug))
    )


def _post(client, cohort, module_id, title="Practice: power mapping"):
    day = date(date.today().year + 1, 3, 3).isoformat()
    return client.post(
        f"/cohorts/{cohort.id}/sessions/new",
        data={
            "title": title,
            "day": day,
            "starts": "19:00",
            "ends": "21:00",
            "venue": "Hall",
            "meeting_url": "",
            "agenda": "",
            "module": module_id,
        },
    )


def test_a_session_taught_against_a_module_links_its_guide_and_pack(
    client, login, trainer, candidate, cohort
):
    login(client, trainer)
    form = client.get(f"/cohorts/{cohort.id}/sessions/new").get_data(as_text=True)
    assert "Module it teaches" in form
    assert "Power mapping" in form
    power = _module(TTT, "power-mapping")
    assert _post(client, cohort, power.id).status_code == 302
    session = db.session.scalar(sa.select(CohortSession))
    assert session.module_id == power.id

    page = client.get(f"/cohorts/{cohort.id}/sessions").get_data(as_text=True)
    assert GUIDE_URL in page
    assert PACK_URL in page
    assert client.get(GUIDE_URL).status_code == 200

    # A session without a module, or with one that has no guide, links none.
    winning = _module(TTT, "winning")
    assert _post(client, cohort, winning.id, "Winning").status_code == 302
    assert client.get(f"/cohorts/{cohort.id}/sessions").get_data(as_text=True).count(PACK_URL) == 1

    # Members see the session, not the guide.
    login(client, candidate)
    member_page = client.get(f"/cohorts/{cohort.id}/").get_data(as_text=True)
    assert "Practice: power mapping" in member_page
    assert "/guides/" not in member_page


def test_a_module_of_another_course_is_refused_and_nothing_is_saved(client, login, trainer, cohort):
    login(client, trainer)
    other = _module("organising-basics", "listening")
    response = _post(client, cohort, other.id)
    assert response.status_code == 200
    assert "Choose a module of this cohort" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(CohortSession.id))) == 0


def test_a_new_trainer_is_told_what_to_do_next_until_they_run_a_cohort(
    client, login, make_user, trainer, cohort
):
    new = make_user(roles=("trainer",), name="New Trainer")
    login(client, new)
    for url in ("/dashboard", "/cohorts/"):
        page = client.get(url).get_data(as_text=True)
        assert "You are a trainer: what to do next" in page
        assert "/cohorts/new" in page
        assert "/guides/" in page
        assert "co-trainer" in page
    guides_index = client.get("/guides/").get_data(as_text=True)
    assert "open to you once you run a cohort" in guides_index

    # A trainer who runs a cohort, or a member, is not told.
    for person in (trainer, make_user()):
        login(client, person)
        assert "what to do next" not in client.get("/dashboard").get_data(as_text=True)
