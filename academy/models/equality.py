"""Equality monitoring: optional answers kept apart from the account.

The answers live under a random pseudonymous id (`EqualityProfile.id`), never
the user id; the one link between a person and their answers is
`EqualityLink`, a separate table that only the member's own questionnaire page
and the aggregate reports read. Nothing renders an individual's answers to
anyone but that member. Withdrawing deletes the profile, its answers and the
link.

The built-in questions (gender, ethnic group, disability, age band …) are
defined in code (`academy.services.equality.QUESTIONS`); admins may add
further yes/no questions for the groups the academies want to reach
(`EqualityQuestion`). Answers to both are rows of `EqualityAnswer`, so every
report groups the same way.
"""

from __future__ import annotations

import secrets
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from academy.extensions import db
from academy.models.types import UTCDateTime
from academy.timeutil import utcnow


def new_pseudonym() -> str:
    return secrets.token_hex(16)


class EqualityProfile(db.Model):
    """One member's answers, under a pseudonym."""

    __tablename__ = "equality_profiles"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_pseudonym)
    # Only the month is kept, so the row cannot be matched to an account by its timestamp.
    updated_month: Mapped[str] = mapped_column(sa.String(7))

    answers: Mapped[list[EqualityAnswer]] = relationship(
        back_populates="profile", cascade="all, delete-orphan", lazy="selectin"
    )


class EqualityAnswer(db.Model):
    """The answer to one question ("prefer-not-to-say" is an answer; no row is no answer)."""

    __tablename__ = "equality_answers"

    profile_id: Mapped[str] = mapped_column(
        sa.ForeignKey("equality_profiles.id", ondelete="CASCADE"), primary_key=True
    )
    question: Mapped[str] = mapped_column(sa.String(64), primary_key=True, index=True)
    answer: Mapped[str] = mapped_column(sa.String(64))

    profile: Mapped[EqualityProfile] = relationship(back_populates="answers")


class EqualityLink(db.Model):
    """The only place a person is tied to their pseudonymous answers."""

    __tablename__ = "equality_links"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    profile_id: Mapped[str] = mapped_column(
        sa.ForeignKey("equality_profiles.id", ondelete="CASCADE"), unique=True
    )


class EqualityQuestion(db.Model):
    """A further yes/no question for a group the academies choose to monitor."""

    __tablename__ = "equality_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(64), unique=True)
    label: Mapped[str] = mapped_column(sa.String(300))
    hint: Mapped[str] = mapped_column(sa.String(500), default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
