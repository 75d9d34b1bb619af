"""The figures, worked out by hand for six attempts at a pool of 4 questions drawn 3 at
a time, and the service, the page and the CSV must say exactly the same."""

from __future__ import annotations

import csv
import io
import math
from html.parser import HTMLParser

import pytest

from academy.services import item_analysis as analysis
from tests.conftest import base_config
from tests.item_analysis.conftest import F, M, S, T

# Each attempt: the questions drawn and the answers given. Right answers: F b, M a+b,
# S "report back" / "reporting back", T b.
ATTEMPTS = [
    {F: "a", M: ["a"], S: "no idea"},  # A1: 0 of 3 right
    {F: "b", M: ["a", "c"], T: "b"},  # A2: F, T right
    {F: "c", S: "Report back", T: "b"},  # A3: S, T right
    {M: ["b", "d"], S: "  REPORT   back ", T: "b"},  # A4: S, T right
    {F: "b", M: ["a", "b", "c"], S: "no idea"},  # A5: F right
    {F: "a", S: "reporting back", T: "b"},  # A6: S, T right
]
RETAKE = {F: "b", M: ["a", "b"], T: "b"}  # A2's member again: all right

# By hand, from the table above: for each attempt that asked the question, (its mark,
# the share of the attempt's two other questions answered right).
PAIRS = {
    F: [(0, 0 / 2), (1, 1 / 2), (0, 2 / 2), (1, 0 / 2), (0, 2 / 2)],  # A1 A2 A3 A5 A6
    M: [(0, 0 / 2), (0, 2 / 2), (0, 2 / 2), (0, 1 / 2)],  # A1 A2 A4 A5
    S: [(0, 0 / 2), (1, 1 / 2), (1, 1 / 2), (0, 1 / 2), (1, 1 / 2)],  # A1 A3 A4 A5 A6
    T: [(1, 1 / 2), (1, 1 / 2), (1, 1 / 2), (1, 1 / 2)],  # A2 A3 A4 A6
}
RETAKE_PAIRS = {F: (1, 2 / 2), M: (1, 2 / 2), T: (1, 2 / 2)}
# Scores as marked: 100 x right // asked.
SCORES = [0, 66, 66, 66, 33, 66]
PASSED = [False, True, True, True, False, True]  # 60% of 3 is 1.8: 2 right pass


def pearson(pairs: list[tuple[float, float]]) -> float | None:
    """The textbook definition: deviations from the means, not the service's sums."""
    xs, ys = [p[0] for p in pairs], [p[1] for p in pairs]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sxy = sum((x - mx) * (y - my) for x, y in pairs)
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    return None if sxx == 0 or syy == 0 else sxy / math.sqrt(sxx * syy)


def test_the_hand_sums_are_what_they_seem():
    """The two figures worked out fully on paper: F −0.5/√1.2, S 0.3/√0.24."""
    assert pearson(PAIRS[F]) == pytest.approx(-0.5 / math.sqrt(1.2), abs=1e-12)
    assert pearson(PAIRS[S]) == pytest.approx(0.3 / math.sqrt(0.24), abs=1e-12)
    assert pearson(PAIRS[M]) is None  # everyone wrong: cannot tell
    assert pearson(PAIRS[T]) is None  # everyone right: cannot tell


@pytest.fixture
def app_config(tmp_path, database) -> dict:
    # Six attempts: figures from 3 attempts at a question, short answers given twice.
    return base_config(
        tmp_path, database, ITEM_ANALYSIS_MIN_ATTEMPTS=3, ITEM_ANALYSIS_MIN_ANSWER_COUNT=2
    )


@pytest.fixture
def taken(take, members):
    people = members(6)
    for member, answers in zip(people, ATTEMPTS, strict=True):
        take(member, answers)
    return people


def by_key(report) -> dict[str, analysis.QuestionReport]:
    return {q.key: q for q in report.questions}


def shares(question) -> dict[str, tuple[int, float, bool | None]]:
    return {r.text: (r.count, r.share, r.correct) for r in question.responses}


def test_first_attempts_match_the_hand_figures(taken, listening):
    _, quiz = listening
    report = analysis.analyse(analysis.quiz_line(quiz.id))
    assert report.attempts == 6
    assert report.mean_score == pytest.approx(sum(SCORES) / 6)
    assert report.pass_rate == pytest.approx(PASSED.count(True) / 6)
    questions = by_key(report)
    assert [q.key for q in report.questions] == [F, M, S, T]  # the quiz's order
    for key, pairs in PAIRS.items():
        q = questions[key]
        assert q.asked == len(pairs)
        assert q.facility == pytest.approx(sum(x for x, _ in pairs) / len(pairs), abs=1e-12)
        expected = pearson(pairs)
        if expected is None:
            assert q.discrimination is None
        else:
            assert q.discrimination == pytest.approx(expected, abs=1e-12)
    assert [f.code for f in questions[F].flags] == ["reversed"]  # −0.46
    assert [f.code for f in questions[M].flags] == ["too-hard"]  # 0 of 4
    assert [f.code for f in questions[S].flags] == []  # 3 of 5, +0.61
    assert [f.code for f in questions[T].flags] == ["too-easy"]  # 4 of 4
    # Options: each one's share of the times the question was asked.
    option_text = "Printing a leaflet with our position"
    assert shares(questions[F])[option_text] == (2, 2 / 5, False)
    assert shares(questions[F])["Asking residents what matters most to them"] == (2, 2 / 5, True)
    assert shares(questions[F])["Choosing a slogan for the campaign leaflets"] == (1, 1 / 5, False)
    # Choose all that apply: each option's share of attempts that ticked it.
    assert [(r.count, r.share, r.correct) for r in questions[M].responses] == [
        (3, 3 / 4, True),
        (2, 2 / 4, True),
        (2, 2 / 4, False),
        (1, 1 / 4, False),
    ]
    assert [r.count for r in questions[T].responses] == [0, 4, 0]
    # Short answers, normalised; "reporting back" was given once only, so not shown.
    assert shares(questions[S]) == {
        "no idea": (2, 2 / 5, False),
        "report back": (2, 2 / 5, True),
    }
    assert questions[S].others == 1


def test_every_attempt_adds_the_retake(taken, take, listening):
    _, quiz = listening
    take(taken[1], RETAKE)
    first = analysis.analyse(analysis.quiz_line(quiz.id), analysis.FIRST)
    every = analysis.analyse(analysis.quiz_line(quiz.id), analysis.ALL)
    assert first.attempts == 6
    assert every.attempts == 7
    assert every.mean_score == pytest.approx((sum(SCORES) + 100) / 7)
    questions = by_key(every)
    for key, pairs in PAIRS.items():
        pairs = pairs + ([RETAKE_PAIRS[key]] if key in RETAKE_PAIRS else [])
        assert questions[key].asked == len(pairs)
        assert questions[key].facility == pytest.approx(sum(x for x, _ in pairs) / len(pairs))
        expected = pearson(pairs)
        assert questions[key].discrimination == (
            None if expected is None else pytest.approx(expected, abs=1e-12)
        )
    # M: 1 of 5 is exactly 20%, not under it.
    assert questions[M].facility == pytest.approx(0.2)
    assert questions[M].flags == ()


class Rows(HTMLParser):
    """Every table row of a page, as the text of its cells."""

    def __init__(self):
        super().__init__()
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(" ".join("".join(self.cell).split()))
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def page_rows(html: str) -> list[list[str]]:
    parser = Rows()
    parser.feed(html)
    return parser.rows


@pytest.fixture
def staff(make_user, login, client):
    return login(client, make_user(roles=("staff",)))


def test_the_page_shows_the_same_figures(taken, staff, listening):
    _, quiz = listening
    response = staff.get(f"/staff/quizzes/{quiz.id}/items")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    rows = page_rows(html)
    summary = {row[1]: row for row in rows if len(row) >= 3 and row[0].isdigit()}
    prompts = {
        F: "What comes first in a listening campaign?",
        M: "Which of these belong in a listening conversation? Choose all that apply.",
        S: "What do we call going back to tell people what we heard?",
        T: "Who should do most of the talking in a listening conversation?",
    }
    for key, pairs in PAIRS.items():
        row = summary[prompts[key]]
        facility = sum(x for x, _ in pairs) / len(pairs)
        expected = pearson(pairs)
        assert row[2] == str(len(pairs))
        assert row[3] == f"{facility:.0%}"
        assert row[4] == ("cannot tell" if expected is None else f"{expected:.2f}")
    assert summary[prompts[F]][4] == "-0.46"
    assert summary[prompts[S]][4] == "0.61"
    assert "Strong members get it wrong more than weak ones" in summary[prompts[F]][5]
    assert summary[prompts[M]][5] == "Too hard"
    assert summary[prompts[T]][5] == "Too easy"
    assert ["Open questions", "right", "3", "75%"] in rows
    assert ["Telling them how to vote", "wrong", "1", "25%"] in rows
    assert ["report back", "right", "2", "40%"] in rows
    assert ["no idea", "wrong", "2", "40%"] in rows
    assert ["Any other answer", "", "1", "20%"] in rows
    assert "Attempts analysed</dt><dd>6<" in html
    assert "Mean score</dt><dd>50%<" in html  # 49.5, shown rounded
    assert "The correlation" in html or "correlation, from −1 to 1" in html


def test_the_csv_says_the_same(taken, staff, listening):
    _, quiz = listening
    response = staff.get(f"/staff/quizzes/{quiz.id}/items.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert (
        "item-analysis-organising-basics-listening-first-attempts.csv"
        in (response.headers["Content-Disposition"])
    )
    body = response.get_data(as_text=True)
    assert body.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(body.removeprefix("\ufeff"))))
    for key, pairs in PAIRS.items():
        lines = [row for row in rows if row["Question key"] == key]
        assert lines
        expected = pearson(pairs)
        for row in lines:
            assert row["Times asked"] == str(len(pairs))
            assert float(row["Facility (share right)"]) == round(
                sum(x for x, _ in pairs) / len(pairs), 4
            )
            if expected is None:
                assert row["Discrimination"] == ""
            else:
                assert float(row["Discrimination"]) == round(expected, 4)
    ticked = {
        row["Response"]: row
        for row in rows
        if row["Question key"] == M and row["Response"] == "Open questions"
    }
    assert ticked["Open questions"]["Times given"] == "3"
    assert float(ticked["Open questions"]["Share of times asked"]) == 0.75
    flags = {row["Question key"]: row["Flags"] for row in rows}
    assert flags[F] == "Strong members get it wrong more than weak ones"
    assert flags[M] == "Too hard"
    assert flags[T] == "Too easy"
    assert flags[S] == ""
    every = staff.get(f"/staff/quizzes/{quiz.id}/items.csv?attempts=all")
    assert "all-attempts.csv" in every.headers["Content-Disposition"]
