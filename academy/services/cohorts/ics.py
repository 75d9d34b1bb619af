"""Calendar files (.ics, RFC 5545) for a cohort's live sessions.

Written by hand: the format is small. Text is escaped, lines end in CRLF and
are folded at 75 octets, times are in UTC (`Z`), and each event's UID is
stable so that re-importing the file updates the calendar instead of adding
duplicates.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from urllib.parse import urlsplit

from academy.formatting import iso_utc
from academy.models import Cohort, CohortSession
from academy.timeutil import utcnow

PRODID = "-//Organising Academy//Cohort sessions//EN"


def escape_text(value: str) -> str:
    """TEXT values: backslash, semicolon, comma and newlines escaped (RFC 5545 3.3.11)."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\r", "\\n")
        .replace("\n", "\\n")
    )


def fold(line: str) -> str:
    """Fold a content line into pieces of at most 75 octets, never splitting a character."""
    encoded = line.encode("utf-8")
    if len(encoded) <= 75:
        return line
    parts, current, limit = [], b"", 75
    for char in line:
        piece = char.encode("utf-8")
        if len(current) + len(piece) > limit:
            parts.append(current.decode("utf-8"))
            current, limit = b"", 74  # continuation lines start with a space
        current += piece
    parts.append(current.decode("utf-8"))
    return "\r\n ".join(parts)


def _event(session: CohortSession, cohort: Cohort, host: str, url: str, now: datetime) -> list[str]:
    description = [f"{cohort.name} ({cohort.course.title})"]
    if session.agenda:
        description.append("Agenda:\n" + session.agenda)
    if session.meeting_url:
        description.append("Join online: " + session.meeting_url)
    description.append("Cohort page: " + url)
    location = session.venue or session.meeting_url
    lines = [
        "BEGIN:VEVENT",
        f"UID:cohort-session-{session.id}@{host}",
        f"DTSTAMP:{iso_utc(now, basic=True)}",
        f"LAST-MODIFIED:{iso_utc(session.updated_at, basic=True)}",
        f"DTSTART:{iso_utc(session.starts_at, basic=True)}",
        f"DTEND:{iso_utc(session.ends_at, basic=True)}",
        f"SUMMARY:{escape_text(session.title + ' – ' + cohort.name)}",
        f"DESCRIPTION:{escape_text(chr(10).join(description))}",
    ]
    if location:
        lines.append(f"LOCATION:{escape_text(location)}")
    lines.append(f"URL:{url}")
    lines.append("END:VEVENT")
    return lines


def calendar(
    cohort: Cohort, sessions: Iterable[CohortSession], *, cohort_url: str, name: str | None = None
) -> str:
    host = urlsplit(cohort_url).hostname or "organising-academy"
    now = utcnow()
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(name or cohort.name)}",
    ]
    for session in sessions:
        lines += _event(session, cohort, host, cohort_url, now)
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
