"""Registering, confirming, signing out and in, in a real Chromium at phone width."""

import re

import pytest

from tests.conftest import axe_violations

pytestmark = pytest.mark.browser


def _outbox(live_server) -> list:
    return live_server.app.extensions["mailman"].outbox


def test_register_confirm_sign_out_and_in(live_server, page):
    _outbox(live_server).clear()
    page.goto(live_server.url + "/")
    assert axe_violations(page) == []
    page.get_by_role("link", name="Create an account").first.click()
    assert axe_violations(page) == []

    # A mistake first: the form says what is wrong and keeps what was typed.
    page.get_by_label("Your name").fill("Bernadette Browser")
    page.get_by_label("E-mail address").fill("bernadette@example.org")
    page.get_by_label("Password").fill("short")
    page.get_by_label("I have read the privacy notice").check()
    page.get_by_role("button", name="Create account").click()
    assert page.get_by_role("alert").filter(has_text="There is a problem").is_visible()
    assert page.get_by_label("E-mail address").input_value() == "bernadette@example.org"
    assert axe_violations(page) == []

    page.get_by_label("Password").fill("a perfectly long passphrase")
    page.get_by_role("button", name="Create account").click()
    page.get_by_role("heading", name="Check your e-mail").wait_for()

    (message,) = _outbox(live_server)
    link = re.search(r"(http://127\.0\.0\.1:\d+/confirm/\S+)", message.body).group(1)
    # The link shows a button (opening it changes nothing); confirming does not sign in.
    page.goto(link)
    assert axe_violations(page) == []
    page.get_by_role("button", name="Confirm my account").click()
    page.get_by_role("heading", name="Your account is confirmed").wait_for()
    assert axe_violations(page) == []
    assert not page.get_by_role("button", name="Sign out").is_visible()

    page.get_by_role("link", name="Sign in").last.click()
    assert axe_violations(page) == []
    page.get_by_label("E-mail address").fill("Bernadette@Example.org")
    page.get_by_label("Password").fill("a perfectly long passphrase")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("button", name="Sign out").is_visible()

    page.get_by_role("button", name="Sign out").click()
    assert page.get_by_text("You have signed out").is_visible()


def test_keyboard_users_can_skip_to_the_content(live_server, page):
    page.goto(live_server.url + "/privacy")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    assert skip.evaluate("el => el === document.activeElement")
    assert axe_violations(page) == []


def test_pages_fit_a_360px_phone(live_server, page):
    for path in ("/", "/login", "/register", "/privacy", "/no-such-page"):
        page.goto(live_server.url + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, (path, width)
    assert axe_violations(page) == []  # the 404 page
