"""The curriculum as read from disk: frozen dataclasses that know where they came from.

Every item keeps its source file and the line of each setting, so that any
later check can point at the exact place a writer needs to look.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from academy.content.problems import Problem
from academy.content.schema import Source

QuestionKind = Literal["single", "multiple", "short"]
QUESTION_MINUTES = 2  # the time a quiz question is reckoned to take, for credit hours


@dataclass(frozen=True, slots=True)
class Option:
    key: str  # "a", "b", … in the order written
    text: str  # inline Markdown
    correct: bool
    feedback: str  # Markdown, may be empty
    line: int
    feedback_line: int


@dataclass(frozen=True, slots=True)
class Question:
    key: str  # stable within the quiz: `{#key}` or a slug of the heading
    line: int
    prompt: str  # the heading text, inline Markdown
    body: str  # Markdown between the heading and the options (a scenario), may be empty
    body_line: int
    kind: QuestionKind
    options: tuple[Option, ...]
    answers: tuple[str, ...]  # accepted short answers, as written
    answer_lines: tuple[int, ...]
    feedback: str  # question-level feedback (Markdown), may be empty
    feedback_line: int
    source: str  # the question's own lines, for its content hash


@dataclass(frozen=True, slots=True)
class Quiz:
    path: Path
    title: str | None  # None: use the module's title
    pass_mark: int | None  # None: use the course's pass mark
    max_attempts: int  # 0 = unlimited
    shuffle: bool
    draw: int | None
    review: str
    intro: str
    intro_line: int
    questions: tuple[Question, ...]
    key_lines: Mapping[str, int]
    source: str


@dataclass(frozen=True, slots=True)
class Lesson:
    path: Path
    slug: str
    number: int
    title: str
    minutes: int
    body: str
    body_line: int
    key_lines: Mapping[str, int]
    source: str
    outcomes: tuple[str, ...] = ()
    sources: tuple[Source, ...] = ()


@dataclass(frozen=True, slots=True)
class Guide:
    """A module's facilitator's guide: the live session a trainer runs from it."""

    path: Path
    title: str | None  # None: "Facilitator's guide: <module title>"
    minutes: int
    aims: tuple[str, ...]
    materials: tuple[str, ...]
    body: str
    body_line: int
    key_lines: Mapping[str, int]
    source: str


@dataclass(frozen=True, slots=True)
class Term:
    key: str
    term: str
    line: int
    definition: str  # Markdown
    definition_line: int


@dataclass(frozen=True, slots=True)
class Glossary:
    path: Path
    title: str
    terms: tuple[Term, ...]
    source: str


@dataclass(frozen=True, slots=True)
class Descriptor:
    level: str
    text: str  # inline Markdown
    line: int


@dataclass(frozen=True, slots=True)
class Criterion:
    key: str
    title: str
    line: int
    description: str  # Markdown
    descriptors: tuple[Descriptor, ...]


@dataclass(frozen=True, slots=True)
class Rubric:
    """How an observer judges a candidate trainer's practice session."""

    path: Path
    title: str
    summary: str
    levels: tuple[str, ...]  # lowest first
    pass_level: str
    intro: str
    intro_line: int
    criteria: tuple[Criterion, ...]
    key_lines: Mapping[str, int]
    source: str


@dataclass(frozen=True, slots=True)
class Module:
    path: Path  # the module's folder
    file: Path  # its module.md
    slug: str
    number: int
    title: str
    summary: str
    body: str
    body_line: int
    lessons: tuple[Lesson, ...]
    quiz: Quiz | None
    images: frozenset[str]  # file names in images/
    key_lines: Mapping[str, int]
    source: str
    guide: Guide | None = None


@dataclass(frozen=True, slots=True)
class Course:
    path: Path  # the course's folder
    file: Path  # its course.md
    slug: str
    title: str
    summary: str
    level: str
    credit_hours: float
    pass_mark: int
    prerequisites: tuple[str, ...]
    prerequisite_lines: tuple[int, ...]
    accredited: bool
    audience: str
    validity_months: int | None
    body: str
    body_line: int
    modules: tuple[Module, ...]
    key_lines: Mapping[str, int]
    source: str
    glossary: Glossary | None = None
    rubric: Rubric | None = None

    @property
    def lessons(self) -> Iterator[Lesson]:
        for module in self.modules:
            yield from module.lessons

    @property
    def total_minutes(self) -> int:
        return sum(lesson.minutes for lesson in self.lessons)

    @property
    def learning_minutes(self) -> int:
        """Lessons plus quizzes (two minutes a question asked): what credit hours claim."""
        asked = sum(
            module.quiz.draw or len(module.quiz.questions)
            for module in self.modules
            if module.quiz is not None
        )
        return self.total_minutes + QUESTION_MINUTES * asked


@dataclass(frozen=True, slots=True)
class Curriculum:
    root: Path
    courses: tuple[Course, ...]
    problems: tuple[Problem, ...] = field(default=())  # found while reading

    def course(self, slug: str) -> Course | None:
        return next((c for c in self.courses if c.slug == slug), None)
