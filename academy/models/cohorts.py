"""Cohorts: a group of members taking a course together with trainers.

A cohort belongs to one academy and one course. Its trainers run it; the staff
of its academy (and admins) may manage it too; its members see a member view.
Who may do what is answered here, once: `cohort.can_manage(user)` and
`cohort.can_view(user)` for one cohort, `Cohort.managed_by(user)` and
`Cohort.visible_to(user)` as SQL filters for lists.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from academy.extensions import db
from academy.models.content import Course
from academy.models.people import Academy, Role, User
from academy.models.types import UTCDateTime
from academy.timeutil import utcnow


class CohortMode(enum.StrEnum):
    ONLINE = "online"
    IN_PERSON = "in-person"
    BLENDED = "blended"

    @property
    def label(self) -> str:
        return {"online": "Online", "in-person": "In person", "blended": "Blended"}[self.value]


class AttendanceStatus(enum.StrEnum):
    PRESENT = "present"
    ABSENT = "absent"
    APOLOGIES = "apologies"

    @property
    def label(self) -> str:
        return {"present": "Present", "absent": "Absent", "apologies": "Apologies"}[self.value]


class Cohort(db.Model):
    __tablename__ = "cohorts"

    id: Mapped[int] = mapped_column(primary_key=True)
    academy_id: Mapped[int] = mapped_column(sa.ForeignKey("academies.id"), index=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    mode: Mapped[str] = mapped_column(sa.String(16))  # CohortMode
    venue: Mapped[str] = mapped_column(sa.String(300), default="")
    meeting_url: Mapped[str] = mapped_column(sa.String(500), default="")
    starts_on: Mapped[date] = mapped_column(sa.Date)
    ends_on: Mapped[date] = mapped_column(sa.Date)
    capacity: Mapped[int]
    # Sign-off also needs this share of the sessions held attended (None: no rule).
    min_attendance_percent: Mapped[int | None] = mapped_column(default=None)
    # A member with no activity for this many days is flagged on the cohort page.
    inactive_after_days: Mapped[int] = mapped_column(default=14)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Open cohorts are listed on the public "Find training" page and members sign
    # themselves up (academy/services/cohorts/open_signup.py).
    is_open: Mapped[bool] = mapped_column(default=False)
    # The trainer stopped taking sign-ups (the listing stays, saying so).
    signup_closed: Mapped[bool] = mapped_column(default=False)
    # Only members whose region is this cohort's academy may sign up.
    region_only: Mapped[bool] = mapped_column(default=False)
    # Where an in-person or blended cohort meets, for the listing's "where".
    town: Mapped[str] = mapped_column(sa.String(120), default="")

    academy: Mapped[Academy] = relationship(lazy="joined")
    course: Mapped[Course] = relationship(lazy="joined")
    trainer_links: Mapped[list[CohortTrainer]] = relationship(
        back_populates="cohort", cascade="all, delete-orphan", lazy="selectin"
    )

    __table_args__ = (sa.Index("ix_cohorts_open_ends_on", "is_open", "ends_on"),)

    def __repr__(self) -> str:
        return f"<Cohort {self.id} {self.name!r}>"

    @property
    def mode_label(self) -> str:
        return CohortMode(self.mode).label

    @property
    def trainer_ids(self) -> set[int]:
        return {link.user_id for link in self.trainer_links}

    # Permissions -----------------------------------------------------------------
    def can_manage(self, user: User) -> bool:
        """Admins, staff of its academy, and its own trainers (while still trainers there)."""
        if not user.is_authenticated:
            return False
        if user.acts_in(self.academy_id, Role.STAFF):
            return True
        return user.id in self.trainer_ids and user.acts_in(self.academy_id, Role.TRAINER)

    def is_member(self, user: User) -> bool:
        if not user.is_authenticated:
            return False
        return (
            db.session.scalar(
                sa.select(sa.literal(1)).where(
                    CohortMember.cohort_id == self.id, CohortMember.user_id == user.id
                )
            )
            is not None
        )

    def can_view(self, user: User) -> bool:
        return self.can_manage(user) or self.is_member(user)

    @classmethod
    def managed_by(cls, user: User) -> sa.ColumnElement[bool]:
        """SQL filter: the cohorts `user` may manage (see `can_manage`)."""
        if user.acts_everywhere:
            return sa.true()
        runs = sa.and_(
            cls.id.in_(sa.select(CohortTrainer.cohort_id).where(CohortTrainer.user_id == user.id)),
            user.academy_filter(cls.academy_id, Role.TRAINER),
        )
        return sa.or_(user.academy_filter(cls.academy_id, Role.STAFF), runs)

    @classmethod
    def visible_to(cls, user: User) -> sa.ColumnElement[bool]:
        """SQL filter: the cohorts `user` manages or belongs to."""
        belongs = cls.id.in_(
            sa.select(CohortMember.cohort_id).where(CohortMember.user_id == user.id)
        )
        return sa.or_(cls.managed_by(user), belongs)


class CohortTrainer(db.Model):
    __tablename__ = "cohort_trainers"

    cohort_id: Mapped[int] = mapped_column(
        sa.ForeignKey("cohorts.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    cohort: Mapped[Cohort] = relationship(back_populates="trainer_links")
    user: Mapped[User] = relationship(lazy="joined")


class CohortMember(db.Model):
    """A member in a cohort; `signed_off_at` is the trainer's sign-off of their completion."""

    __tablename__ = "cohort_members"

    cohort_id: Mapped[int] = mapped_column(
        sa.ForeignKey("cohorts.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    joined_via: Mapped[str] = mapped_column(sa.String(16), default="code")  # code|link|csv
    signed_off_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    signed_off_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )

    cohort: Mapped[Cohort] = relationship(lazy="raise")
    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="raise")

    @property
    def signed_off(self) -> bool:
        return self.signed_off_at is not None


class CohortInvite(db.Model):
    """A way in: a shareable link (`token`) with a short join `code`, or a personal
    invitation e-mailed to one address from a CSV import (single use)."""

    __tablename__ = "cohort_invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(
        sa.ForeignKey("cohorts.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str | None] = mapped_column(sa.String(16), unique=True)  # shareable only
    token: Mapped[str] = mapped_column(sa.String(64), unique=True)
    email: Mapped[str | None] = mapped_column(sa.String(254))  # personal only
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    uses: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    cohort: Mapped[Cohort] = relationship(lazy="joined")

    @property
    def personal(self) -> bool:
        return self.email is not None

    def problem(self, now: datetime | None = None) -> str | None:
        """Why this invitation cannot be used now, or None."""
        now = now or utcnow()
        if self.revoked_at is not None:
            return "This invitation has been withdrawn. Ask your trainer for a new one."
        if self.expires_at <= now:
            return "This invitation has expired. Ask your trainer for a new one."
        if self.personal and self.used_at is not None:
            return "This invitation has already been used. Ask your trainer for a new one."
        return None


class CohortSession(db.Model):
    """A live session of a cohort, in person or online."""

    __tablename__ = "cohort_sessions"
    # A cohort's next session (Find training, reminders) without reading its others.
    __table_args__ = (sa.Index("ix_cohort_sessions_cohort_starts", "cohort_id", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(
        sa.ForeignKey("cohorts.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(sa.String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    venue: Mapped[str] = mapped_column(sa.String(300), default="")
    meeting_url: Mapped[str] = mapped_column(sa.String(500), default="")
    agenda: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    cohort: Mapped[Cohort] = relationship(lazy="raise")


class Attendance(db.Model):
    __tablename__ = "cohort_attendance"

    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("cohort_sessions.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    status: Mapped[str] = mapped_column(sa.String(16))  # AttendanceStatus
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )


class Announcement(db.Model):
    __tablename__ = "cohort_announcements"

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(
        sa.ForeignKey("cohorts.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    subject: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    recipients: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    author: Mapped[User | None] = relationship(lazy="joined")


class WaitingPlace(db.Model):
    """A member waiting for a place in a full open cohort, in order of joining the list.

    When a place frees, the first waiting member without an offer is offered it
    (`offered_at`) until `offer_expires_at`; an offer that lapses is dropped and the
    next person is offered the place.
    """

    __tablename__ = "cohort_waiting_places"
    __table_args__ = (sa.UniqueConstraint("cohort_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(
        sa.ForeignKey("cohorts.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    offered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    offer_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    user: Mapped[User] = relationship(lazy="raise")


class SessionFeedback(db.Model):
    """A member's rating of a session they attended (1-5 on each question) and a comment."""

    __tablename__ = "session_feedback"
    __table_args__ = (
        sa.UniqueConstraint("session_id", "user_id"),
        sa.CheckConstraint(
            "clear BETWEEN 1 AND 5 AND useful BETWEEN 1 AND 5 AND well_run BETWEEN 1 AND 5"
            " AND recommend BETWEEN 1 AND 5",
            name="scale",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("cohort_sessions.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    clear: Mapped[int]
    useful: Mapped[int]
    well_run: Mapped[int]
    recommend: Mapped[int]
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    session: Mapped[CohortSession] = relationship(lazy="raise")


class CourseEvaluation(db.Model):
    """A member's short evaluation of a course they completed in a cohort."""

    __tablename__ = "course_evaluations"
    __table_args__ = (
        sa.UniqueConstraint("cohort_id", "user_id"),
        sa.CheckConstraint(
            "overall BETWEEN 1 AND 5 AND recommend BETWEEN 1 AND 5",
            name="scale",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(
        sa.ForeignKey("cohorts.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    overall: Mapped[int]
    recommend: Mapped[int]
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    cohort: Mapped[Cohort] = relationship(lazy="raise")


class SessionReminder(db.Model):
    """The reminder e-mail sent to a member for a session, so it is sent once."""

    __tablename__ = "session_reminders"

    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("cohort_sessions.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
