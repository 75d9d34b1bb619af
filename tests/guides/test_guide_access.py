"""Guides and session packs are for those who teach: the course's cohort trainers (in
their academy), staff and admins; never members, not even by URL."""

from __future__ import annotations

import sqlalchemy as sa

from academy.extensions import db
from academy.models.guides import PrintPack
from academy.packs import render as pack_render
from tests.certificates.conftest import complete, make_cohort

from .conftest import GUIDE_URL, PACK_URL, TTT, pdf_text


def test_a_trainer_of_the_course_reads_the_guide_and_downloads_its_pack(
    client, login, trainer, cohort
):
    login(client, trainer)
    page = client.get(GUIDE_URL)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Session guide: Power mapping" in html
    assert "Session plan: in person" in html
    assert "draw a power map of one local decision" in html  # an aim, from the front matter
    assert PACK_URL in html

    pack = client.get(PACK_URL)
    assert pack.status_code == 200
    assert pack.mimetype == "application/pdf"
    text = pdf_text(pack.data)
    assert "Power mapping" in text  # the module's title
    assert "Session plan: in person" in text
    assert "Contents" in text
    assert "Page 2 of" in text  # page numbers in the footer


def test_members_never_see_a_guide_or_a_pack_even_in_the_cohort(
    client, login, make_user, candidate, cohort
):
    complete(candidate, TTT)
    outsider = make_user()
    for person in (candidate, outsider):
        login(client, person)
        assert client.get(GUIDE_URL).status_code == 404
        assert client.get(PACK_URL).status_code == 404
        assert client.get("/guides/").status_code == 403
        assert "/guides/" not in client.get(f"/courses/{TTT}").get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(PrintPack.id))) == 0


def test_a_trainer_without_a_cohort_of_that_course_or_in_another_academy_gets_404(
    client, login, make_user, trainer, cohort
):
    other_course = make_user(roles=("trainer",))
    make_cohort("organising-basics", trainers=[other_course])
    elsewhere = make_user(roles=("trainer",), academy="wales")
    make_cohort(TTT, trainers=[elsewhere], academy="north-west")  # not a trainer there
    for person in (other_course, elsewhere):
        login(client, person)
        assert client.get(GUIDE_URL).status_code == 404
        assert client.get(PACK_URL).status_code == 404
    # The other course's own guide is open to its trainer.
    login(client, other_course)
    assert client.get("/courses/organising-basics/guides/listening").status_code == 200


def test_staff_and_admins_read_every_guide(client, login, make_user):
    for roles in (("staff",), ("admin",)):
        login(client, make_user(roles=roles))
        assert client.get(GUIDE_URL).status_code == 200
        index = client.get("/guides/").get_data(as_text=True)
        assert GUIDE_URL in index
        assert "/courses/organising-basics/guides/listening" in index


def test_an_unknown_module_or_one_without_a_guide_is_not_found(client, login, make_user):
    login(client, make_user(roles=("admin",)))
    assert client.get(f"/courses/{TTT}/guides/no-such-module").status_code == 404
    assert client.get(f"/courses/{TTT}/guides/winning").status_code == 404  # no guide.md
    assert client.get("/courses/no-such-course/guides/power-mapping").status_code == 404


def test_a_pack_is_rendered_once_per_content_version_and_then_served_from_the_database(
    client, login, trainer, cohort, monkeypatch
):
    login(client, trainer)
    first = client.get(PACK_URL).data
    packs = db.session.scalars(sa.select(PrintPack)).all()
    assert [(p.kind, p.size) for p in packs] == [("session", len(first))]

    def refuse(*args, **kwargs):
        raise AssertionError("rendered again")

    monkeypatch.setattr(pack_render.PackRenderer, "render", refuse)
    assert client.get(PACK_URL).data == first

    # A new content version (here: a new pack layout) is rendered afresh.
    monkeypatch.undo()
    monkeypatch.setattr(pack_render, "PACK_VERSION", "next")
    monkeypatch.setattr("academy.services.guides.packs.PACK_VERSION", "next")
    client.get(PACK_URL)
    assert db.session.scalar(sa.select(sa.func.count(PrintPack.id))) == 2


def test_an_enrolled_member_downloads_the_workbook_with_room_for_the_tasks(
    client, login, make_user, candidate
):
    complete(candidate, "organising-basics")
    login(client, candidate)
    course_page = client.get("/courses/organising-basics").get_data(as_text=True)
    assert "/courses/organising-basics/workbook.pdf" in course_page
    response = client.get("/courses/organising-basics/workbook.pdf")
    assert response.status_code == 200
    text = pdf_text(response.data)
    assert "Workbook" in text
    assert "Why we listen first" in text  # a lesson's title
    assert "Your answer" in text  # room for a "Your turn" task

    login(client, make_user())
    assert client.get("/courses/organising-basics/workbook.pdf").status_code == 404


def test_warming_renders_each_uncached_session_pack_once(runner):
    from academy.guides.cli import packs_cli

    result = runner.invoke(packs_cli, ["warm"])
    assert result.exit_code == 0, result.output
    assert "Session packs: 2 rendered, 0 already cached." in result.output
    result = runner.invoke(packs_cli, ["warm"])
    assert "Session packs: 0 rendered, 2 already cached." in result.output
    assert db.session.scalar(sa.select(sa.func.count(PrintPack.id))) == 2
