"""Time helpers: everything is stored in UTC; calendar arithmetic on plain dates."""

import calendar
from datetime import UTC, date, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or that month's last day (31 Jan + 1 = 28/29 Feb).

    Certificate expiry and the legal deadlines of data requests both count in
    calendar months, so both use this one rule.
    """
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
