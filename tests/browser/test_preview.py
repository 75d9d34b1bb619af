"""Academy staff preview a course in a real Chromium at phone width: lessons with
their images, and a quiz with its answers."""

from __future__ import annotations

import pytest

from academy.extensions import db
from academy.services import accounts
from academy.services.academies import academy_by_slug
from tests.browser.helpers import assert_phone_ready, sign_in
from tests.conftest import PASSWORD, give_second_factor

pytestmark = pytest.mark.browser


def test_staff_preview_a_course_without_enrolling(live_server, page):
    with live_server.app.app_context():
        staff = accounts.create_user(
            "preview.staff@example.org", "Priya Preview", PASSWORD, check_password=False
        )
        accounts.grant_role(staff, "staff", academy=academy_by_slug("north-west"))
        give_second_factor(staff)
        db.session.commit()
    sign_in(page, live_server.url, "preview.staff@example.org")

    page.goto(live_server.url + "/courses/organising-basics")
    page.get_by_role("link", name="Preview every lesson and quiz, with the answers").click()
    assert page.get_by_role("heading", name="Preview: Organising basics").is_visible()
    assert_phone_ready(page)

    page.get_by_role("link", name="Running a listening campaign").click()
    assert page.get_by_text("Staff preview.").is_visible()
    image = page.locator(".prose img").first
    image.scroll_into_view_if_needed()
    assert page.evaluate("(img) => img.complete && img.naturalWidth > 0", image.element_handle())
    assert_phone_ready(page)

    page.get_by_role("link", name="Next: ").click()  # the module's quiz comes next
    assert page.get_by_role("heading", name="Quiz: ").first.is_visible()
    assert page.get_by_text("Correct answer").first.is_visible()
    assert_phone_ready(page)
