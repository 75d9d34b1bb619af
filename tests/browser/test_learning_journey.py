"""A member's whole journey in a real Chromium at phone width: register, enrol, read,
complete, fail a quiz, pass it, and see the course complete on the dashboard, with an
accessibility check on every kind of page."""

import re
import threading
import urllib.error
import urllib.parse
import urllib.request

import pytest
from sqlalchemy import select

from tests.browser.helpers import assert_phone_ready, sign_in

# The journey names the questions it answers: the listening quiz asks its first three, in
# order (the real random draw is tested in tests/learn).
pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("written_order")]

PASSWORD = "a perfectly long passphrase"


def _register(live_server, page, name: str, email: str) -> None:
    outbox = live_server.app.extensions["mailman"].outbox
    outbox.clear()
    page.goto(live_server.url + "/register")
    page.get_by_label("Your name").fill(name)
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("I have read the privacy notice").check()
    page.get_by_role("button", name="Create account").click()
    page.get_by_role("heading", name="Check your e-mail").wait_for()
    (message,) = outbox
    link = re.search(r"(http://127\.0\.0\.1:\d+/confirm/\S+)", message.body).group(1)
    page.goto(link)
    page.get_by_role("button", name="Confirm my account").click()
    page.get_by_role("heading", name="Your account is confirmed").wait_for()
    sign_in(page, live_server.url, email, PASSWORD)


def _answer_listening_quiz(page, *, right: bool) -> None:
    if right:
        page.get_by_label("Asking residents what matters most to them").check()
        page.get_by_label("Open questions").check()
        page.get_by_label("Listening more than talking").check()
        page.get_by_label(re.compile("What do we call going back")).fill("  Report BACK ")
    else:
        page.get_by_label("Choosing a slogan").check()
        page.get_by_label("Reading out our manifesto").check()
        page.get_by_label(re.compile("What do we call going back")).fill("a leaflet")
    page.get_by_role("button", name="Submit answers").click()


def test_the_whole_learning_journey(live_server, page):
    _register(live_server, page, "Jo Journey", "jo.journey@example.org")

    # The catalogue and a course page.
    page.get_by_role("link", name="Courses").first.click()
    page.get_by_role("heading", name="Courses", level=1).wait_for()
    assert_phone_ready(page)
    page.get_by_role("link", name="Leading campaigns").click()
    assert page.get_by_text("Complete this one first").is_visible()
    assert_phone_ready(page)
    page.get_by_role("link", name="Organising basics").first.click()
    assert page.get_by_text("Credit hours", exact=True).is_visible()
    assert_phone_ready(page)

    # Enrol: straight to the first lesson.
    page.get_by_role("button", name="Enrol in this course").click()
    page.get_by_role("heading", name="Why we listen first", level=1).wait_for()
    assert page.get_by_text("Lesson 1 of 2 in module 1").is_visible()
    assert_phone_ready(page)

    # Mark it complete with the keyboard, then the rest of the module with the mouse.
    button = page.get_by_role("button", name=re.compile("Mark as complete"))
    button.focus()
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Running a listening campaign", level=1).wait_for()
    assert page.get_by_text("marked as complete").is_visible()
    # This lesson's image is served to an enrolled member.
    image = page.get_by_role("img", name="A map of the ward with three streets highlighted")
    image.scroll_into_view_if_needed()
    page.wait_for_function("() => [...document.images].every(img => img.complete)", timeout=10_000)
    assert image.evaluate("img => img.naturalWidth") > 0
    page.get_by_role("button", name=re.compile("Mark as complete")).click()

    # The quiz page, then a failed attempt.
    page.get_by_role("heading", name="Quiz: Listening campaigns", level=1).wait_for()
    assert_phone_ready(page)
    page.get_by_role("button", name="Start the quiz").click()
    page.get_by_role("button", name="Submit answers").wait_for()
    assert_phone_ready(page)
    # A mistake first: the short answer left empty is explained, nothing is lost.
    page.get_by_label("Asking residents what matters most to them").check()
    page.get_by_role("button", name="Submit answers").click()
    assert page.get_by_role("alert").filter(has_text="There is a problem").is_visible()
    assert page.get_by_label("Asking residents what matters most to them").is_checked()
    assert_phone_ready(page)
    _answer_listening_quiz(page, right=False)
    assert page.get_by_text("not passed").first.is_visible()
    assert page.get_by_text("A slogan comes much later.").is_visible()
    assert page.get_by_text("Correct answer", exact=True).count() == 0
    assert_phone_ready(page)

    # Try again and pass: now the answers are shown.
    page.get_by_role("button", name="Try again").click()
    _answer_listening_quiz(page, right=True)
    assert page.get_by_text("You passed with 100%").is_visible()
    assert page.get_by_text("Correct answer", exact=True).count() >= 1

    # The second module: two lessons and its quiz.
    page.goto(live_server.url + "/courses/organising-basics")
    page.get_by_role("link", name="Continue where you left off").click()
    page.get_by_role("heading", name=re.compile("one-to-ones", re.I), level=1).wait_for()
    page.get_by_role("button", name=re.compile("Mark as complete")).click()
    page.get_by_role("button", name=re.compile("Mark as complete")).click()
    page.get_by_role("button", name="Start the quiz").click()
    page.get_by_label("Thirty to forty-five minutes").check()
    page.get_by_label("Step-free access").check()
    page.get_by_label("A hearing loop").check()
    page.get_by_role("button", name="Submit answers").click()
    assert page.get_by_text("You passed with 100%").is_visible()

    # The dashboard shows the course complete, with the quiz results.
    page.get_by_role("link", name="My learning").click()
    page.get_by_role("heading", name="My learning", level=1).wait_for()
    completed = page.locator("section", has=page.get_by_role("heading", name="Completed courses"))
    assert completed.get_by_role("link", name="Organising basics").is_visible()
    assert completed.get_by_text("Completed").first.is_visible()
    results = page.get_by_role("table")
    assert results.get_by_text("Listening campaigns").is_visible()
    assert results.get_by_text("100%").first.is_visible()
    assert_phone_ready(page)

    # The course that needed it can now be taken.
    page.goto(live_server.url + "/courses/leading-campaigns")
    assert page.get_by_role("button", name="Enrol in this course").is_visible()


def test_content_is_not_served_before_enrolling(live_server, page):
    _register(live_server, page, "Sam Stranger", "sam.stranger@example.org")
    page.goto(live_server.url + "/courses/organising-basics/lessons/why-listen-first")
    page.get_by_role("heading", name=re.compile("Enrol in Organising basics")).wait_for()
    assert_phone_ready(page)
    page.goto(live_server.url + "/dashboard")
    assert page.get_by_text("You are not taking a course").is_visible()
    assert_phone_ready(page)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _post_many(url: str, cookie: str, data: dict, times: int) -> list[int]:
    """POST the same form `times` times at once, as a burst of double clicks would."""
    body = urllib.parse.urlencode(data, doseq=True).encode()
    opener = urllib.request.build_opener(_NoRedirect)
    statuses: list[int] = []
    barrier = threading.Barrier(times)

    def post() -> None:
        request = urllib.request.Request(url, data=body, headers={"Cookie": cookie})  # noqa: S310
        barrier.wait()
        try:
            statuses.append(opener.open(request, timeout=30).status)
        except urllib.error.HTTPError as error:
            statuses.append(error.code)

    threads = [threading.Thread(target=post) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def test_two_tabs_and_a_burst_of_submissions_record_one_attempt(live_server, page):
    from academy.extensions import db
    from academy.models import QuizAttempt, User

    _register(live_server, page, "Tab Twice", "tab.twice@example.org")
    page.goto(live_server.url + "/courses/organising-basics")
    page.get_by_role("button", name="Enrol in this course").click()
    quiz = live_server.url + "/courses/organising-basics/quizzes/listening"
    page.goto(quiz)
    other = page.context.new_page()
    other.set_viewport_size({"width": 360, "height": 740})
    other.goto(quiz)
    # Both tabs show "Start the quiz"; both press it: one attempt, the same in both.
    page.get_by_role("button", name="Start the quiz").click()
    other.get_by_role("button", name="Start the quiz").click()
    page.get_by_role("button", name="Submit answers").wait_for()
    assert other.url == page.url
    # The first tab fails; the second, submitting later, is told and changes nothing.
    _answer_listening_quiz(page, right=False)
    assert page.get_by_text("not passed").first.is_visible()
    _answer_listening_quiz(other, right=True)
    assert other.get_by_text("You have already submitted this attempt.").is_visible()
    assert other.get_by_text("You scored 0%").first.is_visible()
    assert_phone_ready(other)

    # A burst of identical submissions of a new attempt: one is recorded.
    page.goto(quiz)
    page.get_by_role("button", name="Try again").click()
    page.get_by_role("button", name="Submit answers").wait_for()
    token = page.locator("input[name=csrf_token]").first.input_value()
    cookie = "; ".join(f"{c['name']}={c['value']}" for c in page.context.cookies())
    data = {
        "csrf_token": token,
        "q-what-comes-first-in-a-listening-campaign": (
            "what-comes-first-in-a-listening-campaign:b"
        ),
        "q-which-of-these-belong-in-a-listening-conversation-choose-all": [
            "which-of-these-belong-in-a-listening-conversation-choose-all:a",
            "which-of-these-belong-in-a-listening-conversation-choose-all:b",
        ],
        "q-what-do-we-call-going-back-to-tell-people-what-we-heard": "report back",
    }
    statuses = _post_many(page.url, cookie, data, times=6)
    assert statuses == [303] * 6
    with live_server.app.app_context():
        user = db.session.scalar(select(User).where(User.email == "tab.twice@example.org"))
        attempts = db.session.scalars(
            select(QuizAttempt).where(QuizAttempt.user_id == user.id).order_by(QuizAttempt.number)
        ).all()
        assert [(a.number, a.score) for a in attempts] == [(1, 0), (2, 100)]
        assert all(a.submitted_at is not None for a in attempts)
        db.session.remove()
