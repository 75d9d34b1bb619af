"""Who joins a cohort and how: join codes and links, personal invitations by e-mail,
joining, being added by a trainer, being removed and leaving.

Functions flush and record audit events; the caller commits once and sends the
e-mails they return with `mail.send_later` (they leave once the commit is done).
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import select

from academy.extensions import db
from academy.mail import compose
from academy.models import Cohort, CohortInvite, CohortMember, User
from academy.services import ServiceError, learning
from academy.services.audit import record
from academy.services.cohorts.mail import Message
from academy.services.cohorts.roster import member_count, membership_of
from academy.services.cohorts.waiting import lock_cohort, offer_places
from academy.timeutil import utcnow

# Join codes: short, read aloud and typed on phones. No 0/O, 1/I/L: nothing to confuse.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
DEFAULT_INVITE_DAYS = 14
PERSONAL_INVITE_DAYS = 30


def normalise_code(text: str) -> str:
    """What a member typed, as stored: capitals, no spaces or hyphens."""
    return "".join(ch for ch in text.upper() if ch.isalnum())


def format_code(code: str) -> str:
    """ABCD-EFGH: easier to read out and copy."""
    return f"{code[:4]}-{code[4:]}" if len(code) == CODE_LENGTH else code


def _new_code() -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if db.session.scalar(select(CohortInvite.id).where(CohortInvite.code == code)) is None:
            return code


def create_invite(cohort: Cohort, actor: User, *, days: int = DEFAULT_INVITE_DAYS) -> CohortInvite:
    """A shareable link and join code, valid for `days` days."""
    if not 1 <= days <= 90:
        raise ServiceError("An invitation lasts from 1 to 90 days.")
    invite = CohortInvite(
        cohort_id=cohort.id,
        code=_new_code(),
        token=secrets.token_urlsafe(24),
        expires_at=utcnow() + timedelta(days=days),
        created_by_id=actor.id,
    )
    db.session.add(invite)
    db.session.flush()
    record(
        "cohort.invite.create",
        actor=actor,
        academy_id=cohort.academy_id,
        target=f"cohort:{cohort.id}",
        invite=invite.id,
        days=days,
    )
    return invite


def revoke_invite(invite: CohortInvite, actor: User) -> None:
    if invite.revoked_at is None:
        invite.revoked_at = utcnow()
        db.session.flush()
        record(
            "cohort.invite.revoke",
            actor=actor,
            academy_id=invite.cohort.academy_id,
            target=f"cohort:{invite.cohort_id}",
            invite=invite.id,
        )


def invites_of(cohort: Cohort) -> list[CohortInvite]:
    """Shareable invitations, newest first (personal ones are listed with the import)."""
    return list(
        db.session.scalars(
            select(CohortInvite)
            .where(CohortInvite.cohort_id == cohort.id, CohortInvite.email.is_(None))
            .order_by(CohortInvite.created_at.desc(), CohortInvite.id.desc())
        )
    )


def pending_personal_invites(cohort: Cohort) -> list[CohortInvite]:
    return list(
        db.session.scalars(
            select(CohortInvite)
            .where(
                CohortInvite.cohort_id == cohort.id,
                CohortInvite.email.is_not(None),
                CohortInvite.used_at.is_(None),
                CohortInvite.revoked_at.is_(None),
                CohortInvite.expires_at > utcnow(),
            )
            .order_by(CohortInvite.email)
        )
    )


def find_invite(key: str) -> CohortInvite | None:
    """The invitation for a join code (any case, with or without the hyphen) or a link token."""
    key = key.strip()
    if not key or len(key) > 64:
        return None
    code = normalise_code(key)
    if len(code) == CODE_LENGTH:
        invite = db.session.scalar(select(CohortInvite).where(CohortInvite.code == code))
        if invite is not None:
            return invite
    return db.session.scalar(select(CohortInvite).where(CohortInvite.token == key))


def admit(cohort: Cohort, user: User, *, via: str) -> CohortMember:
    """Add `user` to the cohort and enrol them in its course (capacity checked)."""
    # Serialise joins to one cohort so two people cannot take the last place at once.
    lock_cohort(cohort.id)
    if member_count(cohort) >= cohort.capacity:
        raise ServiceError("Sorry, this cohort is full. Ask your trainer about another one.")
    membership = CohortMember(cohort_id=cohort.id, user_id=user.id, joined_via=via)
    db.session.add(membership)
    db.session.flush()
    # The trainer chose who to train, so the course's prerequisites do not stop a cohort.
    learning.enrol(user, cohort.course, check_prerequisites=False)
    return membership


def join_problem(invite: CohortInvite) -> str | None:
    """Why nobody can join through this invitation now, or None."""
    problem = invite.problem()
    if problem:
        return problem
    if invite.cohort.ends_on < utcnow().date():
        return "This cohort has finished. Ask your trainer about another one."
    if member_count(invite.cohort) >= invite.cohort.capacity:
        return "Sorry, this cohort is full. Ask your trainer about another one."
    return None


def join(user: User, invite: CohortInvite) -> tuple[CohortMember, bool]:
    """Join through an invitation; returns (membership, newly joined)."""
    cohort = invite.cohort
    existing = membership_of(cohort, user.id)
    if existing is not None:
        return existing, False
    problem = join_problem(invite)
    if problem:
        raise ServiceError(problem)
    membership = admit(cohort, user, via="email" if invite.personal else "link")
    invite.uses += 1
    if invite.personal:
        invite.used_at = utcnow()
    db.session.flush()
    record(
        "cohort.join",
        actor=user,
        subject=user,
        academy_id=cohort.academy_id,
        target=f"cohort:{cohort.id}",
        invite=invite.id,
    )
    return membership, True


def add_existing_member(cohort: Cohort, user: User, actor: User, *, via: str) -> CohortMember:
    membership = admit(cohort, user, via=via)
    record(
        "cohort.member.add",
        actor=actor,
        subject=user,
        academy_id=cohort.academy_id,
        target=f"cohort:{cohort.id}",
        via=via,
    )
    return membership


def invite_by_email(cohort: Cohort, email: str, actor: User) -> tuple[CohortInvite, Message]:
    """A personal, single-use invitation for someone without an account, and the e-mail
    to send them.

    We never create the account for them: they register themselves (and consent to
    the privacy notice), then follow the link to join.
    """
    invite = CohortInvite(
        cohort_id=cohort.id,
        token=secrets.token_urlsafe(24),
        email=email,
        expires_at=utcnow() + timedelta(days=PERSONAL_INVITE_DAYS),
        created_by_id=actor.id,
    )
    db.session.add(invite)
    db.session.flush()
    message = compose(
        email,
        "cohort_invitation",
        # The text says "reply to your trainer": a reply goes to the one who invited them.
        reply_to=actor.email,
        trainer_name=actor.display_name,
        cohort_name=cohort.name,
        course_title=cohort.course.title,
        academy_name=cohort.academy.full_name,
        token=invite.token,
        days=PERSONAL_INVITE_DAYS,
    )
    return invite, message


def added_message(cohort: Cohort, user: User, actor: User) -> Message:
    return compose(
        user.email,
        "cohort_added",
        # The text says "reply to your trainer": a reply goes to the one who added them.
        reply_to=actor.email,
        name=user.display_name,
        trainer_name=actor.display_name,
        cohort_name=cohort.name,
        course_title=cohort.course.title,
        academy_name=cohort.academy.full_name,
        cohort_id=cohort.id,
    )


def remove_member(cohort: Cohort, user_id: int, actor: User) -> list[Message]:
    """Remove a member; the freed place is offered to the waiting list (e-mails returned)."""
    lock_cohort(cohort.id)
    membership = membership_of(cohort, user_id)
    if membership is None:
        raise ServiceError("That person is not in this cohort.")
    db.session.delete(membership)
    db.session.flush()
    record(
        "cohort.member.remove",
        actor=actor,
        subject=db.session.get(User, user_id),
        academy_id=cohort.academy_id,
        target=f"cohort:{cohort.id}",
    )
    return _offer_freed_place(cohort)


def _offer_freed_place(cohort: Cohort) -> list[Message]:
    if not cohort.is_open or cohort.signup_closed:
        return []
    return offer_places(cohort)


def leave_cohort(cohort: Cohort, user: User) -> list[Message]:
    """A member leaves a cohort themselves; their progress in the course is kept.

    The freed place is offered to the first person waiting: the e-mails are returned.
    """
    lock_cohort(cohort.id)
    membership = membership_of(cohort, user.id)
    if membership is None:
        raise ServiceError("You are not in this cohort.")
    if membership.signed_off_at is not None:
        raise ServiceError("Your trainer has signed you off: the cohort stays on your record.")
    db.session.delete(membership)
    db.session.flush()
    record(
        "cohort.leave",
        actor=user,
        subject=user,
        academy_id=cohort.academy_id,
        target=f"cohort:{cohort.id}",
    )
    return _offer_freed_place(cohort)
