"""Who is waiting for a certificate: the rule, the lists and pages staff work
through, and the counts.

A member is eligible for a course's certificate when the course is accredited,
their enrolment is complete, their account is open, they hold no valid
certificate for it yet, and, if they belong to a cohort of that course, a
trainer of that cohort has signed them off. Cohort members are listed for the
cohorts of the staff member's academies; self-study completions for every
staff member, who picks the issuing academy.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import aliased, lazyload

from academy.extensions import db
from academy.models import Cohort, CohortMember, Course, Enrolment, Role, User
from academy.models.certificates import Certificate, CertificateStatus
from academy.paging import Window, capped_count
from academy.services import ServiceError


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
    if academy_id is not None:
        if not actor.acts_in(academy_id, Role.STAFF):
            return False, None
        return True, {academy_id}
    return True, actor.academies_for(Role.STAFF)


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
    window = Window(page, per_page)
    listed = in_cohort.order_by(Cohort.name, User.display_name, User.id).options(
        *_LIST_ONLY, lazyload(Cohort.trainer_links)
    )
    entries = [
        Eligible(user, course, cohort, enrolment.completed_at, member.signed_off_at)
        for member, cohort, user, enrolment, course in db.session.execute(window.apply(listed))
    ]
    if len(entries) <= window.size and alone is not None:
        # The cohorts end on this page (or before it): go on into self-study.
        if entries:
            skip = 0
        else:
            in_cohorts = sa.select(sa.func.count()).select_from(
                in_cohort.with_only_columns(CohortMember.user_id).subquery()
            )
            skip = window.offset - db.session.scalar(in_cohorts)
        listed_alone = alone.order_by(Course.position, User.display_name, User.id).options(
            *_LIST_ONLY
        )
        entries += [
            Eligible(user, course, None, enrolment.completed_at, None)
            for enrolment, user, course in db.session.execute(
                listed_alone.offset(max(skip, 0)).limit(window.limit - len(entries))
            )
        ]
    found = window.page(entries)
    return WaitingPage(
        found.items,
        found.has_next,
        _cohort_totals(ids, {e.cohort.id for e in found.items if e.cohort is not None}),
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
    ids = actor.academies_for(Role.STAFF)
    return {"academy_ids": sorted(ids or {-1}), "cap": cap}


def counts_everywhere(actor: User) -> bool:
    """Whether `actor` counts in every academy (an admin), which is another statement."""
    return actor.acts_everywhere


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
    return capped_count(statement, CAP)


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
