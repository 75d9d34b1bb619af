"""Open cohorts: members sign themselves up from "Find training", in one click.

A member joins while places are left (enrolled in the course as a join code
does: `membership.admit`), or goes on the waiting list when the cohort is full;
a place offered from the list is accepted or declined here. Every change to a
cohort's places first locks its row (`waiting.lock_cohort`), so concurrent
sign-ups queue and capacity is never exceeded: the count is read under the lock,
not before it.
"""

from __future__ import annotations

from dataclasses import dataclass

from academy.extensions import db
from academy.models import Cohort, CohortMember, User, WaitingPlace
from academy.services import ServiceError
from academy.services.audit import record
from academy.services.cohorts.mail import Message
from academy.services.cohorts.membership import admit
from academy.services.cohorts.roster import membership_of
from academy.services.cohorts.waiting import (
    lock_cohort,
    nobody_waiting_unoffered,
    offer_places,
    places_taken,
    position,
    waiting_place,
)
from academy.timeutil import utcnow


@dataclass(frozen=True)
class SignUp:
    """What a sign-up did: joined the cohort, or a place on its waiting list."""

    membership: CohortMember | None
    waiting: WaitingPlace | None
    position: int | None = None

    @property
    def joined(self) -> bool:
        return self.membership is not None


def listing_problem(cohort: Cohort) -> str | None:
    """Why nobody can sign up to this cohort now, or None."""
    if not cohort.is_open:
        return "This cohort is not open for sign-up. Ask its academy about joining."
    if cohort.signup_closed:
        return "Sign-up for this cohort has closed."
    if cohort.ends_on < utcnow().date():
        return "This cohort has finished. Find another one on Find training."
    return None


def signup_problem(cohort: Cohort, user: User) -> str | None:
    """Why `user` cannot sign up to this cohort now, or None."""
    problem = listing_problem(cohort)
    if problem:
        return problem
    if cohort.region_only and user.home_academy_id != cohort.academy_id:
        return (
            f"This cohort is for members in the {cohort.academy.name} region. If you live "
            "there, set your region on your account page first."
        )
    if membership_of(cohort, user.id) is not None:
        return "You are already in this cohort."
    if waiting_place(cohort.id, user.id) is not None:
        return "You are already on the waiting list for this cohort."
    return None


def sign_up(user: User, cohort: Cohort) -> SignUp:
    """Join the cohort if a place is left, else join its waiting list."""
    lock_cohort(cohort.id)
    db.session.refresh(cohort)  # what the last holder of the lock committed
    problem = signup_problem(cohort, user)
    if problem:
        raise ServiceError(problem)
    now = utcnow()
    # Nobody jumps the queue: a free place goes to the list first (offer_places).
    if places_taken(cohort.id, now) < cohort.capacity and nobody_waiting_unoffered(cohort.id, now):
        membership = admit(cohort, user, via="open")
        record(
            "cohort.signup",
            actor=user,
            subject=user,
            academy_id=cohort.academy_id,
            target=f"cohort:{cohort.id}",
        )
        return SignUp(membership=membership, waiting=None)
    place = WaitingPlace(cohort_id=cohort.id, user_id=user.id, joined_at=now)
    db.session.add(place)
    db.session.flush()
    record(
        "cohort.waiting.join",
        actor=user,
        subject=user,
        academy_id=cohort.academy_id,
        target=f"cohort:{cohort.id}",
    )
    return SignUp(membership=None, waiting=place, position=position(place))


def accept_offer(user: User, cohort: Cohort) -> CohortMember:
    """Take the place offered from the waiting list, while the offer is open."""
    lock_cohort(cohort.id)
    place = waiting_place(cohort.id, user.id)
    if place is None or place.offer_expires_at is None:
        raise ServiceError("You have no place offered in this cohort.")
    if place.offer_expires_at <= utcnow():
        raise ServiceError(
            "Sorry, the time to accept this place has passed and it has gone to the next "
            "person waiting."
        )
    problem = listing_problem(cohort)
    if problem:
        raise ServiceError(problem)
    db.session.delete(place)
    db.session.flush()
    membership = admit(cohort, user, via="open")
    record(
        "cohort.waiting.accept",
        actor=user,
        subject=user,
        academy_id=cohort.academy_id,
        target=f"cohort:{cohort.id}",
    )
    return membership


def leave_waiting_list(user: User, cohort: Cohort) -> list[Message]:
    """Leave the list (or decline an offered place, which goes to the next person)."""
    lock_cohort(cohort.id)
    place = waiting_place(cohort.id, user.id)
    if place is None:
        raise ServiceError("You are not on the waiting list for this cohort.")
    db.session.delete(place)
    db.session.flush()
    record(
        "cohort.waiting.leave",
        actor=user,
        subject=user,
        academy_id=cohort.academy_id,
        target=f"cohort:{cohort.id}",
    )
    if listing_problem(cohort):
        return []
    return offer_places(cohort)


def set_signup_closed(cohort: Cohort, actor: User, *, closed: bool) -> list[Message]:
    """Close sign-up (nobody new joins or is offered a place) or reopen it."""
    lock_cohort(cohort.id)
    cohort.signup_closed = closed
    db.session.flush()
    record(
        "cohort.signup.close" if closed else "cohort.signup.reopen",
        actor=actor,
        academy_id=cohort.academy_id,
        target=f"cohort:{cohort.id}",
    )
    if closed or listing_problem(cohort):
        return []
    return offer_places(cohort)
