"""Cohorts: creating and running them, from invitation to sign-off.

Rules live here so that the web, the CLI and jobs share them. Functions flush
and record audit events; the caller commits once. Permissions for one cohort
are on the model (`cohort.can_manage(user)`); routes check them before calling.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app, has_request_context, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager, raiseload, selectinload

from academy import jobs
from academy.extensions import db
from academy.models import (
    Academy,
    AcademyRole,
    Announcement,
    Attendance,
    Cohort,
    CohortInvite,
    CohortMember,
    CohortSession,
    CohortTrainer,
    Course,
    Enrolment,
    Role,
    User,
)
from academy.models.cohorts import AttendanceStatus, CohortMode
from academy.services import ServiceError
from academy.services.audit import record
from academy.timeutil import utcnow

# Join codes: short, read aloud and typed on phones. No 0/O, 1/I/L: nothing to confuse.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
MAX_CAPACITY = 1000
DEFAULT_INVITE_DAYS = 14
PERSONAL_INVITE_DAYS = 30


def external_url(endpoint: str, **values: object) -> str:
    base = current_app.config["ACADEMY_BASE_URL"].rstrip("/")
    if has_request_context():
        return base + url_for(endpoint, **values)
    with current_app.test_request_context():  # from the CLI or a job
        return base + url_for(endpoint, **values)


# Creating and editing -----------------------------------------------------------------


def academies_for_new_cohort(user: User) -> list[Academy]:
    """Where `user` may create a cohort: every academy for an admin, else where they
    are a trainer or staff."""
    query = select(Academy).order_by(Academy.name)
    if not user.has_role(Role.ADMIN):
        ids = user.academy_ids(Role.TRAINER) | user.academy_ids(Role.STAFF)
        query = query.where(Academy.id.in_(ids or {-1}))
    return list(db.session.scalars(query))


def offered_courses() -> list[Course]:
    return list(
        db.session.scalars(
            select(Course)
            .where(Course.retired_at.is_(None))
            .order_by(Course.position, Course.title)
        )
    )


def trainers_in(academy_ids: Iterable[int]) -> list[User]:
    """People who hold the trainer role in any of these academies (co-trainer choices)."""
    ids = set(academy_ids)
    if not ids:
        return []
    return list(
        db.session.scalars(
            select(User)
            .join(AcademyRole, AcademyRole.user_id == User.id)
            .where(
                AcademyRole.role == Role.TRAINER,
                AcademyRole.academy_id.in_(ids),
                User.disabled_at.is_(None),
            )
            .distinct()
            .order_by(User.display_name, User.id)
        )
    )


@dataclass
class CohortDetails:
    name: str
    mode: str
    venue: str
    meeting_url: str
    starts_on: date
    ends_on: date
    capacity: int
    min_attendance_percent: int | None
    inactive_after_days: int

    def check(self) -> None:
        if not self.name.strip():
            raise ServiceError("Give the cohort a name.")
        if self.mode not in {m.value for m in CohortMode}:
            raise ServiceError("Choose online, in person or blended.")
        if self.ends_on < self.starts_on:
            raise ServiceError("The end date must be on or after the start date.")
        if not 1 <= self.capacity <= MAX_CAPACITY:
            raise ServiceError(f"Capacity must be between 1 and {MAX_CAPACITY}.")
        if self.min_attendance_percent is not None and not (
            0 <= self.min_attendance_percent <= 100
        ):
            raise ServiceError("Minimum attendance is a percentage from 0 to 100.")
        if not 1 <= self.inactive_after_days <= 365:
            raise ServiceError("Flag inactivity after 1 to 365 days.")
        if self.mode in (CohortMode.ONLINE, CohortMode.BLENDED) and not self.meeting_url:
            raise ServiceError("An online or blended cohort needs a meeting link.")
        if self.mode in (CohortMode.IN_PERSON, CohortMode.BLENDED) and not self.venue.strip():
            raise ServiceError("An in-person or blended cohort needs a venue.")


def _check_co_trainers(academy: Academy, co_trainers: Iterable[User]) -> list[User]:
    allowed = {u.id for u in trainers_in([academy.id])}
    chosen = list({u.id: u for u in co_trainers}.values())
    for user in chosen:
        if user.id not in allowed:
            raise ServiceError(f"{user.display_name} is not a trainer in the {academy.full_name}.")
    return chosen


def create_cohort(
    actor: User,
    *,
    academy: Academy,
    course: Course,
    details: CohortDetails,
    co_trainers: Iterable[User] = (),
) -> Cohort:
    if academy.id not in {a.id for a in academies_for_new_cohort(actor)}:
        raise ServiceError("You can only create cohorts in your own academies.")
    if course.retired:
        raise ServiceError("This course is no longer offered.")
    details.check()
    cohort = Cohort(
        academy_id=academy.id,
        course_id=course.id,
        created_by_id=actor.id,
        **_columns(details),
    )
    db.session.add(cohort)
    db.session.flush()
    trainers = _check_co_trainers(academy, co_trainers)
    # The creator runs the cohort if they are a trainer there; staff create it for others.
    if academy.id in actor.academy_ids(Role.TRAINER) and actor.id not in {u.id for u in trainers}:
        trainers.insert(0, actor)
    for user in trainers:
        cohort.trainer_links.append(CohortTrainer(user_id=user.id))
    db.session.flush()
    record(
        "cohort.create",
        actor=actor,
        academy_id=academy.id,
        target=f"cohort:{cohort.id}",
        course=course.slug,
        trainers=[u.id for u in trainers],
    )
    return cohort


def _columns(details: CohortDetails) -> dict:
    return {
        "name": details.name.strip(),
        "mode": details.mode,
        "venue": details.venue.strip(),
        "meeting_url": details.meeting_url.strip(),
        "starts_on": details.starts_on,
        "ends_on": details.ends_on,
        "capacity": details.capacity,
        "min_attendance_percent": details.min_attendance_percent,
        "inactive_after_days": details.inactive_after_days,
    }


def update_cohort(
    actor: User, cohort: Cohort, details: CohortDetails, co_trainers: Iterable[User]
) -> Cohort:
    details.check()
    if details.capacity < member_count(cohort):
        raise ServiceError(
            f"The cohort already has {member_count(cohort)} members: "
            "the capacity cannot be lower than that."
        )
    for key, value in _columns(details).items():
        setattr(cohort, key, value)
    wanted = {u.id for u in _check_co_trainers(cohort.academy, co_trainers)}
    # The form lists the *other* trainers: the person editing keeps their own place.
    if actor.id in cohort.trainer_ids:
        wanted.add(actor.id)
    for link in list(cohort.trainer_links):
        if link.user_id not in wanted:
            cohort.trainer_links.remove(link)
    for user_id in wanted - cohort.trainer_ids:
        cohort.trainer_links.append(CohortTrainer(user_id=user_id))
    db.session.flush()
    record(
        "cohort.update",
        actor=actor,
        academy_id=cohort.academy_id,
        target=f"cohort:{cohort.id}",
        trainers=sorted(wanted),
    )
    return cohort


def cohorts_managed_by(user: User) -> list[Cohort]:
    return list(
        db.session.scalars(
            select(Cohort)
            .where(Cohort.managed_by(user))
            .order_by(Cohort.starts_on.desc(), Cohort.id.desc())
        ).unique()
    )


def cohorts_of_member(user: User) -> list[Cohort]:
    return list(
        db.session.scalars(
            select(Cohort)
            .join(CohortMember, CohortMember.cohort_id == Cohort.id)
            .where(CohortMember.user_id == user.id)
            .order_by(Cohort.starts_on.desc(), Cohort.id.desc())
        ).unique()
    )


def member_counts(cohort_ids: Iterable[int]) -> dict[int, int]:
    ids = list(cohort_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(CohortMember.cohort_id, func.count())
        .where(CohortMember.cohort_id.in_(ids))
        .group_by(CohortMember.cohort_id)
    )
    return {cohort_id: count for cohort_id, count in rows}


def member_count(cohort: Cohort) -> int:
    return member_counts([cohort.id]).get(cohort.id, 0)


# Invitations and joining ---------------------------------------------------------------


def normalise_code(text: str) -> str:
    """What a member typed, as stored: capitals, no spaces or hyphens."""
    return "".join(ch for ch in text.upper() if ch.isalnum())


def format_code(code: str) -> str:
    """ABCD-EFGH: easier to read out and copy."""
    return f"{code[:4]}-{code[4:]}" if len(code) == CODE_LENGTH else code


def _new_code() -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if db.session.scalar(select(CohortInvite.id).where(CohortInvite.code == code)) is None:
            return code


def create_invite(cohort: Cohort, actor: User, *, days: int = DEFAULT_INVITE_DAYS) -> CohortInvite:
    """A shareable link and join code, valid for `days` days."""
    if not 1 <= days <= 90:
        raise ServiceError("An invitation lasts from 1 to 90 days.")
    invite = CohortInvite(
        cohort_id=cohort.id,
        code=_new_code(),
        token=secrets.token_urlsafe(24),
        expires_at=utcnow() + timedelta(days=days),
        created_by_id=actor.id,
    )
    db.session.add(invite)
    db.session.flush()
    record(
        "cohort.invite.create",
        actor=actor,
        academy_id=cohort.academy_id,
        target=f"cohort:{cohort.id}",
        invite=invite.id,
        days=days,
    )
    return invite


def revoke_invite(invite: CohortInvite, actor: User) -> None:
    if invite.revoked_at is None:
        invite.revoked_at = utcnow()
        db.session.flush()
        record(
            "cohort.invite.revoke",
            actor=actor,
            academy_id=invite.cohort.academy_id,
            target=f"cohort:{invite.cohort_id}",
            invite=invite.id,
        )


def invites_of(cohort: Cohort) -> list[CohortInvite]:
    """Shareable invitations, newest first (personal ones are listed with the import)."""
    return list(
        db.session.scalars(
            select(CohortInvite)
            .where(CohortInvite.cohort_id == cohort.id, CohortInvite.email.is_(None))
            .order_by(CohortInvite.created_at.desc(), CohortInvite.id.desc())
        )
    )


def pending_personal_invites(cohort: Cohort) -> list[CohortInvite]:
    return list(
        db.session.scalars(
            select(CohortInvite)
            .where(
                CohortInvite.cohort_id == cohort.id,
                CohortInvite.email.is_not(None),
                CohortInvite.used_at.is_(None),
                CohortInvite.revoked_at.is_(None),
                CohortInvite.expires_at > utcnow(),
            )
            .order_by(CohortInvite.email)
        )
    )


def find_invite(key: str) -> CohortInvite | None:
    """The invitation for a join code (any case, with or without the hyphen) or a link token."""
    key = key.strip()
    if not key or len(key) > 64:
        return None
    code = normalise_code(key)
    if len(code) == CODE_LENGTH:
        invite = db.session.scalar(select(CohortInvite).where(CohortInvite.code == code))
        if invite is not None:
            return invite
    return db.session.scalar(select(CohortInvite).where(CohortInvite.token == key))


def _lock_cohort(cohort: Cohort) -> None:
    # Serialise joins to one cohort so two people cannot take the last place at once
    # (PostgreSQL row lock; SQLite already serialises writers).
    db.session.execute(select(Cohort.id).where(Cohort.id == cohort.id).with_for_update())


def _admit(cohort: Cohort, user: User, *, via: str) -> CohortMember:
    """Add `user` to the cohort and enrol them in its course (capacity checked)."""
    from academy.services import learning

    _lock_cohort(cohort)
    if member_count(cohort) >= cohort.capacity:
        raise ServiceError("Sorry, this cohort is full. Ask your trainer about another one.")
    membership = CohortMember(cohort_id=cohort.id, user_id=user.id, joined_via=via)
    db.session.add(membership)
    db.session.flush()
    # The trainer chose who to train, so the course's prerequisites do not stop a cohort.
    learning.enrol(user, cohort.course, check_prerequisites=False)
    return membership


def membership_of(cohort: Cohort, user_id: int) -> CohortMember | None:
    return db.session.get(CohortMember, (cohort.id, user_id))


def join_problem(invite: CohortInvite) -> str | None:
    """Why nobody can join through this invitation now, or None."""
    problem = invite.problem()
    if problem:
        return problem
    if invite.cohort.ends_on < utcnow().date():
        return "This cohort has finished. Ask your trainer about another one."
    if member_count(invite.cohort) >= invite.cohort.capacity:
        return "Sorry, this cohort is full. Ask your trainer about another one."
    return None


def join(user: User, invite: CohortInvite) -> tuple[CohortMember, bool]:
    """Join through an invitation; returns (membership, newly joined)."""
    cohort = invite.cohort
    existing = membership_of(cohort, user.id)
    if existing is not None:
        return existing, False
    problem = join_problem(invite)
    if problem:
        raise ServiceError(problem)
    membership = _admit(cohort, user, via="email" if invite.personal else "link")
    invite.uses += 1
    if invite.personal:
        invite.used_at = utcnow()
    db.session.flush()
    record(
        "cohort.join",
        actor=user,
        subject=user,
        academy_id=cohort.academy_id,
        target=f"cohort:{cohort.id}",
        invite=invite.id,
    )
    return membership, True


def add_existing_member(cohort: Cohort, user: User, actor: User, *, via: str) -> CohortMember:
    membership = _admit(cohort, user, via=via)
    record(
        "cohort.member.add",
        actor=actor,
        subject=user,
        academy_id=cohort.academy_id,
        target=f"cohort:{cohort.id}",
        via=via,
    )
    return membership


Message = tuple[str, str, str]  # to, subject, body: sent after the caller commits


def invite_by_email(cohort: Cohort, email: str, actor: User) -> tuple[CohortInvite, Message]:
    """A personal, single-use invitation for someone without an account, and the e-mail
    to send them.

    We never create the account for them: they register themselves (and consent to
    the privacy notice), then follow the link to join.
    """
    invite = CohortInvite(
        cohort_id=cohort.id,
        token=secrets.token_urlsafe(24),
        email=email,
        expires_at=utcnow() + timedelta(days=PERSONAL_INVITE_DAYS),
        created_by_id=actor.id,
    )
    db.session.add(invite)
    db.session.flush()
    message = (
        email,
        f"You are invited to join {cohort.name} at the Organising Academy",
        f"Hello,\n\n{actor.display_name} has invited you to join the cohort “{cohort.name}” "
        f"({cohort.course.title}) at the {cohort.academy.full_name}.\n\n"
        f"1. Create your account (you choose what we keep about you):\n"
        f"   {external_url('auth.register')}\n"
        f"2. Confirm it from the e-mail we send you, then follow this link to join:\n"
        f"   {external_url('cohorts.join', key=invite.token)}\n\n"
        f"The invitation works once and lasts {PERSONAL_INVITE_DAYS} days. If you did not "
        "expect it, you can ignore this message: no account has been created for you.",
    )
    return invite, message


def added_message(cohort: Cohort, user: User, actor: User) -> Message:
    return (
        user.email,
        f"You have been added to {cohort.name} at the Organising Academy",
        f"Hello {user.display_name},\n\n{actor.display_name} has added you to the cohort "
        f"“{cohort.name}” ({cohort.course.title}) at the {cohort.academy.full_name}, and "
        f"enrolled you in the course.\n\nSee the cohort's sessions and news: "
        f"{external_url('cohorts.detail', cohort_id=cohort.id)}\n\n"
        "If you do not want to take part, reply to your trainer.",
    )


def send_later(messages: list[Message]) -> None:
    """Queue e-mails in one background job. Call after committing."""
    if messages:
        jobs.enqueue("academy.services.cohorts.send_messages", [list(m) for m in messages])


def send_messages(messages: list[list[str]]) -> None:
    """The job: one message per person, over one connection."""
    from flask_mailman import EmailMessage

    mail = current_app.extensions["mailman"]
    with mail.get_connection() as connection:
        connection.send_messages(
            [
                EmailMessage(
                    subject=subject,
                    body=body,
                    from_email=current_app.config["MAIL_DEFAULT_SENDER"],
                    to=[to],
                    connection=connection,
                )
                for to, subject, body in messages
            ]
        )


def remove_member(cohort: Cohort, user_id: int, actor: User) -> None:
    membership = membership_of(cohort, user_id)
    if membership is None:
        raise ServiceError("That person is not in this cohort.")
    db.session.delete(membership)
    db.session.flush()
    record(
        "cohort.member.remove",
        actor=actor,
        subject=db.session.get(User, user_id),
        academy_id=cohort.academy_id,
        target=f"cohort:{cohort.id}",
    )


def leave_cohort(cohort: Cohort, user: User) -> None:
    """A member leaves a cohort themselves; their progress in the course is kept."""
    membership = membership_of(cohort, user.id)
    if membership is None:
        raise ServiceError("You are not in this cohort.")
    if membership.signed_off_at is not None:
        raise ServiceError("Your trainer has signed you off: the cohort stays on your record.")
    db.session.delete(membership)
    db.session.flush()
    record(
        "cohort.leave",
        actor=user,
        subject=user,
        academy_id=cohort.academy_id,
        target=f"cohort:{cohort.id}",
    )


# Sessions and attendance ---------------------------------------------------------------


@dataclass
class SessionDetails:
    title: str
    starts_at: datetime
    ends_at: datetime
    venue: str
    meeting_url: str
    agenda: str

    def check(self) -> None:
        if not self.title.strip():
            raise ServiceError("Give the session a title.")
        if self.ends_at <= self.starts_at:
            raise ServiceError("The session must end after it starts.")
        if self.ends_at - self.starts_at > timedelta(hours=12):
            raise ServiceError("A session can last at most 12 hours.")
        if not self.venue.strip() and not self.meeting_url.strip():
            raise ServiceError("Say where the session is: a venue, a meeting link, or both.")


def schedule_session(cohort: Cohort, actor: User, details: SessionDetails) -> CohortSession:
    details.check()
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
    }


def sessions_of(cohort: Cohort) -> list[CohortSession]:
    return list(
        db.session.scalars(
            select(CohortSession)
            .where(CohortSession.cohort_id == cohort.id)
            .order_by(CohortSession.starts_at, CohortSession.id)
        )
    )


def members_of(cohort: Cohort) -> list[CohortMember]:
    """Memberships with their people loaded, by name."""
    return list(
        db.session.scalars(
            select(CohortMember)
            .join(User, User.id == CohortMember.user_id)
            .where(CohortMember.cohort_id == cohort.id)
            # One query: the accounts come with the rows, without their roles.
            .options(
                contains_eager(CohortMember.user).options(
                    raiseload(User.role_grants), raiseload(User.academy_roles)
                )
            )
            .order_by(func.lower(User.display_name), User.id)
        )
    )


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


def held_sessions(
    cohort_id: int | sa.BindParameter[int], now: datetime | sa.BindParameter[datetime]
) -> sa.ColumnElement[bool]:
    """The cohort's sessions that attendance counts: those that have started by `now`
    (values, or bound parameters in a statement built once)."""
    return sa.and_(CohortSession.cohort_id == cohort_id, CohortSession.starts_at <= now)


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


# Sign-off --------------------------------------------------------------------------------


def sign_off_problem(cohort: Cohort, user_id: int) -> str | None:
    """Why this member cannot be signed off yet, or None."""
    enrolment = db.session.scalar(
        select(Enrolment).where(
            Enrolment.user_id == user_id, Enrolment.course_id == cohort.course_id
        )
    )
    if enrolment is None or enrolment.completed_at is None:
        return "They have not completed the course yet."
    if cohort.min_attendance_percent:
        summary = attendance_summaries(cohort, user_ids=[user_id])[user_id]
        if summary.short_of(cohort.min_attendance_percent):
            return (
                f"They attended {summary.percent}% of sessions; this cohort asks for at least "
                f"{cohort.min_attendance_percent}%."
            )
    return None


def sign_off(cohort: Cohort, user_id: int, actor: User) -> CohortMember:
    membership = membership_of(cohort, user_id)
    if membership is None:
        raise ServiceError("That person is not in this cohort.")
    if membership.signed_off_at is not None:
        return membership
    problem = sign_off_problem(cohort, user_id)
    if problem:
        raise ServiceError(f"Cannot sign off yet. {problem}")
    membership.signed_off_at = utcnow()
    membership.signed_off_by_id = actor.id
    db.session.flush()
    record(
        "cohort.sign_off",
        actor=actor,
        subject=db.session.get(User, user_id),
        academy_id=cohort.academy_id,
        target=f"cohort:{cohort.id}",
    )
    return membership


def withdraw_sign_off(cohort: Cohort, user_id: int, actor: User) -> None:
    membership = membership_of(cohort, user_id)
    if membership is None or membership.signed_off_at is None:
        raise ServiceError("That member has not been signed off.")
    membership.signed_off_at = None
    membership.signed_off_by_id = None
    db.session.flush()
    record(
        "cohort.sign_off.withdraw",
        actor=actor,
        subject=db.session.get(User, user_id),
        academy_id=cohort.academy_id,
        target=f"cohort:{cohort.id}",
    )


# Announcements ---------------------------------------------------------------------------


def announce(cohort: Cohort, actor: User, subject: str, body: str) -> Announcement:
    """Post an announcement on the cohort page; `send_announcement` e-mails it (after the
    caller commits, so that a background worker never sends a message that was rolled back)."""
    subject, body = subject.strip(), body.strip()
    if not subject or not body:
        raise ServiceError("Write a subject and a message.")
    announcement = Announcement(
        cohort_id=cohort.id,
        author_id=actor.id,
        subject=subject,
        body=body,
        recipients=member_count(cohort),
    )
    db.session.add(announcement)
    db.session.flush()
    record(
        "cohort.announce",
        actor=actor,
        academy_id=cohort.academy_id,
        target=f"cohort:{cohort.id}",
        announcement=announcement.id,
    )
    return announcement


def announcement_messages(cohort: Cohort, announcement: Announcement) -> list[Message]:
    """One e-mail per member (never one message to all: members do not see each other's
    addresses). Send them with `send_later` once the announcement is committed."""
    recipients = db.session.scalars(
        select(User.email)
        .join(CohortMember, CohortMember.user_id == User.id)
        .where(CohortMember.cohort_id == cohort.id, User.disabled_at.is_(None))
        .order_by(User.id)
    )
    author = announcement.author.display_name if announcement.author else "Your trainer"
    subject = f"[{cohort.name}] {announcement.subject}"
    body = (
        f"{announcement.body}\n\n— {author}, {cohort.name}\n\n"
        f"See the cohort page: {external_url('cohorts.detail', cohort_id=cohort.id)}"
    )
    return [(email, subject, body) for email in recipients]


def announcements_of(cohort: Cohort, limit: int = 20) -> list[Announcement]:
    return list(
        db.session.scalars(
            select(Announcement)
            .where(Announcement.cohort_id == cohort.id)
            .order_by(Announcement.created_at.desc(), Announcement.id.desc())
            .limit(limit)
        )
    )


# For members ---------------------------------------------------------------------------


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
