"""Who is waiting for a decision and who trains already: graduates of Train the
trainer who are not trainers yet in the academy that certified them (with their
last decline), and each academy's trainers with who trained them; whole, a page
at a time, or counted."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import sqlalchemy as sa

from academy.extensions import db
from academy.models import Academy, AcademyRole, Cohort, Role, User, within_academies
from academy.models.certificates import (
    Certificate,
    PromotionDecision,
    TrainerPromotion,
)
from academy.paging import Window
from academy.services.certificates import (
    ACADEMY_IDS,
    CAP,
    VALID,
    counts_everywhere,
)
from academy.services.promotion.eligibility import trainer_course_id, trainer_slug
from academy.services.promotion.standing import cohorts_by_id, promotions_of
from academy.timeutil import utcnow


@dataclass
class Candidate:
    user: User
    certificate: Certificate
    declined: TrainerPromotion | None = None


@functools.cache
def _candidates_statement(everywhere: bool) -> sa.Select:
    """Unordered: valid Train the trainer certificates whose holders are not trainers
    in the academy that issued them yet (none when the course does not exist), in
    every academy or in the bound `academy_ids`.

    Built once per process, with bound parameters (`candidate_params`): building
    and fingerprinting it costs more than running it.
    """
    is_trainer_there = sa.exists().where(
        AcademyRole.user_id == Certificate.user_id,
        AcademyRole.academy_id == Certificate.academy_id,
        AcademyRole.role == sa.literal(Role.TRAINER.value, sa.String, literal_execute=True),
    )
    today = sa.bindparam("today", type_=sa.Date)
    query = (
        sa.select(Certificate, User)
        .join(User, User.id == Certificate.user_id)
        .where(
            Certificate.course_id == trainer_course_id(sa.bindparam("trainer_slug")),
            Certificate.status == VALID,
            sa.or_(Certificate.expires_on.is_(None), Certificate.expires_on >= today),
            User.disabled_at.is_(None),
            ~is_trainer_there,
        )
    )
    if not everywhere:
        query = query.where(Certificate.academy_id.in_(ACADEMY_IDS))
    return query


def candidate_params(actor: User) -> dict[str, object]:
    """The values of `_candidates_statement`'s bound parameters for `actor` (and of
    `candidates_counter`'s, with `certificates.counting_params`)."""
    ids = actor.academies_for(Role.STAFF)
    return {
        "trainer_slug": trainer_slug(),
        "today": utcnow().date(),
        "academy_ids": sorted(ids or {-1}),
    }


@functools.cache
def candidates_counter(everywhere: bool) -> sa.ScalarSelect[int]:
    """A scalar subquery counting the candidates, up to the bound `cap`: no ordering,
    no objects, so the staff home page (which selects it with its other counts in
    one statement) does not cost more as the membership grows. `everywhere` is
    `certificates.counts_everywhere(actor)`."""
    found = _candidates_statement(everywhere).with_only_columns(Certificate.id).limit(CAP)
    return sa.select(sa.func.count()).select_from(found.subquery()).scalar_subquery()


@functools.cache
def _count_candidates_statement(everywhere: bool) -> sa.Select:
    return sa.select(candidates_counter(everywhere))


def count_candidates(actor: User, *, cap: int) -> int:
    """How many `candidates(actor)` there are, counting at most `cap`, in one query."""
    statement = _count_candidates_statement(counts_everywhere(actor))
    return db.session.scalar(statement, {**candidate_params(actor), "cap": cap})


@functools.cache
def _candidates_list(everywhere: bool) -> sa.Select:
    return _candidates_statement(everywhere).order_by(Certificate.issued_at, Certificate.id)


def candidates(actor: User) -> list[Candidate]:
    """Graduates of Train the trainer from `actor`'s academies who are not trainers
    there yet, with the last decline if there was one (a fixed number of queries)."""
    statement = _candidates_list(counts_everywhere(actor))
    return _with_declines(db.session.execute(statement, candidate_params(actor)).all())


def candidates_page(actor: User, page: int, per_page: int) -> tuple[list[Candidate], bool]:
    """One page of `candidates`, oldest certificate first, and whether more follow.

    At full membership the whole list ran to tens of thousands of graduates (74 MB
    of HTML, 9 to 13 s at 500,000 members); a page costs the same however long it is.
    """
    statement = _candidates_list(counts_everywhere(actor))
    window = Window(page, per_page)
    found = window.page(db.session.execute(window.apply(statement), candidate_params(actor)).all())
    return _with_declines(found.items), found.has_next


def _with_declines(rows) -> list[Candidate]:
    found = [Candidate(user, certificate) for certificate, user in rows]
    if found:
        declines = db.session.scalars(
            sa.select(TrainerPromotion)
            .where(
                TrainerPromotion.decision == PromotionDecision.DECLINED,
                TrainerPromotion.user_id.in_({c.user.id for c in found}),
            )
            .order_by(TrainerPromotion.decided_at)
        )
        latest = {(d.user_id, d.academy_id): d for d in declines}
        for candidate in found:
            candidate.declined = latest.get((candidate.user.id, candidate.certificate.academy_id))
    return found


@dataclass
class TrainerEntry:
    user: User
    academy: Academy
    promotion: TrainerPromotion | None
    trained_by: list[User] = field(default_factory=list)
    cohort: Cohort | None = None


def trainers(actor: User) -> list[TrainerEntry]:
    """The trainers of `actor`'s academies, with who trained them where known."""
    return _trainer_entries(db.session.execute(_trainers_query(actor)).all())


def trainers_page(actor: User, page: int, per_page: int) -> tuple[list[TrainerEntry], bool]:
    """One page of `trainers`, by academy and name, and whether more follow."""
    window = Window(page, per_page)
    found = window.page(db.session.execute(window.apply(_trainers_query(actor))).all())
    return _trainer_entries(found.items), found.has_next


def _trainers_query(actor: User) -> sa.Select:
    query = (
        sa.select(AcademyRole, User, Academy)
        .join(User, User.id == AcademyRole.user_id)
        .join(Academy, Academy.id == AcademyRole.academy_id)
        .where(AcademyRole.role == Role.TRAINER)
        .order_by(Academy.name, User.display_name, User.id)
    )
    return within_academies(query, AcademyRole.academy_id, actor, Role.STAFF)


def _trainer_entries(rows) -> list[TrainerEntry]:
    promotions = promotions_of({(user.id, academy.id) for _, user, academy in rows})
    cohorts = cohorts_by_id(p.cohort_id for p in promotions.values())
    entries = []
    for _, user, academy in rows:
        promotion = promotions.get((user.id, academy.id))
        entry = TrainerEntry(user, academy, promotion)
        if promotion is not None:
            entry.trained_by = [link.trainer for link in promotion.lineage if link.trainer]
            entry.cohort = cohorts.get(promotion.cohort_id)
        entries.append(entry)
    return entries
