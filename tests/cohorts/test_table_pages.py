"""The cohort page in pages of 50: the pager, pages that do not exist, figures for the
whole cohort, and SQL ordering and counting that agree with the per-member rules."""

from __future__ import annotations

import dataclasses
import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from academy.extensions import db
from academy.models import (
    AuditEvent,
    CohortMember,
    CohortSession,
    Enrolment,
    LessonCompletion,
    QuizAttempt,
    User,
)
from academy.models.privacy import AccessLogEntry
from academy.services import cohorts as service
from academy.services import learning
from academy.services.cohorts import table_rows as cohorts_table
from academy.services.cohorts.table import TableBuilder
from academy.services.cohorts.table_rows import PAGE_SIZE
from academy.services.cohorts.table_sql import SORT_KEYS
from academy.timeutil import utcnow

# A cohort that has passed most of its time (50 of 60 days), so that both reasons
# for falling behind occur.
SCHEDULE = {
    "starts_on": date.today() - timedelta(days=50),
    "ends_on": date.today() + timedelta(days=10),
    "inactive_after_days": 14,
    "capacity": 300,
}


def _session(cohort, trainer, days_from_now: float):
    start = utcnow() + timedelta(days=days_from_now)
    return service.schedule_session(
        cohort,
        trainer,
        service.SessionDetails("Week", start, start + timedelta(hours=2), "Hall", "", ""),
    )


@pytest.fixture
def varied(make_cohort, trainer, add_members):
    """130 members (three pages) whose progress, quizzes, activity, attendance, completion
    and sign-off all differ, with shared names, ties and a member never enrolled.

    (ASCII names: how other letters sort is the database's collation, not our rule.)"""
    cohort = make_cohort(trainer, min_attendance_percent=50, **SCHEDULE)
    members = add_members(cohort, 130)
    course = cohort.course
    lessons = course.lessons
    quizzes = [module.quiz for module in course.modules if module.quiz is not None]
    now = utcnow()
    enrolments = {
        e.user_id: e
        for e in db.session.scalars(sa.select(Enrolment).where(Enrolment.course_id == course.id))
    }
    for i, member in enumerate(members):
        if i % 13 == 0:
            member.display_name = "Sam Same"  # ties by name: the account decides
        membership = db.session.get(CohortMember, (cohort.id, member.id))
        membership.joined_at = now - timedelta(days=i % 40)
        for lesson in lessons[: i % (len(lessons) + 1)]:
            db.session.add(
                LessonCompletion(
                    user_id=member.id,
                    lesson_id=lesson.id,
                    course_id=course.id,
                    completed_at=now - timedelta(days=2),
                )
            )
        attempts = []
        if i % 4 == 1:
            attempts.append((quizzes[1], 20, False, True))  # failed
        if i % 3 == 0:
            attempts.append((quizzes[0], 90, True, True))
        if i % 6 == 0:
            attempts.append((quizzes[0], 100, True, True))  # passed twice: counts once
            attempts.append((quizzes[1], 80, True, True))
        if i % 5 == 2:
            attempts.append((quizzes[1], None, None, False))  # started, not submitted
        numbers: dict[int, int] = {}
        for quiz, score, passed, submitted in attempts:
            numbers[quiz.id] = numbers.get(quiz.id, 0) + 1
            db.session.add(
                QuizAttempt(
                    user_id=member.id,
                    quiz_id=quiz.id,
                    course_id=course.id,
                    number=numbers[quiz.id],
                    started_at=now - timedelta(days=3),
                    submitted_at=now - timedelta(days=3) if submitted else None,
                    snapshot={},
                    answers={},
                    score=score,
                    passed=passed,
                )
            )
        enrolment = enrolments[member.id]
        enrolment.last_activity_at = now - timedelta(days=i % 30)
        if i % 7 == 0:
            enrolment.completed_at = now - timedelta(days=1)
            if i % 14 == 0:
                membership.signed_off_at = now - timedelta(hours=5)
        if i == 17:
            db.session.delete(enrolment)  # in the cohort, never enrolled in the course
    held = [_session(cohort, trainer, -3), _session(cohort, trainer, -1)]
    _session(cohort, trainer, 5)  # not held yet: does not count
    service.record_attendance(
        held[0], trainer, {m.id: "present" if i % 3 else "apologies" for i, m in enumerate(members)}
    )
    service.record_attendance(
        held[1], trainer, {m.id: "present" for i, m in enumerate(members) if i % 2 == 0}
    )
    db.session.commit()
    return cohort


def _status_rank(row) -> int:
    if row.signed_off:
        return 3
    if row.completed:
        return 2
    return 0 if row.falling_behind else 1


def _python_order(rows, sort: str, descending: bool) -> list[int]:
    """The order the table had when it sorted every member in Python."""
    rows = sorted(rows, key=lambda r: (r.display_name.lower(), r.user_id))
    keys = {
        "progress": lambda r: r.progress.percent,
        "attendance": lambda r: (r.attendance.percent is not None, r.attendance.percent or 0),
        "last_active": lambda r: r.last_active,
        "status": _status_rank,
    }
    if sort == "name":
        ordered = list(reversed(rows)) if descending else rows
    else:
        ordered = sorted(rows, key=keys[sort], reverse=descending)
    return [row.user_id for row in ordered]


def test_every_order_pages_through_every_member_as_the_rules_order_them(varied):
    now = utcnow()
    builder = TableBuilder(varied, now)
    everyone = builder.whole().rows
    assert len(everyone) == 130
    assert builder.summary().pages == 3
    for sort in SORT_KEYS:
        for descending in (False, True):
            pages = [builder.page(number, sort, descending) for number in (1, 2, 3)]
            assert [len(page.rows) for page in pages] == [50, 50, 30]
            shown = [row.user_id for page in pages for row in page.rows]
            assert shown == _python_order(everyone, sort, descending), (sort, descending)
    assert builder.page(4).rows == []


def test_the_summary_in_sql_agrees_with_every_members_row(varied):
    builder = TableBuilder(varied, utcnow())
    summary = builder.summary()
    # The export counts in Python and has no use for when the next session starts.
    assert dataclasses.replace(summary, next_session_at=None) == builder.whole().summary
    upcoming = db.session.scalar(
        sa.select(sa.func.min(CohortSession.starts_at)).where(
            CohortSession.cohort_id == varied.id, CohortSession.starts_at > builder.now
        )
    )
    assert upcoming is not None
    assert summary.next_session_at == upcoming
    assert summary.members == 130
    assert summary.sessions_held == 2
    # Each figure is neither nobody nor everybody, so the comparison means something.
    for figure in (summary.completed, summary.signed_off, summary.falling_behind):
        assert 0 < figure < 130


def test_the_sql_percentage_is_the_learning_rule(varied):
    builder = TableBuilder(varied, utcnow())
    columns = builder.columns
    in_sql = dict(
        db.session.execute(
            columns.query(CohortMember.user_id, columns.percent), builder.params
        ).all()
    )
    progress = learning.progress_for_members(varied.course_id, in_sql)
    assert in_sql == {user_id: member.percent for user_id, member in progress.items()}
    assert len(set(in_sql.values())) >= 5  # a spread of percentages, not one value


def test_only_the_pages_members_have_their_progress_loaded(varied, monkeypatch):
    asked = []
    original = learning.progress_for_members

    def spy(course_id, user_ids, enrolments=None):
        asked.append((list(user_ids), list(enrolments)))
        return original(course_id, user_ids, asked[-1][1])

    monkeypatch.setattr(learning, "progress_for_members", spy)
    table = TableBuilder(varied).page(2, "progress", True)
    assert len(asked) == 1
    ids, enrolments = asked[0]
    assert sorted(ids) == sorted(row.user_id for row in table.rows)
    assert len(ids) == PAGE_SIZE
    # Their enrolments come with the page's members, and only theirs, in this course...
    assert enrolments
    assert {e.user_id for e in enrolments} <= set(ids)
    assert {e.course_id for e in enrolments} == {varied.course_id}
    # ...and give the same progress as reading them afresh.
    fresh = original(varied.course_id, ids)
    assert {row.user_id: row.progress for row in table.rows} == fresh


# Through the web -------------------------------------------------------------------------


def _names(page: str) -> list[str]:
    return re.findall(r'<th scope="row">([^<]+)</th>', page)


@pytest.fixture
def big(make_cohort, trainer, add_members):
    """120 members named Member 000 to Member 119: pages of 50, 50 and 20."""
    cohort = make_cohort(trainer, **SCHEDULE)
    add_members(cohort, 120)
    return cohort


def test_the_page_shows_fifty_members_and_a_pager(client, login, trainer, big):
    sixtieth = db.session.scalars(
        sa.select(CohortMember.user_id)
        .where(CohortMember.cohort_id == big.id)
        .order_by(CohortMember.user_id)
        .offset(60)
    ).first()
    db.session.execute(
        sa.update(Enrolment)
        .where(Enrolment.user_id == sixtieth, Enrolment.course_id == big.course_id)
        .values(completed_at=utcnow())
    )
    db.session.commit()
    login(client, trainer)
    first = client.get(f"/cohorts/{big.id}/").text
    assert _names(first) == [f"Member {i:03d}" for i in range(50)]
    assert "Members</dt><dd>120 of 300</dd>" in first
    assert "Showing 1–50 of 120 members" in first
    assert '<nav class="pager" aria-label="Pages of members">' in first
    assert 'rel="prev"' not in first
    assert f'href="/cohorts/{big.id}/?page=2#progress" rel="next"' in first
    assert '<strong aria-current="page"><span class="visually-hidden">Page </span>1</strong>' in (
        first
    )

    second = client.get(f"/cohorts/{big.id}/?page=2").text
    assert _names(second) == [f"Member {i:03d}" for i in range(50, 100)]
    assert "Showing 51–100 of 120 members" in second
    assert f'href="/cohorts/{big.id}/#progress" rel="prev">Previous' in second
    assert f'href="/cohorts/{big.id}/?page=3#progress" rel="next">Next' in second
    assert '<span class="visually-hidden">Page </span>2</strong>' in second
    # Signing someone off from page 2 comes back to page 2.
    assert f'name="back" value="/cohorts/{big.id}/?page=2"' in second

    last = client.get(f"/cohorts/{big.id}/?page=3").text
    assert _names(last) == [f"Member {i:03d}" for i in range(100, 120)]
    assert "Showing 101–120 of 120 members" in last
    assert 'rel="next"' not in last


def test_a_cohort_on_one_page_has_no_pager(client, login, trainer, cohort, add_members):
    add_members(cohort, 3)
    login(client, trainer)
    page = client.get(f"/cohorts/{cohort.id}/").text
    assert len(_names(page)) == 3
    assert "Showing" not in page
    assert "Pages of members" not in page


def test_the_order_is_kept_from_page_to_page(client, login, trainer, big):
    login(client, trainer)
    page = client.get(f"/cohorts/{big.id}/?sort=name&dir=desc&page=2").text
    assert _names(page) == [f"Member {i:03d}" for i in range(69, 19, -1)]
    assert f'href="/cohorts/{big.id}/?dir=desc&amp;page=3#progress" rel="next"' in page
    assert f'href="/cohorts/{big.id}/?dir=desc#progress" rel="prev"' in page
    # Choosing another order starts again from its first page.
    headers = re.findall(r'<th scope="col"[^>]*>\s*<a href="([^"]+)"', page)
    assert len(headers) == 5 + len(big.course.modules)
    assert all("page=" not in href for href in headers)


@pytest.mark.parametrize(
    ("asked", "lands_on", "says"),
    [
        ("9", "?sort=status&page=3", "There is no page 9: this is the last page of members"),
        ("99999999999999999999999", "?sort=status&page=3", "There is no page 9999"),
        ("abc", "?sort=status", "“abc” is not a page number"),
        ("-2", "?sort=status", "“-2” is not a page number"),
        ("1.5", "?sort=status", "“1.5” is not a page number"),
        ("0", "?sort=status", "There is no page 0"),
    ],
)
def test_a_page_that_does_not_exist_goes_to_the_nearest_and_changes_nothing(
    client, login, trainer, big, asked, lands_on, says
):
    login(client, trainer)

    def state():
        return (
            db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)),
            db.session.scalar(sa.select(sa.func.count()).select_from(AccessLogEntry)),
            db.session.execute(
                sa.select(CohortMember.user_id, CohortMember.signed_off_at).order_by(
                    CohortMember.user_id
                )
            ).all(),
        )

    before = state()
    response = client.get(f"/cohorts/{big.id}/?sort=status&page={asked}")
    assert response.status_code == 302
    assert response.location == f"/cohorts/{big.id}/{lands_on}#progress"
    page = client.get(response.location).text
    assert says in page
    assert len(_names(page)) == (20 if "page=3" in lands_on else 50)
    assert state() == before


def test_an_empty_cohort_has_only_its_first_page(client, login, trainer, cohort):
    login(client, trainer)
    response = client.get(f"/cohorts/{cohort.id}/?page=2")
    assert response.location == f"/cohorts/{cohort.id}/#progress"
    page = client.get(response.location).text
    assert "There is no page 2: all the members fit on one page." in page
    assert "No members yet" in page


def test_the_figures_are_for_the_whole_cohort_not_the_page(client, login, trainer, big):
    members = db.session.scalars(
        sa.select(CohortMember).where(CohortMember.cohort_id == big.id)
    ).all()
    later = {m.user_id for m in members} - {row.user_id for row in TableBuilder(big).page(1).rows}
    now = utcnow()
    # Everyone past the first page has completed; ten of them are signed off.
    db.session.execute(
        sa.update(Enrolment)
        .where(Enrolment.user_id.in_(later), Enrolment.course_id == big.course_id)
        .values(completed_at=now)
    )
    for membership in sorted((m for m in members if m.user_id in later), key=lambda m: m.user_id)[
        :10
    ]:
        membership.signed_off_at = now
    db.session.commit()
    login(client, trainer)
    page = client.get(f"/cohorts/{big.id}/").text
    assert "Completed the course</dt><dd>70</dd>" in page
    assert "Signed off</dt><dd>10</dd>" in page
    # The first 50 have done nothing with most of the cohort's time gone: behind.
    assert "Falling behind</dt><dd>50</dd>" in page
    assert "Members</dt><dd>120 of 300</dd>" in page
    assert "Completed</span>" not in page  # nobody on this page has
    assert "Showing 1–50 of 120 members" in page


def test_the_export_is_still_every_member(client, login, trainer, big):
    login(client, trainer)
    exported = client.get(f"/cohorts/{big.id}/export.csv").text.lstrip("\ufeff")
    lines = exported.strip().splitlines()
    assert len(lines) == 121
    assert [line.split(",")[0] for line in lines[1:]] == [f"Member {i:03d}" for i in range(120)]
    entries = db.session.scalar(sa.select(sa.func.count()).select_from(AccessLogEntry))
    assert entries == 120


def test_pages_of_another_trainers_cohort_are_404(app, login, big, make_user):
    other = make_user(roles=("trainer",), name="Other Trainer")
    client = login(app.test_client(), other)
    for query in ("", "?page=2", "?page=99", "?page=abc", "?sort=progress&page=3"):
        assert client.get(f"/cohorts/{big.id}/{query}").status_code == 404, query
    assert client.get(f"/cohorts/{big.id}/export.csv").status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AccessLogEntry)) == 0


def test_staff_of_the_academy_page_through_it_and_members_see_their_own_view(
    app, login, big, make_user
):
    staff = make_user(roles=("staff",), name="Academy Staff")
    client = login(app.test_client(), staff)
    page = client.get(f"/cohorts/{big.id}/?page=3").text
    assert "Showing 101–120 of 120 members" in page

    member = db.session.scalars(
        sa.select(CohortMember.user_id)
        .where(CohortMember.cohort_id == big.id)
        .order_by(CohortMember.user_id)
    ).first()
    client = login(app.test_client(), db.session.get(User, member))
    for query in ("?page=2", "?page=abc", "?page=99"):
        response = client.get(f"/cohorts/{big.id}/{query}")
        assert response.status_code == 200, query  # the member view, which has no pages
        assert "Pages of members" not in response.text
        assert "Member 001" not in response.text  # nobody else's name


def test_the_module_columns_are_the_courses_current_modules(big):
    heads = cohorts_table.module_heads(big.course_id)
    modules = big.course.modules
    assert [h.id for h in heads] == [m.id for m in modules]
    assert [h.title for h in heads] == [m.title for m in modules]
    assert [h.lesson_ids for h in heads] == [tuple(x.id for x in m.lessons) for m in modules]
    assert [h.quiz_id for h in heads] == [m.quiz.id if m.quiz else None for m in modules]


@pytest.mark.parametrize(
    ("page", "pages", "links"),
    [
        (1, 1, [1]),
        (1, 3, [1, 2, 3]),
        (1, 10, [1, 2, None, 10]),
        (4, 10, [1, 2, 3, 4, 5, None, 10]),
        (5, 10, [1, None, 4, 5, 6, None, 10]),
        (10, 10, [1, None, 9, 10]),
    ],
)
def test_the_pager_links_the_first_last_and_nearby_pages(page, pages, links):
    summary = cohorts_table.Summary(
        members=pages * PAGE_SIZE, completed=0, signed_off=0, falling_behind=0, sessions_held=0
    )
    table = cohorts_table.CohortTable(
        cohort=None, modules=[], rows=[], summary=summary, expected_share=0, page=page, paged=True
    )
    assert table.page_links() == links
