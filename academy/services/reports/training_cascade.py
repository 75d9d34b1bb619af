"""The training cascade: who trained whom to become a trainer, and how many members
each trainer (and everyone down the line from them) trained, as trees and a table."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy import select

from academy.extensions import db
from academy.models import CohortMember, CohortTrainer, TrainerLineage, User
from academy.services.reports.scope import Scope, cohorts_in
from academy.services.reports.tables import Row, Table


@dataclass
class CascadeNode:
    user_id: int
    name: str
    members_trained: int
    children: list[CascadeNode] = field(default_factory=list)
    depth: int = 0

    @property
    def downstream_members(self) -> int:
        return self.members_trained + sum(child.downstream_members for child in self.children)

    @property
    def downstream_trainers(self) -> int:
        return len(self.children) + sum(child.downstream_trainers for child in self.children)

    def walk(self) -> Iterator[CascadeNode]:
        yield self
        for child in self.children:
            yield from child.walk()


def cascade(scope: Scope) -> list[CascadeNode]:
    """Trees of who trained whom to become a trainer, with members each trained (3 queries)."""
    cohorts = cohorts_in(scope)
    trained = dict(
        db.session.execute(
            select(CohortTrainer.user_id, sa.func.count(sa.distinct(CohortMember.user_id)))
            .join(CohortMember, CohortMember.cohort_id == CohortTrainer.cohort_id)
            .where(
                CohortTrainer.cohort_id.in_(cohorts),
                CohortMember.user_id != CohortTrainer.user_id,
            )
            .group_by(CohortTrainer.user_id)
        ).all()
    )
    edges_query = select(TrainerLineage.trainer_id, TrainerLineage.trainee_id).where(
        TrainerLineage.trainer_id.is_not(None)
    )
    if not scope.national:
        edges_query = edges_query.where(TrainerLineage.academy_id == scope.academy.id)
    edges = sorted(set(db.session.execute(edges_query.distinct()).all()))
    people = set(trained) | {a for a, _ in edges} | {b for _, b in edges}
    names = (
        dict(
            db.session.execute(select(User.id, User.display_name).where(User.id.in_(people))).all()
        )
        if people
        else {}
    )
    children: dict[int, list[int]] = defaultdict(list)
    has_parent: set[int] = set()
    for trainer_id, trainee_id in edges:
        if trainee_id != trainer_id and trainee_id not in has_parent:
            # A trainee trained by several trainers sits under the first (by id); the
            # table still counts them once.
            children[trainer_id].append(trainee_id)
            has_parent.add(trainee_id)

    def build(user_id: int, depth: int, seen: frozenset[int]) -> CascadeNode:
        node = CascadeNode(user_id, names.get(user_id, "?"), trained.get(user_id, 0), depth=depth)
        for child in children.get(user_id, []):
            if child not in seen:
                node.children.append(build(child, depth + 1, seen | {child}))
        return node

    roots = sorted((p for p in people if p not in has_parent), key=lambda p: (names.get(p, ""), p))
    trees = [build(root, 0, frozenset({root})) for root in roots]
    trees.sort(key=lambda n: (-n.downstream_members, n.name))
    return trees


def cascade_table(trees: list[CascadeNode]) -> Table:
    table = Table(
        "cascade",
        "The training cascade: each trainer, who trained them, and everyone trained down the line",
        [
            "Trainer",
            "Generation",
            "Members trained",
            "Became trainers",
            "Trainers down the line",
            "Members trained down the line",
        ],
    )
    for tree in trees:
        parents: dict[int, str] = {}
        for node in tree.walk():
            for child in node.children:
                parents[child.user_id] = node.name
            table.rows.append(
                Row(
                    node.name,
                    [
                        node.depth + 1,
                        node.members_trained,
                        len(node.children),
                        node.downstream_trainers,
                        node.downstream_members,
                    ],
                    parents.get(node.user_id, ""),
                )
            )
    return table
