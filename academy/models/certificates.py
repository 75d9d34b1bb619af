"""Certificates, their numbers, bulk issues, and the lineage of promoted trainers.

A certificate is a snapshot: the holder's name, the course's title, level and
credit hours, the academy and the issuer are copied in when it is issued, so
that what a verifier is told is what the PDF says, whatever changes later.

Its verification code is never stored: only `code_hash` (sha256 of the code),
which is what the public page looks the code up by. A copy of the database
therefore cannot be turned into working verification links.

One *valid* certificate per member and course is enforced by the database (a
partial unique index), not only by the issuing service, so that concurrent
requests cannot both win.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from academy.extensions import db
from academy.formatting import uk_date
from academy.models.content import Course
from academy.models.people import Academy, User
from academy.models.types import UTCDateTime
from academy.timeutil import utcnow


class CertificateStatus(enum.StrEnum):
    VALID = "valid"
    REVOKED = "revoked"
    SUPERSEDED = "superseded"


class CertificateNumber(db.Model):
    """One row per number ever handed out: the database's own counter.

    The autoincrementing key is unique under concurrent inserts on SQLite and
    PostgreSQL alike (unlike max()+1); a number is never reused, even if the
    certificate it was drawn for is rolled back on PostgreSQL.
    """

    __tablename__ = "certificate_numbers"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    drawn_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


VALID_ONLY = sa.text("status = 'valid'")


class Certificate(db.Model):
    __tablename__ = "certificates"
    __table_args__ = (
        # At most one valid certificate per member and course.
        sa.Index(
            "uq_certificates_valid_user_course",
            "user_id",
            "course_id",
            unique=True,
            sqlite_where=VALID_ONLY,
            postgresql_where=VALID_ONLY,
        ),
        sa.Index("ix_certificates_status_expires_on", "status", "expires_on"),
        # A course's certificates oldest first: the graduates waiting for a trainer
        # decision are paged in this order, and the walk stops at the page's end.
        sa.Index("ix_certificates_course_issued", "course_id", "issued_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(32), unique=True)  # OA-2026-000123
    # sha256 hex of the verification code; the code itself is only in the PDF.
    code_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    # Erasure keeps this pointing at the anonymised account (so academy counts stay
    # right); the certificate then answers "not found" on verification.
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id"), index=True)
    academy_id: Mapped[int] = mapped_column(sa.ForeignKey("academies.id"), index=True)
    cohort_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("cohorts.id", ondelete="SET NULL"), index=True
    )
    batch_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("certificate_batches.id", ondelete="SET NULL"), index=True
    )

    # What the certificate says, fixed at issue.
    holder_name: Mapped[str] = mapped_column(sa.String(120))
    course_title: Mapped[str] = mapped_column(sa.String(300))
    level: Mapped[str] = mapped_column(sa.String(20))
    credit_hours: Mapped[float] = mapped_column(sa.Float)
    academy_name: Mapped[str] = mapped_column(sa.String(160))
    issuer_name: Mapped[str] = mapped_column(sa.String(120))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    issued_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    expires_on: Mapped[date | None] = mapped_column(sa.Date)

    status: Mapped[str] = mapped_column(sa.String(16), default=CertificateStatus.VALID, index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    revoked_reason: Mapped[str | None] = mapped_column(sa.Text)
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    superseded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("certificates.id", ondelete="SET NULL"), index=True
    )
    # When the holder was e-mailed that it is about to expire (once per certificate).
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # sha256 of the stored PDF, so a served file can be checked against what was issued.
    pdf_sha256: Mapped[str | None] = mapped_column(sa.String(64))

    user: Mapped[User | None] = relationship(foreign_keys=[user_id], lazy="raise")
    course: Mapped[Course] = relationship(lazy="raise")
    academy: Mapped[Academy] = relationship(lazy="raise")
    issued_by: Mapped[User | None] = relationship(foreign_keys=[issued_by_id], lazy="raise")

    # Set by the issuing service on the object it returns, never loaded: the
    # plain code exists only in the PDF (and in memory while it is made).
    code = None  # str | None

    def __repr__(self) -> str:
        return f"<Certificate {self.number} {self.status}>"

    @property
    def issued_on(self) -> date:
        """The day of issue, as printed and shown: the UK day (past 11pm UTC in summer
        it is already the next one)."""
        return uk_date(self.issued_at)

    def is_expired(self, today: date | None = None) -> bool:
        today = today or utcnow().date()
        return self.expires_on is not None and self.expires_on < today

    def public_status(self, today: date | None = None) -> str:
        """valid | expired | revoked | superseded, as a verifier should be told."""
        if self.status == CertificateStatus.VALID and self.is_expired(today):
            return "expired"
        return self.status

    @property
    def is_current(self) -> bool:
        """Valid and not expired: what promotion and eligibility rely on."""
        return self.public_status() == CertificateStatus.VALID


class BatchStatus(enum.StrEnum):
    # Asked for while the job queue could not be reached: started by the sweep
    # (academy/ops/sweep.py) as soon as it can be.
    WAITING = "waiting"
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class CertificateBatch(db.Model):
    """Issuing a whole cohort's certificates in the background.

    `user_ids` is fixed when the batch starts; running it again (after a crash
    or a failure) skips everyone who already holds a valid certificate, so a
    resumed batch never issues twice.
    """

    __tablename__ = "certificate_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("cohorts.id", ondelete="SET NULL"), index=True
    )
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id"), index=True)
    academy_id: Mapped[int] = mapped_column(sa.ForeignKey("academies.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_ids: Mapped[list[int]] = mapped_column(sa.JSON, default=list)
    status: Mapped[str] = mapped_column(sa.String(16), default=BatchStatus.QUEUED, index=True)
    issued: Mapped[int] = mapped_column(default=0)
    skipped: Mapped[int] = mapped_column(default=0)
    failed: Mapped[int] = mapped_column(default=0)
    # Touched after every member: a running batch whose heartbeat stops has died.
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(sa.Text)
    # What happened to each member, by user id (as text, JSON keys being strings):
    # {"outcome": "issued" | "skipped" | "failed", "reason": …, "number": …}. A
    # resumed run leaves "issued" and "skipped" members alone and retries the rest;
    # the counters above are recounted from it after every member.
    outcomes: Mapped[dict[str, dict]] = mapped_column(sa.JSON, default=dict)

    academy: Mapped[Academy] = relationship(lazy="raise")
    course: Mapped[Course] = relationship(lazy="raise")

    @property
    def total(self) -> int:
        return len(self.user_ids)

    @property
    def processed(self) -> int:
        return self.issued + self.skipped + self.failed

    @property
    def percent(self) -> int:
        return 100 if not self.total else round(100 * self.processed / self.total)

    @property
    def finished(self) -> bool:
        return self.status in (BatchStatus.DONE, BatchStatus.FAILED)

    @property
    def state(self) -> str:
        """Where the batch stands, in words, for its page (and the page's live updates)."""
        if self.finished:
            return "Finished"
        if self.status == BatchStatus.WAITING:
            return (
                "Waiting to start (the background queue cannot be reached just now; "
                "it starts by itself when it is back)"
            )
        if self.status == BatchStatus.QUEUED:
            return "Waiting to start"
        return "Working"


class PromotionDecision(enum.StrEnum):
    PROMOTED = "promoted"
    DECLINED = "declined"


class TrainerPromotion(db.Model):
    """A staff decision on a graduate of Train the trainer in one academy.

    A promotion records where the member learned to train (the cohort of the
    certificate, if any), and `TrainerLineage` rows name that cohort's trainers,
    so an academy can follow how training cascades through its membership.
    Demotion keeps the row (with `demoted_at`): the history stays.
    """

    __tablename__ = "trainer_promotions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    academy_id: Mapped[int] = mapped_column(sa.ForeignKey("academies.id"), index=True)
    decision: Mapped[str] = mapped_column(sa.String(16), index=True)
    note: Mapped[str] = mapped_column(sa.Text, default="")
    certificate_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("certificates.id", ondelete="SET NULL"), index=True
    )
    cohort_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("cohorts.id", ondelete="SET NULL"), index=True
    )
    decided_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    demoted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    demoted_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    demotion_note: Mapped[str | None] = mapped_column(sa.Text)

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="raise")
    academy: Mapped[Academy] = relationship(lazy="raise")
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id], lazy="raise")
    lineage: Mapped[list[TrainerLineage]] = relationship(
        back_populates="promotion", cascade="all, delete-orphan", lazy="raise"
    )

    @property
    def active(self) -> bool:
        return self.decision == PromotionDecision.PROMOTED and self.demoted_at is None


class TrainerLineage(db.Model):
    """`trainer` trained `trainee` (in `cohort_id`), who was then promoted to trainer."""

    __tablename__ = "trainer_lineage"
    __table_args__ = (sa.UniqueConstraint("promotion_id", "trainer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    promotion_id: Mapped[int] = mapped_column(
        sa.ForeignKey("trainer_promotions.id", ondelete="CASCADE"), index=True
    )
    trainee_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    trainer_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    cohort_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("cohorts.id", ondelete="SET NULL"), index=True
    )
    academy_id: Mapped[int] = mapped_column(sa.ForeignKey("academies.id"), index=True)

    promotion: Mapped[TrainerPromotion] = relationship(back_populates="lineage")
    trainee: Mapped[User] = relationship(foreign_keys=[trainee_id], lazy="raise")
    trainer: Mapped[User | None] = relationship(foreign_keys=[trainer_id], lazy="raise")
