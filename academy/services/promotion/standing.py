"""The promotions that stand (promoted, not demoted since), with who trained each
trainer, loaded in bulk for the lists, the lineage tree and demotion."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from academy.extensions import db
from academy.models import Cohort
from academy.models.certificates import PromotionDecision, TrainerLineage, TrainerPromotion


def active_promotions(academy_ids: set[int]) -> dict[tuple[int, int], TrainerPromotion]:
    """The standing promotions in these academies, with their lineage."""
    if not academy_ids:
        return {}
    return _standing_promotions(TrainerPromotion.academy_id.in_(academy_ids))


def promotions_of(pairs: set[tuple[int, int]]) -> dict[tuple[int, int], TrainerPromotion]:
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


def cohorts_by_id(ids: Iterable[int | None]) -> dict[int, Cohort]:
    """The cohorts with these ids (None and 0 skipped), in one query."""
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    return {c.id: c for c in db.session.scalars(sa.select(Cohort).where(Cohort.id.in_(wanted)))}
