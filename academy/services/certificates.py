"""Certificates: who is eligible, issuing (one or a cohort's batch), re-issuing,
revoking, verifying, and reminding holders before a certificate expires.

Rules:

- A member is eligible for a course's certificate when the course is accredited,
  their enrolment is complete, and, if they belong to a cohort of that course,
  a trainer of that cohort has signed them off.
- Staff act in their own academies; admins everywhere. A cohort's certificates
  are issued by its academy; a self-study completion by an academy the staff
  member chooses among theirs.
- One valid certificate per member and course. The database enforces it (a
  partial unique index), so concurrent requests make one certificate and the
  rest are told it exists. Re-issuing supersedes the old certificate.
- The verification code is random (192 bits) and only its sha256 is stored.
  The PDF is rendered once, at issue, stored atomically and served as it is.
"""

from __future__ import annotations

import calendar
import functools
import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, joinedload, lazyload

from academy import jobs
from academy.certificates.render import (
    CertificateContent,
    CertificateLayoutError,
    long_date,
    renderer_for,
    write_atomically,
)
from academy.extensions import db
from academy.models import (
    Academy,
    Cohort,
    CohortMember,
    Course,
    Enrolment,
    Role,
    User,
)
from academy.models.certificates import (
    BatchStatus,
    Certificate,
    CertificateBatch,
    CertificateNumber,
    CertificateStatus,
)
from academy.services import ServiceError
from academy.services.audit import record
from academy.timeutil import utcnow

log = logging.getLogger(__name__)

VERIFY_PATH = "/verify/"
CODE_BYTES = 24  # 192 bits, 32 URL-safe characters
MAX_CODE_LENGTH = 64  # anything longer is not one of ours: answered as "not found"
REASON_MAX = 500
STALE_BATCH = timedelta(minutes=2)


class NotAllowed(ServiceError):
    """The person acting may not do this here (a route answers 403 or 404)."""


class AlreadyCertified(ServiceError):
    """The member already holds a valid certificate for the course."""


# Who may act where --------------------------------------------------------------------


def staff_academy_ids(actor: User) -> set[int] | None:
    """The academies `actor` issues in: None means every academy (admins)."""
    if actor.has_role(Role.ADMIN):
        return None
    return actor.academy_ids(Role.STAFF)


def can_act_in(actor: User, academy_id: int) -> bool:
    ids = staff_academy_ids(actor)
    return ids is None or academy_id in ids


def academies_of(actor: User) -> list[Academy]:
    """The academies `actor` may act in, by name.

    A staff member's come with their roles (each role loads its academy), so
    only an admin's, which are all of them, need a query.
    """
    if staff_academy_ids(actor) is None:
        return list(db.session.scalars(sa.select(Academy).order_by(Academy.name)))
    academies = {
        link.academy_id: link.academy for link in actor.academy_roles if link.role == Role.STAFF
    }
    return sorted(academies.values(), key=lambda academy: academy.name)


def _require_academy(actor: User, academy_id: int) -> None:
    if not can_act_in(actor, academy_id):
        raise NotAllowed("You can only act for the academies you work in.")


def can_download(user: User, certificate: Certificate) -> bool:
    """The holder, staff of the issuing academy, and admins."""
    if certificate.user_id is not None and certificate.user_id == user.id:
        return True
    return user.has_role(Role.STAFF, Role.ADMIN) and can_act_in(user, certificate.academy_id)


# Eligibility ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Eligible:
    user: User
    course: Course
    cohort: Cohort | None
    completed_at: datetime
    signed_off_at: datetime | None


# Written into the SQL rather than bound, so that the database can use the partial
# unique index of valid certificates in any plan (PostgreSQL's plans prepared once
# for any parameters too, which cannot rely on a bound status being 'valid').
VALID = sa.literal(CertificateStatus.VALID.value, sa.String, literal_execute=True)


def _has_valid_certificate(user_id_col, course_id_col) -> sa.ColumnElement[bool]:
    return sa.exists().where(
        Certificate.user_id == user_id_col,
        Certificate.course_id == course_id_col,
        Certificate.status == VALID,
    )


# A list shows names and titles: none of the collections these models load eagerly.
_LIST_ONLY = (lazyload(Course.modules), lazyload(User.role_grants), lazyload(User.academy_roles))


Academies = set[int] | sa.BindParameter | None


def _within(column: sa.ColumnElement[int], ids: Academies) -> sa.ColumnElement[bool]:
    """`column` is one of the academies `ids`: a set, or the bound parameter of a
    statement built once (see `counting_params`)."""
    if isinstance(ids, sa.BindParameter):
        return column.in_(ids)
    return column.in_(ids or {-1})


def _eligible_statements(
    actor: User,
    *,
    academy_id: int | None = None,
    course_id: int | None = None,
    cohort_id: int | None = None,
    include_self_study: bool = True,
) -> tuple[sa.Select, sa.Select | None] | None:
    """The two unordered selects behind `eligible_members`: signed-off cohort members,
    and self-study completions (None when not asked for); None if `actor` may not."""
    allowed, ids = _listing_scope(actor, academy_id)
    if not allowed:
        return None
    return _eligible_selects(
        ids, course_id=course_id, cohort_id=cohort_id, include_self_study=include_self_study
    )


def _listing_scope(actor: User, academy_id: int | None) -> tuple[bool, set[int] | None]:
    """Whether `actor` may list `academy_id` (None: all theirs), and the academies listed
    (None: every academy, for an admin)."""
    ids = staff_academy_ids(actor)
    if academy_id is not None:
        if ids is not None and academy_id not in ids:
            return False, None
        ids = {academy_id}
    return True, ids


def _eligible_selects(
    ids: Academies,
    *,
    course_id: int | None = None,
    cohort_id: int | None = None,
    include_self_study: bool = True,
    counting: bool = False,
) -> tuple[sa.Select, sa.Select | None]:
    """`_eligible_statements` for the cohorts of the academies `ids` (None: all).

    The cohort select gives (CohortMember, Cohort, User, Enrolment, Course) rows;
    `counting` makes it give each (member, course) pair once, as bare rows to
    count: no DISTINCT (which would read every row before giving the first), a
    member signed off in two cohorts of a course coming with the first only.
    """
    # Driven from the cohorts (of the academies), so a count stops at its cap after
    # a walk through some of their members, however many members other academies
    # have. Cheapest test first: most signed-off members hold their certificate.
    in_cohort = (
        sa.select(CohortMember, Cohort, User)
        .join(Cohort, Cohort.id == CohortMember.cohort_id)
        .join(User, User.id == CohortMember.user_id)
        .where(
            Cohort.course_id.in_(sa.select(Course.id).where(Course.accredited.is_(True))),
            CohortMember.signed_off_at.is_not(None),
            User.disabled_at.is_(None),
            ~_has_valid_certificate(CohortMember.user_id, Cohort.course_id),
        )
    )
    completed = sa.and_(
        Enrolment.user_id == CohortMember.user_id,
        Enrolment.course_id == Cohort.course_id,
        Enrolment.completed_at.is_not(None),
    )
    if counting:
        # A test per member, never a walk through completions (which SQLite would
        # choose, without statistics for the partial index, to find the cohorts).
        in_cohort = in_cohort.where(sa.exists().where(completed))
        in_cohort = in_cohort.where(~_signed_off_in_an_earlier_cohort(ids))
    else:  # the list shows when they completed, and the course
        in_cohort = (
            in_cohort.add_columns(Enrolment, Course)
            .join(Enrolment, completed)
            .join(Course, Course.id == Cohort.course_id)
        )
    if ids is not None:
        in_cohort = in_cohort.where(_within(Cohort.academy_id, ids))
    if course_id is not None:
        in_cohort = in_cohort.where(Cohort.course_id == course_id)
    if cohort_id is not None:
        in_cohort = in_cohort.where(Cohort.id == cohort_id)
    if cohort_id is not None or not include_self_study:
        return in_cohort, None
    any_cohort = sa.exists().where(
        CohortMember.user_id == Enrolment.user_id,
        CohortMember.cohort_id == Cohort.id,
        Cohort.course_id == Enrolment.course_id,
    )
    # One row per enrolment, so per (member, course): no DISTINCT needed. Found by
    # course through the partial index of completed enrolments.
    alone = (
        sa.select(Enrolment, User, Course)
        .join(User, User.id == Enrolment.user_id)
        .join(Course, Course.id == Enrolment.course_id)
        .where(
            Course.accredited.is_(True),
            Enrolment.completed_at.is_not(None),
            User.disabled_at.is_(None),
            ~any_cohort,
            ~_has_valid_certificate(User.id, Course.id),
        )
    )
    if course_id is not None:
        alone = alone.where(Course.id == course_id)
    return in_cohort, alone


def _signed_off_in_an_earlier_cohort(ids: Academies) -> sa.ColumnElement[bool]:
    """The member of the outer cohort row was also signed off in a cohort of the same
    course (of `ids`) with a smaller id: the pair is counted with that one instead."""
    member, cohort = aliased(CohortMember), aliased(Cohort)
    earlier = sa.exists().where(
        member.user_id == CohortMember.user_id,
        member.signed_off_at.is_not(None),
        cohort.id == member.cohort_id,
        cohort.course_id == Cohort.course_id,
        cohort.id < Cohort.id,
    )
    if ids is not None:
        earlier = earlier.where(_within(cohort.academy_id, ids))
    return earlier


def eligible_members(
    actor: User,
    *,
    academy_id: int | None = None,
    course_id: int | None = None,
    cohort_id: int | None = None,
    include_self_study: bool = True,
) -> list[Eligible]:
    """Members waiting for a certificate that `actor` may issue, in two queries.

    Cohort members are listed for the cohorts of `actor`'s academies (or of
    `academy_id`); self-study completions (members in no cohort of the course)
    are listed for every staff member, who picks the issuing academy.
    """
    statements = _eligible_statements(
        actor,
        academy_id=academy_id,
        course_id=course_id,
        cohort_id=cohort_id,
        include_self_study=include_self_study,
    )
    if statements is None:
        return []
    in_cohort, alone = statements
    results: list[Eligible] = []
    in_cohort = in_cohort.order_by(Cohort.name, User.display_name, User.id).options(
        *_LIST_ONLY, lazyload(Cohort.trainer_links)
    )
    seen: set[tuple[int, int]] = set()
    for member, cohort, user, enrolment, course in db.session.execute(in_cohort):
        if (user.id, course.id) in seen:  # signed off in two cohorts of one course
            continue
        seen.add((user.id, course.id))
        results.append(Eligible(user, course, cohort, enrolment.completed_at, member.signed_off_at))
    if alone is None:
        return results
    alone = alone.order_by(Course.position, User.display_name, User.id).options(*_LIST_ONLY)
    for enrolment, user, course in db.session.execute(alone):
        results.append(Eligible(user, course, None, enrolment.completed_at, None))
    return results


@dataclass(frozen=True)
class WaitingPage:
    """One page of `eligible_members`, for the list staff work through."""

    entries: list[Eligible]
    has_next: bool
    # Cohort id -> how many wait in the whole cohort (its "issue all" button), for
    # the cohorts on this page.
    cohort_totals: dict[int, int]
    # How many wait under these filters, counted up to `cap` ("1,000 or more").
    counted: int
    cap: int


def waiting_page(
    actor: User,
    *,
    academy_id: int | None = None,
    course_id: int | None = None,
    cohort_id: int | None = None,
    page: int = 1,
    per_page: int = 50,
    cap: int = 1000,
) -> WaitingPage:
    """`eligible_members` one page at a time: cohort members by cohort and name, then
    self-study completions, each page found with OFFSET and LIMIT in the database.

    At full membership the whole list ran to tens of thousands of rows (33 MB of
    HTML, 6.6 s at 500,000 members); a page costs the same however long the list.
    A member signed off in two cohorts of a course is listed under the earlier one,
    as the counts count them.
    """
    allowed, ids = _listing_scope(actor, academy_id)
    if not allowed:
        return WaitingPage([], False, {}, 0, cap)
    in_cohort, alone = _eligible_selects(ids, course_id=course_id, cohort_id=cohort_id)
    if cohort_id is None:
        in_cohort = in_cohort.where(~_signed_off_in_an_earlier_cohort(ids))
    start = (page - 1) * per_page
    listed = in_cohort.order_by(Cohort.name, User.display_name, User.id).options(
        *_LIST_ONLY, lazyload(Cohort.trainer_links)
    )
    entries = [
        Eligible(user, course, cohort, enrolment.completed_at, member.signed_off_at)
        for member, cohort, user, enrolment, course in db.session.execute(
            listed.offset(start).limit(per_page + 1)
        )
    ]
    if len(entries) <= per_page and alone is not None:
        # The cohorts end on this page (or before it): go on into self-study.
        if entries:
            skip = 0
        else:
            in_cohorts = sa.select(sa.func.count()).select_from(
                in_cohort.with_only_columns(CohortMember.user_id).subquery()
            )
            skip = start - db.session.scalar(in_cohorts)
        listed_alone = alone.order_by(Course.position, User.display_name, User.id).options(
            *_LIST_ONLY
        )
        entries += [
            Eligible(user, course, None, enrolment.completed_at, None)
            for enrolment, user, course in db.session.execute(
                listed_alone.offset(max(skip, 0)).limit(per_page + 1 - len(entries))
            )
        ]
    has_next = len(entries) > per_page
    entries = entries[:per_page]
    return WaitingPage(
        entries,
        has_next,
        _cohort_totals(ids, {e.cohort.id for e in entries if e.cohort is not None}),
        _count_waiting(ids, course_id=course_id, cohort_id=cohort_id, cap=cap),
        cap,
    )


def _cohort_totals(ids: Academies, cohort_ids: set[int]) -> dict[int, int]:
    """How many wait in each of `cohort_ids`, in one grouped query: as many as
    `start_batch` would issue (`eligible_members` with the cohort's id)."""
    if not cohort_ids:
        return {}
    in_cohort, _ = _eligible_selects(ids, include_self_study=False)
    grouped = (
        in_cohort.with_only_columns(Cohort.id, sa.func.count(), maintain_column_froms=True)
        .where(Cohort.id.in_(cohort_ids))
        .group_by(Cohort.id)
    )
    return dict(db.session.execute(grouped).all())


def _count_waiting(
    ids: Academies, *, course_id: int | None, cohort_id: int | None, cap: int
) -> int:
    """How many pairs the list holds under these filters, counting at most `cap`."""
    in_cohort, alone = _eligible_selects(
        ids, course_id=course_id, cohort_id=cohort_id, counting=True
    )
    counters = [_capped_count(in_cohort)] + ([_capped_count(alone)] if alone is not None else [])
    return min(cap, sum(db.session.execute(sa.select(*counters), {"cap": cap}).one()))


# Counting, for the staff home page ------------------------------------------------------
#
# The counts are built once per process (one shape for admins, one for staff of
# some academies) with bound parameters, and executed with `counting_params`:
# building and fingerprinting statements this size costs more than running them.

ACADEMY_IDS = sa.bindparam("academy_ids", expanding=True)
CAP = sa.bindparam("cap", type_=sa.Integer, literal_execute=True)


def counting_params(actor: User, *, cap: int) -> dict[str, object]:
    """The values of the bound parameters of `waiting_counters(everywhere)` (and of
    `promotion.candidates_counter`) for `actor`; `everywhere` is
    `counts_everywhere(actor)`."""
    ids = staff_academy_ids(actor)
    return {"academy_ids": sorted(ids or {-1}), "cap": cap}


def counts_everywhere(actor: User) -> bool:
    """Whether `actor` counts in every academy (an admin), which is another statement."""
    return staff_academy_ids(actor) is None


@functools.cache
def waiting_counters(everywhere: bool) -> tuple[sa.ScalarSelect[int], sa.ScalarSelect[int]]:
    """Scalar subqueries that count, each up to `cap`, the (member, course) pairs
    `eligible_members` lists: their sum, at most `cap`, is the number waiting.

    No ordering, no objects and no DISTINCT, so the database stops once `cap` are
    found and the cost does not grow with the membership (the full list took 4 s
    at 500,000 members; bench/findings.md): a staff member's signed-off cohort
    members are found from their academies' cohorts, self-study completions by
    course through the partial index of completed enrolments.
    """
    in_cohort, alone = _eligible_selects(None if everywhere else ACADEMY_IDS, counting=True)
    return _capped_count(in_cohort), _capped_count(alone)


def _capped_count(statement: sa.Select) -> sa.ScalarSelect[int]:
    found = statement.with_only_columns(sa.literal_column("1"), maintain_column_froms=True)
    return sa.select(sa.func.count()).select_from(found.limit(CAP).subquery()).scalar_subquery()


@functools.cache
def _count_eligible_statement(everywhere: bool) -> sa.Select:
    return sa.select(*waiting_counters(everywhere))


def count_eligible(actor: User, *, cap: int) -> int:
    """How many (member, course) pairs `eligible_members(actor)` lists, counting at
    most `cap`, in one query (see `waiting_counters`)."""
    statement = _count_eligible_statement(counts_everywhere(actor))
    return min(cap, sum(db.session.execute(statement, counting_params(actor, cap=cap)).one()))


def check_eligible(member: User, course: Course, cohort: Cohort | None = None) -> Cohort | None:
    """Raise ServiceError unless `member` may be certified for `course`.

    Returns the cohort the certificate belongs to: `cohort` if given, otherwise
    the cohort of the course in which the member was signed off (None for a
    self-study completion).
    """
    if not course.accredited:
        raise ServiceError(f"{course.title} is not an accredited course.")
    if member.disabled_at is not None:
        # Closed or erased accounts: a certificate would carry no holder to verify.
        raise ServiceError("This account has been closed, so no certificate can be issued.")
    if cohort is not None and cohort.course_id != course.id:
        raise ServiceError("That cohort is for a different course.")
    enrolment = db.session.scalar(
        sa.select(Enrolment).where(Enrolment.user_id == member.id, Enrolment.course_id == course.id)
    )
    if enrolment is None or enrolment.completed_at is None:
        raise ServiceError(f"{member.display_name} has not completed {course.title}.")
    memberships = db.session.execute(
        sa.select(CohortMember, Cohort)
        .join(Cohort, Cohort.id == CohortMember.cohort_id)
        .where(CohortMember.user_id == member.id, Cohort.course_id == course.id)
        .order_by(CohortMember.signed_off_at.desc())
    ).all()
    if cohort is not None:
        membership = next((m for m, c in memberships if c.id == cohort.id), None)
        if membership is None:
            raise ServiceError(f"{member.display_name} is not a member of {cohort.name}.")
        if membership.signed_off_at is None:
            raise ServiceError(
                f"{member.display_name} has not yet been signed off by a trainer of {cohort.name}."
            )
        return cohort
    if not memberships:
        return None
    signed = [c for m, c in memberships if m.signed_off_at is not None]
    if not signed:
        raise ServiceError(
            f"{member.display_name} has not yet been signed off by their cohort's trainer."
        )
    return signed[0]


# Issuing --------------------------------------------------------------------------------


def hash_code(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


def verify_url(code: str) -> str:
    return current_app.config["ACADEMY_BASE_URL"].rstrip("/") + VERIFY_PATH + code


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day (31 Jan + 1 = 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def certificates_dir() -> Path:
    folder = Path(current_app.config["ACADEMY_CERTIFICATES_DIR"])
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def pdf_path(certificate: Certificate) -> Path:
    """Where the certificate's PDF is stored (by id, never by anything guessable)."""
    return Path(current_app.config["ACADEMY_CERTIFICATES_DIR"]) / f"{certificate.id}.pdf"


def _draw_number(year: int) -> str:
    drawn = CertificateNumber()
    db.session.add(drawn)
    db.session.flush()
    return f"OA-{year}-{drawn.id:06d}"


def _content(certificate: Certificate, code: str) -> CertificateContent:
    return CertificateContent(
        number=certificate.number,
        holder_name=certificate.holder_name,
        course_title=certificate.course_title,
        level=certificate.level,
        credit_hours=certificate.credit_hours,
        academy_name=certificate.academy_name,
        issued_on=certificate.issued_on,
        expires_on=certificate.expires_on,
        issuer_name=certificate.issuer_name,
        verify_url=verify_url(code),
    )


def _store_pdf(certificate: Certificate, code: str) -> None:
    # One renderer per process: fonts, stylesheet and template are reused by
    # every certificate it renders (a cohort's batch especially).
    renderer = renderer_for()
    try:
        pdf = renderer.render(_content(certificate, code))
    except CertificateLayoutError as error:
        raise ServiceError(
            f"{certificate.holder_name} does not fit on one certificate page: ask the member "
            "to shorten the name on their account, then issue it again."
        ) from error
    certificates_dir()
    write_atomically(pdf_path(certificate), pdf)
    certificate.pdf_sha256 = hashlib.sha256(pdf).hexdigest()


def _create(
    member: User,
    course: Course,
    academy: Academy,
    *,
    actor: User,
    cohort: Cohort | None,
    batch: CertificateBatch | None = None,
    expires_on: date | None = None,
    keep_expiry: bool = False,
) -> Certificate:
    now = utcnow()
    code = secrets.token_urlsafe(CODE_BYTES)
    if not keep_expiry:
        expires_on = (
            add_months(now.date(), course.validity_months) if course.validity_months else None
        )
    certificate = Certificate(
        number=_draw_number(now.year),
        code_hash=hash_code(code),
        user_id=member.id,
        course_id=course.id,
        academy_id=academy.id,
        cohort_id=cohort.id if cohort else None,
        batch_id=batch.id if batch else None,
        holder_name=member.display_name.strip()[:120],
        course_title=course.title,
        level=course.level,
        credit_hours=course.credit_hours,
        academy_name=academy.full_name,
        issuer_name=actor.display_name.strip()[:120],
        issued_at=now,
        issued_by_id=actor.id,
        expires_on=expires_on,
        status=CertificateStatus.VALID,
    )
    try:
        # A savepoint: losing the race to the unique index leaves the caller's
        # transaction usable, to say so.
        with db.session.begin_nested():
            db.session.add(certificate)
    except IntegrityError as error:
        raise AlreadyCertified(
            f"{member.display_name} already holds a valid certificate for {course.title}."
        ) from error
    certificate.code = code
    _store_pdf(certificate, code)
    return certificate


def current_certificate(user_id: int, course_id: int) -> Certificate | None:
    return db.session.scalar(
        sa.select(Certificate).where(
            Certificate.user_id == user_id,
            Certificate.course_id == course_id,
            Certificate.status == CertificateStatus.VALID,
        )
    )


def issue(
    member: User,
    course: Course,
    *,
    actor: User,
    academy: Academy | None = None,
    cohort: Cohort | None = None,
    batch: CertificateBatch | None = None,
) -> Certificate:
    """Issue `member`'s certificate for `course`, render and store its PDF.

    `academy` is needed only for a self-study completion; a cohort's
    certificate is issued by the cohort's academy. The returned certificate
    carries its plain `code` (only this once).
    """
    cohort = check_eligible(member, course, cohort)
    if cohort is not None:
        if academy is not None and academy.id != cohort.academy_id:
            raise ServiceError(f"{cohort.name} runs in another academy.")
        academy = db.session.get(Academy, cohort.academy_id)
    if academy is None:
        raise ServiceError("Choose the academy that issues this certificate.")
    _require_academy(actor, academy.id)
    if current_certificate(member.id, course.id) is not None:
        raise AlreadyCertified(
            f"{member.display_name} already holds a valid certificate for {course.title}."
        )
    certificate = _create(member, course, academy, actor=actor, cohort=cohort, batch=batch)
    record(
        "certificate.issue",
        actor=actor,
        subject=member,
        academy_id=academy.id,
        target=certificate.number,
        course=course.slug,
        cohort_id=cohort.id if cohort else None,
        batch_id=batch.id if batch else None,
    )
    _tell_holder_issued(member, certificate)
    return certificate


RENEW_WINDOW = timedelta(days=90)


def can_renew(certificate: Certificate, today: date | None = None) -> bool:
    """A valid certificate that expires: from 90 days before its expiry, and after it."""
    today = today or utcnow().date()
    return (
        certificate.status == CertificateStatus.VALID
        and certificate.expires_on is not None
        and certificate.expires_on - today <= RENEW_WINDOW
    )


def reissue(certificate: Certificate, *, actor: User, renew: bool = False) -> Certificate:
    """Replace a valid certificate with a new one carrying the holder's current name.

    The old one is superseded (its code then verifies as replaced). A re-issue
    keeps the old expiry date, so it never extends a validity; a renewal (of a
    certificate that expires within 90 days, or has expired) starts a new
    validity period from today: staff renew once the holder has refreshed
    their training.
    """
    _require_academy(actor, certificate.academy_id)
    if certificate.status != CertificateStatus.VALID:
        raise ServiceError(
            f"Certificate {certificate.number} is not valid, so it cannot be re-issued."
        )
    if renew and not can_renew(certificate):
        raise ServiceError(
            f"Certificate {certificate.number} can be renewed from 90 days before it expires."
        )
    member = db.session.get(User, certificate.user_id) if certificate.user_id else None
    if member is None:
        raise ServiceError("The holder's account no longer exists.")
    course = db.session.get(Course, certificate.course_id)
    academy = db.session.get(Academy, certificate.academy_id)
    cohort = db.session.get(Cohort, certificate.cohort_id) if certificate.cohort_id else None
    now = utcnow()
    certificate.status = CertificateStatus.SUPERSEDED
    certificate.superseded_at = now
    db.session.flush()  # frees the member's one "valid" place for the new certificate
    new = _create(
        member,
        course,
        academy,
        actor=actor,
        cohort=cohort,
        expires_on=certificate.expires_on,
        keep_expiry=not renew,
    )
    certificate.superseded_by_id = new.id
    record(
        "certificate.renew" if renew else "certificate.reissue",
        actor=actor,
        subject=member,
        academy_id=academy.id,
        target=new.number,
        replaces=certificate.number,
        course=course.slug,
        holder_name=new.holder_name,
        expires_on=new.expires_on.isoformat() if new.expires_on else None,
    )
    _tell_holder_issued(member, new, reissued=True)
    return new


def revoke(certificate: Certificate, *, actor: User, reason: str) -> Certificate:
    """Revoke a valid certificate; verification says so from the next request."""
    _require_academy(actor, certificate.academy_id)
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("Give the reason for revoking the certificate.")
    if len(reason) > REASON_MAX:
        raise ServiceError(f"Keep the reason to {REASON_MAX} characters.")
    if certificate.status != CertificateStatus.VALID:
        raise ServiceError(f"Certificate {certificate.number} is already {certificate.status}.")
    certificate.status = CertificateStatus.REVOKED
    certificate.revoked_at = utcnow()
    certificate.revoked_by_id = actor.id
    certificate.revoked_reason = reason
    member = db.session.get(User, certificate.user_id) if certificate.user_id else None
    record(
        "certificate.revoke",
        actor=actor,
        subject=member,
        academy_id=certificate.academy_id,
        target=certificate.number,
        reason=reason,
    )
    if member is not None:
        _send(
            member.email,
            f"Your certificate {certificate.number} has been revoked",
            f"Hello {member.display_name},\n\n{certificate.academy_name} has revoked your "
            f"certificate {certificate.number} for {certificate.course_title}.\n\n"
            f"Reason: {reason}\n\nIf you think this is a mistake, reply to your academy.",
        )
    db.session.flush()
    return certificate


# Bulk issue -----------------------------------------------------------------------------


def start_batch(cohort: Cohort, *, actor: User) -> CertificateBatch:
    """Fix the list of a cohort's members waiting for a certificate; the caller
    commits and then queues `run_batch(batch.id)`."""
    _require_academy(actor, cohort.academy_id)
    waiting = eligible_members(actor, cohort_id=cohort.id)
    if not waiting:
        raise ServiceError(f"No one in {cohort.name} is waiting for a certificate.")
    batch = CertificateBatch(
        cohort_id=cohort.id,
        course_id=cohort.course_id,
        academy_id=cohort.academy_id,
        created_by_id=actor.id,
        user_ids=[entry.user.id for entry in waiting],
        status=BatchStatus.QUEUED,
        outcomes={},
    )
    db.session.add(batch)
    db.session.flush()
    record(
        "certificate.batch",
        actor=actor,
        academy_id=cohort.academy_id,
        target=f"batch {batch.id}",
        cohort_id=cohort.id,
        members=len(waiting),
    )
    return batch


def batch_is_stalled(batch: CertificateBatch, now: datetime | None = None) -> bool:
    """Queued or running, but no sign of life for a while: its worker has gone."""
    if batch.finished:
        return False
    last = batch.heartbeat_at or batch.created_at
    return (now or utcnow()) - last > STALE_BATCH


def can_resume(batch: CertificateBatch) -> bool:
    return (
        batch_is_stalled(batch)
        or (batch.status == BatchStatus.FAILED)
        or (batch.status == BatchStatus.DONE and batch.failed > 0)
    )


def resume_batch(batch: CertificateBatch, *, actor: User) -> CertificateBatch:
    _require_academy(actor, batch.academy_id)
    if not can_resume(batch):
        raise ServiceError("This batch is still running or has nothing left to do.")
    batch.status = BatchStatus.QUEUED
    batch.heartbeat_at = utcnow()
    batch.finished_at = None
    record(
        "certificate.batch.resume",
        actor=actor,
        academy_id=batch.academy_id,
        target=f"batch {batch.id}",
    )
    return batch


def _recount(batch: CertificateBatch, outcomes: dict[str, dict]) -> None:
    batch.outcomes = outcomes  # a new dict, so the JSON column sees the change
    kinds = [entry["outcome"] for entry in outcomes.values()]
    batch.issued = kinds.count("issued")
    batch.skipped = kinds.count("skipped")
    batch.failed = kinds.count("failed")
    batch.heartbeat_at = utcnow()


def run_batch(batch_id: int) -> None:
    """The background job: issue each member's certificate, one commit per member.

    Safe to run again at any point (after a crash, or twice at once): members
    already done are skipped, and the unique index makes a second certificate
    impossible anyway.
    """
    batch = db.session.get(CertificateBatch, batch_id)
    if batch is None or (batch.status == BatchStatus.DONE and not batch.failed):
        return
    batch.status = BatchStatus.RUNNING
    batch.heartbeat_at = utcnow()
    batch.error = None
    db.session.commit()
    try:
        for user_id in list(batch.user_ids):
            key = str(user_id)
            done = (batch.outcomes or {}).get(key)
            if done and done["outcome"] in ("issued", "skipped"):
                continue
            outcome = _issue_one(batch, user_id)
            db.session.refresh(batch)
            _recount(batch, {**(batch.outcomes or {}), key: outcome})
            db.session.commit()
        batch.status = BatchStatus.DONE
        batch.finished_at = utcnow()
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("certificate batch %s failed", batch_id)
        batch = db.session.get(CertificateBatch, batch_id)
        batch.status = BatchStatus.FAILED
        batch.error = "The batch stopped on an unexpected error; resume it to carry on."
        batch.finished_at = utcnow()
        db.session.commit()


def _issue_one(batch: CertificateBatch, user_id: int) -> dict:
    """Issue one member's certificate in the batch; never raises for a member's problem."""
    actor = db.session.get(User, batch.created_by_id) if batch.created_by_id else None
    member = db.session.get(User, user_id)
    course = db.session.get(Course, batch.course_id)
    cohort = db.session.get(Cohort, batch.cohort_id) if batch.cohort_id else None
    if actor is None:
        return {"outcome": "failed", "reason": "The staff member who started it has gone."}
    if member is None or member.disabled_at is not None:
        return {"outcome": "skipped", "reason": "The account no longer exists."}
    existing = current_certificate(user_id, course.id)
    if existing is not None:
        return {
            "outcome": "skipped",
            "reason": "Already holds a valid certificate.",
            "number": existing.number,
        }
    try:
        certificate = issue(member, course, actor=actor, cohort=cohort, batch=batch)
        db.session.commit()
    except AlreadyCertified:
        db.session.rollback()
        return {"outcome": "skipped", "reason": "Already holds a valid certificate."}
    except ServiceError as error:
        db.session.rollback()
        return {"outcome": "skipped", "reason": str(error)}
    except Exception:
        db.session.rollback()
        log.exception("certificate for user %s in batch %s failed", user_id, batch.id)
        return {"outcome": "failed", "reason": "Could not be issued; try again."}
    return {"outcome": "issued", "number": certificate.number}


# Verification ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Verification:
    """What the public may know about a certificate: no more than its holder chose."""

    status: str  # valid | expired | revoked | superseded
    course_title: str
    level: str
    credit_hours: float
    issued_on: date
    expires_on: date | None
    revoked_on: date | None
    superseded_on: date | None
    holder_name: str | None  # only if the holder opted in

    def as_json(self) -> dict:
        data = {
            "status": self.status,
            "course": {
                "title": self.course_title,
                "level": self.level,
                "credit_hours": self.credit_hours,
            },
            "issued_on": self.issued_on.isoformat(),
            "expires_on": self.expires_on.isoformat() if self.expires_on else None,
        }
        if self.revoked_on:
            data["revoked_on"] = self.revoked_on.isoformat()
        if self.superseded_on:
            data["superseded_on"] = self.superseded_on.isoformat()
        if self.holder_name:
            data["holder_name"] = self.holder_name
        return data


# What verification reads, and nothing else: built once, one statement, plain rows
# (no ORM objects). The holder's choice comes as a column, not as a whole person
# (whose roles would be loaded with them: more queries on a public page).
_certificates, _users = Certificate.__table__, User.__table__
_VERIFY = (
    sa.select(
        _certificates.c.status,
        _certificates.c.course_title,
        _certificates.c.level,
        _certificates.c.credit_hours,
        _certificates.c.issued_at,
        _certificates.c.expires_on,
        _certificates.c.revoked_at,
        _certificates.c.superseded_at,
        _certificates.c.holder_name,
        _users.c.show_name_on_verification,
    )
    .select_from(_certificates.outerjoin(_users, _users.c.id == _certificates.c.user_id))
    .where(_certificates.c.code_hash == sa.bindparam("digest"))
)


def verify(code: str) -> Verification | None:
    """The certificate with this code, as the public may see it; None if there is none.

    Looked up by the code's hash, so the time taken says nothing about how
    close a guess was, and a malformed code costs the same as a wrong one.
    """
    code = (code or "")[: MAX_CODE_LENGTH + 1]
    digest = hash_code(code)
    if len(code) > MAX_CODE_LENGTH:
        digest = "-"  # compared anyway, found never
    found = db.session.execute(_VERIFY, {"digest": digest}).first()
    if found is None:
        return None
    # The certificate's own rule for what a verifier is told (expired or not).
    status = Certificate(status=found.status, expires_on=found.expires_on).public_status()
    return Verification(
        status=status,
        course_title=found.course_title,
        level=found.level,
        credit_hours=found.credit_hours,
        issued_on=found.issued_at.date(),
        expires_on=found.expires_on,
        revoked_on=found.revoked_at.date() if found.revoked_at else None,
        superseded_on=found.superseded_at.date() if found.superseded_at else None,
        holder_name=found.holder_name if found.show_name_on_verification else None,
    )


# The holder -----------------------------------------------------------------------------


def certificates_of(user: User) -> list[Certificate]:
    """Every certificate of `user`, newest first (one query)."""
    return list(
        db.session.scalars(
            sa.select(Certificate)
            .where(Certificate.user_id == user.id)
            .order_by(Certificate.issued_at.desc(), Certificate.id.desc())
        )
    )


def set_show_name(user: User, show: bool) -> None:
    user.show_name_on_verification = bool(show)
    record("certificate.privacy", actor=user, subject=user, show_name=bool(show))


# Reminders ------------------------------------------------------------------------------


def send_expiry_reminders(days: int = 30, today: date | None = None) -> int:
    """E-mail each holder whose valid certificate expires within `days`, once."""
    today = today or utcnow().date()
    due = db.session.scalars(
        sa.select(Certificate)
        .options(joinedload(Certificate.user))
        .where(
            Certificate.status == CertificateStatus.VALID,
            Certificate.expires_on.is_not(None),
            Certificate.expires_on >= today,
            Certificate.expires_on <= today + timedelta(days=days),
            Certificate.reminded_at.is_(None),
            Certificate.user_id.is_not(None),
        )
        .order_by(Certificate.expires_on, Certificate.id)
    ).all()
    sent = 0
    for certificate in due:
        holder = certificate.user
        if holder is None or holder.disabled_at is not None:
            continue
        _send(
            holder.email,
            f"Your {certificate.course_title} certificate expires on "
            f"{long_date(certificate.expires_on)}",
            f"Hello {holder.display_name},\n\nYour certificate {certificate.number} for "
            f"{certificate.course_title} is valid until {long_date(certificate.expires_on)}. "
            "To keep it current, refresh your training before then (your academy will tell "
            "you how) and ask your academy to renew your certificate.\n\n"
            f"Your certificates: {_base()}/certificates/",
        )
        certificate.reminded_at = utcnow()
        sent += 1
    db.session.flush()
    return sent


# E-mail ---------------------------------------------------------------------------------


def _base() -> str:
    return current_app.config["ACADEMY_BASE_URL"].rstrip("/")


def _send(to: str, subject: str, body: str) -> None:
    jobs.enqueue("academy.mail.send_email", to, subject, body)


def _tell_holder_issued(member: User, certificate: Certificate, *, reissued: bool = False) -> None:
    what = "re-issued" if reissued else "issued"
    _send(
        member.email,
        f"Your certificate for {certificate.course_title}",
        f"Hello {member.display_name},\n\n{certificate.academy_name} has {what} your "
        f"certificate {certificate.number} for {certificate.course_title}.\n\n"
        f"Download it from {_base()}/certificates/\n\n"
        f"Anyone you give this link to can check it is genuine:\n{verify_url(certificate.code)}\n\n"
        "The verification page shows the course, the date and whether the certificate is "
        "valid; it shows your name only if you choose so on your certificates page.",
    )
