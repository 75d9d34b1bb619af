"""Waiting lists of full open cohorts: places offered in order, and offers that lapse.

A place is *taken* by a member or by an offer still open, so a freed place is kept
for the person it was offered to until they accept, decline or the offer lapses
(`flask academy training expire-offers`, run every few minutes by the scheduler).
Callers lock the cohort row first (`lock_cohort`) and commit once, then send the
returned e-mails (`mail.send_later`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from academy import mail
from academy.extensions import db
from academy.models import Cohort, CohortMember, User, WaitingPlace
from academy.services.cohorts.mail import Message
from academy.timeutil import utcnow

# How long a member has to accept a place offered from the waiting list.
OFFER_HOURS = 48


def lock_cohort(cohort_id: int) -> None:
    """Serialise changes to one cohort's places (a PostgreSQL row lock; SQLite
    writers already queue for the database's write lock: see academy.database)."""
    db.session.execute(select(Cohort.id).where(Cohort.id == cohort_id).with_for_update())


def _open_offer(now: datetime):
    return WaitingPlace.offer_expires_at > now


def places_taken(cohort_id: int, now: datetime | None = None) -> int:
    """Members plus places held by offers still open."""
    now = now or utcnow()
    members = db.session.scalar(
        select(func.count()).select_from(CohortMember).where(CohortMember.cohort_id == cohort_id)
    )
    offers = db.session.scalar(
        select(func.count())
        .select_from(WaitingPlace)
        .where(WaitingPlace.cohort_id == cohort_id, _open_offer(now))
    )
    return members + offers


def waiting_place(cohort_id: int, user_id: int) -> WaitingPlace | None:
    return db.session.scalar(
        select(WaitingPlace).where(
            WaitingPlace.cohort_id == cohort_id, WaitingPlace.user_id == user_id
        )
    )


def position(place: WaitingPlace) -> int:
    """1 for the first person waiting."""
    return 1 + db.session.scalar(
        select(func.count())
        .select_from(WaitingPlace)
        .where(
            WaitingPlace.cohort_id == place.cohort_id,
            (WaitingPlace.joined_at < place.joined_at)
            | ((WaitingPlace.joined_at == place.joined_at) & (WaitingPlace.id < place.id)),
        )
    )


def waiting_list(cohort: Cohort) -> list[WaitingPlace]:
    """Everyone waiting, first first, with their accounts (for the trainer)."""
    rows = db.session.execute(
        select(WaitingPlace, User)
        .join(User, User.id == WaitingPlace.user_id)
        .where(WaitingPlace.cohort_id == cohort.id)
        .order_by(WaitingPlace.joined_at, WaitingPlace.id)
    ).all()
    places = []
    for place, user in rows:
        # Set without loading: the relationship raises on lazy loads.
        place.__dict__["user"] = user
        places.append(place)
    return places


def waiting_count(cohort_id: int) -> int:
    return db.session.scalar(
        select(func.count()).select_from(WaitingPlace).where(WaitingPlace.cohort_id == cohort_id)
    )


def nobody_waiting_unoffered(cohort_id: int, now: datetime) -> bool:
    """True when no one on the list is still waiting for an offer (no queue to jump)."""
    return (
        db.session.scalar(
            select(WaitingPlace.id)
            .where(
                WaitingPlace.cohort_id == cohort_id,
                (WaitingPlace.offer_expires_at.is_(None)) | (WaitingPlace.offer_expires_at <= now),
            )
            .limit(1)
        )
        is None
    )


def _offer_message(cohort: Cohort, user: User, expires_at: datetime) -> Message:
    return mail.compose(
        user.email,
        "place_offered",
        name=user.display_name,
        cohort_id=cohort.id,
        cohort_name=cohort.name,
        course_title=cohort.course.title,
        academy_name=cohort.academy.full_name,
        expires_at=expires_at,
    )


def offer_places(cohort: Cohort, now: datetime | None = None) -> list[Message]:
    """Offer every free place to the people waiting longest; the e-mails to send.

    The caller holds the cohort's lock (`lock_cohort`).
    """
    now = now or utcnow()
    free = cohort.capacity - places_taken(cohort.id, now)
    if free <= 0:
        return []
    rows = db.session.execute(
        select(WaitingPlace, User)
        .join(User, User.id == WaitingPlace.user_id)
        .where(
            WaitingPlace.cohort_id == cohort.id,
            WaitingPlace.offered_at.is_(None),
            User.disabled_at.is_(None),
        )
        .order_by(WaitingPlace.joined_at, WaitingPlace.id)
        .limit(free)
    ).all()
    messages = []
    expires_at = now + timedelta(hours=OFFER_HOURS)
    for place, user in rows:
        place.offered_at = now
        place.offer_expires_at = expires_at
        messages.append(_offer_message(cohort, user, expires_at))
    db.session.flush()
    return messages


def expire_offers(now: datetime | None = None) -> tuple[int, list[Message]]:
    """Drop lapsed offers and offer their places to the next people waiting.

    Returns how many offers lapsed and the e-mails to send after committing.
    """
    now = now or utcnow()
    lapsed = list(
        db.session.scalars(
            select(WaitingPlace)
            .where(WaitingPlace.offer_expires_at <= now)
            .order_by(WaitingPlace.cohort_id, WaitingPlace.id)
        )
    )
    messages: list[Message] = []
    # Cohorts with people waiting for an offer too: a place may have come free
    # without anyone leaving (the trainer raised the capacity, reopened sign-up).
    waiting = set(
        db.session.scalars(
            select(WaitingPlace.cohort_id).where(WaitingPlace.offered_at.is_(None)).distinct()
        )
    )
    for cohort_id in sorted({place.cohort_id for place in lapsed} | waiting):
        lock_cohort(cohort_id)
        for place in lapsed:
            if place.cohort_id == cohort_id:
                db.session.delete(place)
        db.session.flush()
        cohort = db.session.get(Cohort, cohort_id)
        if cohort.is_open and not cohort.signup_closed:
            messages += offer_places(cohort, now)
    return len(lapsed), messages
