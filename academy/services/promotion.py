"""Promoting graduates of Train the trainer to trainers, declining, demoting, and
the lineage that shows how training cascades through an academy.

Rules:

- Only staff of the academy (or an admin) decide, and only for a member who
  holds a current (valid, unexpired) certificate for the Train the trainer
  course (`ACADEMY_TRAINER_COURSE`, by slug).
- Promotion grants the trainer role in that academy and records who trained
  the member and in which cohort (the certificate's cohort, else the cohort of
  the course they were in). Demotion removes the role at once: their sessions
  end, so the next request they make is a member's.
- Every decision is audited and the member is told by e-mail.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

from academy.extensions import db
from academy.models import (
    Academy,
    AcademyRole,
    Cohort,
    CohortMember,
    CohortTrainer,
    Course,
    Role,
    User,
)
from academy.models.certificates import (
    Certificate,
    CertificateStatus,
    PromotionDecision,
    TrainerLineage,
    TrainerPromotion,
)
from academy.services import ServiceError, accounts
from academy.services.audit import record
from academy.services.certificates import (
    ACADEMY_IDS,
    CAP,
    VALID,
    NotAllowed,
    can_act_in,
    counts_everywhere,
    staff_academy_ids,
)
from academy.services.certificates import send_email as _send
from academy.timeutil import utcnow

NOTE_MAX = 1000


def _trainer_slug() -> str:
    return current_app.config.get("ACADEMY_TRAINER_COURSE", "train-the-trainer")


def trainer_course() -> Course | None:
    return db.session.scalar(sa.select(Course).where(Course.slug == _trainer_slug()))


def _trainer_course_id(slug: str | sa.BindParameter | None = None) -> sa.ScalarSelect[int]:
    """The Train the trainer course's id, inside the query that needs it (NULL, so
    matching nothing, when the course does not exist): no query of its own, and
    none of the course tree that loading the `Course` brings with it."""
    if slug is None:
        slug = _trainer_slug()
    return sa.select(Course.id).where(Course.slug == slug).scalar_subquery()


def _require_academy(actor: User, academy: Academy) -> None:
    if not actor.has_role(Role.STAFF, Role.ADMIN) or not can_act_in(actor, academy.id):
        raise NotAllowed("Only the staff of an academy can change who trains in it.")


def trainer_certificate(member: User) -> Certificate | None:
    """The member's current Train the trainer certificate, if any."""
    certificate = db.session.scalar(
        sa.select(Certificate).where(
            Certificate.user_id == member.id,
            Certificate.course_id == _trainer_course_id(),
            Certificate.status == CertificateStatus.VALID,
        )
    )
    return certificate if certificate is not None and certificate.is_current else None


def is_trainer_in(member: User, academy: Academy) -> bool:
    return academy.id in member.academy_ids(Role.TRAINER)


# Candidates and trainers ----------------------------------------------------------------


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
            Certificate.course_id == _trainer_course_id(sa.bindparam("trainer_slug")),
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
    ids = staff_academy_ids(actor)
    return {
        "trainer_slug": _trainer_slug(),
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
    rows = db.session.execute(
        statement.offset((page - 1) * per_page).limit(per_page + 1), candidate_params(actor)
    ).all()
    return _with_declines(rows[:per_page]), len(rows) > per_page


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
    query = _trainers_query(actor).offset((page - 1) * per_page).limit(per_page + 1)
    rows = db.session.execute(query).all()
    return _trainer_entries(rows[:per_page]), len(rows) > per_page


def _trainers_query(actor: User) -> sa.Select:
    ids = staff_academy_ids(actor)
    query = (
        sa.select(AcademyRole, User, Academy)
        .join(User, User.id == AcademyRole.user_id)
        .join(Academy, Academy.id == AcademyRole.academy_id)
        .where(AcademyRole.role == Role.TRAINER)
        .order_by(Academy.name, User.display_name, User.id)
    )
    if ids is not None:
        query = query.where(AcademyRole.academy_id.in_(ids or {-1}))
    return query


def _trainer_entries(rows) -> list[TrainerEntry]:
    promotions = _promotions_of({(user.id, academy.id) for _, user, academy in rows})
    cohorts = _cohorts(p.cohort_id for p in promotions.values())
    entries = []
    for _, user, academy in rows:
        promotion = promotions.get((user.id, academy.id))
        entry = TrainerEntry(user, academy, promotion)
        if promotion is not None:
            entry.trained_by = [link.trainer for link in promotion.lineage if link.trainer]
            entry.cohort = cohorts.get(promotion.cohort_id)
        entries.append(entry)
    return entries


def _active_promotions(academy_ids: set[int]) -> dict[tuple[int, int], TrainerPromotion]:
    """The standing promotions in these academies, with their lineage."""
    if not academy_ids:
        return {}
    return _standing_promotions(TrainerPromotion.academy_id.in_(academy_ids))


def _promotions_of(pairs: set[tuple[int, int]]) -> dict[tuple[int, int], TrainerPromotion]:
    """The standing promotions of these (member, academy) pairs, with their lineage."""
    if not pairs:
        return {}
    return _standing_promotions(
        TrainerPromotion.user_id.in_({user_id for user_id, _ in pairs}),
        TrainerPromotion.academy_id.in_({academy_id for _, academy_id in pairs}),
    )


def _standing_promotions(*where: sa.ColumnElement[bool]) -> dict[tuple[int, int], TrainerPromotion]:
    promotions = db.session.scalars(
        sa.select(TrainerPromotion)
        .options(selectinload(TrainerPromotion.lineage).selectinload(TrainerLineage.trainer))
        .where(
            *where,
            TrainerPromotion.decision == PromotionDecision.PROMOTED,
            TrainerPromotion.demoted_at.is_(None),
        )
    )
    return {(p.user_id, p.academy_id): p for p in promotions}


def _cohorts(ids) -> dict[int, Cohort]:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    return {c.id: c for c in db.session.scalars(sa.select(Cohort).where(Cohort.id.in_(wanted)))}


# Lineage ----------------------------------------------------------------------------------


@dataclass
class LineageNode:
    user: User
    cohort: Cohort | None
    children: list[LineageNode] = field(default_factory=list)


def lineage(academy: Academy) -> list[LineageNode]:
    """The academy's training tree: each trainer, and the trainers they trained.

    Roots are trainers nobody in the records trained (appointed directly, or
    trained before the platform); a trainer trained by two people appears under
    both. Four queries whatever the size of the academy.
    """
    rows = db.session.execute(
        sa.select(AcademyRole, User)
        .join(User, User.id == AcademyRole.user_id)
        .where(AcademyRole.academy_id == academy.id, AcademyRole.role == Role.TRAINER)
        .order_by(User.display_name, User.id)
    ).all()
    trainers_here = {user.id: user for _, user in rows}
    promotions = _active_promotions({academy.id})
    cohorts = _cohorts(p.cohort_id for p in promotions.values())
    children: dict[int, list[int]] = defaultdict(list)
    trained: set[int] = set()
    for (user_id, _), promotion in promotions.items():
        for link in promotion.lineage:
            if link.trainer_id is not None:
                children[link.trainer_id].append(user_id)
                trained.add(user_id)

    def node(user_id: int, path: frozenset[int]) -> LineageNode:
        promotion = promotions.get((user_id, academy.id))
        cohort = cohorts.get(promotion.cohort_id) if promotion else None
        here = LineageNode(trainers_here[user_id], cohort)
        for child in children.get(user_id, []):
            if child in trainers_here and child not in path:  # no cycles, whatever the data
                here.children.append(node(child, path | {child}))
        return here

    return [node(uid, frozenset({uid})) for uid in trainers_here if uid not in trained]


# Decisions -------------------------------------------------------------------------------


def _clean_note(note: str | None, *, required: bool = False) -> str:
    note = (note or "").strip()
    if required and not note:
        raise ServiceError("Add a note saying why.")
    if len(note) > NOTE_MAX:
        raise ServiceError(f"Keep the note to {NOTE_MAX} characters.")
    return note


def _where_trained(member: User, certificate: Certificate) -> tuple[Cohort | None, list[int]]:
    """The cohort in which the member took Train the trainer, and its trainers."""
    cohort = db.session.get(Cohort, certificate.cohort_id) if certificate.cohort_id else None
    if cohort is None:
        cohort = db.session.scalar(
            sa.select(Cohort)
            .join(CohortMember, CohortMember.cohort_id == Cohort.id)
            .where(CohortMember.user_id == member.id, Cohort.course_id == certificate.course_id)
            .order_by(CohortMember.signed_off_at.desc(), Cohort.id.desc())
            .limit(1)
        )
    if cohort is None:
        return None, []
    trainer_ids = list(
        db.session.scalars(
            sa.select(CohortTrainer.user_id)
            .where(CohortTrainer.cohort_id == cohort.id)
            .order_by(CohortTrainer.user_id)
        )
    )
    return cohort, trainer_ids


def promote(member: User, academy: Academy, *, actor: User, note: str = "") -> TrainerPromotion:
    _require_academy(actor, academy)
    note = _clean_note(note)
    certificate = trainer_certificate(member)
    if certificate is None:
        raise ServiceError(
            f"{member.display_name} does not hold a valid Train the trainer certificate."
        )
    if member.disabled_at is not None:
        raise ServiceError("This account is disabled.")
    if is_trainer_in(member, academy):
        raise ServiceError(f"{member.display_name} is already a trainer in {academy.full_name}.")
    cohort, trainer_ids = _where_trained(member, certificate)
    promotion = TrainerPromotion(
        user_id=member.id,
        academy_id=academy.id,
        decision=PromotionDecision.PROMOTED,
        note=note,
        certificate_id=certificate.id,
        cohort_id=cohort.id if cohort else None,
        decided_by_id=actor.id,
        decided_at=utcnow(),
    )
    db.session.add(promotion)
    db.session.flush()
    for trainer_id in trainer_ids:
        db.session.add(
            TrainerLineage(
                promotion_id=promotion.id,
                trainee_id=member.id,
                trainer_id=trainer_id,
                cohort_id=cohort.id if cohort else None,
                academy_id=academy.id,
            )
        )
    accounts.grant_role(member, Role.TRAINER, academy=academy, actor=actor)
    record(
        "trainer.promote",
        actor=actor,
        subject=member,
        academy_id=academy.id,
        target=academy.full_name,
        certificate=certificate.number,
        cohort_id=cohort.id if cohort else None,
        trained_by=trainer_ids or None,
        note=note or None,
    )
    _send(
        member.email,
        f"You are now a trainer in {academy.full_name}",
        f"Hello {member.display_name},\n\nCongratulations: {academy.full_name} has made you a "
        "trainer. Next time you sign in you can run cohorts: create one for a course, invite "
        "members and follow their progress.\n\nThank you for passing on what you have learned.",
    )
    db.session.flush()
    return promotion


def decline(member: User, academy: Academy, *, actor: User, note: str) -> TrainerPromotion:
    _require_academy(actor, academy)
    note = _clean_note(note, required=True)
    certificate = trainer_certificate(member)
    if certificate is None:
        raise ServiceError(
            f"{member.display_name} does not hold a valid Train the trainer certificate."
        )
    if is_trainer_in(member, academy):
        raise ServiceError(f"{member.display_name} is already a trainer in {academy.full_name}.")
    decision = TrainerPromotion(
        user_id=member.id,
        academy_id=academy.id,
        decision=PromotionDecision.DECLINED,
        note=note,
        certificate_id=certificate.id,
        decided_by_id=actor.id,
        decided_at=utcnow(),
    )
    db.session.add(decision)
    record(
        "trainer.decline",
        actor=actor,
        subject=member,
        academy_id=academy.id,
        target=academy.full_name,
        note=note,
    )
    _send(
        member.email,
        f"About becoming a trainer in {academy.full_name}",
        f"Hello {member.display_name},\n\n{academy.full_name} has considered you for the "
        "trainer role and has not made you a trainer for now. Your Train the trainer "
        "certificate is unaffected. Your academy's staff will be glad to talk it through.",
    )
    db.session.flush()
    return decision


def demote(member: User, academy: Academy, *, actor: User, note: str = "") -> None:
    """Take the trainer role in `academy` away, at once."""
    _require_academy(actor, academy)
    note = _clean_note(note)
    if not is_trainer_in(member, academy):
        raise ServiceError(f"{member.display_name} is not a trainer in {academy.full_name}.")
    now = utcnow()
    for promotion in _active_promotions({academy.id}).values():
        if promotion.user_id == member.id:
            promotion.demoted_at = now
            promotion.demoted_by_id = actor.id
            promotion.demotion_note = note or None
    accounts.revoke_role(member, Role.TRAINER, academy=academy, actor=actor)
    record(
        "trainer.demote",
        actor=actor,
        subject=member,
        academy_id=academy.id,
        target=academy.full_name,
        note=note or None,
    )
    _send(
        member.email,
        f"Your trainer role in {academy.full_name}",
        f"Hello {member.display_name},\n\n{academy.full_name} has ended your trainer role. "
        "Your certificates and your own learning are unaffected. If you have questions, "
        "contact your academy's staff.",
    )
    db.session.flush()
