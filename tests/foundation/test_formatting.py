"""One way to write dates, times and durations (academy.formatting), used by every
template through the filters registered in one place (academy.templating)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from flask import render_template_string

from academy import formatting
from academy.templating import FILTERS

ACADEMY = Path(__file__).parents[2] / "academy"
SUMMER_NIGHT = datetime(2026, 7, 6, 23, 30, tzinfo=UTC)  # 00:30 on 7 July in the UK
WINTER_EVENING = datetime(2026, 12, 6, 19, 30, tzinfo=UTC)  # GMT: the same clock


def test_a_moment_is_shown_on_its_uk_day_and_clock():
    assert formatting.long_date(SUMMER_NIGHT) == "7 July 2026"
    assert formatting.date_and_time(SUMMER_NIGHT) == "Tuesday 7 July 2026, 12.30am"
    assert formatting.long_date(WINTER_EVENING) == "6 December 2026"
    assert formatting.date_and_time(WINTER_EVENING) == "Sunday 6 December 2026, 7.30pm"
    assert formatting.iso_date(SUMMER_NIGHT) == "2026-07-07"
    # A date is a day already: nothing moves it.
    assert formatting.long_date(date(2026, 7, 6)) == "6 July 2026"


@pytest.mark.parametrize(
    ("hour", "minute", "shown"),
    [(0, 0, "12am"), (9, 5, "9.05am"), (12, 0, "12pm"), (19, 30, "7.30pm"), (23, 59, "11.59pm")],
)
def test_the_clock_in_house_style(hour, minute, shown):
    assert formatting.clock(datetime(2026, 12, 6, hour, minute, tzinfo=UTC)) == shown


def test_short_forms_for_tables_and_charts_follow_cldr():
    assert formatting.short_date(date(2026, 9, 6)) == "6 Sept 2026"
    assert formatting.short_date(date(2026, 6, 6)) == "6 Jun 2026"
    assert formatting.log_time(SUMMER_NIGHT.replace(second=5)) == "7 Jul 2026, 00:30:05"
    assert formatting.month_label(2026, 9) == "Sept 2026"


def test_nothing_is_shown_for_nothing():
    for name in (
        "long_date",
        "short_date",
        "day_and_date",
        "date_and_time",
        "log_time",
        "iso_date",
    ):
        assert getattr(formatting, name)(None) == ""


def test_durations_and_hours():
    assert formatting.duration(120) == "2 hours"
    assert formatting.duration(75) == "1 hour 15 minutes"
    assert formatting.duration(1) == "1 minute"
    assert formatting.hours(6.5) == "6.5"
    assert formatting.hours(12.0) == "12"
    assert formatting.credit_hours(1) == "1 credit hour"
    assert formatting.credit_hours(Decimal("7.50")) == "7.5 credit hours"


def test_times_for_machines_are_utc():
    assert formatting.iso_utc(SUMMER_NIGHT) == "2026-07-06T23:30:00Z"
    assert formatting.iso_utc(SUMMER_NIGHT, basic=True) == "20260706T233000Z"


def test_another_language_is_a_locale_not_a_rewrite():
    assert formatting.long_date(WINTER_EVENING, locale="cy") == "6 Rhagfyr 2026"
    assert formatting.date_and_time(WINTER_EVENING, locale="cy") == "Dydd Sul 6 Rhagfyr 2026, 19:30"


def test_templates_use_the_filters_by_their_names(app):
    with app.test_request_context():
        shown = render_template_string(
            "{{ m | date }}|{{ m | short_date }}|{{ m | date_and_time }}|{{ m | time }}|"
            "{{ m | log_time }}|{{ 75 | duration }}|{{ 6.5 | hours }}|"
            "{{ 6.5 | credit_hours }}|{{ 'certificate.issue' | audit_action }}|{{ none | date }}",
            m=SUMMER_NIGHT,
            none=None,
        )
    assert shown == (
        "7 July 2026|7 Jul 2026|Tuesday 7 July 2026, 12.30am|12.30am|7 Jul 2026, 00:30:00|"
        "1 hour 15 minutes|6.5|6.5 credit hours|Certificate issued|"
    )
    assert set(FILTERS) <= set(app.jinja_env.filters)


def test_filters_are_registered_in_one_place_and_templates_format_nothing_themselves():
    elsewhere = [
        str(path.relative_to(ACADEMY))
        for path in ACADEMY.rglob("*.py")
        if re.search(r"template_filter|jinja_env\.filters|add_template_filter", path.read_text())
        and path.name != "templating.py"
    ]
    formatted_by_hand = [
        str(path.relative_to(ACADEMY))
        for path in (ACADEMY / "templates").rglob("*.html")
        if re.search(r"strftime|isoformat\(|%[aAbBdY]", path.read_text())
    ]
    assert elsewhere == []
    assert formatted_by_hand == []


def test_no_date_is_written_with_strftime_month_names_in_python():
    """%B and %b follow the server's locale; month names come from Babel's CLDR."""
    found = [
        str(path.relative_to(ACADEMY))
        for path in ACADEMY.rglob("*.py")
        if re.search(r"%[aAbB]\b|(?<!\w)_MONTHS\b", path.read_text())
    ]
    assert found == []
