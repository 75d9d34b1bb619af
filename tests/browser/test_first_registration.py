"""A newcomer's first step on the `make run` configuration, in a real Chromium: register
from the home page, open the link from the e-mail the app kept in instance/outbox/
(no mail backend replaced, no ACADEMY_BASE_URL: the link names the port served),
confirm, sign in. Also: "Didn't get the e-mail?" from the check-your-e-mail page."""

from __future__ import annotations

import re

import pytest

from tests.conftest import LiveServer, axe_violations
from tests.mail.conftest import (  # noqa: F401 - make_run_app is a fixture
    make_run_app,
    outbox_files,
    parts,
    wait_for_mail,
)

pytestmark = pytest.mark.browser

PASSPHRASE = "a newcomer's long passphrase"


@pytest.fixture(scope="module")
def make_run_server(make_run_app):  # noqa: F811 - the imported fixture
    with LiveServer(make_run_app) as server:
        yield server


def test_register_from_home_follow_the_emailed_link_and_sign_in(make_run_server, page):
    app = make_run_server.app
    page.goto(make_run_server.url + "/")
    page.get_by_role("link", name="Create an account").first.click()
    page.get_by_label("Your name").fill("Nadia Newcomer")
    page.get_by_label("E-mail address").fill("nadia@example.org")
    page.get_by_label("Password").fill(PASSPHRASE)
    page.get_by_label("I have read the privacy notice").check()
    before = len(outbox_files(app))
    page.get_by_role("button", name="Create account").click()
    page.get_by_role("heading", name="Check your e-mail").wait_for()
    assert page.get_by_text("instance/outbox/").is_visible()  # where to look, in development
    assert axe_violations(page) == []

    text, html = parts(wait_for_mail(app, before, to="nadia@example.org"))
    link = re.search(r"http://127\.0\.0\.1:(\d+)/confirm/\S+", text)
    assert int(link.group(1)) == make_run_server.server.server_port  # the port served
    assert link.group(0) in html

    # "Didn't get the e-mail?" is one click away and answers the same way.
    page.get_by_role("link", name="Didn't get the e-mail? Send a new link").click()
    page.get_by_role("heading", name="Didn't get the e-mail?").wait_for()
    assert axe_violations(page) == []

    page.goto(link.group(0))
    page.get_by_role("button", name="Confirm my account").click()
    page.get_by_role("heading", name="Your account is confirmed").wait_for()

    page.get_by_role("link", name="Sign in").last.click()
    page.get_by_label("E-mail address").fill("nadia@example.org")
    page.get_by_label("Password").fill(PASSPHRASE)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Sign out").wait_for()
