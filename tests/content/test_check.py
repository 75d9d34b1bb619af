"""Every rule of `flask academy curriculum check`, each catching one broken file at the
right path and line (and nothing else)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from academy.content import check
from tests.content.conftest import VALID, edit, formatted

BASICS = Path("organising-basics")
LISTENING = BASICS / "01-listening"
TEAMS = BASICS / "02-teams"
LEADING = Path("leading-campaigns")
WHY = LISTENING / "01-why-listen-first.md"
RUNNING = LISTENING / "02-running-a-listening-campaign.md"
QUIZ = LISTENING / "quiz.md"


def test_the_test_curriculum_is_valid():
    assert check(VALID) == []


def _write(root: Path, relative: Path | str, text: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


LESSON = (
    "---\ntitle: Extra\nminutes: 5\noutcomes: [plan a street, knock on a door]\n---\n"
    "## Extra\n\nSome text.\n\n## Summary\n\n- Knock.\n"
)

# (id, how to break the copy, the exact problems expected)
CASES: list[tuple[str, Callable[[Path], None], list[str]]] = [
    # -- front matter ------------------------------------------------------------------
    (
        "missing front matter",
        lambda r: (r / WHY).write_text("## No settings\n\nText.\n"),
        [
            f"{WHY}:1: missing front matter: start the file with a '---' line, "
            "the settings, then another '---' line"
        ],
    ),
    (
        "unclosed front matter",
        lambda r: (r / WHY).write_text("---\ntitle: Why\nminutes: 3\n\nText.\n"),
        [f"{WHY}:1: front matter is not closed: add a '---' line after the settings"],
    ),
    (
        "invalid YAML",
        lambda r: edit(r / WHY, "title: Why we listen first", "title: Why: we listen"),
        [
            f"{WHY}:2: front matter is not valid YAML: mapping values are not allowed "
            "in this context (if a value contains ': ', put the whole value in quotes)"
        ],
    ),
    (
        "unknown key",
        lambda r: edit(r / WHY, "minutes: 100\n", "minutes: 100\nauthor: Sam\n"),
        [
            f"{WHY}:4: unknown setting 'author' for a lesson "
            "(allowed: title, minutes, outcomes, sources)"
        ],
    ),
    (
        "misspelt key",
        lambda r: edit(r / WHY, "minutes: 100", "minute: 10"),
        [
            f"{WHY}:1: lesson needs a 'minutes' setting",
            f"{WHY}:3: unknown setting 'minute': did you mean 'minutes'?",
        ],
    ),
    (
        "key set twice",
        lambda r: edit(r / WHY, "minutes: 100\n", "minutes: 100\nminutes: 12\n"),
        [f"{WHY}:4: 'minutes' is set twice (first on line 3)"],
    ),
    (
        "number of the wrong type",
        lambda r: edit(r / WHY, "minutes: 100", "minutes: ten"),
        [f"{WHY}:3: 'minutes' must be a whole number, not 'ten'"],
    ),
    (
        "text of the wrong type",
        lambda r: edit(r / WHY, "title: Why we listen first", "title: yes"),
        [f"{WHY}:2: 'title' must be text, not yes/no (true) (put it in quotes)"],
    ),
    (
        "number out of range",
        lambda r: edit(r / BASICS / "course.md", "credit_hours: 4", "credit_hours: 0"),
        [f"{BASICS}/course.md:5: 'credit_hours' must be at least 0.5, not 0"],
    ),
    (
        "missing required setting",
        lambda r: edit(r / BASICS / "course.md", "title: Organising basics\n", ""),
        [f"{BASICS}/course.md:1: course needs a 'title' setting"],
    ),
    (
        "unknown level",
        lambda r: edit(r / BASICS / "course.md", "level: foundation", "level: beginner"),
        [
            f"{BASICS}/course.md:4: 'level' must be one of foundation, intermediate, "
            "advanced, not 'beginner'"
        ],
    ),
    (
        "yes/no of the wrong type",
        lambda r: edit(r / BASICS / "course.md", "accredited: true", "accredited: maybe"),
        [f"{BASICS}/course.md:8: 'accredited' must be true or false, not 'maybe'"],
    ),
    (
        "unknown quiz review mode",
        lambda r: edit(r / QUIZ, "max_attempts: 3", "max_attempts: 3\nreview: sometimes"),
        [f"{QUIZ}:5: 'review' must be one of after-pass, always, never, not 'sometimes'"],
    ),
    # -- folders, files and slugs --------------------------------------------------------
    (
        "missing course.md",
        lambda r: (r / LEADING / "course.md").unlink(),
        [f"{LEADING}/course.md:1: missing course.md: every course folder needs one"],
    ),
    (
        "missing module.md",
        lambda r: (r / TEAMS / "module.md").unlink(),
        [f"{TEAMS}/module.md:1: missing module.md: every module folder needs one"],
    ),
    (
        "module folder without a number",
        lambda r: _write(r, BASICS / "extra" / "module.md", "---\ntitle: Extra\n---\n"),
        [f"{BASICS}/extra:1: module folder names start with a number, e.g. 01-extra"],
    ),
    (
        "lesson file without a number",
        lambda r: _write(r, LISTENING / "extra.md", LESSON),
        [f"{LISTENING}/extra.md:1: lesson file names start with a number, e.g. 01-extra.md"],
    ),
    (
        "lesson slug with capitals",
        lambda r: _write(r, LISTENING / "03-Extra_Lesson.md", LESSON),
        [
            f"{LISTENING}/03-Extra_Lesson.md:1: lesson slug 'Extra_Lesson' (the file name "
            "after the number) must use lower-case letters, digits and hyphens"
        ],
    ),
    (
        "course folder that is not a slug",
        lambda r: shutil.move(r / LEADING, r / "Leading Campaigns"),
        [
            "Leading Campaigns:1: course folder 'Leading Campaigns' is not a valid slug: "
            "use lower-case letters, digits and hyphens"
        ],
    ),
    (
        "duplicate module slug",
        lambda r: (
            _write(r, BASICS / "03-teams" / "module.md", "---\ntitle: More\n---\n"),
            _write(r, BASICS / "03-teams" / "01-extra.md", LESSON),
        ),
        [f"{BASICS}/03-teams:1: module slug 'teams' is also used by 02-teams/"],
    ),
    (
        "duplicate module number",
        lambda r: (
            _write(r, BASICS / "02-more" / "module.md", "---\ntitle: More\n---\n"),
            _write(r, BASICS / "02-more" / "01-extra.md", LESSON),
        ),
        [
            f"{BASICS}/02-teams:1: module number 02 is also used by 02-more/: "
            "number the modules in order"
        ],
    ),
    (
        "duplicate lesson slug in a course",
        lambda r: _write(r, TEAMS / "03-why-listen-first.md", LESSON),
        [
            f"{TEAMS}/03-why-listen-first.md:1: lesson slug 'why-listen-first' is also used by "
            "01-listening/01-why-listen-first.md: lesson slugs must be unique within a course"
        ],
    ),
    (
        "duplicate lesson number",
        lambda r: _write(r, TEAMS / "02-extra.md", LESSON),
        [
            f"{TEAMS}/02-running-meetings.md:1: lesson number 02 is also used by 02-extra.md: "
            "number the lessons in order"
        ],
    ),
    (
        "module without lessons",
        lambda r: _write(r, BASICS / "03-empty" / "module.md", "---\ntitle: Empty\n---\n"),
        [
            f"{BASICS}/03-empty/module.md:1: module has no lessons: "
            "add a file such as 01-first-lesson.md"
        ],
    ),
    (
        "course without modules",
        lambda r: _write(
            r,
            "empty-course/course.md",
            "---\ntitle: Empty\nsummary: Nothing yet.\nlevel: foundation\ncredit_hours: 1\n---\n",
        ),
        [
            "empty-course/course.md:1: course has no modules: add a folder such as "
            "01-first-module/ with a module.md"
        ],
    ),
    (
        "lesson without text",
        lambda r: (r / WHY).write_text(
            "---\ntitle: Why\nminutes: 100\noutcomes: [listen, ask]\n---\n\n"
        ),
        [f"{WHY}:6: lesson has no text"],
    ),
    (
        "stray file in a module",
        lambda r: _write(r, LISTENING / "notes.txt", "remember"),
        [
            f"{LISTENING}/notes.txt:1: unexpected file in a module: lessons are .md files, "
            "images go in images/"
        ],
    ),
    # -- links, images and Markdown ------------------------------------------------------
    (
        "broken link between lessons",
        lambda r: edit(r / WHY, "(02-running-a-listening-campaign.md)", "(02-running.md)"),
        [f"{WHY}:23: broken link: '02-running.md' does not exist"],
    ),
    (
        "broken link to another module",
        lambda r: (r / TEAMS / "01-one-to-ones.md").unlink(),
        [f"{RUNNING}:17: broken link: '../02-teams/01-one-to-ones.md' does not exist"],
    ),
    (
        "broken link to another course",
        lambda r: shutil.move(r / BASICS / "course.md", r / BASICS / "_course.md"),
        [
            f"{BASICS}/course.md:1: missing course.md: every course folder needs one",
            f"{LEADING}/course.md:12: broken link: '../organising-basics/course.md' does not exist",
        ],
    ),
    (
        "missing image",
        lambda r: (r / LISTENING / "images" / "ward-map.png").unlink(),
        [f"{RUNNING}:14: missing image 'images/ward-map.png'"],
    ),
    (
        "image without a description",
        lambda r: edit(r / RUNNING, "[A map of the ward with three streets highlighted]", "[]"),
        [
            f"{RUNNING}:14: image has no description: write what it shows between the "
            "brackets, e.g. ![A map of the ward](images/map.png)"
        ],
    ),
    (
        "image from another site",
        lambda r: edit(r / RUNNING, "(images/ward-map.png)", "(https://example.org/map.png)"),
        [f"{RUNNING}:14: images must be in the module's images/ folder, not on another site"],
    ),
    (
        "SVG image",
        lambda r: _write(r, LISTENING / "images" / "plan.svg", "<svg/>"),
        [
            f"{LISTENING}/images/plan.svg:1: images must be gif, jpeg, jpg, png, webp files "
            "(SVG can carry scripts: export it as PNG)"
        ],
    ),
    (
        "javascript: link",
        lambda r: edit(r / WHY, "(02-running-a-listening-campaign.md)", "(javascript:alert(1))"),
        [f"{WHY}:23: links may only use http, https or mailto, not 'javascript:'"],
    ),
    (
        "raw HTML",
        lambda r: edit(r / WHY, "Listening first turns", "<script>alert(1)</script> Turns"),
        [
            f"{WHY}:10: raw HTML '<script>' is not allowed (it is removed when published): "
            "write Markdown"
        ],
    ),
    (
        "unknown call-out",
        lambda r: edit(r / WHY, '!!! tip "Try this"', '!!! danger "Try this"'),
        [
            f"{WHY}:18: unknown call-out 'danger': use one of note, tip, warning, important, "
            "example, activity, guidance"
        ],
    ),
    (
        "top-level heading in a lesson",
        lambda r: edit(r / WHY, "## The usual way", "# The usual way"),
        [f"{WHY}:8: use '##' for headings: the title is the page's only '#' heading"],
    ),
    (
        "skipped heading level",
        lambda r: edit(r / WHY, "### Listening to everyone", "#### Listening to everyone"),
        [f"{WHY}:21: heading skips a level (## to ####): use ###"],
    ),
    # -- quizzes -------------------------------------------------------------------------
    (
        "question with no correct option",
        lambda r: edit(r / QUIZ, "- [x] Asking residents", "- [ ] Asking residents"),
        [f"{QUIZ}:10: question has no correct option: mark the right one with '[x]'"],
    ),
    (
        "single-choice question with two correct options",
        lambda r: edit(r / QUIZ, "- [ ] Choosing a slogan", "- [x] Choosing a slogan"),
        [
            f"{QUIZ}:10: single-choice question has 2 correct options (lines 13, 15): mark only "
            "one with '[x]', or add 'Choose all that apply.' to the question"
        ],
    ),
    (
        "question with no options",
        lambda r: edit(r / QUIZ, "= report back\n= reporting back\n", ""),
        [
            f"{QUIZ}:28: question has no options ('- [ ] text', '- [x] text') "
            "and no accepted answers ('= answer')"
        ],
    ),
    (
        "options and answers mixed",
        lambda r: edit(r / QUIZ, "- [ ] Choosing a slogan", "= slogan\n- [ ] Choosing a slogan"),
        [
            f"{QUIZ}:15: a question has either options ('- [ ]') or accepted answers ('= '), "
            "not both"
        ],
    ),
    (
        "option box not understood",
        lambda r: edit(r / QUIZ, "- [ ] Choosing a slogan", "- [] Choosing a slogan"),
        [
            f"{QUIZ}:15: option box '[]' is not understood: write '[ ]' for a wrong option or "
            "'[x]' for a correct one, with a space after the '-'"
        ],
    ),
    (
        "option without a box",
        lambda r: edit(r / QUIZ, "- [ ] Choosing a slogan", "- Choosing a slogan"),
        [
            f"{QUIZ}:15: option needs a box: write '- [ ] text' for a wrong option, "
            "'- [x] text' for a correct one"
        ],
    ),
    (
        "option without feedback",
        lambda r: edit(r / QUIZ, "  > A slogan comes much later.\n", ""),
        [
            f"{QUIZ}:15: option has no feedback: add an indented '  > ' line under it "
            "saying why it is right or wrong"
        ],
    ),
    (
        "repeated option",
        lambda r: edit(
            r / QUIZ,
            "- [ ] Choosing a slogan for the campaign leaflets",
            "- [ ] Printing a leaflet with our position",
        ),
        [f"{QUIZ}:15: option repeats line 11"],
    ),
    (
        "repeated accepted answer",
        lambda r: edit(r / QUIZ, "= reporting back", "= Report  Back"),
        [f"{QUIZ}:30: accepted answer 'Report  Back' repeats line 29"],
    ),
    (
        "quiz without questions",
        lambda r: (r / QUIZ).write_text("---\ntitle: Empty\n---\nNothing to ask.\n"),
        [f"{QUIZ}:4: the quiz has no questions: start each one with '## '"],
    ),
    (
        "draw more questions than the quiz has",
        lambda r: edit(r / LEADING / "01-power-mapping" / "quiz.md", "draw: 2", "draw: 5"),
        [f"{LEADING}/01-power-mapping/quiz.md:4: 'draw' is 5 but the quiz has only 3 questions"],
    ),
    (
        "duplicate question key",
        lambda r: edit(
            r / LEADING / "01-power-mapping" / "quiz.md",
            "## What is the person who can say yes called?",
            "## What is the person who can say yes called? {#power-axis}",
        ),
        [
            f"{LEADING}/01-power-mapping/quiz.md:24: "
            "question key 'power-axis' is also used on line 18"
        ],
    ),
    # -- prerequisites -----------------------------------------------------------------
    (
        "prerequisite that does not exist",
        lambda r: edit(r / LEADING / "course.md", "[organising-basics]", "[organising-basic]"),
        [
            f"{LEADING}/course.md:7: prerequisite 'organising-basic' is not a course "
            "(no folder of that name)"
        ],
    ),
    (
        "prerequisite that is not a slug",
        lambda r: edit(r / LEADING / "course.md", "[organising-basics]", "[Organising basics]"),
        [
            f"{LEADING}/course.md:7: 'prerequisites' must list course slugs (folder names), "
            "not 'Organising basics'"
        ],
    ),
    (
        "course that is its own prerequisite",
        lambda r: edit(r / LEADING / "course.md", "[organising-basics]", "[leading-campaigns]"),
        [f"{LEADING}/course.md:7: a course cannot be its own prerequisite"],
    ),
    (
        "prerequisites that form a loop",
        lambda r: edit(
            r / BASICS / "course.md", "prerequisites: []", "prerequisites:\n  - leading-campaigns"
        ),
        [
            f"{BASICS}/course.md:8: prerequisites form a loop: "
            "leading-campaigns → organising-basics → leading-campaigns",
            f"{LEADING}/course.md:7: prerequisites form a loop: "
            "leading-campaigns → organising-basics → leading-campaigns",
        ],
    ),
]


@pytest.mark.parametrize(
    ("breakage", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_each_rule_reports_the_right_path_and_line(curriculum, breakage, expected):
    breakage(curriculum)
    assert formatted(check(curriculum), curriculum) == sorted(expected)


def test_every_problem_is_reported_not_just_the_first(curriculum):
    edit(curriculum / WHY, "minutes: 100", "minutes: ten")
    edit(curriculum / QUIZ, "- [x] Asking residents", "- [ ] Asking residents")
    edit(curriculum / LEADING / "course.md", "[organising-basics]", "[nowhere]")
    assert len(check(curriculum)) == 3


def test_problems_are_sorted_by_path_and_line(curriculum):
    edit(curriculum / WHY, "minutes: 100", "minutes: ten")
    edit(curriculum / WHY, "(02-running-a-listening-campaign.md)", "(nowhere.md)")
    edit(curriculum / BASICS / "course.md", "level: foundation", "level: beginner")
    problems = check(curriculum)
    assert problems == sorted(problems)
    assert [p.line for p in problems if p.path.name == WHY.name] == [3, 23]


def test_a_missing_curriculum_folder_is_a_problem(tmp_path):
    assert formatted(check(tmp_path / "nowhere"), tmp_path) == [
        "nowhere:1: the curriculum folder does not exist"
    ]


def test_code_is_not_checked_for_links_or_html(curriculum):
    edit(
        curriculum / WHY,
        "### Listening to everyone",
        "Write `<b>` or `[x](nowhere.md)`.\n\n```\n<script>\n[y](gone.md)\n```\n\n"
        "### Listening to everyone",
    )
    assert check(curriculum) == []


def test_drafts_and_hidden_files_are_ignored(curriculum):
    _write(curriculum, "_drafts/course.md", "not even front matter")
    _write(curriculum, LISTENING / ".DS_Store", "binary")
    assert check(curriculum) == []
