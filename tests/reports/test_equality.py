"""Equality reports: aggregates only, every count under 10 hidden, never for trainers."""

from __future__ import annotations

import csv
import io
import re

import pytest

from academy.extensions import db
from academy.services.reports.equality import suppress

COUNT_COLUMNS = (2, 3, 5)  # Enrolled, Completed, Certified in the CSV (after Question, Group)


def test_suppress_hides_small_counts_and_one_more_when_only_one_is_hidden():
    assert suppress([12, 30, 40]) == [12, 30, 40]
    assert suppress([12, 30, 4]) == [None, 30, None]
    assert suppress([3, 30, 4]) == [None, 30, None]
    assert suppress([0, 15, 10]) == [None, 15, None]
    assert suppress([9]) == [None]


@pytest.fixture
def groups(build, make_user):
    """North West: 14 women (12 completed), 11 men (3 completed), 2 non-binary, 4 unanswered."""
    trainer = make_user(roles=("trainer",))
    cohort = build.cohort(trainer)
    for i in range(14):
        build.member(cohort, completed=i < 12, certified=i < 11, answers={"gender": "woman"})
    for i in range(11):
        build.member(cohort, completed=i < 3, answers={"gender": "man", "disability": "yes"})
    for _ in range(2):
        build.member(cohort, answers={"gender": "non-binary"})
    for _ in range(4):
        build.member(cohort)
    db.session.commit()


def _csv(client, url):
    # Read as Excel reads it: UTF-8 after the byte-order mark.
    return list(csv.reader(io.StringIO(client.get(url).get_data().decode("utf-8-sig"))))


def _assert_no_small_count(rows):
    for row in rows[1:]:
        for index in COUNT_COLUMNS:
            cell = row[index]
            assert cell == "<10" or int(cell) >= 10, row


def test_report_compares_groups_and_hides_small_counts(client, login, make_user, groups):
    login(client, make_user(roles=("staff",)))
    rows = _csv(client, "/reports/north-west/equality.csv")
    assert rows[0] == [
        "Question",
        "Group",
        "Enrolled",
        "Completed",
        "% completed",
        "Certified",
        "% certified",
    ]
    by_group = {(r[0], r[1]): r[2:] for r in rows[1:]}
    assert by_group[("What is your gender?", "Woman")] == ["14", "12", "86", "11", "79"]
    # 3 men completed: hidden, and so is the rate built on it.
    assert by_group[("What is your gender?", "Man")] == ["11", "<10", "<10", "<10", "<10"]
    assert by_group[("What is your gender?", "Non-binary")][0] == "<10"
    assert by_group[("What is your gender?", "Not answered")][0] == "<10"
    assert by_group[("All members", "All members")][:2] == ["31", "15"]
    _assert_no_small_count(rows)


def test_every_equality_export_and_page_hides_small_counts(client, login, make_user, build):
    # Tiny groups everywhere: nothing may show a count from 1 to 9.
    trainer = make_user(roles=("trainer",))
    cohort = build.cohort(trainer)
    for value in ("woman", "man", "non-binary"):
        for _ in range(3):
            build.member(cohort, completed=True, certified=True, answers={"gender": value})
    db.session.commit()
    login(client, make_user(roles=("admin",)))
    for slug in ("north-west", "national", "london"):
        rows = _csv(client, f"/reports/{slug}/equality.csv")
        assert len(rows) > 10
        _assert_no_small_count(rows)
        page = client.get(f"/reports/{slug}/equality").get_data(as_text=True)
        cells = re.findall(r'<td class="num">\s*(\d+)\s*</td>', page)
        assert all(int(n) >= 10 for n in cells), cells
        assert "fewer than 10" in page


def test_trainers_never_reach_equality_data(client, login, make_user, groups):
    trainer = make_user(roles=("trainer",), academy="north-west")
    login(client, trainer)
    for url in ("/reports/north-west/equality", "/reports/north-west/equality.csv"):
        response = client.get(url)
        assert response.status_code == 403
        assert "Woman" not in response.get_data(as_text=True)
    # Trainers who are also members see their own questionnaire only.
    page = client.get("/account/equality").get_data(as_text=True)
    assert "checked" not in page


def test_no_page_shows_one_persons_answers_to_staff(client, login, make_user, build):
    member = build.member(answers={"gender": "woman", "ethnic-group": "black"})
    db.session.commit()
    login(client, make_user(roles=("admin",)))
    page = client.get(f"/admin/people/{member.id}").get_data(as_text=True)
    assert "Black, Black British" not in page
    assert "Woman" not in page


def test_equality_report_for_one_course(client, login, make_user, groups):
    login(client, make_user(roles=("staff",)))
    every = _csv(client, "/reports/north-west/equality.csv")
    same = _csv(client, "/reports/north-west/equality.csv?course=organising-basics")
    assert same == every  # everyone in the fixture took this course
    other = _csv(client, "/reports/north-west/equality.csv?course=leading-campaigns")
    _assert_no_small_count(other)
    assert other[-1][2:] == ["<10", "<10", "<10", "<10", "<10"]
    page = client.get("/reports/north-west/equality?course=leading-campaigns")
    assert "Showing members enrolled in <strong>Leading campaigns</strong>" in page.get_data(
        as_text=True
    )
    assert client.get("/reports/north-west/equality?course=nope").status_code == 404
