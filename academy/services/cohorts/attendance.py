"""Attendance at a cohort's sessions: taking it, and each member's summary of the
sessions held so far (what the cohort's minimum attendance for sign-off is
checked against)."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import func, select

from academy.extensions import db
from academy.models import Attendance, Cohort, CohortMember, CohortSession, User
from academy.models.cohorts import AttendanceStatus
from academy.services import ServiceError
from academy.services.audit import record
from academy.services.cohorts.sessions import held_sessions
from academy.timeutil import utcnow


def attendance_for_session(session: CohortSession) -> dict[int, str]:
    rows = db.session.execute(
        select(Attendance.user_id, Attendance.status).where(Attendance.session_id == session.id)
    )
    return {user_id: status for user_id, status in rows}


def record_attendance(session: CohortSession, actor: User, statuses: Mapping[int, str]) -> int:
    """Set each member's attendance at `session` (only members of its cohort); returns
    how many were recorded. Nothing is changed if any value is wrong."""
    valid = {s.value for s in AttendanceStatus}
    members = set(
        db.session.scalars(
            select(CohortMember.user_id).where(CohortMember.cohort_id == session.cohort_id)
        )
    )
    for user_id, status in statuses.items():
        if user_id not in members:
            raise ServiceError("Attendance can only be taken for members of this cohort.")
        if status not in valid:
            raise ServiceError("Choose present, absent or apologies for each member.")
    existing = {
        a.user_id: a
        for a in db.session.scalars(select(Attendance).where(Attendance.session_id == session.id))
    }
    now = utcnow()
    for user_id, status in statuses.items():
        row = existing.get(user_id)
        if row is None:
            db.session.add(
                Attendance(
                    session_id=session.id,
                    user_id=user_id,
                    status=status,
                    recorded_at=now,
                    recorded_by_id=actor.id,
                )
            )
        elif row.status != status:
            row.status, row.recorded_at, row.recorded_by_id = status, now, actor.id
    db.session.flush()
    record(
        "cohort.attendance",
        actor=actor,
        target=f"cohort:{session.cohort_id}",
        session=session.id,
        recorded=len(statuses),
    )
    return len(statuses)


@dataclass(frozen=True)
class AttendanceSummary:
    present: int
    apologies: int
    held: int  # sessions that have started

    @property
    def percent(self) -> int | None:
        """Share of the sessions held that the member attended; None before any is held."""
        if self.held == 0:
            return None
        return round(100 * self.present / self.held)

    def short_of(self, needed: int | None) -> bool:
        """Below the cohort's minimum attendance for sign-off (never before a session)."""
        return bool(needed) and self.percent is not None and self.percent < needed


def attendance_summaries(
    cohort: Cohort,
    now: datetime | None = None,
    user_ids: Iterable[int] | None = None,
    *,
    held: int | None = None,
) -> dict[int, AttendanceSummary]:
    """Per member id: sessions attended out of those held so far (two queries, one when
    the caller has counted the sessions `held` by `now` already).

    Every member of the cohort, or only `user_ids` when given (a page of the cohort
    table, one member's page, one sign-off), so that the cost does not grow with the
    cohort."""
    now = now or utcnow()
    if held is None:
        held = db.session.scalar(
            select(func.count()).select_from(CohortSession).where(held_sessions(cohort.id, now))
        )
    params: dict[str, object] = {"cohort_id": cohort.id, "now": now}
    if user_ids is not None:
        params["user_ids"] = list(user_ids)
    rows = db.session.execute(_attendance_counts(user_ids is not None), params)
    counts = {user_id: (int(p or 0), int(a or 0)) for user_id, p, a in rows}
    return _Summaries(held, counts)


@functools.cache
def _attendance_counts(some_members: bool) -> sa.Select:
    """Per member: present and apologies at the sessions held (built once: the cohort
    page asks for it on every request)."""
    query = (
        select(
            Attendance.user_id,
            func.sum(sa.case((Attendance.status == AttendanceStatus.PRESENT, 1), else_=0)),
            func.sum(sa.case((Attendance.status == AttendanceStatus.APOLOGIES, 1), else_=0)),
        )
        .join(CohortSession, CohortSession.id == Attendance.session_id)
        .where(
            held_sessions(
                sa.bindparam("cohort_id", type_=sa.Integer),
                sa.bindparam("now", type_=CohortSession.starts_at.type),
            )
        )
        .group_by(Attendance.user_id)
    )
    if some_members:
        # The ids are written into the statement, not bound: PostgreSQL then plans it
        # for these members. Bound, psycopg prepares it after five runs and the plan
        # kept for every cohort expects the average cohort (25 members a session) and
        # reads the whole attendance of a 500-member cohort to find a page's 50
        # (4.2 ms instead of 1.6 at 500,000 members, bench/findings.md).
        members = sa.bindparam("user_ids", expanding=True, literal_execute=True, type_=sa.Integer)
        query = query.where(Attendance.user_id.in_(members))
    return query


class _Summaries(dict):
    """A dict of summaries that answers for members with no attendance recorded too."""

    def __init__(self, held: int, counts: dict[int, tuple[int, int]]):
        super().__init__({uid: AttendanceSummary(p, a, held) for uid, (p, a) in counts.items()})
        self.held = held

    def __missing__(self, user_id: int) -> AttendanceSummary:
        return AttendanceSummary(0, 0, self.held)
