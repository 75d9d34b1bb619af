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

QuestionKind = Literal["single", "multiple", "short"]


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

    @property
    def lessons(self) -> Iterator[Lesson]:
        for module in self.modules:
            yield from module.lessons

    @property
    def total_minutes(self) -> int:
        return sum(lesson.minutes for lesson in self.lessons)


@dataclass(frozen=True, slots=True)
class Curriculum:
    root: Path
    courses: tuple[Course, ...]
    problems: tuple[Problem, ...] = field(default=())  # found while reading

    def course(self, slug: str) -> Course | None:
        return next((c for c in self.courses if c.slug == slug), None)
