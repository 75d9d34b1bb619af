"""Two-step sign-in in a real Chromium at phone width: a staff member is sent to set it up,
scans (types) the key, keeps the recovery codes, then signs in with a code and with a
recovery code. Every page is checked with axe-core."""

from __future__ import annotations

import re

import pytest

from academy.extensions import db
from academy.services import accounts
from academy.services.academies import academy_by_slug
from tests.browser.helpers import assert_phone_ready, authenticator_code
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

EMAIL = "tess.twostep@example.org"


def _password_step(page, base_url: str) -> None:
    page.goto(base_url + "/login")
    page.get_by_label("E-mail address").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_staff_set_up_two_step_sign_in_and_sign_in_with_it(live_server, page, tmp_path):
    with live_server.app.app_context():
        staff = accounts.create_user(EMAIL, "Tess Twostep", PASSWORD, check_password=False)
        accounts.grant_role(staff, "staff", academy=academy_by_slug("north-west"))
        db.session.commit()
    base = live_server.url

    # Signed in with a password alone, the staff pages send her to set it up.
    _password_step(page, base)
    page.get_by_role("button", name="Sign out").wait_for()
    page.goto(base + "/staff/")
    page.get_by_role("heading", name="Set up two-step sign-in").wait_for()
    assert page.get_by_text("Staff and admins need two-step sign-in").is_visible()
    assert page.get_by_role("img", name=re.compile("QR code")).is_visible()
    assert_phone_ready(page)

    # The app is given the key by hand; a wrong code first, then the right one.
    secret = page.locator("#secret-key").inner_text().replace(" ", "")
    page.get_by_label("Code from the app").fill("000000")
    page.get_by_role("button", name="Turn on two-step sign-in").click()
    assert page.get_by_role("alert").filter(has_text="That code is not right").is_visible()
    assert_phone_ready(page)
    page.get_by_label("Code from the app").fill(authenticator_code(base + EMAIL, secret))
    page.get_by_role("button", name="Turn on two-step sign-in").click()

    # The recovery codes, shown once: downloaded, printable.
    page.get_by_role("heading", name="Keep your recovery codes").wait_for()
    codes = page.get_by_role("list", name="Your recovery codes").get_by_role("listitem")
    assert codes.count() == 10
    recovery = codes.nth(0).inner_text()
    assert page.get_by_role("button", name="Print the codes").is_visible()
    assert_phone_ready(page)
    with page.expect_download() as info:
        page.get_by_role("link", name="Download the codes").click()
    path = tmp_path / "codes.txt"
    info.value.save_as(path)
    assert recovery in path.read_text()
    assert info.value.suggested_filename == "organising-academy-recovery-codes.txt"
    page.get_by_role("link", name="I have kept my codes: continue").click()
    page.get_by_role("heading", name="Staff", exact=True).first.wait_for()
    page.get_by_role("button", name="Sign out").click()

    # Signing in now takes the password, then a code; a wrong code gets a clear message.
    _password_step(page, base)
    page.get_by_role("heading", name="Two-step sign-in").wait_for()
    assert_phone_ready(page)
    page.get_by_label("Code").fill("123456")
    page.get_by_role("button", name="Continue").click()
    assert page.get_by_role("alert").filter(has_text="That did not work").is_visible()
    assert_phone_ready(page)
    page.get_by_label("Code").fill(authenticator_code(base + EMAIL, secret))
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Sign out").wait_for()
    page.goto(base + "/staff/")
    page.get_by_role("heading", name="Staff", exact=True).first.wait_for()

    # Her account page says it is on; then a recovery code works in place of the phone.
    page.goto(base + "/account/two-factor")
    assert page.get_by_text("Two-step sign-in is on").is_visible()
    assert page.get_by_text("Staff and admins must keep two-step sign-in on").is_visible()
    assert_phone_ready(page)
    page.get_by_role("button", name="Sign out").click()
    _password_step(page, base)
    page.get_by_label("Code").fill(recovery)
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Sign out").wait_for()
    page.goto(base + "/account/two-factor")
    assert page.get_by_text("You have 9 unused recovery codes").is_visible()
