"""A member's data rights in a real Chromium at phone width; staff reports and admin pages."""

from __future__ import annotations

import json
import zipfile

import pytest

from academy.extensions import db
from academy.services import accounts
from academy.services.academies import academy_by_slug
from tests.browser.helpers import sign_in
from tests.conftest import PASSWORD, axe_violations, give_second_factor

pytestmark = pytest.mark.browser


def _make(live_server, email: str, name: str, role: str | None = None) -> None:
    with live_server.app.app_context():
        user = accounts.create_user(email, name, PASSWORD, check_password=False)
        if role:
            accounts.grant_role(user, role, academy=academy_by_slug("north-west"))
        if user.must_have_second_factor:
            give_second_factor(user)
        db.session.commit()


def _sign_in(page, live_server, email: str) -> None:
    sign_in(page, live_server.url, email)


def _fits(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, (page.url, width)
    assert axe_violations(page) == [], page.url


def test_member_corrects_answers_downloads_and_deletes(live_server, page, tmp_path):
    _make(live_server, "rhiannon@example.org", "Rhiannon Rights")
    _sign_in(page, live_server, "rhiannon@example.org")
    page.get_by_role("link", name="Account").click()
    page.get_by_role("heading", name="Your account", exact=True).wait_for()
    _fits(page)

    page.get_by_role("link", name="Correct your details").click()
    _fits(page)
    page.get_by_label("Your name").fill("Rhiannon Rees")
    page.get_by_role("button", name="Save").click()
    assert page.get_by_text("Your details have been updated.").is_visible()
    assert page.get_by_text("Rhiannon Rees").first.is_visible()

    page.get_by_role("link", name="Answer the equality questions").click()
    _fits(page)
    page.get_by_role("group", name="What is your gender?").get_by_label("Woman").check()
    page.get_by_role("group", name="What is your ethnic group?").get_by_label(
        "Prefer not to say"
    ).check()
    page.get_by_role("button", name="Save my answers").click()
    assert page.get_by_text("Your answers have been saved.").is_visible()
    group = page.get_by_role("group", name="What is your gender?")
    assert group.get_by_label("Woman").is_checked()
    _fits(page)

    page.goto(live_server.url + "/account/")
    page.get_by_role("link", name="Download your data").click()
    _fits(page)
    with page.expect_download() as info:
        page.get_by_role("button", name="Download my data").click()
    path = tmp_path / "data.zip"
    info.value.save_as(path)
    data = json.loads(zipfile.ZipFile(path).read("data.json"))
    assert data["account"]["display_name"] == "Rhiannon Rees"
    assert {"question": "What is your gender?", "answer": "Woman"} in data["equality_monitoring"]

    page.goto(live_server.url + "/account/delete")
    _fits(page)
    page.get_by_role("button", name="Delete my account").click()
    assert page.get_by_role("alert").filter(has_text="There is a problem").is_visible()
    _fits(page)
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_label("I understand").check()
    page.get_by_role("button", name="Delete my account").click()
    assert page.get_by_text("Your account has been deleted").is_visible()
    assert page.get_by_role("link", name="Sign in").first.is_visible()

    page.goto(live_server.url + "/login")
    page.get_by_label("E-mail address").fill("rhiannon@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    # The answer for any sign-in that fails (academy/auth/second_step.py): it never says
    # whether the account exists, and no code gets in.
    page.get_by_role("heading", name="Two-step sign-in").wait_for()
    assert page.get_by_text("the e-mail address or password was not right").is_visible()
    page.get_by_label("Code").fill("123456")
    page.get_by_role("button", name="Continue").click()
    assert page.get_by_role("alert").filter(has_text="That did not work").is_visible()
    assert not page.get_by_role("button", name="Sign out").is_visible()


def test_staff_reports_and_admin_pages_are_accessible_at_phone_width(live_server, page):
    _make(live_server, "sol.staff@example.org", "Sol Staff", "staff")
    _make(live_server, "ana.admin@example.org", "Ana Admin", "admin")
    _sign_in(page, live_server, "sol.staff@example.org")
    page.get_by_role("link", name="Reports").click()
    page.get_by_role("heading", name="North West Organising Academy: reports").wait_for()
    _fits(page)
    page.get_by_role("link", name="Training cascade", exact=True).click()
    _fits(page)
    page.get_by_role("link", name="Equality of access", exact=True).click()
    assert page.get_by_text("Any number under 10 is hidden").is_visible()
    _fits(page)
    page.get_by_role("button", name="Sign out").click()

    _sign_in(page, live_server, "ana.admin@example.org")
    page.goto(live_server.url + "/reports/national/")
    _fits(page)
    for path in (
        "/admin/",
        "/admin/academies",
        "/admin/people?q=sol",
        "/admin/data-requests",
        "/admin/access-log",
        "/admin/security-log",
        "/admin/retention",
        "/admin/equality-questions",
    ):
        page.goto(live_server.url + path)
        _fits(page)
    page.goto(live_server.url + "/admin/people?q=sol")
    page.get_by_role("link", name="Sol Staff").click()
    page.get_by_role("heading", name="Sol Staff", exact=True).wait_for()
    _fits(page)
    page.goto(live_server.url + "/admin/access-log")
    # In words, not the internal code (admin.member-page).
    assert page.get_by_role("cell", name="looked at their account").first.is_visible()
