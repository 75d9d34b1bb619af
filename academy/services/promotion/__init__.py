"""Promoting graduates of Train the trainer to trainers, declining, demoting, and
the lineage that shows how training cascades through an academy.

Import the package and call `promotion.candidates_page(...)`,
`promotion.promote(...)`, `promotion.lineage(academy)` and so on. Modules, each
importing only those above it:

    eligibility       the Train the trainer course and certificate; who is a trainer
    standing          the promotions that stand, with who trained whom, in bulk
    graduates         graduates waiting for a decision, and the trainers; lists and counts
    lineage_tree      an academy's tree of who trained which trainer
    decisions         promote, decline, demote: checked, audited, the member told
"""

from academy.services.promotion.decisions import decline, demote, promote
from academy.services.promotion.eligibility import trainer_certificate, trainer_course
from academy.services.promotion.graduates import (
    candidate_params,
    candidates,
    candidates_counter,
    candidates_page,
    count_candidates,
    trainers_page,
)
from academy.services.promotion.lineage_tree import lineage

__all__ = [
    "candidate_params",
    "candidates",
    "candidates_counter",
    "candidates_page",
    "count_candidates",
    "decline",
    "demote",
    "lineage",
    "promote",
    "trainer_certificate",
    "trainer_course",
    "trainers_page",
]
