"""A cohort's live sessions: scheduling and changing them, listing them for the
trainer and the members, and which of them have been held so far (the ones
attendance counts)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from academy.extensions import db
from academy.models import Cohort, CohortMember, CohortSession, Module, User
from academy.services import ServiceError
from academy.services.audit import record
from academy.timeutil import utcnow


@dataclass
class SessionDetails:
    title: str
    starts_at: datetime
    ends_at: datetime
    venue: str
    meeting_url: str
    agenda: str
    module_id: int | None = None  # the module of the cohort's course it teaches

    def check(self) -> None:
        if not self.title.strip():
            raise ServiceError("Give the session a title.")
        if self.ends_at <= self.starts_at:
            raise ServiceError("The session must end after it starts.")
        if self.ends_at - self.starts_at > timedelta(hours=12):
            raise ServiceError("A session can last at most 12 hours.")
        if not self.venue.strip() and not self.meeting_url.strip():
            raise ServiceError("Say where the session is: a venue, a meeting link, or both.")


def _check_module(cohort_id: int, details: SessionDetails) -> None:
    if not details.module_id:
        details.module_id = None
        return
    found = db.session.scalar(
        sa.select(Module.id)
        .join(Cohort, Cohort.course_id == Module.course_id)
        .where(
            Cohort.id == cohort_id,
            Module.id == details.module_id,
            Module.retired_at.is_(None),
        )
    )
    if found is None:
        raise ServiceError("Choose a module of this cohort's course, or none.")


def schedule_session(cohort: Cohort, actor: User, details: SessionDetails) -> CohortSession:
    details.check()
    _check_module(cohort.id, details)
    session = CohortSession(cohort_id=cohort.id, **_session_columns(details))
    db.session.add(session)
    db.session.flush()
    record(
        "cohort.session.create",
        actor=actor,
        academy_id=cohort.academy_id,
        target=f"cohort:{cohort.id}",
        session=session.id,
    )
    return session


def update_session(session: CohortSession, actor: User, details: SessionDetails) -> None:
    details.check()
    _check_module(session.cohort_id, details)
    for key, value in _session_columns(details).items():
        setattr(session, key, value)
    session.updated_at = utcnow()
    db.session.flush()
    record(
        "cohort.session.update",
        actor=actor,
        target=f"cohort:{session.cohort_id}",
        session=session.id,
    )


def _session_columns(details: SessionDetails) -> dict:
    return {
        "title": details.title.strip(),
        "starts_at": details.starts_at,
        "ends_at": details.ends_at,
        "venue": details.venue.strip(),
        "meeting_url": details.meeting_url.strip(),
        "agenda": details.agenda.strip(),
        "module_id": details.module_id or None,
    }


def course_modules(course_id: int) -> list[Module]:
    """The current modules of a course, in order: what a session can teach."""
    return list(
        db.session.scalars(
            select(Module)
            .where(Module.course_id == course_id, Module.retired_at.is_(None))
            .order_by(Module.position)
        )
    )


def sessions_of(cohort: Cohort) -> list[CohortSession]:
    return list(
        db.session.scalars(
            select(CohortSession)
            .where(CohortSession.cohort_id == cohort.id)
            .order_by(CohortSession.starts_at, CohortSession.id)
        )
    )


def upcoming_sessions_for(user: User, limit: int = 10) -> list[CohortSession]:
    """The next live sessions of every cohort this member belongs to."""
    return list(
        db.session.scalars(
            select(CohortSession)
            .join(CohortMember, CohortMember.cohort_id == CohortSession.cohort_id)
            .where(CohortMember.user_id == user.id, CohortSession.ends_at >= utcnow())
            .options(selectinload(CohortSession.cohort))
            .order_by(CohortSession.starts_at)
            .limit(limit)
        )
    )


def held_sessions(
    cohort_id: int | sa.BindParameter[int], now: datetime | sa.BindParameter[datetime]
) -> sa.ColumnElement[bool]:
    """The cohort's sessions that attendance counts: those that have started by `now`
    (values, or bound parameters in a statement built once)."""
    return sa.and_(CohortSession.cohort_id == cohort_id, CohortSession.starts_at <= now)
