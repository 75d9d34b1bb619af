"""Recording when staff see a member's personal data.

Call `record_access(actor, subject, what)` from any view that shows or exports
a member's personal data to someone other than that member: a member's page in
the admin area, a data export made on a member's behalf, a cohort's CSV export
(once per member in it: `record_access_many`). The entry is added to the
current transaction; the request commits it with everything else.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence

import sqlalchemy as sa
from sqlalchemy import select

from academy.extensions import db
from academy.models import Academy, AccessLogEntry, Certificate, Cohort, DataRequest, User

# What each kind of entry means, in words a member understands.
DESCRIPTIONS = {
    "admin.member-page": "An admin looked at your account",
    "admin.people-search": "You appeared in an admin's search for a person",
    "admin.academy-people": "An admin looked at the people working in your academy",
    "admin.data-requests": "An admin looked at the list of data requests",
    "data-export": "An admin downloaded a copy of your data",
    "cohort.csv-export": "Your cohort's progress was downloaded by its trainer or staff",
    "staff.member-page": "Academy staff looked at your details",
}


def describe(what: str) -> str:
    return DESCRIPTIONS.get(what, what.replace("-", " ").replace(".", ": ").capitalize())


# What was done, as an admin reads it in the access log ("who looked" is its own column):
# the entry's kind, and the thing it was about by name ({target}), never by database id.
ADMIN_WORDS = {
    "admin.member-page": "looked at their account",
    "admin.people-search": "found them in a search for a person",
    "admin.academy-people": "looked at the people working in {target}",
    "admin.data-requests": "looked at the list of data requests",
    "admin.data-request": "looked at {target}",
    "data-export": "downloaded a copy of their data",
    "cohort.csv-export": "exported the progress of {target}",
    "staff.member-page": "looked at their details",
    "staff.certificate-page": "looked at {target}",
}


def _cohorts(ids: Sequence[int]) -> dict[int, str]:
    rows = db.session.execute(select(Cohort.id, Cohort.name).where(Cohort.id.in_(ids)))
    return {id_: f"cohort '{name}'" for id_, name in rows}


def _certificates(ids: Sequence[int]) -> dict[int, str]:
    rows = db.session.execute(
        select(Certificate.id, Certificate.number, Certificate.course_title).where(
            Certificate.id.in_(ids)
        )
    )
    return {id_: f"certificate {number} ({title})" for id_, number, title in rows}


def _academies(ids: Sequence[int]) -> dict[int, str]:
    rows = db.session.execute(select(Academy.id, Academy.name).where(Academy.id.in_(ids)))
    return {id_: f"the {name} Organising Academy" for id_, name in rows}


def _data_requests(ids: Sequence[int]) -> dict[int, str]:
    from academy.services.privacy.data_requests import in_members_words

    rows = db.session.execute(
        select(DataRequest.id, DataRequest.kind, DataRequest.received_at).where(
            DataRequest.id.in_(ids)
        )
    )
    return {
        id_: f"their request {in_members_words(kind).replace('your', 'their')}"
        for id_, kind, _received in rows
    }


# How each kind of target ("cohort:12") is named: one query per kind, whatever the count.
_NAMERS: dict[str, Callable[[Sequence[int]], dict[int, str]]] = {
    "cohort": _cohorts,
    "certificate": _certificates,
    "academy": _academies,
    "data-request": _data_requests,
}
_GONE = {
    "cohort": "a cohort since deleted",
    "certificate": "a certificate since deleted",
    "academy": "an academy since deleted",
    "data-request": "a data request",
}


def _parse_target(target: str | None) -> tuple[str, int] | None:
    kind, _, number = (target or "").partition(":")
    if kind in _NAMERS and number.isdigit():
        return kind, int(number)
    return None


def target_names(targets: Iterable[str | None]) -> dict[tuple[str, int], str]:
    """The name of every thing these targets ("cohort:12") are, looked up once per kind."""
    wanted: dict[str, set[int]] = defaultdict(set)
    for target in targets:
        parsed = _parse_target(target)
        if parsed is not None:
            wanted[parsed[0]].add(parsed[1])
    names: dict[tuple[str, int], str] = {}
    for kind, ids in wanted.items():
        for id_, name in _NAMERS[kind](sorted(ids)).items():
            names[(kind, id_)] = name
    return names


def name_target(target: str | None, names: dict[tuple[str, int], str]) -> str:
    """A stored target ("cohort:12") by name ("cohort 'Leeds spring'"); others as stored."""
    parsed = _parse_target(target)
    return names.get(parsed, _GONE[parsed[0]]) if parsed else (target or "")


def in_words(entry: AccessLogEntry, names: dict[tuple[str, int], str]) -> str:
    """What the entry records, in words ("exported the progress of cohort 'Leeds spring'"),
    from its stored kind and target; `names` from `target_names`."""
    target = name_target(entry.target, names)
    words = ADMIN_WORDS.get(entry.what)
    if words is None:  # a kind recorded before it had words: say what is stored, plainly
        words = entry.what.replace("-", " ").replace(".", ": ") + (" ({target})" if target else "")
    return words.format(target=target)


def entries_in_words(entries: Sequence[AccessLogEntry]) -> list[str]:
    """`in_words` for each entry, naming their targets in a fixed number of queries."""
    names = target_names(entry.target for entry in entries)
    return [in_words(entry, names) for entry in entries]


def for_the_member(entries: Sequence[AccessLogEntry]) -> list[str]:
    """Each entry as the member whose data it was reads it ("Your cohort's progress was
    downloaded by its trainer or staff: cohort 'Leeds spring'")."""
    names = target_names(entry.target for entry in entries)
    said = []
    for entry in entries:
        target = name_target(entry.target, names)
        said.append(describe(entry.what) + (f": {target}" if target else ""))
    return said


def recent_access_to(user: User, limit: int = 20) -> list[AccessLogEntry]:
    """The latest times staff saw this person's data: shown to the person themselves."""
    return list(
        db.session.scalars(
            select(AccessLogEntry)
            .where(AccessLogEntry.subject_user_id == user.id)
            .order_by(AccessLogEntry.id.desc())
            .limit(limit)
        )
    )


def record_access(
    actor: User | None, subject: User | int | None, what: str, target: str | None = None
) -> AccessLogEntry | None:
    """Log that `actor` viewed or exported `subject`'s personal data. Nothing if it is their own."""
    subject_id = subject.id if isinstance(subject, User) else subject
    actor_id = actor.id if actor is not None else None
    if subject_id is not None and subject_id == actor_id:
        return None
    entry = AccessLogEntry(actor_id=actor_id, subject_user_id=subject_id, what=what, target=target)
    db.session.add(entry)
    return entry


def record_access_many(
    actor: User | None, subject_ids: Iterable[int], what: str, target: str | None = None
) -> int:
    """Log one entry per member (e.g. a cohort CSV export) in a single INSERT."""
    actor_id = actor.id if actor is not None else None
    rows = [
        {"actor_id": actor_id, "subject_user_id": sid, "what": what, "target": target}
        for sid in dict.fromkeys(subject_ids)
        if sid != actor_id
    ]
    if rows:
        db.session.execute(sa.insert(AccessLogEntry), rows)
    return len(rows)
