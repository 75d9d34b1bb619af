"""The curriculum in the database: courses, modules, lessons, quizzes and questions.

Rows are written only by `academy.content.sync`, keyed by slug. They are never
deleted: an item that leaves the curriculum gets `retired_at`, so progress and
attempts that point at it keep their history. The relationships below show
the *current* curriculum only (retired rows excluded), in order.

Correctness and feedback are kept apart from what a member sees before
answering: `Question.public_view()` is the only view a quiz page should render
before an attempt is submitted.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from academy.answers import normalise_answer
from academy.extensions import db
from academy.models.types import UTCDateTime


class _Synced:
    """Columns every curriculum row has: its content version and whether it is retired."""

    # sha256 of the source text and the render pipeline version: the HTML is re-rendered
    # only when it changes.
    content_hash: Mapped[str] = mapped_column(sa.String(64))
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    @property
    def retired(self) -> bool:
        return self.retired_at is not None


class Course(_Synced, db.Model):
    __tablename__ = "courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(100), unique=True)
    title: Mapped[str] = mapped_column(sa.String(300))
    summary: Mapped[str] = mapped_column(sa.Text)
    level: Mapped[str] = mapped_column(sa.String(20))  # foundation | intermediate | advanced
    credit_hours: Mapped[float] = mapped_column(sa.Float)
    pass_mark: Mapped[int]  # the default for its quizzes, in %
    accredited: Mapped[bool] = mapped_column(default=False)
    audience: Mapped[str] = mapped_column(sa.Text, default="")
    validity_months: Mapped[int | None]  # None: the certificate does not expire
    prerequisites: Mapped[list[str]] = mapped_column(sa.JSON, default=list)  # course slugs
    position: Mapped[int] = mapped_column(default=0)  # prerequisites come first
    intro_html: Mapped[str] = mapped_column(sa.Text, default="")
    # Only the glossary page reads it.
    glossary_html: Mapped[str] = deferred(mapped_column(sa.Text, default="", nullable=False))
    total_minutes: Mapped[int] = mapped_column(default=0)
    synced_at: Mapped[datetime] = mapped_column(UTCDateTime)

    modules: Mapped[list[Module]] = relationship(
        primaryjoin="and_(Module.course_id == Course.id, Module.retired_at.is_(None))",
        order_by="Module.position",
        viewonly=True,
        lazy="selectin",
    )

    def __repr__(self) -> str:
        return f"<Course {self.slug}>"

    @property
    def lessons(self) -> list[Lesson]:
        """The current lessons in reading order."""
        return [lesson for module in self.modules for lesson in module.lessons]


class Module(_Synced, db.Model):
    __tablename__ = "course_modules"
    __table_args__ = (sa.UniqueConstraint("course_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id"), index=True)
    slug: Mapped[str] = mapped_column(sa.String(100))
    title: Mapped[str] = mapped_column(sa.String(300))
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    position: Mapped[int] = mapped_column(default=0)
    intro_html: Mapped[str] = mapped_column(sa.Text, default="")
    # The module's folder relative to the curriculum root, e.g. "organising/01-listening":
    # where its images/ are (see academy.content.media.image_path).
    source_path: Mapped[str] = mapped_column(sa.String(300))

    course: Mapped[Course] = relationship()
    lessons: Mapped[list[Lesson]] = relationship(
        primaryjoin="and_(Lesson.module_id == Module.id, Lesson.retired_at.is_(None))",
        order_by="Lesson.position",
        viewonly=True,
        lazy="selectin",
    )
    quiz: Mapped[Quiz | None] = relationship(
        primaryjoin="and_(Quiz.module_id == Module.id, Quiz.retired_at.is_(None))",
        viewonly=True,
        lazy="selectin",
    )

    def __repr__(self) -> str:
        return f"<Module {self.slug}>"


class Lesson(_Synced, db.Model):
    __tablename__ = "lessons"
    __table_args__ = (sa.UniqueConstraint("course_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id"), index=True)
    module_id: Mapped[int] = mapped_column(sa.ForeignKey("course_modules.id"), index=True)
    slug: Mapped[str] = mapped_column(sa.String(100))  # unique within the course
    title: Mapped[str] = mapped_column(sa.String(300))
    minutes: Mapped[int]
    position: Mapped[int] = mapped_column(default=0)  # within its module
    # The body is large and only the lesson page needs it: outlines do not load it.
    # Its table of contents comes with it (one query): every page that shows a
    # course's outline loads all its lessons, and decoding each lesson's JSON was
    # a tenth of the member dashboard's time (bench/findings.md).
    body_html: Mapped[str] = deferred(mapped_column(sa.Text, default=""), group="body")
    toc: Mapped[list[dict[str, Any]]] = deferred(mapped_column(sa.JSON, default=list), group="body")
    source_path: Mapped[str] = mapped_column(sa.String(300))

    course: Mapped[Course] = relationship()
    module: Mapped[Module] = relationship()

    def __repr__(self) -> str:
        return f"<Lesson {self.slug}>"


class Quiz(_Synced, db.Model):
    __tablename__ = "quizzes"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id"), index=True)
    module_id: Mapped[int] = mapped_column(sa.ForeignKey("course_modules.id"), unique=True)
    title: Mapped[str] = mapped_column(sa.String(300))
    pass_mark: Mapped[int]  # % (the course's unless the quiz sets its own)
    max_attempts: Mapped[int] = mapped_column(default=3)  # 0 = unlimited
    shuffle: Mapped[bool] = mapped_column(default=False)
    draw: Mapped[int | None]  # ask this many questions, drawn from the pool
    review: Mapped[str] = mapped_column(sa.String(20), default="after-pass")
    intro_html: Mapped[str] = mapped_column(sa.Text, default="")
    source_path: Mapped[str] = mapped_column(sa.String(300))

    course: Mapped[Course] = relationship()
    module: Mapped[Module] = relationship()
    # Not loaded with the outline: the quiz page asks for them (selectinload(Quiz.questions)).
    questions: Mapped[list[Question]] = relationship(
        primaryjoin="and_(Question.quiz_id == Quiz.id, Question.retired_at.is_(None))",
        order_by="Question.position",
        viewonly=True,
        lazy="raise",
    )

    def __repr__(self) -> str:
        return f"<Quiz {self.id} of module {self.module_id}>"


@dataclass(frozen=True, slots=True)
class PublicOption:
    key: str
    html: str


@dataclass(frozen=True, slots=True)
class PublicQuestion:
    """What a member may see before answering: no correctness, no feedback."""

    id: int
    key: str
    kind: str
    prompt_html: str
    body_html: str
    options: tuple[PublicOption, ...]


class Question(_Synced, db.Model):
    __tablename__ = "quiz_questions"
    __table_args__ = (sa.UniqueConstraint("quiz_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(sa.ForeignKey("quizzes.id"), index=True)
    key: Mapped[str] = mapped_column(sa.String(80))  # stable within the quiz
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[str] = mapped_column(sa.String(10))  # single | multiple | short
    prompt_html: Mapped[str] = mapped_column(sa.Text)  # the question itself, inline HTML
    body_html: Mapped[str] = mapped_column(sa.Text, default="")  # a scenario, block HTML
    # [{"key": "a", "html": …, "correct": bool, "feedback_html": …}, …] in the order written
    options: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    # Short answers, normalised with academy.content.quiz.normalise_answer.
    accepted_answers: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    feedback_html: Mapped[str] = mapped_column(sa.Text, default="")  # for the whole question

    quiz: Mapped[Quiz] = relationship()

    def __repr__(self) -> str:
        return f"<Question {self.key}>"

    @property
    def correct_keys(self) -> frozenset[str]:
        return frozenset(option["key"] for option in self.options if option["correct"])

    def public_view(self) -> PublicQuestion:
        """The question as shown before an attempt is submitted."""
        return PublicQuestion(
            id=self.id,
            key=self.key,
            kind=self.kind,
            prompt_html=self.prompt_html,
            body_html=self.body_html,
            options=tuple(PublicOption(o["key"], o["html"]) for o in self.options),
        )

    def mark(self, response: str | Collection[str] | None) -> bool:
        """Is `response` right? A key (single), a collection of keys (multiple), or text."""
        if response is None:
            return False
        if self.kind == "short":
            return isinstance(response, str) and (
                normalise_answer(response) in self.accepted_answers
            )
        chosen = frozenset([response] if isinstance(response, str) else response)
        if self.kind == "single" and len(chosen) != 1:
            return False
        return chosen == self.correct_keys

    def snapshot(self) -> dict[str, Any]:
        """Everything needed to show and re-mark this question later, whatever the curriculum
        becomes: an attempt stores this next to the answers it was marked against."""
        return {
            "id": self.id,
            "key": self.key,
            "kind": self.kind,
            "prompt_html": self.prompt_html,
            "body_html": self.body_html,
            "options": [dict(option) for option in self.options],
            "accepted_answers": list(self.accepted_answers),
            "feedback_html": self.feedback_html,
            "content_hash": self.content_hash,
        }


class CurriculumVersion(db.Model):
    """One row, bumped by every sync that changes anything.

    Each process keeps the current curriculum as plain data (academy.services.
    learning.outline) and rebuilds it only when this number moves, so pages read
    the course tree from memory instead of the database.
    """

    __tablename__ = "curriculum_version"

    id: Mapped[int] = mapped_column(primary_key=True)  # always 1
    version: Mapped[int] = mapped_column(default=0)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
