"""Deciding who trains: promote a graduate of Train the trainer, decline (with a
note), or demote a trainer. Each decision is audited and the member is told by
e-mail.

- Only staff of the academy (or an admin) decide, and only for a member who
  holds a current (valid, unexpired) certificate for the Train the trainer course.
- Promotion also needs a passed observation of the member's teaching practice in
  that academy (services.guides.observations): a quiz-based certificate alone
  does not make a trainer.
- Promotion grants the trainer role in that academy and records who trained
  the member and in which cohort (the certificate's cohort, else the cohort of
  the course they were in), and the observation, so who observed them too.
  Demotion removes the role at once: their sessions end, so the next request
  they make is a member's.
"""

from __future__ import annotations

import sqlalchemy as sa

from academy.extensions import db
from academy.mail import send_template
from academy.models import Academy, Cohort, CohortMember, CohortTrainer, Role, User
from academy.models.certificates import (
    Certificate,
    PromotionDecision,
    TrainerLineage,
    TrainerPromotion,
)
from academy.services import ServiceError, accounts
from academy.services.audit import record
from academy.services.certificates import NotAllowed
from academy.services.guides.observations import passed_observation
from academy.services.promotion.eligibility import is_trainer_in, trainer_certificate
from academy.services.promotion.standing import active_promotions
from academy.timeutil import utcnow

NOTE_MAX = 1000


def _require_academy(actor: User, academy: Academy) -> None:
    if not actor.acts_in(academy, Role.STAFF):
        raise NotAllowed("Only the staff of an academy can change who trains in it.")


def _send(member: User, template: str, academy: Academy) -> None:
    # Queued now; it leaves once the caller commits (as every notice to a holder does).
    send_template(member.email, template, name=member.display_name, academy_name=academy.full_name)


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
    observation = passed_observation(member.id, academy.id)
    if observation is None:
        raise ServiceError(
            f"{member.display_name} has not passed an observed practice session in "
            f"{academy.full_name} yet: a trainer or staff member observes them teaching, "
            "from their Train the trainer cohort, before they can be promoted."
        )
    cohort, trainer_ids = _where_trained(member, certificate)
    promotion = TrainerPromotion(
        user_id=member.id,
        academy_id=academy.id,
        decision=PromotionDecision.PROMOTED,
        note=note,
        certificate_id=certificate.id,
        cohort_id=cohort.id if cohort else None,
        observation_id=observation.id,
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
        observed_by=observation.observer_id,
        note=note or None,
    )
    _send(member, "trainer_promoted", academy)
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
    _send(member, "trainer_declined", academy)
    db.session.flush()
    return decision


def demote(member: User, academy: Academy, *, actor: User, note: str = "") -> None:
    """Take the trainer role in `academy` away, at once."""
    _require_academy(actor, academy)
    note = _clean_note(note)
    if not is_trainer_in(member, academy):
        raise ServiceError(f"{member.display_name} is not a trainer in {academy.full_name}.")
    now = utcnow()
    for promotion in active_promotions({academy.id}).values():
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
    _send(member, "trainer_demoted", academy)
    db.session.flush()
