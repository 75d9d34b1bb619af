"""The course tree kept in memory per curriculum version (academy.services.learning.outline)."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from academy.content.sync import sync_path
from academy.extensions import db
from academy.models import CurriculumVersion, Lesson
from academy.services.learning import outline
from tests.content.conftest import VALID, edit

LESSON = "/courses/organising-basics/lessons/why-listen-first"
CURRICULUM_TABLES = ("courses", "course_modules", "lessons", "quizzes")


@pytest.fixture
def curriculum(tmp_path: Path) -> Path:
    """A copy of the test curriculum this test may edit and sync."""
    root = tmp_path / "curriculum"
    shutil.copytree(VALID, root)
    return root


def reads_of_the_tree(statements: list[str]) -> list[str]:
    return [
        statement
        for statement in statements
        if any(f"FROM {table} " in statement + " " for table in CURRICULUM_TABLES)
    ]


def version_reads(statements: list[str]) -> int:
    return sum("curriculum_version" in statement for statement in statements)


def test_pages_read_the_course_tree_from_memory(app, client, login, enrolled, count_queries):
    login(client, enrolled)
    assert client.get(LESSON).status_code == 200  # builds the outline, reads the body
    with count_queries() as statements:
        page = client.get(LESSON)
        dashboard = client.get("/dashboard")
    assert page.status_code == dashboard.status_code == 200
    assert "Why we listen first" in page.get_data(as_text=True)
    assert reads_of_the_tree(statements) == []
    # The version was read moments ago: not again within CURRICULUM_CHECK_SECONDS...
    assert version_reads(statements) == 0
    # ...and on every request when that is 0.
    app.config["CURRICULUM_CHECK_SECONDS"] = 0
    with count_queries() as statements:
        client.get(LESSON)
        client.get("/dashboard")
    assert version_reads(statements) == 2
    assert reads_of_the_tree(statements) == []


def test_a_release_by_another_process_shows_within_the_interval(
    app, client, login, enrolled, count_queries, monkeypatch
):
    login(client, enrolled)
    assert "Why we listen first" in client.get(LESSON).get_data(as_text=True)
    # Another process renames the lesson and bumps the version: nothing here hears of it.
    db.session.execute(
        sa.update(Lesson).where(Lesson.slug == "why-listen-first").values(title="Renamed")
    )
    db.session.execute(sa.update(CurriculumVersion).values(version=CurriculumVersion.version + 1))
    db.session.commit()
    assert "Why we listen first" in client.get(LESSON).get_data(as_text=True)
    later = time.monotonic() + app.config["CURRICULUM_CHECK_SECONDS"] + 0.1
    monkeypatch.setattr(outline.time, "monotonic", lambda: later)
    with count_queries() as statements:
        page = client.get(LESSON).get_data(as_text=True)
    assert version_reads(statements) == 1
    assert "Renamed" in page


def test_a_sync_that_changes_the_curriculum_shows_on_the_next_page(
    app, client, login, enrolled, curriculum
):
    login(client, enrolled)
    before = outline.current_version()
    assert "Why we listen first" in client.get(LESSON).get_data(as_text=True)
    lesson_file = curriculum / "organising-basics/01-listening/01-why-listen-first.md"
    edit(lesson_file, "Listening first turns", "Listening **first** turns")
    edit(lesson_file, "title: Why we listen first", "title: Why we always listen first")
    report = sync_path(curriculum, db.session)
    db.session.commit()
    assert report.changed
    assert outline.current_version() == before + 1
    page = client.get(LESSON).get_data(as_text=True)
    assert "Why we always listen first" in page
    assert "<strong>first</strong>" in page  # the body, read again for the new version


def test_a_sync_that_changes_nothing_keeps_the_version(app, curriculum):
    before = outline.current_version()
    report = sync_path(curriculum, db.session)
    assert not report.changed
    assert outline.current_version() == before


def test_the_outline_mirrors_the_database_in_reading_order(app, basics):
    with app.test_request_context("/"):
        course = outline.outlines().course("organising-basics")
    assert course.id == basics.id
    assert [m.slug for m in course.modules] == [m.slug for m in basics.modules]
    assert [les.id for les in course.lessons] == [les.id for les in basics.lessons]
    assert [m.number for m in course.modules] == list(range(1, len(basics.modules) + 1))
    # Each module's lessons, then its quiz.
    expected = []
    for module in basics.modules:
        expected += [("lesson", les.id) for les in module.lessons]
        expected.append(("quiz", module.quiz.id))
    assert [(step.kind, step.item.id) for step in course.steps] == expected
    first, second = course.lessons[:2]
    assert course.neighbours(first) == (None, course.steps[1])
    assert course.neighbours(second)[0] == course.steps[0]
    assert first.url == LESSON
    assert course.module_of(first).slug == basics.modules[0].slug


def test_a_retired_course_has_no_outline_but_keeps_its_tree(app, basics):
    from academy.services import learning
    from academy.timeutil import utcnow

    basics.retired_at = utcnow()
    db.session.flush()
    with app.test_request_context("/"):
        assert outline.outlines().course("organising-basics") is None
        tree = learning.course_tree(basics.id)
    assert tree is basics  # the ORM row, for the records of those who took it
