"""The item analysis pages: who reaches them, what they never show, questions that
changed, the CSV's safety, and a statement count that does not grow with the data."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from academy import jobs
from academy.extensions import db
from academy.models import Question
from academy.services import item_analysis as analysis
from academy.services.item_analysis import figures
from academy.timeutil import utcnow
from tests.conftest import base_config
from tests.foundation.test_access_matrix import _routes
from tests.item_analysis.conftest import F, M, S, T

ENDPOINTS = ("staff.quizzes", "staff.item_analysis", "staff.item_analysis_csv")


def items_url(quiz, query: str = "") -> str:
    return f"/staff/quizzes/{quiz.id}/items{query}"


@pytest.fixture
def staff(make_user, login, client):
    return login(client, make_user(roles=("staff",)))


# Who may see it -----------------------------------------------------------------------------


def test_the_access_matrix_covers_every_item_analysis_route(app):
    rules = {endpoint: rule for endpoint, _url, _method, rule in _routes(app)}
    for endpoint in ENDPOINTS:
        assert rules[endpoint] == frozenset({"staff", "admin"})


@pytest.mark.parametrize(("role", "status"), [((), 403), (("trainer",), 403)])
def test_members_and_trainers_get_403(client, login, make_user, listening, role, status):
    _, quiz = listening
    login(client, make_user(roles=role))
    for url in ("/staff/quizzes", items_url(quiz), items_url(quiz, ".csv")):
        assert client.get(url).status_code == status, url


@pytest.mark.parametrize("role", ["staff", "admin"])
def test_staff_and_admins_see_every_course_s_quizzes(client, login, make_user, listening, role):
    _, quiz = listening
    # Staff of an academy with no cohort in it still see the course-wide figures.
    login(client, make_user(roles=(role,), academy="wales"))
    listing = client.get("/staff/quizzes").get_data(as_text=True)
    assert "Organising basics" in listing
    assert "Leading campaigns" in listing
    assert f'href="/staff/quizzes/{quiz.id}/items"' in listing
    assert client.get(items_url(quiz)).status_code == 200
    assert client.get(items_url(quiz, ".csv")).status_code == 200
    assert client.get("/staff/quizzes/999999/items").status_code == 404


def test_the_staff_home_page_links_to_it(staff):
    assert 'href="/staff/quizzes"' in staff.get("/staff/").get_data(as_text=True)


# Nothing personal ------------------------------------------------------------------------------


def test_nothing_about_any_member_is_shown(staff, take, members, listening):
    _, quiz = listening
    people = members(25)
    for i, member in enumerate(people):
        # One member types something personal; everyone else answers alike.
        answer = "ring Quizzer Number0 on 07700 900123" if i == 0 else "report back"
        take(member, {F: "b", S: answer, T: "b"})
    for url in (items_url(quiz), items_url(quiz, ".csv"), items_url(quiz, "?attempts=all")):
        body = staff.get(url).get_data(as_text=True)
        for person in people:
            assert person.display_name not in body
            assert person.email not in body
        assert "07700" not in body
    page = staff.get(items_url(quiz)).get_data(as_text=True)
    assert "report back" in page  # given 24 times: shown
    assert "Any other answer" in page


def test_too_few_attempts_show_no_figures_with_the_real_defaults(staff, take, members, listening):
    _, quiz = listening
    for member in members(6):
        take(member, {F: "a", M: ["a"], S: "no idea"})
    page = staff.get(items_url(quiz)).get_data(as_text=True)
    assert "too few attempts" in page
    assert "Attempts analysed</dt><dd>6<" in page
    assert "Mean score</dt><dd>too few attempts<" in page
    assert "Too hard" not in page  # 0 of 6 right, but 6 is too few to flag
    assert "no idea" not in page
    rows = list(csv.reader(io.StringIO(staff.get(items_url(quiz, ".csv")).get_data(as_text=True))))
    assert {row[6] for row in rows[1:]} == {"too few attempts"}
    assert all(row[9:] == ["", "", "", ""] for row in rows[1:])


# Questions that changed ----------------------------------------------------------------------


@pytest.fixture
def lenient(app):
    app.config.update(ITEM_ANALYSIS_MIN_ATTEMPTS=1, ITEM_ANALYSIS_MIN_ANSWER_COUNT=1)


def test_a_reworded_question_is_a_new_one_shown_in_the_words_members_saw(
    staff, take, members, listening, lenient
):
    _, quiz = listening
    first, second = members(2)
    take(first, {F: "b", M: ["a", "b"], T: "b"})
    questions = {
        q.key: q for q in db.session.scalars(select(Question).where(Question.quiz_id == quiz.id))
    }
    # T is reworded: its key leaves the quiz (retired) and a new key takes its place.
    questions[T].retired_at = utcnow()
    questions[T].prompt_html = "Text the retired row was left with"
    db.session.add(
        Question(
            quiz_id=quiz.id,
            key="who-does-the-talking",
            position=questions[T].position,
            kind="single",
            prompt_html="Who does the talking, reworded?",
            options=questions[T].options,
            accepted_answers=[],
            content_hash="x" * 64,
        )
    )
    # F's wording is corrected without changing its key: the current words show.
    questions[F].prompt_html = "What comes first in a listening campaign, corrected?"
    db.session.commit()
    take(second, {F: "a", M: ["a", "b"], "who-does-the-talking": "b"})
    report = analysis.analyse(analysis.quiz_line(quiz.id))
    by_key = {q.key: q for q in report.questions}
    assert by_key[T].current is False
    assert by_key[T].prompt_text == "Who should do most of the talking in a listening conversation?"
    assert by_key[T].asked == 1
    assert by_key["who-does-the-talking"].current is True
    assert by_key["who-does-the-talking"].asked == 1
    assert by_key[F].prompt_text == "What comes first in a listening campaign, corrected?"
    assert by_key[F].asked == 2
    assert by_key[S].asked == 0  # current, never drawn: listed with no figures
    assert [q.key for q in report.questions][-1] == T  # gone questions come last
    page = staff.get(items_url(quiz)).get_data(as_text=True)
    assert "no longer in the quiz" in page
    assert "Text the retired row was left with" not in page


# The CSV is safe in a spreadsheet ------------------------------------------------------------


def test_answers_that_look_like_formulas_are_neutralised(staff, take, members, listening, lenient):
    _, quiz = listening
    for member, answer in zip(members(3), ["=HYPERLINK(1)", "+1", "@SUM(1)"], strict=True):
        take(member, {F: "b", S: answer, T: "b"})
    body = staff.get(items_url(quiz, ".csv")).get_data(as_text=True)
    assert body.startswith("\ufeff")
    responses = {row["Response"] for row in csv.DictReader(io.StringIO(body[1:]))}
    assert {"'=hyperlink(1)", "'+1", "'@sum(1)"} <= responses
    assert analysis.safe_cell("-1") == "'-1"
    assert analysis.safe_cell(-0.25) == -0.25  # a negative number stays a number
    assert analysis.safe_cell("Fine") == "Fine"


# Cost -----------------------------------------------------------------------------------------


@pytest.fixture
def app_config(tmp_path, database) -> dict:
    # Figures worked out afresh at every visit, so that each visit's statements show.
    return base_config(tmp_path, database, ITEM_ANALYSIS_SECONDS=0)


def _visit(staff, count_queries, url: str) -> int:
    return len(_statements(staff, count_queries, url))


def _statements(staff, count_queries, url: str) -> list[str]:
    with count_queries() as statements:
        assert staff.get(url).status_code == 200
    return statements


@pytest.mark.parametrize("url", ["", ".csv", "?attempts=all"])
def test_the_statement_count_does_not_grow_with_attempts(
    staff, take, members, listening, count_queries, url
):
    _, quiz = listening
    patterns = [
        {F: "b", M: ["a"], S: "report back"},
        {F: "a", S: "x", T: "b"},
        {M: ["c"], S: "y", T: "a"},
    ]
    people = members(50)
    for member, pattern in zip(people[:5], patterns * 2, strict=False):
        take(member, pattern)
    few = _visit(staff, count_queries, items_url(quiz, url))
    for i, member in enumerate(people[5:]):
        take(member, patterns[i % 3])
        if i % 4 == 0:  # retakes too
            take(member, patterns[(i + 1) % 3])
    many = _visit(staff, count_queries, items_url(quiz, url))
    assert analysis.analyse(analysis.quiz_line(quiz.id)).attempts == 50
    assert few == many


def test_with_the_default_setting_the_figures_are_kept_a_while(
    app, staff, take, members, listening, count_queries
):
    app.config["ITEM_ANALYSIS_SECONDS"] = 300  # the default (config.py)
    _, quiz = listening
    first, second = members(2)
    take(first, {F: "b", M: ["a"], S: "report back"})
    fresh = _statements(staff, count_queries, items_url(quiz))
    take(second, {F: "b", M: ["a"], S: "report back"})
    kept = _statements(staff, count_queries, items_url(quiz))
    assert any("quiz_attempts" in statement for statement in fresh)
    # Neither the count nor the statement over the attempts: nothing reads them.
    assert not any("quiz_attempts" in statement for statement in kept)
    assert len(kept) < len(fresh)
    page = staff.get(items_url(quiz)).get_data(as_text=True)
    assert "Attempts analysed</dt><dd>1<" in page  # the second attempt shows later
    assert "worked out afresh when you open this page more than 5 minutes later" in page


# Big quizzes: in the background ------------------------------------------------------------


@pytest.fixture
def queued(app, monkeypatch) -> list[tuple]:
    """Every quiz is "big", and jobs are only recorded (as if the queue were busy)."""
    app.config["ITEM_ANALYSIS_INLINE_ATTEMPTS"] = 0
    recorded: list[tuple] = []
    monkeypatch.setattr(jobs, "enqueue", lambda path, *args: recorded.append((path, *args)))
    return recorded


def test_a_big_quiz_is_worked_out_in_the_background(staff, take, members, listening, queued):
    _, quiz = listening
    first, second = members(2)
    take(first, {F: "b", M: ["a"], S: "report back"})
    page = staff.get(items_url(quiz)).get_data(as_text=True)
    assert "being worked out in the background" in page
    assert "Attempts analysed" not in page
    assert queued == [(figures.JOB, quiz.id, analysis.FIRST)]
    # Another visit, or the CSV, while it runs: no second job.
    staff.get(items_url(quiz))
    csv_response = staff.get(items_url(quiz, ".csv"))
    assert csv_response.status_code == 302
    assert csv_response.location.endswith(items_url(quiz))
    assert len(queued) == 1
    # The job, as a worker would run it.
    path, *args = queued[0]
    assert path == "academy.services.item_analysis.figures.refresh"
    figures.refresh(*args)
    take(second, {F: "b", M: ["a"], S: "report back"})
    # The kept figures show; as they are stale at once here (ITEM_ANALYSIS_SECONDS is 0),
    # a job works them out afresh meanwhile.
    page = staff.get(items_url(quiz)).get_data(as_text=True)
    assert "Attempts analysed</dt><dd>1<" in page
    assert "being worked out afresh in the background" in page
    assert len(queued) == 2
    figures.refresh(*queued[1][1:])
    assert "Attempts analysed</dt><dd>2<" in staff.get(items_url(quiz)).get_data(as_text=True)


def test_with_jobs_run_at_once_a_big_quiz_shows_its_figures_on_the_first_visit(
    app, staff, take, members, listening
):
    app.config["ITEM_ANALYSIS_INLINE_ATTEMPTS"] = 0
    _, quiz = listening
    (member,) = members(1)
    take(member, {F: "b", M: ["a"], S: "report back"})
    page = staff.get(items_url(quiz)).get_data(as_text=True)
    assert "Attempts analysed</dt><dd>1<" in page
    assert "being worked out" not in page
