"""`flask academy certificates remind`: renewal reminders, once per certificate."""

from __future__ import annotations

import datetime as dt

from academy.extensions import db
from academy.services import certificates as service
from academy.services.academies import academy_by_slug

from .conftest import complete, course, pdf_text


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


def test_staff_renew_an_expiring_certificate_for_a_new_period(
    client, login, staff, make_user, outbox
):
    member = make_user(name="Renewing Holder")
    today = dt.date.today()
    old = issue(member, staff, today + dt.timedelta(days=200))
    login(client, staff)

    # Not yet: more than 90 days to go.
    assert "Renew certificate" not in client.get(f"/staff/certificates/{old.id}").get_data(
        as_text=True
    )
    client.post(f"/staff/certificates/{old.id}/renew")
    db.session.refresh(old)
    assert old.status == "valid"

    old.expires_on = today - dt.timedelta(days=3)  # expired
    db.session.commit()
    listed = client.get("/staff/certificates?status=renewal").get_data(as_text=True)
    assert old.number in listed
    assert "Renew certificate" in client.get(f"/staff/certificates/{old.id}").get_data(as_text=True)
    response = client.post(f"/staff/certificates/{old.id}/renew")

    db.session.refresh(old)
    assert old.status == "superseded"
    new = db.session.get(type(old), old.superseded_by_id)
    assert response.location.endswith(f"/staff/certificates/{new.id}")
    assert new.status == "valid"
    assert new.expires_on == service.add_months(new.issued_on, 24)
    assert "Valid until" in pdf_text(service.pdf_bytes(new))
    assert "re-issued your certificate" in outbox[-1].body


def test_a_plain_reissue_never_extends_the_validity(client, login, staff, make_user):
    member = make_user(name="Name Changer")
    expiry = dt.date.today() + dt.timedelta(days=30)
    old = issue(member, staff, expiry)
    login(client, staff)

    client.post(f"/staff/certificates/{old.id}/reissue")

    db.session.refresh(old)
    new = db.session.get(type(old), old.superseded_by_id)
    assert new.expires_on == expiry
