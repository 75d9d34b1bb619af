"""Loading the curriculum into the database: by slug, idempotent, never losing history."""

from __future__ import annotations

import dataclasses
import json
import shutil

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from academy.content import CurriculumError
from academy.content.sync import sync_path
from academy.extensions import db
from academy.models import Course, Lesson, Module, Question, Quiz
from academy.models.guides import Guide, Rubric
from tests.content.conftest import VALID, edit

WRITES = ("INSERT", "UPDATE", "DELETE")


def writes(statements: list[str]) -> list[str]:
    return [s for s in statements if s.lstrip().upper().startswith(WRITES)]


def lesson(slug: str) -> Lesson:
    return db.session.scalars(select(Lesson).where(Lesson.slug == slug)).one()


def question(key: str) -> Question:
    return db.session.scalars(select(Question).where(Question.key == key)).one()


def rows() -> int:
    return sum(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (Course, Module, Lesson, Quiz, Question, Guide, Rubric)
    )


def test_the_test_curriculum_is_in_the_database(app):
    courses = db.session.scalars(select(Course).order_by(Course.position)).all()
    # Prerequisites first.
    assert [c.slug for c in courses] == ["organising-basics", "leading-campaigns"]
    basics, leading = courses
    assert (basics.title, basics.level, basics.credit_hours, basics.pass_mark) == (
        "Organising basics",
        "foundation",
        4,
        70,
    )
    assert leading.prerequisites == ["organising-basics"]
    assert leading.credit_hours == 6.5
    assert leading.validity_months == 24
    assert basics.total_minutes == 230
    assert "<h2" in basics.intro_html
    assert len(basics.content_hash) == 64
    assert [m.slug for m in basics.modules] == ["listening", "teams"]
    assert [lesson.slug for lesson in basics.lessons] == [
        "why-listen-first",
        "running-a-listening-campaign",
        "one-to-ones",
        "running-meetings",
    ]
    listening = basics.modules[0]
    assert listening.source_path == "organising-basics/01-listening"
    assert listening.quiz.pass_mark == 60  # its own
    assert basics.modules[1].quiz.pass_mark == 70  # the course's
    assert basics.modules[1].quiz.title == "Building a team"


def test_lesson_html_is_rendered_once_and_stored(app):
    why = lesson("why-listen-first")
    assert '<div class="admonition tip" role="note">' in why.body_html
    assert 'href="/courses/organising-basics/lessons/running-a-listening-campaign"' in (
        why.body_html
    )
    assert why.toc == [
        {
            "id": "the-usual-way-and-a-better-way",
            "name": "The usual way, and a better way",
            "level": 2,
        },
        {"id": "listening-to-everyone", "name": "Listening to everyone", "level": 3},
        {"id": "summary", "name": "Summary", "level": 2},
    ]
    # What the member will be able to do comes first, as a list.
    assert why.body_html.startswith(
        '<div class="lesson-outcomes" role="note"><p class="lesson-outcomes-title">'
        "By the end of this lesson you will be able to:</p><ul>"
        "<li>explain why we listen before we campaign</li>"
    )
    running = lesson("running-a-listening-campaign")
    assert 'src="/courses/organising-basics/media/listening/ward-map.png"' in running.body_html
    assert (
        running.source_path == "organising-basics/01-listening/02-running-a-listening-campaign.md"
    )


def test_questions_keep_prompt_options_correctness_and_feedback_apart(app):
    single = question("what-comes-first-in-a-listening-campaign")
    assert single.kind == "single"
    assert single.prompt_html == "What comes first in a listening campaign?"
    assert single.options[1] == {
        "key": "b",
        "html": "Asking residents what matters most to them",
        "correct": True,
        "feedback_html": "<p>Yes: we listen before we decide what to campaign on.</p>",
    }
    short = question("what-do-we-call-going-back-to-tell-people-what-we-heard")
    assert short.kind == "short"
    assert short.accepted_answers == ["report back", "reporting back"]
    assert short.feedback_html == "<p>Reporting back keeps the promise we made on the doorstep.</p>"
    assert question("power-axis").quiz.shuffle is True


def test_sync_with_no_change_writes_nothing(app, count_queries):
    before = rows()
    with count_queries() as statements:
        report = sync_path(VALID, db.session)
    assert writes(statements) == []
    assert not report.changed
    assert report.unchanged == before


def test_items_are_keyed_by_slug_not_by_where_the_folder_is(app, curriculum, count_queries):
    with count_queries() as statements:
        report = sync_path(curriculum, db.session)
    assert writes(statements) == []
    assert not report.changed


def test_editing_a_lesson_updates_it_in_place(app, curriculum, count_queries):
    why = lesson("why-listen-first")
    other = lesson("one-to-ones")
    lesson_id, other_hash = why.id, other.content_hash
    edit(
        curriculum / "organising-basics/01-listening/01-why-listen-first.md",
        "Listening first turns",
        "Listening **first** turns",
    )
    with count_queries() as statements:
        report = sync_path(curriculum, db.session)
    assert report.updated == ["lesson organising-basics/why-listen-first"]
    assert report.created == report.retired == report.restored == []
    # The lesson, the course's synced_at and the curriculum version: nothing else.
    assert sorted(s.split()[1] for s in writes(statements)) == [
        "courses",
        "curriculum_version",
        "lessons",
    ]
    db.session.expire_all()
    why = lesson("why-listen-first")
    assert why.id == lesson_id  # progress, keyed to the id, is kept
    assert "<strong>first</strong>" in why.body_html
    assert lesson("one-to-ones").content_hash == other_hash


def test_changing_a_lesson_setting_updates_only_that(app, curriculum):
    edit(
        curriculum / "organising-basics/02-teams/02-running-meetings.md",
        "minutes: 10",
        "minutes: 11",
    )
    report = sync_path(curriculum, db.session)
    assert report.updated == [
        "course organising-basics",  # its total minutes
        "lesson organising-basics/running-meetings",
    ]
    assert lesson("running-meetings").minutes == 11


def test_removing_a_lesson_retires_it_and_bringing_it_back_restores_it(app, curriculum):
    meetings = lesson("running-meetings")
    lesson_id = meetings.id
    path = curriculum / "organising-basics/02-teams/02-running-meetings.md"
    text = path.read_text()
    path.unlink()

    report = sync_path(curriculum, db.session)
    assert report.retired == ["lesson organising-basics/running-meetings"]
    db.session.expire_all()
    retired = db.session.get(Lesson, lesson_id)
    assert retired is not None  # never deleted: history points at it
    assert retired.retired_at is not None
    teams = db.session.scalars(select(Module).where(Module.slug == "teams")).one()
    assert [lesson.slug for lesson in teams.lessons] == ["one-to-ones"]
    assert teams.course.total_minutes == 230 - 10

    path.write_text(text)
    report = sync_path(curriculum, db.session)
    assert report.restored == ["lesson organising-basics/running-meetings"]
    db.session.expire_all()
    restored = lesson("running-meetings")
    assert restored.id == lesson_id
    assert restored.retired_at is None


def test_moving_a_lesson_to_another_module_keeps_it(app, curriculum):
    lesson_id = lesson("running-meetings").id
    shutil.move(
        curriculum / "organising-basics/02-teams/02-running-meetings.md",
        curriculum / "organising-basics/01-listening/03-running-meetings.md",
    )
    report = sync_path(curriculum, db.session)
    assert report.retired == []
    moved = lesson("running-meetings")
    assert moved.id == lesson_id
    assert moved.module.slug == "listening"
    assert moved.position == 3


def test_removing_a_module_retires_its_lessons_quiz_and_questions(app, curriculum):
    shutil.rmtree(curriculum / "leading-campaigns/02-winning")
    report = sync_path(curriculum, db.session)
    assert sorted(report.retired) == [
        "lesson leading-campaigns/celebrating-wins",
        "lesson leading-campaigns/escalation",
        "module leading-campaigns/winning",
        "question leading-campaigns/winning#what-usually-comes-first-when-you-escalate",
        "question leading-campaigns/winning#who-do-you-thank-after-a-win",
        "quiz leading-campaigns/winning",
    ]
    leading = db.session.scalars(select(Course).where(Course.slug == "leading-campaigns")).one()
    db.session.expire_all()
    assert [m.slug for m in leading.modules] == ["power-mapping"]


def test_removing_a_course_retires_it(app, curriculum):
    shutil.rmtree(curriculum / "leading-campaigns")
    report = sync_path(curriculum, db.session)
    assert "course leading-campaigns" in report.retired
    # course, modules, lessons, quizzes, questions, the guide and the rubric
    assert len(report.retired) == 1 + 2 + 4 + 2 + 5 + 1 + 1
    retired = db.session.scalars(select(Course).where(Course.slug == "leading-campaigns")).one()
    assert retired.retired_at is not None


def test_editing_a_question_keeps_its_id_and_rewording_it_makes_a_new_one(app, curriculum):
    quiz_path = curriculum / "organising-basics/01-listening/quiz.md"
    first = question("what-comes-first-in-a-listening-campaign")
    first_id = first.id
    edit(quiz_path, "- [ ] Choosing a slogan", "- [ ] Choosing a catchy slogan")
    report = sync_path(curriculum, db.session)
    assert report.updated == [
        "quiz organising-basics/listening",
        "question organising-basics/listening#what-comes-first-in-a-listening-campaign",
    ]
    assert question("what-comes-first-in-a-listening-campaign").id == first_id

    edit(quiz_path, "## What comes first in", "## What should come first in")
    report = sync_path(curriculum, db.session)
    assert report.created == [
        "question organising-basics/listening#what-should-come-first-in-a-listening-campaign"
    ]
    assert len(report.retired) == 1
    db.session.expire_all()
    assert db.session.get(Question, first_id).retired_at is not None
    quiz = db.session.scalars(
        select(Quiz).where(Quiz.id == first.quiz_id).options(selectinload(Quiz.questions))
    ).one()
    assert quiz.questions[0].key == "what-should-come-first-in-a-listening-campaign"


def test_a_new_render_version_rerenders_everything_in_place(app, monkeypatch):
    ids = {lesson.slug: lesson.id for lesson in db.session.scalars(select(Lesson))}
    monkeypatch.setattr("academy.content.sync.RENDER_VERSION", "test-next")
    report = sync_path(VALID, db.session)
    assert len(report.updated) == rows()
    assert report.created == report.retired == []
    assert {lesson.slug: lesson.id for lesson in db.session.scalars(select(Lesson))} == ids


def test_a_curriculum_that_fails_the_check_is_not_synced(app, curriculum, count_queries):
    edit(curriculum / "organising-basics/02-teams/01-one-to-ones.md", "minutes: 20", "minutes: x")
    with count_queries() as statements, pytest.raises(CurriculumError) as caught:
        sync_path(curriculum, db.session)
    assert statements == []
    assert "01-one-to-ones.md:3: 'minutes' must be a whole number" in str(caught.value)


def test_the_outline_loads_in_a_fixed_number_of_queries(app, count_queries):
    db.session.expire_all()
    with count_queries() as statements:
        courses = db.session.scalars(select(Course)).all()
        outline = [
            (m.title, [lesson.title for lesson in m.lessons], m.quiz and m.quiz.title)
            for course in courses
            for m in course.modules
        ]
    assert len(outline) == 4
    assert len(statements) == 4  # courses, modules, lessons, quizzes


# -- what a member sees before answering ------------------------------------------------


def all_questions() -> list[Question]:
    return list(db.session.scalars(select(Question)))


def test_the_public_view_of_a_question_has_no_answers_or_feedback(app):
    for q in all_questions():
        public = q.public_view()
        shown = json.dumps(dataclasses.asdict(public))
        assert "correct" not in shown
        assert "feedback" not in shown
        for option in q.options:
            if option["feedback_html"]:
                assert option["feedback_html"] not in shown
        if q.feedback_html:
            assert q.feedback_html not in shown
        assert [o.key for o in public.options] == [o["key"] for o in q.options]
        assert public.prompt_html == q.prompt_html
    short = question("what-is-the-person-who-can-say-yes-called").public_view()
    assert short.options == ()
    assert "decision" not in json.dumps(dataclasses.asdict(short)).replace(
        "What is the person who can say yes called?", ""
    )


def test_marking(app):
    single = question("what-comes-first-in-a-listening-campaign")
    assert single.mark("b")
    assert not single.mark("a")
    assert not single.mark(["b", "c"])
    assert not single.mark(None)
    multiple = question("which-of-these-belong-in-a-listening-conversation-choose-all")
    assert multiple.mark(["a", "b"])
    assert not multiple.mark(["a"])
    assert not multiple.mark(["a", "b", "c"])
    short = question("what-do-we-call-going-back-to-tell-people-what-we-heard")
    assert short.mark("  Report   BACK ")
    assert not short.mark("report")
    assert not short.mark(["report back"])


def test_a_snapshot_keeps_everything_needed_to_remark(app):
    q = question("what-comes-first-in-a-listening-campaign")
    snapshot = q.snapshot()
    assert snapshot["options"] == q.options
    assert snapshot["options"] is not q.options
    assert snapshot["content_hash"] == q.content_hash
    assert json.loads(json.dumps(snapshot)) == snapshot


def test_guides_and_the_rubric_are_stored_rendered_and_follow_the_curriculum(app, curriculum):
    guide = db.session.scalars(select(Guide).join(Module).where(Module.slug == "listening")).one()
    assert guide.title == "Facilitator's guide: Listening campaigns"
    assert guide.minutes == 90
    assert '<h2 id="session-plan-in-person">Session plan: in person</h2>' in guide.body_html
    assert "/courses/organising-basics/lessons/why-listen-first" in guide.body_html
    rubric = db.session.scalars(select(Rubric)).one()
    assert rubric.levels == ["not-yet", "secure", "strong"]
    assert rubric.criterion_keys == ["planning", "feedback"]
    assert rubric.passes("strong")
    assert not rubric.passes("not-yet")

    guide_id, before = guide.id, guide.content_hash
    edit(
        curriculum / "organising-basics/01-listening/guide.md",
        "Members read both lessons first.",
        "Members read **both** lessons first.",
    )
    report = sync_path(curriculum, db.session)
    assert report.updated == ["guide organising-basics/listening"]
    db.session.refresh(guide)
    assert (guide.id, "<strong>both</strong>" in guide.body_html) == (guide_id, True)
    assert guide.content_hash != before

    (curriculum / "organising-basics/01-listening/guide.md").unlink()
    report = sync_path(curriculum, db.session)
    assert report.retired == ["guide organising-basics/listening"]
