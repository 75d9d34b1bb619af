"""The training lineage of an academy: each trainer, and the trainers they trained."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa

from academy.extensions import db
from academy.models import Academy, AcademyRole, Cohort, Role, User
from academy.services.promotion.standing import active_promotions, cohorts_by_id


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
    promotions = active_promotions({academy.id})
    cohorts = cohorts_by_id(p.cohort_id for p in promotions.values())
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
