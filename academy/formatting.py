"""How dates, times and durations read to people: one module for pages, e-mails and PDFs.

Everything is stored in UTC and shown in UK time (`Europe/London`), in the
Academy's house style: "Sunday 6 December 2026, 7.30pm". Names of months and
days come from Babel's CLDR data for the locale rather than from `strftime`,
which follows the server's locale; every function takes a `locale`, so a second
language (Welsh, say) is a translation, not a rewrite.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time

UK = ZoneInfo("Europe/London")
DEFAULT_LOCALE = "en_GB"


def uk_time(moment: datetime) -> datetime:
    """`moment` on the clocks of the UK (GMT or BST)."""
    return moment.astimezone(UK)


def uk_date(value: date | datetime) -> date:
    """The UK calendar day of a date or a moment (23:30 UTC in summer is the next day)."""
    return uk_time(value).date() if isinstance(value, datetime) else value


def long_date(value: date | datetime | None, locale: str = DEFAULT_LOCALE) -> str:
    """6 December 2026 (a moment counts as its UK day; None as nothing)."""
    if value is None:
        return ""
    return format_date(uk_date(value), "d MMMM y", locale=locale)


def short_date(value: date | datetime | None, locale: str = DEFAULT_LOCALE) -> str:
    """6 Dec 2026 (6 Sept 2026 in CLDR's en_GB): a date in a table."""
    if value is None:
        return ""
    return format_date(uk_date(value), "d MMM y", locale=locale)


def day_and_date(value: date | datetime | None, locale: str = DEFAULT_LOCALE) -> str:
    """Sunday 6 December 2026."""
    if value is None:
        return ""
    return format_date(uk_date(value), "EEEE d MMMM y", locale=locale)


def clock(moment: datetime, locale: str = DEFAULT_LOCALE) -> str:
    """7pm, 7.30pm (UK time): how the Academy writes times in English."""
    local = uk_time(moment)
    if not locale.startswith("en"):
        return format_time(local, "short", locale=locale)
    hour = local.hour % 12 or 12
    minutes = "" if local.minute == 0 else f".{local.minute:02d}"
    return f"{hour}{minutes}{'am' if local.hour < 12 else 'pm'}"


def date_and_time(moment: datetime | None, locale: str = DEFAULT_LOCALE) -> str:
    """Sunday 6 December 2026, 7.30pm (UK time)."""
    if moment is None:
        return ""
    return f"{day_and_date(moment, locale)}, {clock(moment, locale)}"


def log_time(moment: datetime | None, locale: str = DEFAULT_LOCALE) -> str:
    """6 Dec 2026, 19:30:05 (UK time): an entry in a log, to the second, on a 24-hour
    clock so that entries of the same minute read in order."""
    if moment is None:
        return ""
    return f"{short_date(moment, locale)}, {uk_time(moment):%H:%M:%S}"


def month_label(year: int, month: int, locale: str = DEFAULT_LOCALE) -> str:
    """Dec 2026: a month on a chart's axis."""
    return format_date(date(year, month, 1), "MMM y", locale=locale)


def duration(minutes: int) -> str:
    """120 -> "2 hours"; 75 -> "1 hour 15 minutes"; 1 -> "1 minute"."""
    hours, rest = divmod(int(minutes), 60)
    parts = []
    if hours:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    if rest or not hours:
        parts.append(f"{rest} minute{'s' if rest != 1 else ''}")
    return " ".join(parts)


def hours(value: float) -> str:
    """Credit hours without a needless ".0": 12, 10.5."""
    return f"{value:g}"


def credit_hours(value: int | float | Decimal) -> str:
    """10 credit hours, 1 credit hour, 7.5 credit hours (no float noise: 0.1 + 0.2 reads 0.3)."""
    number = Decimal(str(value)).normalize()
    text = f"{number:f}"
    return f"{text} credit hour" if number == 1 else f"{text} credit hours"


def iso_utc(moment: datetime, *, basic: bool = False) -> str:
    """2026-12-06T19:30:00Z: for machines (badges, JSON). `basic`: 20261206T193000Z,
    the form calendar files (RFC 5545) require."""
    pattern = "%Y%m%dT%H%M%SZ" if basic else "%Y-%m-%dT%H:%M:%SZ"
    return moment.astimezone(UTC).strftime(pattern)


def iso_date(value: date | datetime | None) -> str:
    """2026-12-06, the UK day: a date in a CSV file, which spreadsheets sort."""
    return "" if value is None else uk_date(value).isoformat()
