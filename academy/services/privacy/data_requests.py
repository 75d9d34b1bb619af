"""Data requests (access, correction, erasure): opening and completing them, their
one-month legal deadline, a single extension, and how the member is told about it."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from academy.extensions import db
from academy.mail import Email, compose
from academy.models import DataRequest, User
from academy.models.privacy import RequestKind
from academy.services import ServiceError
from academy.services.audit import record
from academy.timeutil import add_months, utcnow


def add_one_month(day: date) -> date:
    """The corresponding day next month, or its last day if there is none (31 Jan → 28 Feb)."""
    return add_months(day, 1)


EXTENSION_MONTHS = 2
EXTENSION_REASON_MAX = 1000


def extended_due_on(request: DataRequest) -> date:
    """The deadline an extension gives: three months from receipt in all."""
    return add_months(request.received_at.date(), 1 + EXTENSION_MONTHS)


def can_extend(request: DataRequest, today: date) -> bool:
    """Open, not extended yet, and still within its first month: the law lets the
    deadline move only if the member is told, with the reasons, within that month."""
    return request.open and request.extended_at is None and today <= request.due_on


def extend_request(
    request: DataRequest, *, actor: User, reason: str, today: date | None = None
) -> Email | None:
    """Extend the deadline by two further months (UK GDPR Art. 12(3): where requests
    are complex or numerous), once, and return the e-mail that tells the member why,
    for `send_email` (None if the account has no e-mail address any more)."""
    today = today or utcnow().date()
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("Give the reason: the member is told it.")
    if len(reason) > EXTENSION_REASON_MAX:
        raise ServiceError(f"Keep the reason to {EXTENSION_REASON_MAX} characters.")
    if not request.open:
        raise ServiceError("This request has already been completed.")
    if request.extended_at is not None:
        raise ServiceError("This request has been extended already; it can be extended once.")
    if today > request.due_on:
        raise ServiceError(
            "The first month has passed: an extension had to be made, and the member told, "
            "within it. Complete the request as soon as you can."
        )
    request.due_on = extended_due_on(request)
    request.extended_at = utcnow()
    request.extension_reason = reason
    db.session.flush()
    member = db.session.get(User, request.user_id) if request.user_id else None
    record(
        "privacy.request.extend",
        actor=actor,
        subject=member,
        target=f"data-request:{request.id}",
        due_on=request.due_on.isoformat(),
        reason=reason,
    )
    if member is None or not member.email:
        return None
    return compose(
        member.email,
        "data_request_extended",
        name=member.display_name,
        what=in_members_words(request.kind),
        received_on=request.received_at,
        due_on=request.due_on,
        reason=reason,
    )


def requests_of(user: User, limit: int = 10) -> list[DataRequest]:
    """The member's own data requests, newest first, for their account page."""
    return list(
        db.session.scalars(
            select(DataRequest)
            .where(DataRequest.user_id == user.id)
            .order_by(DataRequest.received_at.desc(), DataRequest.id.desc())
            .limit(limit)
        )
    )


def in_members_words(kind: str) -> str:
    """What a request asked for, as the member would say it ("to erase your data")."""
    return _IN_MEMBERS_WORDS[RequestKind(kind)]


_IN_MEMBERS_WORDS = {
    RequestKind.EXPORT: "for a copy of your data",
    RequestKind.CORRECTION: "to correct your data",
    RequestKind.ERASURE: "to erase your data",
}


def open_request(
    user: User,
    kind: str,
    *,
    actor: User | None = None,
    channel: str = "self-service",
    note: str = "",
    received_at: datetime | None = None,
) -> DataRequest:
    kind = RequestKind(kind).value
    received_at = received_at or utcnow()
    request = DataRequest(
        user_id=user.id,
        kind=kind,
        received_at=received_at,
        due_on=add_one_month(received_at.date()),
        channel=channel,
        note=note.strip(),
    )
    db.session.add(request)
    db.session.flush()
    if channel == "staff":
        record("privacy.request.open", actor=actor, subject=user, target=kind)
    return request


def open_request_of(user: User, kind: str, *, channel: str | None = None) -> DataRequest | None:
    """The oldest open request of this kind (of this channel, if given): doing what it
    asks completes it."""
    query = select(DataRequest).where(
        DataRequest.user_id == user.id,
        DataRequest.kind == kind,
        DataRequest.completed_at.is_(None),
    )
    if channel is not None:
        query = query.where(DataRequest.channel == channel)
    return db.session.scalar(query.order_by(DataRequest.received_at, DataRequest.id).limit(1))


def complete_request(request: DataRequest, *, actor: User | None, audit: bool = True) -> None:
    if request.completed_at is not None:
        raise ServiceError("This request has already been completed.")
    request.completed_at = utcnow()
    request.handled_by_id = actor.id if actor else None
    if audit:
        record("privacy.request.complete", actor=actor, target=f"data-request:{request.id}")


def channel_of(user: User, actor: User | None) -> str:
    """How a request came in: from the member themselves, or through staff."""
    return "self-service" if actor is None or actor.id == user.id else "staff"
