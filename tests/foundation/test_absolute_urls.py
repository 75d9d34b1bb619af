"""One absolute-URL builder (academy.links): the public address plus the route's path,
the same in a request, in a job and from the CLI, whatever host the request came in on."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from werkzeug.routing import BuildError

from academy import create_app
from academy.links import absolute_url, base_url, path_for
from tests.conftest import base_config

ACADEMY = Path(__file__).parents[2] / "academy"


def test_built_from_the_configured_address_and_the_route(app):
    # The test app's address is http://academy.test (tests/conftest.py).
    assert absolute_url("verify.certificate", code="abc") == "http://academy.test/verify/abc"
    assert absolute_url("cohorts.join", key="k3y") == "http://academy.test/join/k3y"
    assert absolute_url("main.home") == "http://academy.test/"
    assert absolute_url("auth.confirm", token="a.b-c") == "http://academy.test/confirm/a.b-c"


def test_outside_any_request_as_a_job_or_the_cli_builds_it(app):
    from flask import has_request_context

    assert not has_request_context()
    assert absolute_url("verify.status_list", number=3) == "http://academy.test/verify/status/3"


def test_the_request_s_own_host_and_prefix_never_leak_in(app):
    # Behind the proxy the request may name an internal host, or a path the proxy adds.
    with app.test_request_context("/", base_url="http://10.0.0.7:8000/internal/"):
        assert absolute_url("verify.certificate", code="abc") == "http://academy.test/verify/abc"


@pytest.mark.parametrize(
    ("configured", "expected"),
    [
        ("https://academy.example.org/", "https://academy.example.org/verify/abc"),
        ("https://example.org/academy", "https://example.org/academy/verify/abc"),
        ("https://example.org/academy/", "https://example.org/academy/verify/abc"),
    ],
)
def test_a_trailing_slash_or_a_path_in_the_address(app, configured, expected):
    app.config["ACADEMY_BASE_URL"] = configured
    assert absolute_url("verify.certificate", code="abc") == expected
    assert base_url() == configured.rstrip("/")


def test_values_are_quoted_and_extra_ones_become_the_query_and_an_anchor_a_fragment(app):
    assert path_for("learn.course", course_slug="leading-campaigns", _anchor="certificate") == (
        "/courses/leading-campaigns#certificate"
    )
    # As url_for quotes them.
    assert path_for("cohorts.join", key="a b/c") == "/join/a%20b/c"
    assert path_for("staff.eligible", page=2) == "/staff/eligible?page=2"


def test_an_unknown_endpoint_is_an_error_not_a_broken_link(app):
    with pytest.raises(BuildError):
        absolute_url("verify.nowhere")


def test_the_real_default_is_the_address_make_run_serves(tmp_path, database, monkeypatch):
    """Without ACADEMY_BASE_URL and outside a request (a CLI command), links name
    http://127.0.0.1:5000 (academy/links.py); in a request they follow its host
    (tests/mail/test_links_and_jobs.py)."""
    monkeypatch.delenv("ACADEMY_BASE_URL", raising=False)
    config = base_config(tmp_path, database)
    del config["ACADEMY_BASE_URL"]
    app = create_app(config)
    with app.app_context():
        assert absolute_url("verify.certificate", code="abc") == "http://127.0.0.1:5000/verify/abc"


def test_the_address_is_read_in_one_place_and_no_path_is_written_out():
    """No other module reads ACADEMY_BASE_URL or glues a path onto the address."""
    readers = []
    glued = []
    for path in ACADEMY.rglob("*.py"):
        text = path.read_text()
        name = str(path.relative_to(ACADEMY))
        if "ACADEMY_BASE_URL" in text and name not in {"links.py", "config.py"}:
            readers.append(name)
        if re.search(r"base_url\(\)\s*\+\s*[\"']/\w", text) or "_external=True" in text:
            glued.append(name)
    templates = [
        str(path.relative_to(ACADEMY))
        for path in (ACADEMY / "templates").rglob("*.html")
        if "_external=True" in path.read_text()
    ]
    assert readers == []
    assert glued == []
    assert templates == []
