"""Deployment settings inside the app: the benchmark page only when asked, trusted proxies."""

from __future__ import annotations

import pytest
from flask import request

from academy.access import access_rule_of
from academy.ops.gunicorn_logging import redact_path


def test_the_bare_benchmark_page_is_absent_in_a_normal_run(client):
    assert client.get("/_bench/bare").status_code == 404


@pytest.fixture
def bench_app(app_config):
    from academy import create_app

    return create_app({**app_config, "ACADEMY_BENCH": "1"})


def test_the_bare_benchmark_page_is_served_when_benchmarking(bench_app):
    answer = bench_app.test_client().get("/_bench/bare")
    assert answer.status_code == 200
    assert b"Hello." in answer.data
    # Like every page, it says who may see it.
    assert access_rule_of(bench_app.view_functions["bench.bare"]) == "public"


def test_the_signed_in_benchmark_page_asks_for_a_sign_in_and_shows_the_layout(
    bench_app, make_user, login
):
    client = bench_app.test_client()
    assert client.get("/_bench/signed-in").status_code == 302
    with bench_app.app_context():
        member = make_user(name="Bench Member")
        login(client, member)
        answer = client.get("/_bench/signed-in")
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    # The shared layout with the sign-out form: what every member's page pays for.
    assert "Signed in." in page
    assert 'action="/logout"' in page
    assert 'name="csrf_token"' in page
    assert access_rule_of(bench_app.view_functions["bench.signed_in_page"]) == "signed-in"


def test_forwarded_addresses_are_trusted_only_from_the_configured_proxies(app_config):
    from academy import create_app

    seen = {}

    for proxies, expected in (("0", "10.0.0.9"), ("1", "203.0.113.7")):
        app = create_app({**app_config, "ACADEMY_PROXIES": proxies, "ACADEMY_BENCH": "1"})

        @app.before_request
        def remember():
            seen["addr"] = request.remote_addr
            seen["scheme"] = request.scheme

        app.test_client().get(
            "/_bench/bare",
            headers={"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"},
            environ_base={"REMOTE_ADDR": "10.0.0.9"},
        )
        assert seen["addr"] == expected
        assert seen["scheme"] == ("https" if proxies == "1" else "http")


def test_signed_links_are_redacted_from_access_logs(app):
    token = "eyJ1IjoxfQ.Z0x9aQ.abcdefghijklmnopqrstuvwxyz0123456789ABCD"
    assert redact_path(f"/confirm/{token}") == "/confirm/[redacted]"
    # Verification codes are secrets too, whatever their length (tests/foundation/
    # test_redaction.py has every route); a path with nothing secret is left alone.
    assert redact_path("/verify/7QK2-M9XD-4HTR-PW3B") == "/verify/[redacted]"
    assert redact_path("/courses/organising/lessons/why-listen") == (
        "/courses/organising/lessons/why-listen"
    )


def test_the_worker_needs_redis(app):
    app.config["REDIS_URL"] = None
    result = app.test_cli_runner().invoke(args=["academy", "worker", "--burst"])
    assert result.exit_code != 0
    assert "REDIS_URL is not set" in result.output


def test_benchmark_data_is_never_seeded_in_production(app):
    app.config["ACADEMY_ENV"] = "production"
    result = app.test_cli_runner().invoke(args=["academy", "seed-bench", "--members", "1000"])
    assert result.exit_code != 0
    assert "never seeded in production" in result.output
