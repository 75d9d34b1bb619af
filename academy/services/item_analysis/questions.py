"""What each analysed question says: its current text, or the snapshot's once it has gone.

A question is its key. Rewording a heading makes a new key, so the old one
leaves the quiz while attempts still record it: its words then come from the
snapshot of the latest attempt that asked it (the words members last saw),
else from its retired row, else only its key is known.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from academy.extensions import db
from academy.models import Question, QuizAttempt


@dataclass(frozen=True, slots=True)
class OptionText:
    key: str
    html: str
    correct: bool


@dataclass(frozen=True, slots=True)
class QuestionText:
    key: str
    kind: str  # single | multiple | short | "" when nothing but the key is known
    prompt_html: str
    options: tuple[OptionText, ...]
    accepted: frozenset[str]  # accepted short answers, normalised
    current: bool  # in the quiz now
    position: int  # in the quiz now; after every current question otherwise


def _from_snapshot(question: Mapping[str, Any], position: int) -> QuestionText:
    return QuestionText(
        key=question["key"],
        kind=question.get("kind", ""),
        prompt_html=question.get("prompt_html", ""),
        options=tuple(
            OptionText(o["key"], o.get("html", ""), bool(o.get("correct")))
            for o in question.get("options", ())
        ),
        accepted=frozenset(question.get("accepted_answers", ())),
        current=False,
        position=position,
    )


def _from_row(question: Question, *, current: bool, position: int) -> QuestionText:
    return QuestionText(
        key=question.key,
        kind=question.kind,
        prompt_html=question.prompt_html,
        options=tuple(
            OptionText(o["key"], o["html"], bool(o["correct"])) for o in question.options
        ),
        accepted=frozenset(question.accepted_answers),
        current=current,
        position=position,
    )


def question_texts(quiz_id: int, latest_attempts: Mapping[str, int]) -> dict[str, QuestionText]:
    """Every current question of the quiz, and each key of `latest_attempts` (key -> the
    latest attempt that asked it) that is no longer in it. Two statements at most."""
    rows = db.session.scalars(
        sa.select(Question).where(Question.quiz_id == quiz_id).order_by(Question.position)
    ).all()
    texts: dict[str, QuestionText] = {}
    retired: dict[str, Question] = {}
    for row in rows:
        if row.retired_at is None:
            texts[row.key] = _from_row(row, current=True, position=row.position)
        else:
            retired[row.key] = row
    gone = sorted(key for key in latest_attempts if key not in texts)
    if not gone:
        return texts
    after = max((t.position for t in texts.values()), default=0) + 1
    wanted = {latest_attempts[key] for key in gone if latest_attempts[key]}
    found: dict[str, Mapping[str, Any]] = {}
    if wanted:
        for attempt_id, snapshot in db.session.execute(
            sa.select(QuizAttempt.id, QuizAttempt.snapshot).where(QuizAttempt.id.in_(wanted))
        ):
            for question in (snapshot or {}).get("questions", ()):
                if latest_attempts.get(question.get("key")) == attempt_id:
                    found[question["key"]] = question
    for key in gone:
        if key in found:
            texts[key] = _from_snapshot(found[key], after)
        elif key in retired:
            texts[key] = _from_row(retired[key], current=False, position=after)
        else:
            texts[key] = QuestionText(key, "", "", (), frozenset(), False, after)
    return texts
