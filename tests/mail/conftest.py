"""Mail fixtures: a real SMTP server on loopback (aiosmtpd), a port where nothing
listens, and the app as `make run` builds it (no mail backend, base URL or inline
jobs replaced)."""

from __future__ import annotations

import email
import email.policy
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from flask import Flask

from academy import create_app
from academy.extensions import db
from tests.cohorts.conftest import cohort, course, make_cohort, trainer  # noqa: F401
from tests.conftest import (
    SECRET,
    TEST_CURRICULUM,
    BrowserLikeClient,
    make_database,
    migrate_and_seed,
)


def free_port() -> int:
    """A loopback port nothing listens on (bound, read, released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Recorder:
    """An SMTP handler that keeps each message; refuses the first `refuse` recipients
    (or all of them, with refuse=-1) with 550, as a server that rejects an address does."""

    def __init__(self, refuse: int = 0):
        self.refuse = refuse
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: ARG002, N802
        if self.refuse:
            self.refuse -= 1 if self.refuse > 0 else 0
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: ARG002, N802
        self.envelopes.append(envelope)
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server() -> Iterator[tuple[Recorder, int, Controller]]:
    """A real SMTP server on 127.0.0.1 (a free port) that accepts everything; a test
    may stop it (`controller.stop()`) to have a server that is down."""
    recorder = Recorder()
    port = free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield recorder, port, controller
    finally:
        if controller._thread is not None:  # not stopped by the test
            controller.stop()


def smtp_config(app_config: dict, port: int) -> dict:
    """The test app's settings, with SMTP to 127.0.0.1:`port` as production would have it
    (MAIL_BACKEND left for academy.config to choose)."""
    config = {**app_config, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port}
    config["MAIL_USE_TLS"] = False
    config.pop("MAIL_BACKEND")
    return config


# The app as `make run` builds it -------------------------------------------------------


def make_run_config(tmp: Path, database) -> dict:
    """What `make run` has: no MAIL_SERVER, no ACADEMY_BASE_URL, no Redis (jobs in a
    thread), the default mail backend. Only the places (database, instance folder,
    curriculum) and the key are the test's own."""
    return {
        "INSTANCE_PATH": str(tmp / "instance"),
        "SECRET_KEY": SECRET,
        "ACADEMY_CURRICULUM_DIR": str(TEST_CURRICULUM),
        **database.config,
    }


@pytest.fixture(scope="module")
def make_run_app(tmp_path_factory) -> Iterator[Flask]:
    """The app on the `make run` configuration, on its own committed database."""
    for name in ("MAIL_SERVER", "ACADEMY_BASE_URL", "REDIS_URL", "ACADEMY_ENV"):
        if os.environ.get(name):
            pytest.fail(f"{name} is set in the environment: the test needs make run's defaults")
    database = make_database(tmp_path_factory)
    app = create_app(make_run_config(tmp_path_factory.mktemp("make-run"), database))
    migrate_and_seed(app)
    app.test_client_class = BrowserLikeClient
    yield app
    with app.app_context():
        db.engine.dispose()
    database.drop()


def outbox_files(app: Flask) -> list[Path]:
    folder = Path(app.instance_path) / "outbox"
    return sorted(folder.glob("*.eml")) if folder.exists() else []


def wait_for_mail(
    app: Flask, before: int, *, to: str, subject: str | None = None
) -> email.message.EmailMessage:
    """The first .eml written after the first `before` files, addressed to `to` (with
    `subject`, if given: another job's message may land in between). Jobs run
    in a thread on this configuration, so it is waited for (up to a minute on a busy
    machine: this waits, it does not time anything)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for path in outbox_files(app)[before:]:
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            if message["To"] == to and subject in (None, message["Subject"]):
                return message
        time.sleep(0.1)
    raise AssertionError(f"no e-mail to {to} in {Path(app.instance_path) / 'outbox'}")


def parts(message: email.message.EmailMessage) -> tuple[str, str]:
    """The plain-text and HTML bodies of a message."""
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html
