"""Extending a data request's deadline (UK GDPR art. 12(3)): once, by two further
months, only within the first month, with the reason e-mailed to the member and
the extension audited; anything else is refused and changes nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from academy.extensions import db
from academy.formatting import long_date, short_date
from academy.models import AuditEvent, DataRequest
from academy.services import privacy
from academy.services.access_log import recent_access_to
from academy.timeutil import utcnow

REASON = "Your request covers five years of cohort records held by three academies."


@pytest.fixture
def member(make_user):
    return make_user(name="Rhiannon Requester", email="rhiannon@example.org")


def _request(member, admin, days_ago: int) -> DataRequest:
    received = datetime.combine(utcnow().date() - timedelta(days=days_ago), time(12), tzinfo=UTC)
    request = privacy.open_request(
        member, "export", actor=admin, channel="staff", received_at=received
    )
    db.session.commit()
    return request


def _state(request_id: int) -> tuple:
    db.session.expire_all()
    item = db.session.get(DataRequest, request_id)
    extensions = db.session.scalars(
        select(AuditEvent.id).where(AuditEvent.action == "privacy.request.extend")
    ).all()
    return item.due_on, item.extended_at, item.extension_reason, extensions


@pytest.mark.parametrize(
    ("received", "extended"),
    [
        (date(2026, 1, 31), date(2026, 4, 30)),  # no 31 April: its last day
        (date(2026, 11, 30), date(2027, 2, 28)),
        (date(2026, 3, 15), date(2026, 6, 15)),
    ],
)
def test_an_extension_makes_the_deadline_three_months_from_receipt(received, extended):
    assert privacy.add_months(received, 3) == extended
    assert privacy.add_months(received, 1) == privacy.add_one_month(received)


def test_the_admin_extends_a_request_and_the_member_is_told_why(as_admin, admin, member, outbox):
    request = _request(member, admin, days_ago=10)
    received = request.received_at.date()
    page = as_admin.get("/admin/data-requests").text
    assert f'href="/admin/data-requests/{request.id}/extend"' in page
    form = as_admin.get(f"/admin/data-requests/{request.id}/extend").text
    new_due = privacy.add_months(received, 3)
    assert f"Extend to {new_due.day} {new_due:%B %Y} and tell the member" in form

    response = as_admin.post(f"/admin/data-requests/{request.id}/extend", data={"reason": REASON})

    assert response.status_code == 302
    assert (
        f"The deadline is now {new_due.day} {new_due:%B %Y}."
        in as_admin.get(response.location).text
    )
    due_on, extended_at, reason, events = _state(request.id)
    assert (due_on, reason, len(events)) == (new_due, REASON, 1)
    assert extended_at is not None
    event = db.session.get(AuditEvent, events[0])
    assert (event.actor_id, event.subject_user_id) == (admin.id, member.id)
    assert event.details == {"due_on": new_due.isoformat(), "reason": REASON}
    [message] = outbox
    assert message.to == [member.email]
    assert REASON in message.body
    assert f"{new_due.day} {new_due:%B %Y}" in message.body
    assert "Information Commissioner" in message.body
    page = as_admin.get("/admin/data-requests").text
    assert f"Extended {short_date(extended_at)}: {REASON}" in page
    assert f'href="/admin/data-requests/{request.id}/extend"' not in page


@pytest.mark.parametrize(
    ("days_ago", "prepare", "message"),
    [
        (10, "extend", "can be extended once"),
        (10, "complete", "already been completed"),
        (40, None, "The first month has passed"),
    ],
)
def test_an_extension_the_law_does_not_allow_is_refused_and_changes_nothing(
    as_admin, admin, member, outbox, days_ago, prepare, message
):
    request = _request(member, admin, days_ago=days_ago)
    if prepare == "extend":
        privacy.extend_request(request, actor=admin, reason="First time")
    if prepare == "complete":
        privacy.complete_request(request, actor=admin)
    db.session.commit()
    before = _state(request.id)

    response = as_admin.post(f"/admin/data-requests/{request.id}/extend", data={"reason": REASON})

    assert response.status_code == 400
    assert message in response.text
    assert _state(request.id) == before
    assert outbox == []
    # And the list offers no extension for it.
    assert (
        f"/admin/data-requests/{request.id}/extend" not in as_admin.get("/admin/data-requests").text
    )


@pytest.mark.parametrize(
    ("reason", "message"),
    [("   ", "Give the reason: the member is told it."), ("x" * 1001, "1000 characters")],
)
def test_a_missing_or_overlong_reason_gets_a_clear_message(
    as_admin, admin, member, outbox, reason, message
):
    request = _request(member, admin, days_ago=3)
    before = _state(request.id)
    response = as_admin.post(f"/admin/data-requests/{request.id}/extend", data={"reason": reason})
    assert response.status_code == 400
    assert message in response.text
    assert _state(request.id) == before
    assert outbox == []


def test_only_admins_may_extend_and_viewing_the_request_is_logged(
    app, login, admin, member, make_user
):
    request = _request(member, admin, days_ago=3)
    before = _state(request.id)
    for roles in ((), ("trainer",), ("staff",)):
        client = login(app.test_client(), make_user(roles=roles))
        url = f"/admin/data-requests/{request.id}/extend"
        assert client.get(url).status_code == 403, roles
        assert client.post(url, data={"reason": REASON}).status_code == 403, roles
    assert _state(request.id) == before
    as_admin = login(app.test_client(), admin)
    assert as_admin.get("/admin/data-requests/999999/extend").status_code == 404
    before_views = len(recent_access_to(member, limit=100))
    as_admin.get(f"/admin/data-requests/{request.id}/extend")
    assert len(recent_access_to(member, limit=100)) == before_views + 1


def test_the_member_sees_their_own_requests_and_any_extension_on_their_account_page(
    app, login, admin, member, make_user
):
    request = _request(member, admin, days_ago=3)
    received = request.received_at.date()
    others = make_user(name="Someone Else")
    privacy.open_request(others, "export", actor=admin, channel="staff")
    db.session.commit()

    page = login(app.test_client(), member).get("/account/").text
    due = privacy.add_one_month(received)
    assert f"Your request for a copy of your data, received {long_date(received)}" in page
    assert f"we will answer by {long_date(due)}." in page

    privacy.extend_request(request, actor=admin, reason=REASON)
    db.session.commit()
    page = login(app.test_client(), member).get("/account/").text
    extended = privacy.add_months(received, 3)
    assert f"we will answer by {long_date(extended)}. We extended the deadline because: " in page
    assert REASON in page
    # Only their own: the other member's request is on the other member's page.
    assert page.count("<li>Your request ") == 1
    assert login(app.test_client(), others).get("/account/").text.count("<li>Your request ") == 1
