"""E-mail on the configuration `make run` uses, with nothing replaced: no MAIL_SERVER,
no mail backend chosen by the test, no ACADEMY_BASE_URL, jobs in a background thread.

Issue 17: registering said "we have sent a message" while the default backend could
not be loaded, and the suite never noticed because every test replaced the backend.
"""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path

import sqlalchemy as sa

from academy.extensions import db
from academy.mail import LogEmailBackend
from academy.models import User
from tests.conftest import PASSWORD

from .conftest import outbox_files, parts, wait_for_mail

NEW_PASSWORD = "a different horse battery staple"


def _address() -> str:
    return f"newcomer-{uuid.uuid4().hex[:8]}@example.org"


def test_the_default_backend_is_the_outbox_and_flask_mailman_loads_it(make_run_app):
    assert make_run_app.config["MAIL_BACKEND"] == "academy.mail.LogEmailBackend"
    with make_run_app.app_context():
        connection = make_run_app.extensions["mailman"].get_connection()
    assert isinstance(connection, LogEmailBackend)


def test_registering_puts_the_confirmation_in_the_outbox_and_on_the_console(make_run_app, capfd):
    """README: without MAIL_SERVER, in development, each e-mail is printed to the console
    and kept as an .eml file in instance/outbox/, with its link whole."""
    client = make_run_app.test_client()
    address = _address()
    before = len(outbox_files(make_run_app))
    answer = client.post(
        "/register",
        data={
            "display_name": "Nia Newcomer",
            "email": address,
            "password": PASSWORD,
            "consent": "y",
        },
    )
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith("/register/check-your-email")

    message = wait_for_mail(make_run_app, before, to=address)
    assert message["Subject"] == "Confirm your Organising Academy account"
    text, html = parts(message)
    # The link names the host and port the request was served on (no ACADEMY_BASE_URL).
    link = re.search(r"http://localhost/confirm/\S+", text).group(0)
    assert f'href="{link}"' in html
    printed = capfd.readouterr().out
    assert link in printed  # whole, so it can be clicked in the terminal

    # The link works: its page, then its button, confirms the account.
    path = link.removeprefix("http://localhost")
    assert b"Confirm" in client.get(path).data
    assert client.post(path).status_code == 200
    with make_run_app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == address))
        assert user.confirmed_at is not None


def test_password_reset_works_with_the_shipped_backend(make_run_app):
    client = make_run_app.test_client()
    address = _address()
    client.post(
        "/register",
        data={"display_name": "Rae Reset", "email": address, "password": PASSWORD, "consent": "y"},
    )
    with make_run_app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == address))
        user.confirmed_at = user.created_at
        db.session.commit()
    before = len(outbox_files(make_run_app))
    assert client.post("/forgot-password", data={"email": address}).status_code == 200

    message = wait_for_mail(
        make_run_app, before, to=address, subject="Reset your Organising Academy password"
    )
    text, html = parts(message)
    link = re.search(r"http://localhost(/reset-password/\S+)", text).group(1)
    assert link in html
    answer = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert answer.status_code == 302
    signed_in = client.post("/login", data={"email": address, "password": NEW_PASSWORD})
    assert signed_in.status_code == 302
    assert "/login" not in signed_in.headers["Location"]


def test_links_follow_the_port_actually_served(make_run_app):
    """`make run PORT=8123`: the e-mailed link must point at 8123, not 5000."""
    client = make_run_app.test_client()
    address = _address()
    before = len(outbox_files(make_run_app))
    served = "http://127.0.0.1:8123"
    form = client.get("/register", base_url=served).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    answer = client.post(
        "/register",
        data={
            "display_name": "Pat Port",
            "email": address,
            "password": PASSWORD,
            "consent": "y",
            "csrf_token": token,
        },
        base_url=served,
        csrf=False,  # the form's own token, with the cookie of the host it came from
    )
    assert answer.status_code == 302
    text, _ = parts(wait_for_mail(make_run_app, before, to=address))
    assert "http://127.0.0.1:8123/confirm/" in text
    assert ":5000" not in text


def test_a_command_that_exits_at_once_still_delivers_what_it_queued(tmp_path):
    """Without Redis a CLI command's e-mails go in threads; the process waits for them
    at exit instead of cutting them off (`flask academy certificates remind`)."""
    import subprocess
    import sys

    script = (
        "from academy import create_app\n"
        "from academy.mail import send_template\n"
        f"app = create_app({{'INSTANCE_PATH': {str(tmp_path)!r}, 'SECRET_KEY': 'x'}})\n"
        "with app.app_context():\n"
        "    send_template('cli@example.org', 'account_exists')\n"
        "    from academy import jobs\n"
        f"    jobs.enqueue('{__name__}.slow_job', {str(tmp_path / 'slow-done')!r})\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("MAIL_SERVER", "REDIS_URL")}
    done = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        cwd=Path(__file__).parents[2],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    (kept,) = (tmp_path / "outbox").glob("*.eml")
    assert "To: cli@example.org" in kept.read_text()
    assert "http://127.0.0.1:5000/login" in done.stdout  # printed, with the default address
    assert (tmp_path / "slow-done").exists()  # a job still working when the command ended


def slow_job(marker: str) -> None:
    """A job that is still running when the command that queued it has finished."""
    import time

    time.sleep(2)
    Path(marker).touch()
