"""Equality monitoring: the questionnaire, a member's own answers, and nothing else.

Answers are stored under a pseudonym (see `academy.models.equality`). This
module is the only code that follows the link from a person to their answers,
and it does so only for that person's own questionnaire page, their data export
and the erasure of their account. Reports read answers in aggregate only
(`academy.services.reports.equality`), with small counts suppressed.

The built-in questions follow the categories commonly used in the UK (the ONS
Census 2021 harmonised standards, at their high level), each with "Prefer not
to say".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import select

from academy.extensions import db
from academy.models import (
    EqualityAnswer,
    EqualityLink,
    EqualityProfile,
    EqualityQuestion,
    User,
)
from academy.services import ServiceError
from academy.services.audit import record
from academy.timeutil import utcnow

PREFER_NOT = ("prefer-not-to-say", "Prefer not to say")
NOT_ANSWERED = ("not-answered", "Not answered")


@dataclass(frozen=True)
class Question:
    slug: str
    label: str
    hint: str
    options: tuple[tuple[str, str], ...]
    builtin: bool = True

    def label_of(self, value: str) -> str:
        return dict(self.options).get(value, value)


QUESTIONS: tuple[Question, ...] = (
    Question(
        "gender",
        "What is your gender?",
        "",
        (
            ("woman", "Woman"),
            ("man", "Man"),
            ("non-binary", "Non-binary"),
            ("another-way", "I describe my gender another way"),
            PREFER_NOT,
        ),
    ),
    Question(
        "trans",
        "Is the gender you identify with the same as your sex registered at birth?",
        "",
        (("yes", "Yes"), ("no", "No"), PREFER_NOT),
    ),
    Question(
        "ethnic-group",
        "What is your ethnic group?",
        "The high-level groups of the 2021 Census.",
        (
            ("asian", "Asian, Asian British or Asian Welsh"),
            ("black", "Black, Black British, Black Welsh, Caribbean or African"),
            ("mixed", "Mixed or multiple ethnic groups"),
            ("white", "White"),
            ("other", "Another ethnic group"),
            PREFER_NOT,
        ),
    ),
    Question(
        "disability",
        "Do you consider yourself to be disabled, or to have a long-term physical or "
        "mental health condition?",
        "Long-term means lasting, or expected to last, 12 months or more.",
        (("yes", "Yes"), ("no", "No"), PREFER_NOT),
    ),
    Question(
        "age-band",
        "What is your age?",
        "",
        (
            ("under-25", "Under 25"),
            ("25-34", "25 to 34"),
            ("35-44", "35 to 44"),
            ("45-54", "45 to 54"),
            ("55-64", "55 to 64"),
            ("65-plus", "65 or over"),
            PREFER_NOT,
        ),
    ),
    Question(
        "sexual-orientation",
        "Which of the following best describes your sexual orientation?",
        "",
        (
            ("straight", "Straight or heterosexual"),
            ("gay-lesbian", "Gay or lesbian"),
            ("bisexual", "Bisexual"),
            ("other", "Another sexual orientation"),
            PREFER_NOT,
        ),
    ),
)

YES_NO = (("yes", "Yes"), ("no", "No"), PREFER_NOT)


def custom_question(row: EqualityQuestion) -> Question:
    return Question(row.slug, row.label, row.hint, YES_NO, builtin=False)


def all_questions(*, include_inactive: bool = False) -> list[Question]:
    """The built-in questions, then the academies' own (one query)."""
    query = select(EqualityQuestion).order_by(EqualityQuestion.id)
    if not include_inactive:
        query = query.where(EqualityQuestion.active.is_(True))
    return [*QUESTIONS, *(custom_question(row) for row in db.session.scalars(query))]


def question_by_slug(slug: str) -> Question | None:
    return next((q for q in all_questions(include_inactive=True) if q.slug == slug), None)


# A member's own answers -----------------------------------------------------------------


def _profile_of(user: User) -> EqualityProfile | None:
    return db.session.scalar(
        select(EqualityProfile)
        .join(EqualityLink, EqualityLink.profile_id == EqualityProfile.id)
        .where(EqualityLink.user_id == user.id)
    )


def answers_of(user: User) -> dict[str, str]:
    """The member's own answers, for their questionnaire page and their data export only."""
    profile = _profile_of(user)
    return {a.question: a.answer for a in profile.answers} if profile else {}


def save_answers(user: User, answers: dict[str, str | None]) -> None:
    """Replace the member's answers; a question left blank is not answered."""
    questions = {q.slug: q for q in all_questions()}
    clean: dict[str, str] = {}
    for slug, value in answers.items():
        if not value:
            continue
        question = questions.get(slug)
        if question is None or value not in dict(question.options):
            raise ServiceError("Choose one of the answers given for each question.")
        clean[slug] = value
    profile = _profile_of(user)
    if not clean:
        if profile is not None:
            withdraw(user)
        return
    if profile is None:
        profile = EqualityProfile(updated_month=_this_month())
        db.session.add(profile)
        db.session.flush()
        db.session.add(EqualityLink(user_id=user.id, profile_id=profile.id))
    profile.updated_month = _this_month()
    current = {a.question: a for a in profile.answers}
    for slug, answer in current.items():
        # Answers to retired custom questions are kept; only what was asked is replaced.
        if slug in questions and slug not in clean:
            profile.answers.remove(answer)
    for slug, value in clean.items():
        if slug in current:
            current[slug].answer = value
        else:
            profile.answers.append(EqualityAnswer(question=slug, answer=value))
    db.session.flush()
    # The audit event says that answers changed, never what they are.
    record("equality.save", actor=user, subject=user)


def withdraw(user: User, *, audit: bool = True) -> bool:
    """Delete every answer, the pseudonymous profile and the link. True if any existed."""
    link = db.session.get(EqualityLink, user.id)
    if link is None:
        return False
    profile_id = link.profile_id
    db.session.delete(link)
    db.session.flush()
    db.session.execute(sa.delete(EqualityAnswer).where(EqualityAnswer.profile_id == profile_id))
    db.session.execute(sa.delete(EqualityProfile).where(EqualityProfile.id == profile_id))
    if audit:
        record("equality.withdraw", actor=user, subject=user)
    return True


def _this_month() -> str:
    return utcnow().strftime("%Y-%m")


# The academies' own questions (admins) ----------------------------------------------------

_SLUG = re.compile(r"[^a-z0-9]+")


def add_question(label: str, hint: str, *, actor: User) -> EqualityQuestion:
    label = label.strip()
    if not label:
        raise ServiceError("Write the question.")
    slug = "custom-" + (_SLUG.sub("-", label.lower()).strip("-")[:48] or "question")
    taken = {q.slug for q in all_questions(include_inactive=True)}
    base, n = slug, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    question = EqualityQuestion(slug=slug, label=label, hint=hint.strip())
    db.session.add(question)
    db.session.flush()
    record("equality.question.add", actor=actor, target=slug)
    return question


def set_question_active(question: EqualityQuestion, active: bool, *, actor: User) -> None:
    question.active = active
    record(
        "equality.question.enable" if active else "equality.question.disable",
        actor=actor,
        target=question.slug,
    )
