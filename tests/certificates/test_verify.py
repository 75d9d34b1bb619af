"""The public verification page and JSON, the holder's privacy choice, and who
may download a certificate's PDF."""

from __future__ import annotations

import datetime as dt
import secrets

import pytest

from academy.extensions import db
from academy.formatting import long_date
from academy.services import certificates as service
from academy.services.academies import academy_by_slug

from .conftest import complete, course

LIMIT = 12  # low enough to reach in a test, high enough for every other test here


@pytest.fixture
def app_config(app_config):
    return {**app_config, "VERIFY_RATE_LIMIT": f"{LIMIT} per minute"}


@pytest.fixture
def issued(app, staff, member):
    """A valid certificate of `member` for Organising basics, with its plain code."""
    complete(member)
    certificate = service.issue(
        member, course("organising-basics"), actor=staff, academy=academy_by_slug("north-west")
    )
    code = certificate.code
    db.session.commit()
    return certificate, code


def test_a_valid_certificate_shows_course_date_and_status_but_not_the_name(client, issued):
    certificate, code = issued

    page = client.get(f"/verify/{code}")
    answer = client.get(f"/verify/{code}.json")

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Valid." in html
    assert "Organising basics" in html
    assert certificate.issued_on.strftime("%B %Y").split()[0] in html
    assert "O&#39;Connell" not in html
    assert "Siân" not in html
    assert answer.get_json() == {
        "status": "valid",
        "course": {"title": "Organising basics", "level": "foundation", "credit_hours": 4.0},
        "issued_on": certificate.issued_on.isoformat(),
        "expires_on": None,
    }
    # Nothing else about the holder or who issued it.
    for secret in (certificate.number, "Maria", "north", "North West"):
        assert secret not in answer.get_data(as_text=True)


def test_the_name_shows_only_when_the_holder_opts_in(client, login, member, issued):
    _, code = issued
    login(client, member)

    client.post("/certificates/privacy", data={"show_name": "y"})

    assert client.get(f"/verify/{code}.json").get_json()["holder_name"] == (
        "Siân O'Connell-Adebayo"
    )
    assert "Siân O&#39;Connell-Adebayo" in client.get(f"/verify/{code}").get_data(as_text=True)

    client.post("/certificates/privacy", data={})
    assert "holder_name" not in client.get(f"/verify/{code}.json").get_json()


@pytest.mark.parametrize(
    "guess",
    [
        "forged",
        "A" * 32,
        "x" * 500,
        "..%2F..%2Fetc%2Fpasswd",
        "' OR 1=1 --",
    ],
)
def test_a_forged_or_guessed_code_is_not_found_exactly_like_a_random_one(client, issued, guess):
    _, code = issued
    never_issued = secrets.token_urlsafe(24)
    # A real code with one character changed is no nearer to anything.
    near_miss = code[:-1] + ("A" if code[-1] != "A" else "B")

    reference = client.get(f"/verify/{never_issued}")
    assert reference.status_code == 404
    for attempt in (guess, near_miss):
        response = client.get(f"/verify/{attempt}")
        assert response.status_code == 404
        assert response.get_data() == reference.get_data()
        as_json = client.get(f"/verify/{attempt}.json")
        assert as_json.status_code == 404
        assert as_json.get_json() == {"status": "not_found"}
    assert "not found" in reference.get_data(as_text=True)


def test_expired_after_the_expiry_date(client, issued):
    certificate, code = issued
    certificate.expires_on = dt.date.today() - dt.timedelta(days=1)
    db.session.commit()

    answer = client.get(f"/verify/{code}.json").get_json()

    assert answer["status"] == "expired"
    assert answer["expires_on"] == certificate.expires_on.isoformat()
    assert "Expired." in client.get(f"/verify/{code}").get_data(as_text=True)


def test_a_revoked_certificate_shows_revoked(client, issued, staff):
    certificate, code = issued
    service.revoke(certificate, actor=staff, reason="Issued to the wrong member.")
    db.session.commit()

    answer = client.get(f"/verify/{code}.json").get_json()
    html = client.get(f"/verify/{code}").get_data(as_text=True)

    assert answer["status"] == "revoked"
    assert answer["revoked_on"] == certificate.revoked_at.date().isoformat()
    assert "Revoked." in html
    assert "wrong member" not in html  # the reason is for the holder and staff only


def test_verification_is_never_indexed_or_cached(client, issued):
    _, code = issued
    for url in (f"/verify/{code}", f"/verify/{code}.json", "/verify/nothing", "/verify/"):
        response = client.get(url)
        assert response.headers["X-Robots-Tag"].startswith("noindex"), url
        assert response.headers["Cache-Control"] == "no-store", url
    assert '<meta name="robots" content="noindex">' in client.get(f"/verify/{code}").get_data(
        as_text=True
    )


def test_the_form_takes_a_code_or_a_whole_link(client, issued):
    _, code = issued
    assert client.get(f"/verify/?code={code}").location.endswith(f"/verify/{code}")
    pasted = f"  http://academy.test/verify/{code}  "
    assert client.get("/verify/", query_string={"code": pasted}).location.endswith(
        f"/verify/{code}"
    )
    assert client.get("/verify/").status_code == 200


def test_verification_is_rate_limited(client, issued):
    _, code = issued
    guesses = [secrets.token_urlsafe(24) for _ in range(LIMIT)]
    statuses = [client.get(f"/verify/{guess}").status_code for guess in guesses]
    assert statuses == [404] * LIMIT
    # The limit is shared by the page and the JSON: guessing through either stops.
    assert client.get(f"/verify/{code}.json").status_code == 429
    assert client.get(f"/verify/{code}").status_code == 429


def test_a_replaced_certificate_says_so_and_when(client, issued, staff):
    certificate, code = issued
    new = service.reissue(certificate, actor=staff)
    db.session.commit()

    answer = client.get(f"/verify/{code}.json").get_json()
    html = client.get(f"/verify/{code}").get_data(as_text=True)

    assert answer["status"] == "superseded"
    assert answer["superseded_on"] == certificate.superseded_at.date().isoformat()
    assert "Replaced." in html
    assert client.get(f"/verify/{new.code}.json").get_json()["status"] == "valid"


def test_page_and_json_tell_the_same_facts(client, login, member, issued):
    certificate, code = issued
    certificate.expires_on = dt.date(2031, 3, 9)
    db.session.commit()
    login(client, member)
    client.post("/certificates/privacy", data={"show_name": "y"})

    answer = client.get(f"/verify/{code}.json").get_json()
    html = client.get(f"/verify/{code}").get_data(as_text=True)

    assert answer == {
        "status": "valid",
        "course": {"title": "Organising basics", "level": "foundation", "credit_hours": 4.0},
        "issued_on": certificate.issued_on.isoformat(),
        "expires_on": "2031-03-09",
        "holder_name": "Siân O'Connell-Adebayo",
    }
    for fact in (
        "Valid.",
        "Siân O&#39;Connell-Adebayo",
        "Organising basics",
        "Foundation, 4 credit hours",
        f"<dt>Issued</dt><dd>{long_date(certificate.issued_on)}</dd>",
        "<dt>Valid until</dt><dd>9 March 2031</dd>",
    ):
        assert fact in html, fact


def test_verification_is_one_query(client, issued, count_queries):
    _, code = issued
    for url in (f"/verify/{code}", f"/verify/{code}.json", "/verify/never-issued"):
        with count_queries() as queries:
            assert client.get(url).status_code in (200, 404)
        assert len(queries) == 1, url
        assert "code_hash" in queries[0]


def test_each_answer_costs_the_limit_one_storage_call(client, issued, monkeypatch):
    """The request is counted on the way in (a hit: one increment in the storage);
    the answer does not read the window back for X-RateLimit-* headers (a count and
    an expiry: two more round trips to Redis). A refusal does."""
    from academy.extensions import limiter

    _, code = issued
    strategy = limiter.limiter
    calls = []
    for name in ("hit", "test", "get_window_stats"):
        method = getattr(strategy, name)

        def counted(*args, _name=name, _method=method, **kwargs):
            calls.append(_name)
            return _method(*args, **kwargs)

        monkeypatch.setattr(strategy, name, counted)

    for url in (f"/verify/{code}", f"/verify/{code}.json", "/verify/never-issued"):
        calls.clear()
        response = client.get(url)
        assert calls == ["hit"], url
        assert not [h for h in response.headers.keys() if h.startswith("X-RateLimit")], url

    for _ in range(LIMIT):
        client.get(f"/verify/{code}.json")
    refused = client.get(f"/verify/{code}")
    assert refused.status_code == 429
    assert refused.headers["X-RateLimit-Limit"] == str(LIMIT)
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    assert int(refused.headers["Retry-After"]) > 0


# Downloads -------------------------------------------------------------------------------


def test_the_holder_downloads_exactly_the_stored_pdf(client, login, member, issued):
    certificate, _ = issued
    login(client, member)

    response = client.get(f"/certificates/{certificate.id}/pdf")

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == (
        f"attachment; filename={certificate.number}.pdf"
    )
    assert response.get_data() == service.pdf_bytes(certificate)
    listed = client.get("/certificates/").get_data(as_text=True)
    assert certificate.number in listed
    assert f"/certificates/{certificate.id}/pdf" in listed


def test_a_member_cannot_download_another_members_pdf(client, login, make_user, issued):
    certificate, _ = issued
    login(client, make_user(name="Someone Else"))

    assert client.get(f"/certificates/{certificate.id}/pdf").status_code == 404
    assert client.get("/certificates/999999/pdf").status_code == 404
    assert certificate.number not in client.get("/certificates/").get_data(as_text=True)


def test_staff_download_in_their_academy_only(client, login, make_user, staff, issued):
    certificate, _ = issued
    login(client, staff)
    assert client.get(f"/certificates/{certificate.id}/pdf").status_code == 200

    login(client, make_user(roles=("staff",), academy="london"))
    assert client.get(f"/certificates/{certificate.id}/pdf").status_code == 404
    login(client, make_user(roles=("trainer",)))
    assert client.get(f"/certificates/{certificate.id}/pdf").status_code == 404


def test_nobody_signed_out_downloads(client, issued):
    certificate, _ = issued
    response = client.get(f"/certificates/{certificate.id}/pdf")
    assert response.status_code == 302
    assert "/login" in response.location
