"""The cohort table: members against modules, flags, sorting, CSV export, query budget."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta

import sqlalchemy as sa

from academy.csv_export import safe_cell
from academy.extensions import db
from academy.models import CohortMember, Course, Enrolment, LessonCompletion, QuizAttempt, User
from academy.services.cohorts import table as cohorts_table
from academy.timeutil import utcnow


def _progress(user, cohort, *, lessons: int, score: int | None = None, days_idle: int = 0):
    """Give `user` the first `lessons` lessons of the course and a quiz score."""
    course = cohort.course
    when = utcnow() - timedelta(days=days_idle)
    for lesson in course.lessons[:lessons]:
        db.session.add(
            LessonCompletion(
                user_id=user.id, lesson_id=lesson.id, course_id=course.id, completed_at=when
            )
        )
    if score is not None:
        quiz = course.modules[0].quiz
        db.session.add(
            QuizAttempt(
                user_id=user.id,
                quiz_id=quiz.id,
                course_id=course.id,
                number=1,
                started_at=when,
                submitted_at=when,
                snapshot={},
                answers={},
                score=score,
                passed=score >= quiz.pass_mark,
            )
        )
    enrolment = db.session.scalar(
        sa.select(Enrolment).where(Enrolment.user_id == user.id, Enrolment.course_id == course.id)
    )
    enrolment.last_activity_at = when
    db.session.commit()


def test_the_table_shows_every_member_against_every_module(
    client, login, trainer, cohort, add_members
):
    amy, ben = add_members(cohort, 2)
    _progress(amy, cohort, lessons=2, score=100)
    login(client, trainer)
    page = client.get(f"/cohorts/{cohort.id}/").text
    for module in cohort.course.modules:
        # A column per module, which the table can be sorted by.
        link = f"/cohorts/{cohort.id}/?sort=module-{module.id}&amp;dir=asc#progress"
        assert f'<a href="{link}">{module.title}' in page
    assert amy.display_name in page
    assert ben.display_name in page
    assert "2/2 lessons<br>quiz 100% (passed)" in page
    assert "0/2 lessons<br>quiz –" in page


def test_members_falling_behind_are_flagged(client, login, trainer, make_cohort, add_members):
    cohort = make_cohort(
        trainer,
        starts_on=date.today() - timedelta(days=50),
        ends_on=date.today() + timedelta(days=10),
        inactive_after_days=14,
    )
    idle, slow, keen = add_members(cohort, 3)
    db.session.get(CohortMember, (cohort.id, idle.id)).joined_at = utcnow() - timedelta(days=40)
    _progress(idle, cohort, lessons=4, days_idle=20)
    _progress(keen, cohort, lessons=4, score=90)
    builder = cohorts_table.TableBuilder(cohort)
    rows = {row.user_id: row for row in builder.page().rows}
    assert rows[idle.id].inactive_days == 20
    assert "No activity for 20 days" in rows[idle.id].flags
    assert rows[slow.id].behind_schedule  # nothing done, most of the time gone
    assert rows[slow.id].inactive_days is None  # joined today
    assert not rows[keen.id].falling_behind
    assert builder.summary().falling_behind == 2  # counted in SQL, by the same rules
    login(client, trainer)
    page = client.get(f"/cohorts/{cohort.id}/").text
    assert "Falling behind" in page
    assert "Behind the cohort&#39;s schedule" in page


def test_the_table_sorts_server_side(client, login, trainer, cohort, add_members):
    a, b, c = add_members(cohort, 3)
    _progress(c, cohort, lessons=4)
    _progress(a, cohort, lessons=1)
    login(client, trainer)
    page = client.get(f"/cohorts/{cohort.id}/?sort=progress&dir=desc").text
    order = [page.index(u.display_name) for u in (c, a, b)]
    assert order == sorted(order)
    assert 'aria-sort="descending"' in page
    by_name = client.get(f"/cohorts/{cohort.id}/?sort=name&dir=desc").text
    order = [by_name.index(u.display_name) for u in (c, b, a)]
    assert order == sorted(order)
    assert client.get(f"/cohorts/{cohort.id}/?sort=evil&dir=x").status_code == 200


def test_csv_export_is_safe_against_formula_injection(client, login, trainer, cohort, add_members):
    (member,) = add_members(cohort, 1)
    member.display_name = '=HYPERLINK("http://evil.example","click")'
    db.session.commit()
    _progress(member, cohort, lessons=2, score=75)
    login(client, trainer)
    response = client.get(f"/cohorts/{cohort.id}/export.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert rows[0][:3] == ["Name", "E-mail", "Joined"]
    assert rows[1][0] == '\'=HYPERLINK("http://evil.example","click")'
    assert rows[1][1] == member.email
    assert rows[1][3] == "2"  # lessons of module 1
    assert rows[1][4] == "75"  # best quiz score of module 1
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@")), cell


def test_csv_export_names_read_in_excel(client, login, trainer, cohort, add_members):
    first, second = add_members(cohort, 2)
    first.display_name, second.display_name = "Siân Evans", "Ola Wiśniewski"
    db.session.commit()
    login(client, trainer)
    response = client.get(f"/cohorts/{cohort.id}/export.csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    data = response.get_data()
    assert data.startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 only after this mark
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert sorted(row[0] for row in rows[1:]) == ["Ola Wiśniewski", "Siân Evans"]


def test_safe_cell():
    assert safe_cell("-1+1") == "'-1+1"
    assert safe_cell("@SUM(A1)") == "'@SUM(A1)"
    assert safe_cell("\t=1") == "'\t=1"
    assert safe_cell("Amina") == "Amina"
    assert safe_cell(-5) == -5


def test_the_cohort_page_makes_a_fixed_number_of_queries(
    app, client, login, trainer, make_cohort, add_members, count_queries
):
    # Each page counts the whole cohort's figures afresh here (tests/cohorts/
    # test_summary_kept.py is about keeping them): the count must not grow either.
    app.config["COHORT_SUMMARY_SECONDS"] = 0
    small = make_cohort(trainer, name="Small")
    large = make_cohort(trainer, name="Large", capacity=600)
    small_id, large_id = small.id, large.id
    for cohort, n in ((small, 5), (large, 500)):
        members = add_members(cohort, n)
        for member in members[:: max(n // 5, 1)]:
            _progress(member, cohort, lessons=3, score=80)
    login(client, trainer)
    client.get(f"/cohorts/{small.id}/")  # warm up
    names = {small_id: "Small", large_id: "Large"}
    # Every order and the last page as well as the first: the same count whatever the
    # size of the cohort, and only one page of members in the page.
    for query in ("", "?sort=progress", "?sort=status&dir=desc", "?sort=attendance"):
        counts = {}
        for cohort_id, page in ((small_id, 1), (large_id, 1), (large_id, 10)):
            db.session.expunge_all()  # as a fresh request in production would start
            separator = "&" if query else "?"
            url = f"/cohorts/{cohort_id}/{query}{separator}page={page}"
            with count_queries() as queries:
                response = client.get(url)
            assert response.status_code == 200, url
            counts[(names[cohort_id], page)] = len(queries)
            rows = 5 if cohort_id == small_id else 50
            assert response.text.count("<tr>") == rows + 1, url  # and the header row
        assert len(set(counts.values())) == 1, (query, counts)
    # The export is still every member, in the same number of queries for 5 as for
    # 500 (its access-log entries go in one INSERT).
    exports = {}
    for cohort_id in (small_id, large_id):
        db.session.expunge_all()
        with count_queries() as queries:
            response = client.get(f"/cohorts/{cohort_id}/export.csv")
        assert response.status_code == 200
        exports[names[cohort_id]] = len(queries)
    assert len(response.text.strip().splitlines()) == 501  # the header and 500 members
    assert exports["Small"] == exports["Large"]


def test_csv_export_is_recorded_in_each_member_access_log(
    client, login, trainer, cohort, add_members
):
    from academy.models.privacy import AccessLogEntry

    members = add_members(cohort, 3)
    login(client, trainer)
    assert client.get(f"/cohorts/{cohort.id}/export.csv").status_code == 200
    entries = db.session.scalars(sa.select(AccessLogEntry)).all()
    assert sorted(e.subject_user_id for e in entries) == sorted(m.id for m in members)
    assert {(e.actor_id, e.what, e.target) for e in entries} == {
        (trainer.id, "cohort.csv-export", f"cohort:{cohort.id}")
    }


def _row_names(page: str) -> list[str]:
    return re.findall(r'<th scope="row">([^<]+)</th>', page)


def test_the_table_sorts_by_one_module_lessons_then_quiz_score(
    client, login, trainer, cohort, add_members, count_queries
):
    m0, m1, m2, m3, m4 = add_members(cohort, 5)
    _progress(m0, cohort, lessons=1)
    _progress(m1, cohort, lessons=2, score=50)
    _progress(m2, cohort, lessons=2, score=90)
    _progress(m3, cohort, lessons=4)  # both modules' lessons, no quiz
    first, second = (module.id for module in cohort.course.modules)
    login(client, trainer)

    def order(query: str) -> list[str]:
        return [name[-1] for name in _row_names(client.get(f"/cohorts/{cohort.id}/?{query}").text)]

    assert order(f"sort=module-{first}&dir=desc") == ["2", "1", "3", "0", "4"]
    assert order(f"sort=module-{first}") == ["4", "0", "3", "1", "2"]
    assert order(f"sort=module-{second}&dir=desc") == ["3", "0", "1", "2", "4"]
    page = client.get(f"/cohorts/{cohort.id}/?sort=module-{first}&dir=desc").text
    link = rf"/cohorts/{cohort.id}/\?sort=module-{first}&amp;dir=asc"
    assert re.search(rf'aria-sort="descending">\s*<a href="{link}', page)
    # Anything else is the order by name: no error, and never another course's module.
    other_course = db.session.scalar(sa.select(Course).where(Course.slug == "leading-campaigns"))
    elsewhere = other_course.modules[0].id
    for junk in ("module-abc", "module-", "module-99999", "module-1x", "-1", f"module-{elsewhere}"):
        assert order(f"sort={junk}") == ["0", "1", "2", "3", "4"], junk


def test_a_module_order_takes_the_same_queries_for_any_cohort(
    client, login, trainer, make_cohort, add_members, count_queries
):
    counts = []
    trainer_id = trainer.id
    login(client, trainer)
    for n in (5, 120):
        cohort = make_cohort(db.session.get(User, trainer_id), name=f"Cohort of {n}", capacity=n)
        for member in add_members(cohort, n)[::10]:
            _progress(member, cohort, lessons=3, score=70)
        url = f"/cohorts/{cohort.id}/?sort=module-{cohort.course.modules[1].id}"
        client.get(url)  # warm up
        db.session.expunge_all()  # as a fresh request in production would start
        with count_queries() as queries:
            assert client.get(url).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
