"""Reading the test curriculum into dataclasses: structure, settings, quizzes, links."""

from __future__ import annotations

from pathlib import Path

import pytest

from academy.content import read_curriculum
from academy.content.links import LinkIndex
from academy.content.quiz import normalise_answer, parse_quiz
from tests.content.conftest import VALID


@pytest.fixture(scope="module")
def tree():
    return read_curriculum(VALID)


def test_courses_modules_and_lessons_in_order(tree):
    assert tree.problems == ()
    assert [c.slug for c in tree.courses] == ["leading-campaigns", "organising-basics"]
    basics = tree.course("organising-basics")
    assert [m.slug for m in basics.modules] == ["listening", "teams"]
    assert [lesson.slug for lesson in basics.lessons] == [
        "why-listen-first",
        "running-a-listening-campaign",
        "one-to-ones",
        "running-meetings",
    ]
    assert basics.total_minutes == 100 + 100 + 20 + 10
    assert basics.modules[0].images == frozenset({"ward-map.png"})


def test_course_settings_and_defaults(tree):
    leading = tree.course("leading-campaigns")
    assert leading.title == "Leading campaigns"
    assert leading.level == "intermediate"
    assert leading.credit_hours == 6.5
    assert leading.pass_mark == 75
    assert leading.prerequisites == ("organising-basics",)
    assert leading.prerequisite_lines == (7,)
    assert leading.accredited is True
    assert leading.validity_months == 24
    basics = tree.course("organising-basics")
    assert basics.validity_months is None
    assert basics.key_lines["level"] == 4


def test_lesson_has_title_minutes_body_and_where_the_body_starts(tree):
    lesson = tree.course("organising-basics").modules[0].lessons[0]
    assert (lesson.title, lesson.minutes, lesson.number) == ("Why we listen first", 100, 1)
    assert lesson.body.startswith("## The usual way")
    assert lesson.body_line == 8
    assert lesson.outcomes == (
        "explain why we listen before we campaign",
        "ask open questions on the doorstep",
    )
    assert lesson.sources == ()
    assert lesson.path == VALID.absolute() / "organising-basics/01-listening/01-why-listen-first.md"


def test_quiz_settings(tree):
    basics_quiz = tree.course("organising-basics").modules[0].quiz
    assert (basics_quiz.pass_mark, basics_quiz.max_attempts, basics_quiz.shuffle) == (60, 3, True)
    assert basics_quiz.review == "after-pass"
    assert basics_quiz.intro == "Answer all three questions."
    teams_quiz = tree.course("organising-basics").modules[1].quiz
    assert teams_quiz.pass_mark is None  # the course's applies
    mapping = tree.course("leading-campaigns").modules[0].quiz
    assert (mapping.shuffle, mapping.draw, mapping.review, mapping.max_attempts) == (
        True,
        2,
        "always",
        0,
    )


def test_single_multiple_and_short_answer_questions(tree):
    single, multiple, short, _ = tree.course("organising-basics").modules[0].quiz.questions
    assert single.kind == "single"
    assert single.key == "what-comes-first-in-a-listening-campaign"
    assert single.line == 10
    assert [(o.key, o.correct) for o in single.options] == [("a", False), ("b", True), ("c", False)]
    assert single.options[1].text == "Asking residents what matters most to them"
    assert single.options[1].feedback == "Yes: we listen before we decide what to campaign on."
    assert single.options[1].feedback_line == 14
    assert multiple.kind == "multiple"
    assert [o.correct for o in multiple.options] == [True, True, False, False]
    assert short.kind == "short"
    assert short.answers == ("report back", "reporting back")
    assert short.feedback == "Reporting back keeps the promise we made on the doorstep."
    assert short.options == ()


def test_explicit_question_key(tree):
    keys = [q.key for q in tree.course("leading-campaigns").modules[0].quiz.questions]
    assert keys[1] == "power-axis"


def test_quiz_parser_details():
    body = (
        "## Same heading\nA scenario\nover two lines.\n\n"
        "- [X] An option that\n  wraps onto a second line\n  > Feedback that\n  > continues.\n"
        "- [ ] Another\n  > No.\n\n"
        "## Same heading\n= Forty  Two\n"
    )
    parsed = parse_quiz(Path("quiz.md"), body, 10)
    assert parsed.problems == ()
    first, second = parsed.questions
    assert first.body == "A scenario\nover two lines."
    assert first.body_line == 11
    assert first.options[0].text == "An option that wraps onto a second line"
    assert first.options[0].feedback == "Feedback that\ncontinues."
    assert first.options[0].correct
    assert (first.key, second.key) == ("same-heading", "same-heading-2")
    assert normalise_answer(second.answers[0]) == "forty two"


def test_a_long_heading_makes_a_short_key():
    parsed = parse_quiz(Path("quiz.md"), "## " + "word " * 40 + "\n= yes\n", 1)
    assert len(parsed.questions[0].key) <= 60


def test_links_resolve_to_site_urls(tree):
    index = LinkIndex.build(tree)
    root = VALID.absolute()
    why = root / "organising-basics/01-listening/01-why-listen-first.md"
    running = root / "organising-basics/01-listening/02-running-a-listening-campaign.md"
    who = root / "leading-campaigns/01-power-mapping/01-who-decides.md"
    resolve = index.resolve
    assert resolve(why, "02-running-a-listening-campaign.md").url == (
        "/courses/organising-basics/lessons/running-a-listening-campaign"
    )
    assert resolve(running, "../02-teams/01-one-to-ones.md").url == (
        "/courses/organising-basics/lessons/one-to-ones"
    )
    assert resolve(who, "../../organising-basics/01-listening/01-why-listen-first.md#x").url == (
        "/courses/organising-basics/lessons/why-listen-first#x"
    )
    assert resolve(who, "quiz.md").url == "/courses/leading-campaigns/quizzes/power-mapping"
    assert resolve(who, "../course.md").url == "/courses/leading-campaigns"
    assert resolve(who, "../02-winning/module.md").url == (
        "/courses/leading-campaigns#module-winning"
    )
    assert resolve(running, "images/ward-map.png", image=True).url == (
        "/courses/organising-basics/media/listening/ward-map.png"
    )
    assert resolve(why, "https://example.org/a").url == "https://example.org/a"
    assert resolve(why, "#a-section").url == "#a-section"
    assert resolve(why, "nowhere.md").url is None


@pytest.mark.parametrize(
    ("name", "found"),
    [
        ("ward-map.png", True),
        ("missing.png", False),
        ("../module.md", False),
        ("..", False),
        (".hidden.png", False),
        ("ward-map.svg", False),
        ("", False),
    ],
)
def test_image_path_serves_only_plain_image_names(name, found):
    from academy.content.media import image_path

    path = image_path(VALID, "organising-basics/01-listening", name)
    assert (path is not None) == found
    if found:
        assert path == VALID / "organising-basics/01-listening/images/ward-map.png"
