"""Failed e-mails are never silent: a count on the admin home, the list with reasons
(admins only), and removal by the retention run."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from academy.extensions import db
from academy.models import MailFailure
from academy.services import mail_failures
from academy.timeutil import utcnow


@pytest.fixture
def failures(app) -> list[MailFailure]:
    recorded = [
        mail_failures.record_failure(
            "jane.doe@example.org",
            "confirm_account",
            ConnectionRefusedError(111, "Connection refused"),
            5,
        ),
        mail_failures.record_failure(
            "kim@example.net", "cohort_announcement", RuntimeError("550 <b>no</b>\nsuch"), 5
        ),
    ]
    db.session.commit()
    return recorded


def test_the_admin_home_counts_them_and_the_list_gives_the_reasons(as_admin, failures):
    home = as_admin.get("/admin/").get_data(as_text=True)
    assert "2 not delivered" in home
    assert 'href="/admin/mail-failures"' in home

    page = as_admin.get("/admin/mail-failures").get_data(as_text=True)
    assert "j…@example.org" in page
    assert "k…@example.net" in page
    assert "jane.doe" not in page  # the address is kept masked
    assert "ConnectionRefusedError: [Errno 111] Connection refused" in page
    assert "RuntimeError: 550 &lt;b&gt;no&lt;/b&gt; such" in page  # escaped, on one line
    assert "Confirm account" in page
    assert page.index("k…@example.net") < page.index("j…@example.org")  # newest first


def test_none_is_said_plainly(as_admin):
    assert "None in the last 30 days" in as_admin.get("/admin/").get_data(as_text=True)
    assert "No e-mail has failed." in as_admin.get("/admin/mail-failures").get_data(as_text=True)


@pytest.mark.parametrize("roles", [(), ("trainer",), ("staff",)])
def test_only_admins_see_them(client, login, make_user, failures, roles):  # noqa: ARG001
    login(client, make_user(roles=roles))
    answer = client.get("/admin/mail-failures")
    assert answer.status_code in (403, 404)
    assert "example.org" not in answer.get_data(as_text=True)


def test_the_retention_run_removes_old_ones(app, runner, failures):
    old, recent = failures
    old.failed_at = utcnow() - timedelta(days=31)
    db.session.commit()
    result = runner.invoke(args=["academy", "retention", "run"])
    assert result.exit_code == 0, result.output
    assert "removed 1 failed e-mails older than 30 days" in result.output
    assert db.session.scalars(sa.select(MailFailure.id)).all() == [recent.id]
