"""A member's learning: enrolments, lessons completed and quiz attempts.

Progress points at curriculum rows by id; those rows are never deleted (only
retired), so a member's history survives any edit to the Markdown. A quiz
attempt carries a snapshot of the questions it asked, in the order asked, so
that it is marked and reviewed against exactly what the member saw.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from academy.extensions import db
from academy.models.content import Course, Lesson, Quiz
from academy.models.people import User
from academy.models.types import UTCDateTime
from academy.timeutil import utcnow


class Enrolment(db.Model):
    """A member taking a course. One row per member and course, kept after leaving."""

    __tablename__ = "enrolments"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "course_id"),
        # Completed enrolments by course: self-study completions waiting for a
        # certificate are found through it, course by course, until the staff home
        # page's cap is reached, instead of through every member of every course.
        sa.Index(
            "ix_enrolments_completed_course_user",
            "course_id",
            "user_id",
            sqlite_where=sa.text("completed_at IS NOT NULL"),
            postgresql_where=sa.text("completed_at IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id"), index=True)
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # Set once, when every current lesson is done and every quiz passed; never moved.
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None, index=True)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(lazy="raise")
    course: Mapped[Course] = relationship(lazy="raise")

    @property
    def active(self) -> bool:
        return self.left_at is None

    @property
    def completed(self) -> bool:
        return self.completed_at is not None

    def __repr__(self) -> str:
        return f"<Enrolment user={self.user_id} course={self.course_id}>"


class LessonCompletion(db.Model):
    """A lesson a member marked as complete (once: the first date is kept)."""

    __tablename__ = "lesson_completions"
    __table_args__ = (sa.Index("ix_lesson_completions_user_course", "user_id", "course_id"),)

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    lesson_id: Mapped[int] = mapped_column(
        sa.ForeignKey("lessons.id"), primary_key=True, index=True
    )
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id"), index=True)
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    lesson: Mapped[Lesson] = relationship(lazy="raise")

    def __repr__(self) -> str:
        return f"<LessonCompletion user={self.user_id} lesson={self.lesson_id}>"


class QuizAttempt(db.Model):
    """One attempt at a quiz: started once, submitted once.

    `snapshot` is fixed at start: {"quiz": {title, pass_mark, review, max_attempts},
    "questions": [Question.snapshot() with options in the order shown]}. `answers` is
    {question key: option key | [option keys] | text}; `results` (in the snapshot's
    "results" after marking) says which were right.
    """

    __tablename__ = "quiz_attempts"
    __table_args__ = (
        # Numbers run 1, 2, 3 … and the service never gives one past the quiz's
        # max_attempts, so this also caps how many attempts can exist (issue 23).
        sa.UniqueConstraint("user_id", "quiz_id", "number"),
        # At most one open attempt per member and quiz, whatever races to start one:
        # two tabs starting at once meet here and share the attempt that won.
        sa.Index(
            "uq_quiz_attempts_open",
            "user_id",
            "quiz_id",
            unique=True,
            sqlite_where=sa.text("submitted_at IS NULL"),
            postgresql_where=sa.text("submitted_at IS NULL"),
        ),
        # Covers the grouped reads of quiz results (a member's pages, a cohort's table):
        # answered from the index, never from the rows, whose ~9 KB snapshots come
        # first on disk.
        sa.Index(
            "ix_quiz_attempts_progress",
            "user_id",
            "quiz_id",  # the order they are grouped in
            "course_id",
            "submitted_at",
            "score",
            "passed",
            "id",
        ),
        sa.CheckConstraint("score IS NULL OR (score >= 0 AND score <= 100)", name="score_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    quiz_id: Mapped[int] = mapped_column(sa.ForeignKey("quizzes.id"), index=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id"), index=True)
    number: Mapped[int]  # 1, 2, 3 … per member and quiz
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    snapshot: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    answers: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON, default=None)
    # {question key: true/false} once marked
    results: Mapped[dict[str, bool] | None] = mapped_column(sa.JSON, default=None)
    score: Mapped[int | None] = mapped_column(default=None)  # % correct, rounded down
    passed: Mapped[bool | None] = mapped_column(default=None)

    quiz: Mapped[Quiz] = relationship(lazy="raise")

    @property
    def submitted(self) -> bool:
        return self.submitted_at is not None

    @property
    def questions(self) -> list[dict[str, Any]]:
        return list(self.snapshot.get("questions", []))

    def __repr__(self) -> str:
        return f"<QuizAttempt {self.id} #{self.number} quiz={self.quiz_id} user={self.user_id}>"
