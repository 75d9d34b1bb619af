"""When a question deserves a second look, and when there is too little to tell.

A handful of attempts says nothing about a question: one member more or less
swings its figures, so below a minimum number of attempts (the setting
ITEM_ANALYSIS_MIN_ATTEMPTS, 20 by default) the figures are not shown at all and
nothing is flagged.
"""

from __future__ import annotations

from dataclasses import dataclass

SHOWN_ANSWERS = 5  # the commonest short answers shown per question
TOO_EASY_ABOVE = 0.9
TOO_HARD_BELOW = 0.2


@dataclass(frozen=True, slots=True)
class Flag:
    code: str  # stable, for tests and anyone reading the CSV by program
    label: str
    explanation: str


TOO_EASY = Flag(
    "too-easy",
    "Too easy",
    f"More than {TOO_EASY_ABOVE:.0%} get it right: it hardly tells members apart.",
)
TOO_HARD = Flag(
    "too-hard",
    "Too hard",
    f"Fewer than {TOO_HARD_BELOW:.0%} get it right: check the question and the answer "
    "marked right.",
)
REVERSED = Flag(
    "reversed",
    "Strong members get it wrong more than weak ones",
    "Members who do well on the rest of the quiz get it wrong more often than those who "
    "do badly: the question or its marked answer may be misleading.",
)
ALL_FLAGS = (TOO_EASY, TOO_HARD, REVERSED)


def flags_for(facility: float | None, discrimination: float | None) -> tuple[Flag, ...]:
    """The flags of a question with enough attempts (the caller checks that)."""
    if facility is None:
        return ()
    found = []
    if facility > TOO_EASY_ABOVE:
        found.append(TOO_EASY)
    if facility < TOO_HARD_BELOW:
        found.append(TOO_HARD)
    if discrimination is not None and discrimination < 0:
        found.append(REVERSED)
    return tuple(found)
