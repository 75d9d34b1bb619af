"""Secrets in URLs never reach a log line: access lines, the app's log, the job log.

Each route that carries a secret (academy.access.SECRET_URL_ARGUMENTS) is checked
with a 32-character secret, shorter than the old 40-character rule caught,
through gunicorn's JSON access line and an app log line; then query strings,
a secret path inside ?next=, the e-mails written to the log, RQ's job lines, and
a guard that a new route with a secret-looking argument is declared.
"""

from __future__ import annotations

import io
import json
import logging
import sys
from types import SimpleNamespace

import pytest

from academy import redaction
from academy.access import SECRET_QUERY_PARAMETERS, SECRET_URL_ARGUMENTS
from academy.ops.gunicorn_logging import JsonLogger

SECRET = "Zq7xK2pW9mR4tY6uI1oP3aS5dF8gH0jL"  # 32 characters
assert len(SECRET) == 32


def _url(app, endpoint: str) -> str:
    (rule,) = [r for r in app.url_map.iter_rules() if r.endpoint == endpoint]
    values = {
        name: SECRET if name in SECRET_URL_ARGUMENTS[endpoint] else 1 for name in rule.arguments
    }
    return rule.build(values, append_unknown=False)[1]


def _access_line(path: str, query: str = "") -> dict:
    """The JSON line gunicorn's access log writes for a request, through its real logger."""
    logger = JsonLogger.__new__(JsonLogger)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger.access_log = logging.getLogger("gunicorn.access")
    logger.access_log.addHandler(handler)
    logger.access_log.setLevel(logging.INFO)
    logger.access_log.propagate = False
    logger.cfg = SimpleNamespace(accesslog="-")
    try:
        JsonLogger.access(
            logger,
            SimpleNamespace(status="200 OK", sent=10),
            None,
            {"REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": query},
            SimpleNamespace(total_seconds=lambda: 0.01),
        )
    finally:
        logger.access_log.removeHandler(handler)
    return json.loads(stream.getvalue())


@pytest.fixture
def app_log(app):
    """Lines the app's own log handler writes (its real formatter and filter)."""
    handler = logging.getLogger("academy").handlers[0]
    stream = io.StringIO()
    original = handler.setStream(stream)
    yield stream
    handler.setStream(original)


@pytest.mark.parametrize("endpoint", sorted(SECRET_URL_ARGUMENTS))
def test_each_secret_route_is_redacted_from_its_access_line(app, endpoint):
    path = _url(app, endpoint)
    assert SECRET in path
    line = _access_line(path)
    assert SECRET not in json.dumps(line)
    assert "[redacted]" in line["path"]


@pytest.mark.parametrize("endpoint", sorted(SECRET_URL_ARGUMENTS))
def test_each_secret_route_is_redacted_from_the_app_log(app, app_log, endpoint):
    url = "http://academy.test" + _url(app, endpoint)
    logging.getLogger("academy.somewhere").warning("Follow %s to carry on", url)
    written = app_log.getvalue()
    assert "Follow http://academy.test/" in written
    assert SECRET not in written
    assert "[redacted]" in written


def test_query_string_secrets_are_redacted(app):
    for name in sorted(SECRET_QUERY_PARAMETERS):
        line = _access_line("/anything", f"page=2&{name}={SECRET}&q=ok")
        assert line["path"] == f"/anything?page=2&{name}=[redacted]&q=ok"


def test_a_secret_route_given_as_next_is_redacted(app):
    # An anonymous visitor to an invitation link is sent to sign in with it in ?next=.
    line = _access_line("/login", f"next=%2Fjoin%2F{SECRET}")
    assert SECRET not in line["path"]
    assert line["path"].startswith("/login?next=%2Fjoin%2F")


def test_paths_without_secrets_are_left_alone(app):
    for path in ("/verify/", "/verify/issuer.json", "/verify/status/3", "/courses/organising"):
        assert redaction.redact(path) == path
    assert redaction.redact(f"/verify/{SECRET}.json") == "/verify/[redacted].json"


def test_an_unknown_long_segment_is_still_redacted(app):
    assert redaction.redact("/somewhere/" + "x" * 41) == "/somewhere/[redacted]"


def test_e_mails_written_to_the_log_carry_no_working_link(app, app_log, tmp_path, database):
    """The real default without MAIL_SERVER: e-mails go to the log."""
    from academy import create_app
    from academy.mail import send_email
    from tests.conftest import base_config

    config = base_config(tmp_path, database, ACADEMY_CHECK_CURRICULUM=False)
    config.pop("MAIL_BACKEND")
    link = "http://academy.test" + _url(app, "auth.reset")
    with create_app(config).app_context():
        send_email("someone@example.org", "Reset your password", f"Follow {link} within an hour.")
    written = app_log.getvalue()
    assert "Reset your password" in written
    assert SECRET not in written
    # In development the whole message is kept in the instance folder instead.
    (saved,) = (tmp_path / "instance" / "outbox").iterdir()
    assert SECRET in saved.read_text()


def test_the_job_log_is_redacted(app):
    """RQ's worker logs each job with its arguments (an e-mail's body, with its link)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    worker_log = logging.getLogger("rq.worker")
    worker_log.addHandler(handler)
    level = worker_log.level
    worker_log.setLevel(logging.INFO)
    try:
        body = "Follow http://academy.test" + _url(app, "cohorts.join") + " to join"
        worker_log.info("academy: academy.jobs.run_job('academy.mail.send_email', (%r,))", body)
    finally:
        worker_log.removeHandler(handler)
        worker_log.setLevel(level)
    assert "academy.mail.send_email" in stream.getvalue()
    assert SECRET not in stream.getvalue()


def test_a_traceback_is_redacted_too(app, app_log):
    try:
        raise ValueError(f"bad link /confirm/{SECRET}")
    except ValueError:
        logging.getLogger("academy.errors").exception("unhandled error")
    assert "bad link /confirm/[redacted]" in app_log.getvalue()
    assert SECRET not in app_log.getvalue()


def test_every_route_with_a_secret_looking_argument_is_declared(app):
    looks_secret = {"token", "key", "code", "secret"}
    undeclared = [
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if looks_secret & set(rule.arguments) and rule.endpoint not in SECRET_URL_ARGUMENTS
    ]
    assert undeclared == [], "declare them in academy.access.SECRET_URL_ARGUMENTS"


def test_a_json_log_line_with_a_traceback_is_redacted(app):
    """Production's formatter (also gunicorn's error log) with the filter in front of it."""
    from academy.logging_setup import JsonFormatter

    try:
        raise ValueError(f"bad link /reset-password/{SECRET}")
    except ValueError:
        record = logging.getLogger("academy.errors").makeRecord(
            "academy.errors", logging.ERROR, __file__, 1, "unhandled error", (), sys.exc_info()
        )
    redaction.RedactingFilter().filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert "/reset-password/[redacted]" in line["exception"]
    assert SECRET not in json.dumps(line)
