"""The item analysis pages in a real Chromium at phone width, with axe-core."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from academy.extensions import db
from academy.models import Course
from academy.services import accounts, learning
from academy.services.academies import academy_by_slug
from tests.browser.helpers import assert_phone_ready, sign_in
from tests.conftest import PASSWORD, give_second_factor
from tests.item_analysis.conftest import Drawing, F, M, S, T

pytestmark = pytest.mark.browser

ANSWERS = [
    {F: "b", M: ["a", "b"], S: "report back"},
    {F: "a", M: ["a"], T: "b"},
    {F: "b", S: "no idea", T: "a"},
    {M: ["a", "b", "c"], S: "Report back", T: "b"},
]


@pytest.fixture
def attempts(live_server):
    app = live_server.app
    with app.app_context():
        staff = accounts.create_user(
            "ines.items@example.org", "Ines Items", PASSWORD, check_password=False
        )
        accounts.grant_role(staff, "staff", academy=academy_by_slug("north-west"))
        give_second_factor(staff)
        course = db.session.scalar(select(Course).where(Course.slug == "organising-basics"))
        quiz = next(m for m in course.modules if m.slug == "listening").quiz
        for i, answers in enumerate(ANSWERS * 3):
            member = accounts.create_user(
                f"items{i}@example.org", f"Item Member {i}", PASSWORD, check_password=False
            )
            learning.enrol(member, course)
            attempt = learning.start_attempt(member, quiz, rng=Drawing(answers))
            sent = {}
            for question in attempt.questions:
                answer = answers[question["key"]]
                if question["kind"] == "short":
                    sent[question["key"]] = [answer]
                else:
                    keys = [answer] if isinstance(answer, str) else answer
                    sent[question["key"]] = [f"{question['key']}:{k}" for k in keys]
            learning.submit_attempt(member, attempt, sent)
        db.session.commit()
    # Few attempts: let them show figures, as a busy quiz's page would.
    saved = {
        k: app.config[k] for k in ("ITEM_ANALYSIS_MIN_ATTEMPTS", "ITEM_ANALYSIS_MIN_ANSWER_COUNT")
    }
    app.config.update(ITEM_ANALYSIS_MIN_ATTEMPTS=3, ITEM_ANALYSIS_MIN_ANSWER_COUNT=2)
    yield "ines.items@example.org"
    app.config.update(saved)


def test_staff_read_a_quiz_s_item_analysis_on_a_phone(live_server, page, attempts):
    sign_in(page, live_server.url, attempts)
    page.goto(live_server.url + "/staff/")
    page.get_by_role("link", name="See the item analysis of each quiz").click()
    page.get_by_role("heading", name="Item analysis", exact=True).wait_for()
    assert_phone_ready(page)
    page.get_by_role("link", name="Listening campaigns").click()
    page.get_by_role("heading", name="Item analysis: Listening campaigns").wait_for()
    assert page.get_by_role("heading", name="Question 4").is_visible()
    assert page.get_by_role("rowheader", name="Open questions").is_visible()
    assert_phone_ready(page)
    page.get_by_role("link", name="Every attempt").click()
    page.get_by_text("Every submitted attempt counts").wait_for()
    assert_phone_ready(page)
