"""What trainers teach from and how a candidate trainer is judged.

- `Guide`: a module's facilitator's guide, rendered once per content version by
  the sync (like lessons); only trainers of the course's cohorts, staff and
  admins may read it (academy.services.guides.access).
- `Rubric`: the observation rubric of a course (Train the trainer has one):
  criteria, each described at every level, and the level that passes.
- `PrintPack`: a rendered PDF (a module's session pack, a course's member
  workbook), kept by content version so any web process serves the same bytes.
- `Observation`: a candidate trainer's practice session, observed and recorded
  against the rubric. Promotion to trainer needs a passed one in that academy.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from academy.extensions import db
from academy.models.content import Course, Module, _Synced
from academy.models.people import User
from academy.models.types import UTCDateTime
from academy.timeutil import utcnow


class Guide(_Synced, db.Model):
    __tablename__ = "module_guides"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id"), index=True)
    module_id: Mapped[int] = mapped_column(sa.ForeignKey("course_modules.id"), unique=True)
    title: Mapped[str] = mapped_column(sa.String(300))
    minutes: Mapped[int]
    aims: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    materials: Mapped[list[str]] = mapped_column(sa.JSON, default=list)  # inline HTML each
    # Only the guide page and its pack read the body.
    body_html: Mapped[str] = deferred(mapped_column(sa.Text, default=""), group="body")
    toc: Mapped[list[dict[str, Any]]] = deferred(mapped_column(sa.JSON, default=list), group="body")
    source_path: Mapped[str] = mapped_column(sa.String(300))

    course: Mapped[Course] = relationship(lazy="raise")
    module: Mapped[Module] = relationship(lazy="raise")

    def __repr__(self) -> str:
        return f"<Guide of module {self.module_id}>"


class Rubric(_Synced, db.Model):
    __tablename__ = "rubrics"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id"), unique=True)
    title: Mapped[str] = mapped_column(sa.String(300))
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    levels: Mapped[list[str]] = mapped_column(sa.JSON, default=list)  # lowest first
    pass_level: Mapped[str] = mapped_column(sa.String(40))
    intro_html: Mapped[str] = mapped_column(sa.Text, default="")
    # [{"key", "title", "description_html", "descriptors": [{"level", "html"}]}], in order
    criteria: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    source_path: Mapped[str] = mapped_column(sa.String(300))

    @property
    def criterion_keys(self) -> list[str]:
        return [criterion["key"] for criterion in self.criteria]

    def passes(self, level: str) -> bool:
        """Is `level` at or above the pass level?"""
        return self.levels.index(level) >= self.levels.index(self.pass_level)


class PackKind(enum.StrEnum):
    SESSION = "session"  # a module's guide and handouts, for the trainer
    WORKBOOK = "workbook"  # a course's lessons with room for the tasks, for members


class PrintPack(db.Model):
    """A rendered PDF, kept once per content version (`version` hashes its sources)."""

    __tablename__ = "print_packs"
    __table_args__ = (sa.UniqueConstraint("kind", "subject_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(16))  # PackKind
    subject_id: Mapped[int]  # the module (session pack) or course (workbook)
    version: Mapped[str] = mapped_column(sa.String(64))
    pdf: Mapped[bytes] = deferred(mapped_column(sa.LargeBinary))
    size: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ObservationOutcome(enum.StrEnum):
    PASSED = "passed"
    NEEDS_PRACTICE = "needs-practice"

    @property
    def label(self) -> str:
        return "Passed" if self is ObservationOutcome.PASSED else "Needs more practice"


class Observation(db.Model):
    """A candidate trainer's practice session in a cohort, judged against the rubric.

    One per candidate and session: a second look at the same session would be a
    correction, which is not what "needs more practice, then observe again" means.
    `ratings` and `criteria_judged` keep what was judged even if the rubric changes.
    """

    __tablename__ = "practice_observations"
    __table_args__ = (sa.UniqueConstraint("session_id", "candidate_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    academy_id: Mapped[int] = mapped_column(sa.ForeignKey("academies.id"), index=True)
    cohort_id: Mapped[int] = mapped_column(
        sa.ForeignKey("cohorts.id", ondelete="CASCADE"), index=True
    )
    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("cohort_sessions.id", ondelete="CASCADE"), index=True
    )
    candidate_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    observer_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    rubric_id: Mapped[int] = mapped_column(sa.ForeignKey("rubrics.id"))
    ratings: Mapped[dict[str, str]] = mapped_column(sa.JSON, default=dict)  # criterion -> level
    criteria_judged: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    feedback: Mapped[str] = mapped_column(sa.Text)
    outcome: Mapped[str] = mapped_column(sa.String(16), index=True)  # ObservationOutcome
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    candidate: Mapped[User] = relationship(foreign_keys=[candidate_id], lazy="raise")
    observer: Mapped[User | None] = relationship(foreign_keys=[observer_id], lazy="raise")
    session: Mapped[Any] = relationship("CohortSession", lazy="raise")

    @property
    def passed(self) -> bool:
        return self.outcome == ObservationOutcome.PASSED

    @property
    def outcome_label(self) -> str:
        return ObservationOutcome(self.outcome).label
