"""E-mail and background jobs leave only once the transaction that caused them commits,
through one mechanism (academy.database.when_committed, used by academy.jobs.enqueue),
and views commit through one unit of work instead of hand-written pairs."""

from __future__ import annotations

import ast
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select

from academy import jobs, mail
from academy.database import unit_of_work
from academy.extensions import db
from academy.models import User
from academy.services import ServiceError, accounts
from academy.services.cohorts import send_later
from tests.conftest import base_config

ACADEMY = Path(__file__).resolve().parents[2] / "academy"
# Modules that end transactions without being an action's unit of work.
NOT_UNITS_OF_WORK = {
    "database.py": "where unit_of_work lives",
    "errors.py": "an error handler drops what the failed request began",
    "ops/health.py": "the health check drops a failed ping",
    "ops/sweep.py": "a background sweep drops what failed",
}

NEW_MEMBER = {
    "display_name": "Ada Organiser",
    "email": "ada@example.org",
    "password": "a long and unusual passphrase",
    "consent": "y",
}


def send_email(to: str, subject: str, body: str) -> None:
    """Queue one message as the app does (academy.mail.send, which goes through enqueue)."""
    mail.send(mail.Email(to, "test", subject, body, f"<p>{body}</p>"))


def _one(to: str, subject: str, body: str) -> mail.Email:
    return mail.Email(to, "test", subject, body, f"<p>{body}</p>")


def _accounts_called(email: str) -> int:
    return db.session.scalar(select(func.count(User.id)).where(User.email == email))


@pytest.fixture
def registration_fails_after_the_mail(monkeypatch):
    """Registration writes the account and queues its e-mail, then something fails."""
    real = accounts.register

    def register_then_fail(*args, **kwargs):
        real(*args, **kwargs)
        raise ServiceError("Something went wrong after the e-mail was queued.")

    monkeypatch.setattr(accounts, "register", register_then_fail)


# Through the web, with the tests' mail capture -------------------------------------------


def test_a_rolled_back_registration_e_mails_no_one(
    client, outbox, registration_fails_after_the_mail
):
    response = client.post("/register", data=NEW_MEMBER)
    assert response.status_code == 200
    assert "Something went wrong after the e-mail was queued." in response.get_data(as_text=True)
    assert outbox == []
    assert _accounts_called(NEW_MEMBER["email"]) == 0


def test_a_committed_registration_e_mails_exactly_once(client, outbox):
    response = client.post("/register", data=NEW_MEMBER)
    assert response.status_code == 302
    (message,) = outbox
    assert message.to == [NEW_MEMBER["email"]]
    assert _accounts_called(NEW_MEMBER["email"]) == 1
    client.get("/")  # later requests, and their transactions, send nothing more
    assert len(outbox) == 1


# The shipped default: the log backend writing instance/outbox/, jobs in a thread ----------


class TestShippedDefault:
    @pytest.fixture
    def app_config(self, tmp_path, database):
        config = base_config(tmp_path, database)
        del config["MAIL_BACKEND"], config["ACADEMY_JOBS_INLINE"]
        return config

    @staticmethod
    def _written(app) -> list[Path]:
        # The job runs in a thread of its own (no REDIS_URL): wait for it.
        for thread in threading.enumerate():
            if thread.name.startswith("job:"):
                thread.join()
        outbox = Path(app.instance_path) / "outbox"
        return sorted(outbox.iterdir()) if outbox.exists() else []

    def test_it_is_the_default(self, app):
        assert app.config["MAIL_BACKEND"] == "academy.mail.LogEmailBackend"
        assert not app.config.get("ACADEMY_JOBS_INLINE")
        assert not app.config.get("REDIS_URL")

    def test_a_rolled_back_registration_writes_no_message(
        self, app, client, registration_fails_after_the_mail
    ):
        response = client.post("/register", data=NEW_MEMBER)
        assert response.status_code == 200
        assert self._written(app) == []

    def test_a_committed_registration_writes_one_message(self, app, client):
        response = client.post("/register", data=NEW_MEMBER)
        assert response.status_code == 302
        (written,) = self._written(app)
        assert f"To: {NEW_MEMBER['email']}" in written.read_text()


# The mechanism itself --------------------------------------------------------------------


def _a_write(email: str = "someone@example.org") -> None:
    accounts.create_user(email, "Someone", "a long and unusual passphrase")


def _fails_after(work, block=unit_of_work) -> None:
    """Do `work()` in `block()`, then fail."""
    with block():
        work()
        raise ServiceError("no")


def test_a_unit_of_work_that_raises_sends_nothing_and_keeps_nothing(app, outbox):
    def work():
        _a_write()
        send_email("someone@example.org", "Hello", "Hello")
        send_later([_one("other@example.org", "Hello", "Hello")])

    with pytest.raises(ServiceError):
        _fails_after(work)
    assert outbox == []
    assert _accounts_called("someone@example.org") == 0
    db.session.commit()  # a later commit does not bring the dropped work back
    assert outbox == []


def test_a_unit_of_work_sends_on_commit_not_before(app, outbox):
    with unit_of_work():
        send_email("someone@example.org", "Hello", "Hello")
        send_later([_one("a@example.org", "Hi", "Hi"), _one("b@example.org", "Hi", "Hi")])
        assert outbox == []  # queued even before anything was written: the unit decides
        _a_write()
        assert outbox == []
    assert sorted(m.to[0] for m in outbox) == [
        "a@example.org",
        "b@example.org",
        "someone@example.org",
    ]


def test_a_plain_commit_and_rollback_go_through_the_same_hook(app, outbox):
    _a_write()
    send_email("someone@example.org", "Kept", "Kept")
    db.session.rollback()
    assert outbox == []
    _a_write()
    send_email("someone@example.org", "Sent", "Sent")
    assert outbox == []
    db.session.commit()
    assert [m.subject for m in outbox] == ["Sent"]


def test_with_nothing_to_commit_it_runs_at_once(app, outbox):
    db.session.commit()
    send_email("someone@example.org", "No transaction", "x")
    assert len(outbox) == 1
    db.session.scalar(select(func.count(User.id)))  # a transaction that only reads
    assert db.session().in_transaction()
    send_email("someone@example.org", "Read only", "x")
    assert [m.subject for m in outbox] == ["No transaction", "Read only"]


def test_work_queued_in_a_rolled_back_savepoint_is_dropped(app, outbox):
    with unit_of_work():
        send_email("someone@example.org", "Outside", "x")
        with pytest.raises(ServiceError):
            _fails_after(
                lambda: send_email("someone@example.org", "Inside", "x"),
                block=db.session.begin_nested,
            )
        with db.session.begin_nested():
            send_email("someone@example.org", "Released", "x")
        assert outbox == []
    assert [m.subject for m in outbox] == ["Outside", "Released"]


def test_a_unit_inside_another_joins_it(app, outbox):
    def inner_unit():
        with unit_of_work():
            _a_write()
            send_email("someone@example.org", "Inner", "x")
        assert outbox == []  # the inner block did not commit

    with pytest.raises(ServiceError):
        _fails_after(inner_unit)
    assert outbox == []
    assert _accounts_called("someone@example.org") == 0


SEEN: list[int] = []


def count_accounts(email: str) -> None:
    """A job that reads the database."""
    SEEN.append(_accounts_called(email))


def test_a_job_run_at_once_after_the_commit_may_use_the_database(app):
    SEEN.clear()
    with unit_of_work():
        _a_write()
        jobs.enqueue(f"{__name__}.count_accounts", "someone@example.org")
        assert SEEN == []
    assert SEEN == [1]


# No view writes its own commit or rollback ------------------------------------------------


def _hand_written_commits(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in {"commit", "rollback"}
            and ast.unparse(node.func.value).removesuffix("()").endswith("session")
        ):
            found.append(f"{node.lineno}: {ast.unparse(node)}")
    return found


def test_the_guard_sees_a_hand_written_pair():
    source = "def view():\n    db.session.commit()\n    session.rollback()\n    raw.rollback()\n"
    assert _hand_written_commits(source) == ["2: db.session.commit()", "3: session.rollback()"]


def test_views_and_commands_commit_through_the_unit_of_work():
    """Only services may commit themselves (batches: see services/certificates/batches.py)."""
    offenders = {}
    for path in sorted(ACADEMY.rglob("*.py")):
        relative = path.relative_to(ACADEMY)
        if relative.parts[0] == "services" or str(relative) in NOT_UNITS_OF_WORK:
            continue
        found = _hand_written_commits(path.read_text())
        if found:
            offenders[str(relative)] = found
    assert offenders == {}
