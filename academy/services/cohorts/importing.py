"""Importing a cohort's members from a CSV file of e-mail addresses and names.

All or nothing: the whole file is checked first, and any problem rejects it with
every problem listed by line and nothing changed. A valid file then adds people
who already have an account and e-mails an invitation to register to everyone
else (we never create accounts for them: they must consent themselves).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select

from academy.extensions import db
from academy.models import Cohort, CohortInvite, CohortMember, User
from academy.services import ServiceError
from academy.services.accounts import normalise_email
from academy.services.audit import record
from academy.services.cohorts.editing import MAX_CAPACITY
from academy.services.cohorts.mail import Message
from academy.services.cohorts.membership import add_existing_member, added_message, invite_by_email
from academy.timeutil import utcnow

MAX_BYTES = 512 * 1024
MAX_ROWS = MAX_CAPACITY
EMAIL_HEADERS = {"email", "e-mail", "email address", "e-mail address"}
NAME_HEADERS = {"name", "full name", "display name"}
MAX_REPORTED = 20


class ImportRejected(ServiceError):
    """The file cannot be imported; `problems` says why, line by line."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        shown = problems[:MAX_REPORTED]
        more = len(problems) - len(shown)
        super().__init__(
            "The file was not imported, and nothing has changed: "
            + " ".join(shown)
            + (f" (and {more} more problems)" if more > 0 else "")
        )


@dataclass(frozen=True)
class ImportRow:
    line: int
    email: str
    name: str


@dataclass(frozen=True)
class RowResult:
    line: int
    email: str
    name: str
    outcome: str  # added | invited | already-member | already-invited | not-added
    message: str


def parse(data: bytes) -> list[ImportRow]:
    """Read and check the whole file; raise ImportRejected listing every problem."""
    if not data.strip():
        raise ImportRejected(["The file is empty."])
    if len(data) > MAX_BYTES:
        raise ImportRejected([f"The file is larger than {MAX_BYTES // 1024} KB."])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportRejected(
            ["The file is not UTF-8 text. In your spreadsheet, save it as “CSV UTF-8”."]
        ) from None
    if "\x00" in text:
        raise ImportRejected(["This is not a CSV file. Save your spreadsheet as “CSV UTF-8”."])
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    problems: list[str] = []
    rows: list[ImportRow] = []
    try:
        header = next(reader, None)
        columns = [cell.strip().lower() for cell in header or []]
        email_at = next((i for i, c in enumerate(columns) if c in EMAIL_HEADERS), None)
        name_at = next((i for i, c in enumerate(columns) if c in NAME_HEADERS), None)
        if email_at is None or name_at is None:
            raise ImportRejected(
                [
                    "Line 1: the first line must name the columns, with one called “email” "
                    "and one called “name” (for example: email,name)."
                ]
            )
        seen: dict[str, int] = {}
        for cells in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue  # a blank line
            if len(cells) != len(columns):
                problems.append(
                    f"Line {line}: expected {len(columns)} columns but found {len(cells)}."
                )
                continue
            raw_email, name = cells[email_at].strip(), " ".join(cells[name_at].split())
            email = _check_email(raw_email, line, problems)
            if not name:
                problems.append(f"Line {line}: the name is missing.")
            elif len(name) > 120:
                problems.append(f"Line {line}: the name is longer than 120 characters.")
            if email and email in seen:
                problems.append(f"Line {line}: {email} is also on line {seen[email]}.")
            elif email:
                seen[email] = line
            rows.append(ImportRow(line, email or raw_email, name))
    except csv.Error as error:
        problems.append(f"Line {reader.line_num}: the file is not valid CSV ({error}).")
    if not problems and not rows:
        problems.append("The file has no members in it: add one line per person under the header.")
    if len(rows) > MAX_ROWS:
        problems.append(f"The file has {len(rows)} people; import at most {MAX_ROWS} at once.")
    if problems:
        raise ImportRejected(problems)
    return rows


def _check_email(raw: str, line: int, problems: list[str]) -> str | None:
    if not raw:
        problems.append(f"Line {line}: the e-mail address is missing.")
        return None
    try:
        valid = validate_email(raw, check_deliverability=False)
    except EmailNotValidError:
        problems.append(f"Line {line}: “{raw[:80]}” is not a valid e-mail address.")
        return None
    return normalise_email(valid.normalized)


def import_members(
    cohort: Cohort, actor: User, rows: list[ImportRow]
) -> tuple[list[RowResult], list[Message]]:
    """Add or invite everyone in `rows`; returns what happened to each row and the
    e-mails for `send_later` (they leave once the caller commits). Refuses (changing nothing) if the
    people with accounts would take the cohort over its capacity."""
    emails = [row.email for row in rows]
    users = {
        user.email: user for user in db.session.scalars(select(User).where(User.email.in_(emails)))
    }
    members = set(
        db.session.scalars(select(CohortMember.user_id).where(CohortMember.cohort_id == cohort.id))
    )
    invited = set(
        db.session.scalars(
            select(CohortInvite.email).where(
                CohortInvite.cohort_id == cohort.id,
                CohortInvite.email.in_(emails),
                CohortInvite.used_at.is_(None),
                CohortInvite.revoked_at.is_(None),
                CohortInvite.expires_at > utcnow(),
            )
        )
    )
    to_add = [
        users[row.email]
        for row in rows
        if row.email in users and users[row.email].is_active and users[row.email].id not in members
    ]
    room = cohort.capacity - len(members)
    if len(to_add) > room:
        raise ImportRejected(
            [
                f"{len(to_add)} people in the file already have accounts, but the cohort has "
                f"room for {max(room, 0)} more (capacity {cohort.capacity}). Raise the capacity "
                "or import fewer people."
            ]
        )
    results: list[RowResult] = []
    messages: list[Message] = []
    for row in rows:
        user = users.get(row.email)

        def result(outcome: str, message: str, row: ImportRow = row) -> None:
            results.append(RowResult(row.line, row.email, row.name, outcome, message))

        if user is not None and user.id in members:
            result("already-member", "Already in the cohort.")
        elif user is not None and user.disabled_at is not None:
            result("not-added", "Not added: this account is closed. Ask academy staff.")
        elif user is not None and user.is_active:
            add_existing_member(cohort, user, actor, via="csv")
            members.add(user.id)
            messages.append(added_message(cohort, user, actor))
            result("added", "Added: they already had an account, and have been told by e-mail.")
        elif row.email in invited:
            result("already-invited", "Already invited: their invitation is still valid.")
        else:
            # No account yet (or one never confirmed): they register themselves.
            _invite, message = invite_by_email(cohort, row.email, actor)
            messages.append(message)
            result("invited", "Invited by e-mail to create an account and join.")
    record(
        "cohort.import",
        actor=actor,
        academy_id=cohort.academy_id,
        target=f"cohort:{cohort.id}",
        rows=len(rows),
        added=sum(1 for r in results if r.outcome == "added"),
        invited=sum(1 for r in results if r.outcome == "invited"),
    )
    return results, messages
