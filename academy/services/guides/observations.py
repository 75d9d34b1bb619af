"""Observed teaching practice: a candidate trainer teaches part of a session in their
Train the trainer cohort, and a trainer or staff member of that academy records
it against the course's rubric (a level per criterion, written feedback, and an
outcome). "Needs more practice" is followed by another observation at a later
session; promotion to trainer needs a passed one (promotion.decisions).

Refused, changing nothing: an observer who may not manage the cohort (NotAllowed:
the route answers 404), a candidate who is not in the cohort, a session of another
cohort or one not held yet, an unknown criterion or level, a missing rating, a
"passed" with a criterion below the pass level, a second observation of the same
candidate at one session, and any observation after a passed one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from academy.extensions import db
from academy.links import absolute_url
from academy.mail import send_template
from academy.models import Cohort, CohortMember, CohortSession, User
from academy.models.guides import Observation, ObservationOutcome, Rubric
from academy.services import ServiceError
from academy.services.audit import record
from academy.services.certificates import NotAllowed
from academy.timeutil import utcnow

FEEDBACK_MAX = 5000


def rubric_of(course_id: int) -> Rubric | None:
    return db.session.scalar(
        sa.select(Rubric).where(Rubric.course_id == course_id, Rubric.retired_at.is_(None))
    )


def observations_of(candidate_id: int, cohort_id: int | None = None) -> list[Observation]:
    """The candidate's observations, newest first, with observer and session loaded."""
    query = (
        sa.select(Observation)
        .options(selectinload(Observation.observer), selectinload(Observation.session))
        .where(Observation.candidate_id == candidate_id)
        .order_by(Observation.recorded_at.desc(), Observation.id.desc())
    )
    if cohort_id is not None:
        query = query.where(Observation.cohort_id == cohort_id)
    return list(db.session.scalars(query))


def passed_observation(candidate_id: int, academy_id: int) -> Observation | None:
    """The candidate's latest passed observation in this academy, if any."""
    return db.session.scalar(
        sa.select(Observation)
        .where(
            Observation.candidate_id == candidate_id,
            Observation.academy_id == academy_id,
            Observation.outcome == ObservationOutcome.PASSED,
        )
        .order_by(Observation.recorded_at.desc(), Observation.id.desc())
        .limit(1)
    )


def latest_observations(pairs: Iterable[tuple[int, int]]) -> dict[tuple[int, int], Observation]:
    """The latest observation of each (candidate, academy) pair, a passed one first
    (for the staff lists, in one query)."""
    pairs = set(pairs)
    if not pairs:
        return {}
    found = db.session.scalars(
        sa.select(Observation)
        .options(selectinload(Observation.observer))
        .where(
            Observation.candidate_id.in_({c for c, _ in pairs}),
            Observation.academy_id.in_({a for _, a in pairs}),
        )
        .order_by(Observation.recorded_at, Observation.id)
    )
    latest: dict[tuple[int, int], Observation] = {}
    for observation in found:
        key = (observation.candidate_id, observation.academy_id)
        if key in pairs and not (key in latest and latest[key].passed):
            latest[key] = observation
    return latest


def _check_ratings(rubric: Rubric, ratings: Mapping[str, str]) -> dict[str, str]:
    known = rubric.criterion_keys
    for key in ratings:
        if key not in known:
            raise ServiceError(f"'{key}' is not a criterion of the rubric.")
    missing = [c["title"] for c in rubric.criteria if not ratings.get(c["key"])]
    if missing:
        raise ServiceError(f"Choose a level for every criterion: {', '.join(missing)}.")
    for level in ratings.values():
        if level not in rubric.levels:
            raise ServiceError(f"'{level}' is not a level of the rubric.")
    return {key: ratings[key] for key in known}


def record_observation(
    cohort: Cohort,
    candidate: User,
    session: CohortSession,
    *,
    observer: User,
    ratings: Mapping[str, str],
    feedback: str,
    outcome: str,
) -> Observation:
    """Record one observed practice session; the caller commits."""
    if not cohort.can_manage(observer):
        raise NotAllowed("Only a trainer or staff member of this academy can observe.")
    rubric = rubric_of(cohort.course_id)
    if rubric is None:
        raise ServiceError("This course has no observation rubric, so nobody is observed in it.")
    if candidate.id == observer.id:
        raise ServiceError("Someone else must observe your practice session.")
    in_cohort = db.session.scalar(
        sa.select(sa.literal(1)).where(
            CohortMember.cohort_id == cohort.id, CohortMember.user_id == candidate.id
        )
    )
    if in_cohort is None:
        raise ServiceError(f"{candidate.display_name} is not a member of this cohort.")
    if session.cohort_id != cohort.id:
        raise ServiceError("Choose one of this cohort's sessions.")
    if session.starts_at > utcnow():
        raise ServiceError("Record the observation once the session has started.")
    clean = _check_ratings(rubric, ratings)
    feedback = (feedback or "").strip()
    if not feedback:
        raise ServiceError("Write the feedback: what went well, and what to work on.")
    if len(feedback) > FEEDBACK_MAX:
        raise ServiceError(f"Keep the feedback to {FEEDBACK_MAX} characters.")
    try:
        result = ObservationOutcome(outcome)
    except ValueError:
        raise ServiceError("Choose the outcome: passed, or needs more practice.") from None
    below = [c["title"] for c in rubric.criteria if not rubric.passes(clean[c["key"]])]
    if result is ObservationOutcome.PASSED and below:
        raise ServiceError(
            f"An observation passes only when every criterion is at '{rubric.pass_level}' "
            f"or above; below it: {', '.join(below)}."
        )
    earlier = observations_of(candidate.id, cohort.id)
    if any(o.session_id == session.id for o in earlier):
        raise ServiceError(
            f"{candidate.display_name}'s practice at this session is already recorded."
        )
    if passed_observation(candidate.id, cohort.academy_id) is not None:
        raise ServiceError(f"{candidate.display_name} has already passed an observation.")
    observation = Observation(
        academy_id=cohort.academy_id,
        cohort_id=cohort.id,
        session_id=session.id,
        candidate_id=candidate.id,
        observer_id=observer.id,
        rubric_id=rubric.id,
        ratings=clean,
        criteria_judged=[
            {"key": c["key"], "title": c["title"], "levels": rubric.levels} for c in rubric.criteria
        ],
        feedback=feedback,
        outcome=result.value,
        recorded_at=utcnow(),
    )
    db.session.add(observation)
    db.session.flush()
    record(
        "practice.observe",
        actor=observer,
        subject=candidate,
        academy_id=cohort.academy_id,
        target=f"cohort:{cohort.id}",
        session=session.id,
        outcome=result.value,
    )
    send_template(
        candidate.email,
        "practice_observed",
        name=candidate.display_name,
        observer_name=observer.display_name,
        outcome=result.label.lower(),
        cohort_url=absolute_url("cohorts.detail", cohort_id=cohort.id),
    )
    return observation
