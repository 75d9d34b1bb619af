"""Revoked means revoked (issue 18): the public page and JSON of a certificate that
is revoked, replaced, expired or erased never show the holder's name or anything
else about them, even when the holder chose to show their name."""

from __future__ import annotations

import datetime as dt
from html import unescape

import pytest

from academy.extensions import db
from academy.services import certificates as service
from academy.services.academies import academy_by_slug

from .conftest import complete, course

NAME = "Siân O'Connell-Adebayo"
PUBLIC_KEYS = {"status", "course", "issued_on", "expires_on", "revoked_on", "superseded_on"}


@pytest.fixture
def opted_in(app, client, login, staff, member):
    """A valid certificate whose holder chose to show their name; its plain code."""
    complete(member)
    certificate = service.issue(
        member, course("organising-basics"), actor=staff, academy=academy_by_slug("north-west")
    )
    code = certificate.code
    db.session.commit()
    login(client, member)
    client.post("/certificates/privacy", data={"show_name": "y"})
    client.post("/logout", data={})
    assert client.get(f"/verify/{code}.json").get_json()["holder_name"] == NAME
    return certificate, code


def _no_longer_valid(how: str, certificate, staff, member) -> None:
    if how == "revoked":
        service.revoke(certificate, actor=staff, reason="Issued in error.")
    elif how == "superseded":
        service.reissue(certificate, actor=staff)
    elif how == "expired":
        certificate.expires_on = dt.date.today() - dt.timedelta(days=1)
    elif how == "erased":
        from academy.services.privacy import erase_account

        erase_account(member)
    db.session.commit()


@pytest.mark.parametrize("how", ["revoked", "superseded", "expired", "erased"])
def test_no_personal_data_once_it_is_no_longer_valid(client, opted_in, staff, member, how):
    certificate, code = opted_in
    email = member.email
    _no_longer_valid(how, certificate, staff, member)

    answer = client.get(f"/verify/{code}.json")
    page = unescape(client.get(f"/verify/{code}").get_data(as_text=True))

    for text in (answer.get_data(as_text=True), page):
        assert NAME not in text
        assert "O'Connell" not in text
        assert email not in text
    if how == "erased":
        assert (answer.status_code, answer.get_json()) == (404, {"status": "not_found"})
        return
    assert answer.get_json()["status"] == how
    assert set(answer.get_json()) <= PUBLIC_KEYS
    # Nor does the page say the holder hid their name: it is withheld because of the status.
    assert "chosen not to show their name" not in page
