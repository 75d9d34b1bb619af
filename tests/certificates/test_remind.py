"""`flask academy certificates remind`: renewal reminders, once per certificate."""

from __future__ import annotations

import datetime as dt

from academy.extensions import db
from academy.services import certificates as service
from academy.services.academies import academy_by_slug

from .conftest import complete, course


def issue(member, staff, expires_on):
    complete(member, "organising-basics")
    complete(member, "leading-campaigns")
    certificate = service.issue(
        member, course("leading-campaigns"), actor=staff, academy=academy_by_slug("north-west")
    )
    certificate.expires_on = expires_on
    db.session.commit()
    return certificate


def test_holders_are_reminded_once_before_expiry(runner, staff, make_user, outbox):
    today = dt.date.today()
    holder = make_user(name="Expiring Soon")
    soon = issue(holder, staff, today + dt.timedelta(days=20))
    later = issue(make_user(name="Expiring Later"), staff, today + dt.timedelta(days=90))
    gone = issue(make_user(name="Already Expired"), staff, today - dt.timedelta(days=1))
    revoked = issue(make_user(name="Revoked Holder"), staff, today + dt.timedelta(days=5))
    service.revoke(revoked, actor=staff, reason="Withdrawn")
    db.session.commit()
    outbox.clear()

    result = runner.invoke(args=["academy", "certificates", "remind", "--days", "30"])

    assert result.exit_code == 0, result.output
    assert "Sent 1 renewal reminder." in result.output
    [mail] = outbox
    assert mail.to == [holder.email]
    assert "expires on" in mail.subject
    assert "Leading campaigns" in mail.subject
    assert soon.number in mail.body
    for certificate in (soon, later, gone, revoked):
        db.session.refresh(certificate)
    assert soon.reminded_at is not None
    assert later.reminded_at is None
    assert gone.reminded_at is None
    assert revoked.reminded_at is None

    again = runner.invoke(args=["academy", "certificates", "remind", "--days", "30"])
    assert "Sent 0 renewal reminders." in again.output
    assert len(outbox) == 1

    wider = runner.invoke(args=["academy", "certificates", "remind", "--days", "120"])
    assert "Sent 1 renewal reminder." in wider.output
    assert later.number in outbox[-1].body


def test_the_expiry_shows_on_the_holders_page(client, login, staff, make_user):
    member = make_user(name="Page Holder")
    certificate = issue(member, staff, dt.date.today() + dt.timedelta(days=200))
    login(client, member)

    page = client.get("/certificates/").get_data(as_text=True)

    assert "Valid until" in page
    assert certificate.number in page
