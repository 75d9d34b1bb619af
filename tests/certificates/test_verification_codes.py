"""Verification that reads right: codes easy to type (and old ones still working), a
public reason for a revocation, and no holder's name on a certificate no longer valid."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import pytest

from academy.extensions import db
from academy.models.certificates import RevocationCategory
from academy.services import certificates as service
from academy.services.academies import academy_by_slug
from academy.services.certificates.verification import (
    CODE_ALPHABET,
    CODE_LENGTH,
    new_code,
    normalise_code,
)

from .conftest import complete, course, pdf_text

GROUPED = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){6}$")


@pytest.fixture
def issued(app, staff, member):
    complete(member)
    certificate = service.issue(
        member, course("organising-basics"), actor=staff, academy=academy_by_slug("north-west")
    )
    code = certificate.code
    db.session.commit()
    return certificate, code


@pytest.fixture
def shows_name(client, login, member):
    """The holder has chosen to show their name on the verification page."""
    holder = client.application.test_client()
    login(holder, member)
    holder.post("/certificates/privacy", data={"show_name": "y"})
    db.session.refresh(member)
    assert member.show_name_on_verification
    return holder


def test_codes_are_grouped_without_look_alikes_and_carry_at_least_128_bits():
    assert CODE_LENGTH * 5 >= 128  # 32 symbols: 5 bits each
    assert len(CODE_ALPHABET) == 32
    assert not set(CODE_ALPHABET) & set("ILOU")
    codes = {new_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert GROUPED.match(code), code
    # Every symbol turns up: drawn from the whole alphabet, not a corner of it.
    assert set("".join(codes).replace("-", "")) == set(CODE_ALPHABET)


def test_what_people_type_is_read_as_the_code(client, issued):
    certificate, code = issued
    assert GROUPED.match(code)
    plain = code.replace("-", "")
    # A reader may see 0 as O and 1 as I or l; none of those is in a code.
    looks_alike = plain.replace("0", "O").replace("1", "l")
    for typed in (
        code,
        code.lower(),
        plain,
        " ".join(plain[i : i + 4] for i in range(0, len(plain), 4)).lower(),
        looks_alike,
        f"  {code}  ",
    ):
        assert normalise_code(typed) == plain, typed
        assert client.get(f"/verify/{typed}.json").get_json()["status"] == "valid", typed
        # The form sends whatever was typed on to the code as printed.
        response = client.get("/verify/", query_string={"code": typed})
        assert response.status_code == 302
        assert response.location.endswith(f"/verify/{code}"), typed
    # One symbol wrong is another code altogether.
    wrong = ("Z" if plain[0] != "Z" else "Y") + plain[1:]
    assert client.get(f"/verify/{wrong}.json").status_code == 404


def test_a_code_of_the_old_format_keeps_verifying_exactly_as_issued(client, issued):
    """Certificates issued before carry 32 case-sensitive URL-safe characters, stored as
    the sha256 of the text itself: they still verify, and only as printed."""
    certificate, _ = issued
    old = "Kq7-x_2ZbN9aPdE4fGh-Jk3LmN0pQr5S"  # token_urlsafe(24): 32 characters
    certificate.code_hash = hashlib.sha256(old.encode()).hexdigest()
    db.session.commit()
    assert client.get(f"/verify/{old}.json").get_json()["status"] == "valid"
    assert client.get(f"/verify/{old}").status_code == 200
    assert client.get("/verify/", query_string={"code": f" {old} "}).location.endswith(
        f"/verify/{old}"
    )
    assert client.get(f"/verify/{old.lower()}.json").status_code == 404
    assert client.get(f"/verify/{old.replace('-', '')}.json").status_code == 404


def test_the_pdf_prints_the_grouped_code_and_the_link_that_checks_it(app, issued):
    certificate, code = issued
    text = pdf_text(service.pdf_bytes(certificate))
    assert "Verification code" in text
    assert code in text
    assert f"/verify/{code}" in text.replace(" ", "")


def test_a_hidden_name_is_explained_as_hidden_unless_the_holder_chooses(client, issued):
    _, code = issued
    html = client.get(f"/verify/{code}").get_data(as_text=True)
    assert "names are hidden unless the holder chooses to show them" in html
    assert "has chosen" not in html


@pytest.mark.parametrize(
    ("category", "words"),
    [
        ("issued-in-error", "Issued in error"),
        ("superseded", "Superseded by a new certificate"),
        ("withdrawn", "Withdrawn by the academy"),
    ],
)
def test_a_revoked_certificate_gives_its_public_reason_and_never_the_name(
    client, login, member, staff, issued, shows_name, category, words
):
    certificate, code = issued
    service.revoke(
        certificate, actor=staff, reason="Her cohort was signed off by mistake.", category=category
    )
    db.session.commit()

    answer = client.get(f"/verify/{code}.json").get_json()
    html = client.get(f"/verify/{code}").get_data(as_text=True)

    assert answer["status"] == "revoked"
    assert answer["revoked_because"] == {"category": category, "text": words}
    assert "holder_name" not in answer
    assert f"<dt>Reason</dt><dd>{words}</dd>" in html
    for private in ("Siân", "Connell", "by mistake"):
        assert private not in html
        assert private not in str(answer)
    # The holder reads the staff member's own words on their certificates page.
    holder_page = shows_name.get("/certificates/").get_data(as_text=True)
    assert "Her cohort was signed off by mistake." in holder_page
    assert words.lower() in holder_page


def test_replaced_and_expired_certificates_never_name_the_holder(client, staff, issued, shows_name):
    certificate, code = issued
    assert client.get(f"/verify/{code}.json").get_json()["holder_name"]  # opted in: shown
    new = service.reissue(certificate, actor=staff)
    db.session.commit()
    replaced = client.get(f"/verify/{code}.json").get_json()
    assert replaced["status"] == "superseded"
    assert "holder_name" not in replaced
    assert "Siân" not in client.get(f"/verify/{code}").get_data(as_text=True)

    new.expires_on = dt.date.today() - dt.timedelta(days=1)
    db.session.commit()
    expired = client.get(f"/verify/{new.code}.json").get_json()
    assert expired["status"] == "expired"
    assert "holder_name" not in expired
    html = client.get(f"/verify/{new.code}").get_data(as_text=True)
    assert "Siân" not in html
    assert "never names the holder of a certificate that is no longer valid" in html


def test_staff_choose_the_public_reason_when_revoking(client, login, staff, issued):
    certificate, code = issued
    login(client, staff)
    url = f"/staff/certificates/{certificate.id}"
    page = client.get(url).get_data(as_text=True)
    for category in RevocationCategory:
        assert f'value="{category.value}"' in page
    # Without a category: a clear message and nothing changes.
    refused = client.post(f"{url}/revoke", data={"reason": "Wrong person"}, follow_redirects=True)
    assert "Choose the reason the verification page gives." in refused.get_data(as_text=True)
    db.session.refresh(certificate)
    assert certificate.status == "valid"
    bogus = client.post(f"{url}/revoke", data={"reason": "Wrong person", "category": "because"})
    assert bogus.status_code == 302
    db.session.refresh(certificate)
    assert certificate.status == "valid"

    client.post(f"{url}/revoke", data={"reason": "Wrong person", "category": "issued-in-error"})
    db.session.refresh(certificate)
    assert certificate.status == "revoked"
    assert certificate.revoked_category == "issued-in-error"
    assert certificate.revoked_reason == "Wrong person"
    assert "Issued in error" in client.get(url).get_data(as_text=True)


def test_revocations_from_before_categories_read_as_withdrawn(client, staff, issued):
    """The migration gives existing revocations 'withdrawn'; a row it missed reads the same."""
    certificate, code = issued
    service.revoke(certificate, actor=staff, reason="Old")
    certificate.revoked_category = None
    db.session.commit()
    answer = client.get(f"/verify/{code}.json").get_json()
    assert answer["revoked_because"]["text"] == "Withdrawn by the academy"
