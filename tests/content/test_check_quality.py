"""The check's rules for what makes a course trustworthy: lessons that say what they teach
and where their facts come from, quizzes that only understanding can pass, honest credit
hours, glossaries, facilitators' guides and the observation rubric. Each rule catches one
broken file at the right path and line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from academy.content import check, read_curriculum
from academy.content.assessment import correct_is_longest, visible_length
from academy.content.render import render_markdown
from tests.content.conftest import edit, formatted

BASICS = Path("organising-basics")
LISTENING = BASICS / "01-listening"
TEAMS = BASICS / "02-teams"
WHY = LISTENING / "01-why-listen-first.md"
RUNNING = LISTENING / "02-running-a-listening-campaign.md"
QUIZ = LISTENING / "quiz.md"
TEAMS_QUIZ = TEAMS / "quiz.md"
SHIPPED = Path(__file__).parents[2] / "curriculum"

GUIDE = """---
minutes: 90
aims:
  - practise a listening conversation
  - agree the questions to ask
materials:
  - a flip chart
---
## Before the session

Members read both lessons first.

## Session plan: in person

| Minutes | Activity | How |
|---|---|---|
| 30 | Welcome | A round of names |
| 60 | Role-play | In threes |

## Session plan: online

| Minutes | Activity | How |
|---|---|---|
| 20 | Welcome | Names in the chat |
| 70 | Role-play | Breakout rooms of three |

## Activities

### Role-play: the first knock

One resident, one canvasser, one observer; swap after ten minutes.

## Discussion prompts

- What did the resident care about?

## What to watch for

- Anyone who talks over the resident.

## Links to the module

- Before: [Why we listen first](01-why-listen-first.md)
- After: [the module quiz](quiz.md)

## Handouts

### Handout 1: Questions

What is it like living here?
"""

GLOSSARY = """---
title: Glossary
---
## Canvassing
Going door to door to talk to voters.

## One-to-one {#one-to-one}
A planned conversation to build a relationship.
"""

RUBRIC = """---
title: Observed teaching practice
levels: [not-yet, secure, strong]
pass_level: secure
---
An observer watches a 20-minute practice session.

## Plans a clear session {#planning}
The session has an aim the group can say back.

- not-yet: no clear aim
- secure: one clear aim, met
- strong: aims met and checked with the group
"""


def _guide(root: Path, text: str = GUIDE) -> None:
    (root / LISTENING / "guide.md").write_text(text)


def _glossary(root: Path, text: str = GLOSSARY) -> None:
    (root / BASICS / "glossary.md").write_text(text)


def _rubric(root: Path, text: str = RUBRIC) -> None:
    (root / BASICS / "rubric.md").write_text(text)


def test_a_valid_guide_glossary_and_rubric_pass(curriculum):
    _guide(curriculum)
    _glossary(curriculum)
    _rubric(curriculum)
    assert formatted(check(curriculum), curriculum) == []
    course = read_curriculum(curriculum).course("organising-basics")
    assert [t.term for t in course.glossary.terms] == ["Canvassing", "One-to-one"]
    assert course.modules[0].guide.minutes == 90
    assert [c.key for c in course.rubric.criteria] == ["planning"]
    assert [d.level for d in course.rubric.criteria[0].descriptors] == [
        "not-yet",
        "secure",
        "strong",
    ]


CASES: list[tuple[str, Callable[[Path], None], list[str]]] = [
    # -- lessons ------------------------------------------------------------------------
    (
        "lesson without outcomes",
        lambda r: edit(
            r / WHY,
            "outcomes:\n  - explain why we listen before we campaign\n"
            "  - ask open questions on the doorstep\n",
            "",
        ),
        [f"{WHY}:1: lesson needs an 'outcomes' setting"],
    ),
    (
        "a single outcome",
        lambda r: edit(r / WHY, "  - ask open questions on the doorstep\n", ""),
        [f"{WHY}:4: 'outcomes' needs at least 2 items, not 1"],
    ),
    (
        "source with an http address",
        lambda r: edit(
            r / WHY,
            "  - ask open questions on the doorstep\n",
            "  - ask open questions on the doorstep\nsources:\n"
            "  - title: The register\n    url: http://example.org\n    checked: 2026-01-02\n",
        ),
        [f"{WHY}:7: 'sources' item 1 needs a 'url' starting with https://"],
    ),
    (
        "source checked in the future",
        lambda r: edit(
            r / WHY,
            "  - ask open questions on the doorstep\n",
            "  - ask open questions on the doorstep\nsources:\n"
            "  - title: The register\n    url: https://example.org\n    checked: 2999-01-02\n",
        ),
        [f"{WHY}:7: 'sources' item 1 was 'checked' on 2999-01-02, in the future"],
    ),
    (
        "source without a date",
        lambda r: edit(
            r / WHY,
            "  - ask open questions on the doorstep\n",
            "  - ask open questions on the doorstep\nsources:\n"
            "  - title: The register\n    url: https://example.org\n",
        ),
        [
            f"{WHY}:7: 'sources' item 1 needs 'checked', the date it was checked (YYYY-MM-DD)",
        ],
    ),
    (
        "lesson without a summary",
        lambda r: edit(
            r / RUNNING, "## Summary\n\n- Knock at different times.\n", "## Notes\n\n- Knock.\n"
        ),
        [
            f"{RUNNING}:30: a lesson ends with a '## Summary' section: the key points in a "
            "few bullets"
        ],
    ),
    (
        "task without guidance",
        lambda r: edit(
            r / RUNNING, "## Summary\n", "## Your turn\n\nPlan three streets.\n\n## Summary\n"
        ),
        [
            f"{RUNNING}:30: '## Your turn' needs a '!!! guidance \"Guidance\"' box after the "
            "task: a model answer or what a good answer includes"
        ],
    ),
    # -- quizzes ------------------------------------------------------------------------
    (
        "the correct option is the longest",
        lambda r: edit(r / QUIZ, "Choosing a slogan for the campaign leaflets", "A slogan"),
        [
            f"{QUIZ}:10: the correct option is the longest in 1 of 2 single-choice questions "
            "(more than 40%), so picking the longest passes: make wrong options as long "
            "(questions on lines 10)"
        ],
    ),
    (
        "unshuffled quiz with the answer always second",
        lambda r: edit(r / TEAMS_QUIZ, "shuffle: true", "shuffle: false"),
        [
            f"{TEAMS_QUIZ}:3: without 'shuffle: true' the correct answer is option B in 2 of "
            "2 single-choice questions (more than half): set 'shuffle: true' or vary the order"
        ],
    ),
    (
        "choose all that apply with one wrong option",
        lambda r: edit(
            r / QUIZ,
            "- [ ] Telling them how to vote\n  > A listening conversation asks; it "
            "does not tell.\n",
            "",
        ),
        [
            f"{QUIZ}:18: a 'choose all that apply' question needs at least 2 plausible wrong "
            "options (it has 1), or leaving out the odd one out is enough to pass"
        ],
    ),
    (
        "draw as large as the pool",
        lambda r: edit(r / QUIZ, "draw: 3", "draw: 4"),
        [
            f"{QUIZ}:6: 'draw' is 4 and the pool has only 4 questions: a retake must ask a "
            "different set, so the pool must be larger than the draw"
        ],
    ),
    (
        "no draw at all",
        lambda r: edit(r / QUIZ, "draw: 3\n", ""),
        [
            f"{QUIZ}:1: every retake asks the same 4 questions: add questions and set 'draw' "
            "to fewer than the pool (e.g. a pool of 12 and draw: 8)"
        ],
    ),
    (
        "credit hours that the lessons do not take",
        lambda r: edit(r / BASICS / "course.md", "credit_hours: 4", "credit_hours: 12"),
        [
            f"{BASICS}/course.md:5: 'credit_hours' is 12 but the lessons and quizzes take "
            "about 240 minutes (2 a quiz question): set it to 4, or make the lessons' "
            "'minutes' honest"
        ],
    ),
    # -- glossary -----------------------------------------------------------------------
    (
        "glossary out of order",
        lambda r: _glossary(r, GLOSSARY.replace("## Canvassing", "## Volunteer")),
        [
            f"{BASICS}/glossary.md:7: 'One-to-one' is out of alphabetical order: it comes "
            "before 'Volunteer'"
        ],
    ),
    (
        "glossary term without a definition",
        lambda r: _glossary(r, GLOSSARY.replace("Going door to door to talk to voters.\n", "")),
        [f"{BASICS}/glossary.md:4: 'Canvassing' has no definition under it"],
    ),
    # -- facilitator's guide ------------------------------------------------------------
    (
        "guide too short",
        lambda r: _guide(r, GUIDE.replace("minutes: 90", "minutes: 45")),
        [f"{LISTENING}/guide.md:2: 'minutes' must be at least 90, not 45"],
    ),
    (
        "guide without a section",
        lambda r: _guide(r, GUIDE.replace("## What to watch for\n", "## Watch\n")),
        [
            f"{LISTENING}/guide.md:9: the guide needs a '## What to watch for' section",
            f"{LISTENING}/guide.md:37: unexpected section '## Watch': a guide has Before the "
            "session, Session plan: in person, Session plan: online, Activities, Discussion "
            "prompts, What to watch for, Links to the module and optionally Handouts",
        ],
    ),
    (
        "guide plan that does not add up",
        lambda r: _guide(r, GUIDE.replace("| 70 | Role-play |", "| 60 | Role-play |")),
        [
            f"{LISTENING}/guide.md:20: the online plan adds up to 80 minutes, but the session "
            "is 90 ('minutes' in the settings)"
        ],
    ),
    (
        "guide plan without minutes",
        lambda r: _guide(r, GUIDE.replace("| 30 | Welcome |", "| half an hour | Welcome |")),
        [f"{LISTENING}/guide.md:17: 'half an hour' is not a number of minutes"],
    ),
    (
        "guide that does not link to the quiz",
        lambda r: _guide(r, GUIDE.replace("- After: [the module quiz](quiz.md)\n", "")),
        [
            f"{LISTENING}/guide.md:41: link to the module's quiz: [the module quiz](quiz.md)",
        ],
    ),
    (
        "guide sections out of order",
        lambda r: _guide(
            r,
            GUIDE.replace("## Discussion prompts", "## TEMP")
            .replace("## What to watch for", "## Discussion prompts")
            .replace("## TEMP", "## What to watch for"),
        ),
        [
            f"{LISTENING}/guide.md:33: put the sections in this order: Before the session, "
            "Session plan: in person, Session plan: online, Activities, Discussion prompts, "
            "What to watch for, Links to the module, Handouts"
        ],
    ),
    # -- rubric -------------------------------------------------------------------------
    (
        "rubric pass level that is not a level",
        lambda r: _rubric(r, RUBRIC.replace("pass_level: secure", "pass_level: good")),
        [
            f"{BASICS}/rubric.md:4: 'pass_level' must be one of the levels (not-yet, secure, "
            "strong), not 'good'"
        ],
    ),
    (
        "rubric criterion without a key",
        lambda r: _rubric(r, RUBRIC.replace(" {#planning}", "")),
        [
            f"{BASICS}/rubric.md:8: give each criterion a key: '## Plans a clear session "
            "{#planning}' (observations are recorded against it)"
        ],
    ),
    (
        "rubric criterion missing a level",
        lambda r: _rubric(r, RUBRIC.replace("- strong: aims met and checked with the group\n", "")),
        [
            f"{BASICS}/rubric.md:8: 'Plans a clear session' does not describe level 'strong': "
            "describe every level, in order"
        ],
    ),
    (
        "rubric level that is not a level",
        lambda r: _rubric(r, RUBRIC.replace("- strong:", "- excellent:")),
        [
            f"{BASICS}/rubric.md:13: unknown level 'excellent': the levels are not-yet, "
            "secure, strong"
        ],
    ),
]


@pytest.mark.parametrize(
    ("breakage", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_each_quality_rule_reports_the_right_path_and_line(curriculum, breakage, expected):
    breakage(curriculum)
    assert formatted(check(curriculum), curriculum) == expected


def test_the_shipped_curriculum_passes_every_rule():
    problems = check(SHIPPED)
    assert [p.format(relative_to=SHIPPED) for p in problems] == []


def test_the_shipped_curriculum_has_what_issue_19_and_20_promise():
    """Pools of twelve or more, a glossary per course, a guide per module, a rubric."""
    curriculum = read_curriculum(SHIPPED)
    for course in curriculum.courses:
        assert course.glossary is not None, course.slug
        for module in course.modules:
            assert module.guide is not None, f"{course.slug}/{module.slug}"
            assert module.quiz is not None, f"{course.slug}/{module.slug}"
            assert module.quiz.shuffle, module.quiz.path
            assert len(module.quiz.questions) >= 12, module.quiz.path
            assert module.quiz.draw
            assert module.quiz.draw < len(module.quiz.questions)
            for lesson in module.lessons:
                assert len(lesson.outcomes) >= 2, lesson.path
    assert curriculum.course("train-the-trainer").rubric is not None


def test_picking_the_longest_option_fails_every_shipped_quiz():
    """The issue's own attack: a member who always picks the longest option."""
    curriculum = read_curriculum(SHIPPED)
    for course in curriculum.courses:
        for module in course.modules:
            quiz = module.quiz
            single = [q for q in quiz.questions if q.kind == "single"]
            longest = sum(correct_is_longest(q) for q in single)
            assert longest <= 0.4 * len(single), quiz.path


def test_visible_length_ignores_markup_and_link_addresses():
    assert visible_length("**Ask** [them](https://example.org/a/very/long/address)") == len(
        "Ask them"
    )


def test_guidance_is_folded_until_the_member_opens_it():
    html = render_markdown('!!! guidance "Guidance"\n    A good answer names the street.\n').html
    assert html.startswith('<details class="admonition guidance">\n<summary>Guidance</summary>')
