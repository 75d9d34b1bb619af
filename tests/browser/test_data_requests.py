"""An admin extends a member's data request in a real Chromium at phone width, and
the member reads why on their account page."""

from __future__ import annotations

import pytest

from academy.extensions import db
from academy.services import accounts, privacy
from tests.browser.helpers import assert_phone_ready, sign_in
from tests.conftest import PASSWORD, give_second_factor

pytestmark = pytest.mark.browser

REASON = "Your request covers records held by three academies."


def test_an_admin_extends_a_request_and_the_member_reads_why(live_server, browser):
    with live_server.app.app_context():
        admin = accounts.create_user(
            "requests.admin@example.org", "Ade Admin", PASSWORD, check_password=False
        )
        accounts.grant_role(admin, "admin")
        give_second_factor(admin)
        member = accounts.create_user(
            "requests.member@example.org", "Mari Member", PASSWORD, check_password=False
        )
        privacy.open_request(member, "erasure", actor=admin, channel="staff")
        db.session.commit()
    contexts = [browser.new_context(viewport={"width": 360, "height": 740}) for _ in range(2)]
    a, m = (context.new_page() for context in contexts)
    try:
        sign_in(a, live_server.url, "requests.admin@example.org")
        a.goto(live_server.url + "/admin/data-requests")
        a.get_by_role("link", name="Extend the deadline of Mari Member's request").click()
        assert_phone_ready(a)
        a.get_by_label("Why more time is needed").fill(REASON)
        a.get_by_role("button", name="and tell the member").click()
        a.get_by_text("The deadline is now").wait_for()
        assert a.get_by_text(REASON).is_visible()

        sign_in(m, live_server.url, "requests.member@example.org")
        m.goto(live_server.url + "/account/")
        assert m.get_by_role("heading", name="Your requests about your data").is_visible()
        assert m.get_by_text("We extended the deadline because").is_visible()
        assert_phone_ready(m)
    finally:
        for context in contexts:
            context.close()
