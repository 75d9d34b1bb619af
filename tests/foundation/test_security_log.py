"""The security log: what it records, from where, who reads it, and that nobody edits it."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from academy.extensions import db
from academy.models import SecurityEvent
from academy.models.audit import AppendOnlyError
from academy.services import security_log
from academy.timeutil import utcnow
from tests.conftest import PASSWORD


def _events(kind: str | None = None) -> list[SecurityEvent]:
    query = sa.select(SecurityEvent).order_by(SecurityEvent.id)
    if kind:
        query = query.where(SecurityEvent.kind == kind)
    return list(db.session.scalars(query))


def test_a_refused_page_is_recorded_with_who_where_and_what(client, make_user, login):
    member = make_user()
    login(client, member)
    assert client.get("/admin/").status_code == 403
    (event,) = _events("forbidden")
    assert event.user_id == member.id
    assert event.ip == "127.0.0.1"
    assert event.route == "GET admin.index"
    assert event.status == 403
    assert event.at > utcnow() - timedelta(minutes=1)


def test_a_refused_post_changes_nothing_but_is_recorded(client, make_user, login):
    member = make_user()
    login(client, member)
    response = client.post("/admin/academies", data={"name": "Nowhere", "slug": "nowhere"})
    assert response.status_code == 403
    assert [e.route for e in _events("forbidden")] == ["POST admin.academies"]


def test_failed_sign_ins_and_the_lock_out_are_recorded(client, make_user):
    user = make_user(email="target@example.org")
    for _ in range(5):
        client.post("/login", data={"email": "target@example.org", "password": "wrong pass"})
    client.post("/login", data={"email": "nobody@example.org", "password": "wrong pass"})
    assert (
        client.post(
            "/login", data={"email": "target@example.org", "password": PASSWORD}
        ).status_code
        == 429
    )
    failed = _events("signin.failed")
    assert [e.user_id for e in failed] == [user.id] * 5 + [None]
    (locked,) = _events("signin.locked")
    assert locked.route == "POST auth.login"
    assert locked.status == 429


def test_other_rate_limits_are_recorded(app, client):
    app.config["VERIFY_RATE_LIMIT"] = "2 per minute"
    for _ in range(3):
        response = client.get("/verify/not-a-real-code")
    assert response.status_code == 429
    (event,) = _events("rate-limited")
    assert event.route == "GET verify.certificate"


def test_admins_read_it_newest_first_paged_and_filtered(client, make_user, login):
    admin = make_user(roles=("admin",))
    for n in range(60):
        security_log.record("signin.failed" if n % 2 else "forbidden", user=admin)
    db.session.commit()
    login(client, admin)
    page = client.get("/admin/security-log")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.count("<tr>") == 51  # 50 events and the heading row
    assert "Older entries" in html
    assert client.get("/admin/security-log?page=2").get_data(as_text=True).count("<tr>") == 11
    only = client.get("/admin/security-log?kind=forbidden").get_data(as_text=True)
    assert only.count('<th scope="row">forbidden</th>') == 30
    assert '<th scope="row">signin.failed</th>' not in only
    newest = _events()[-1]
    first_row = html.split("<tbody>", 1)[1].split("</tr>", 1)[0]
    assert newest.kind in first_row


@pytest.mark.parametrize("role", [(), ("trainer",), ("staff",)])
def test_members_trainers_and_staff_cannot_read_it(client, make_user, login, role):
    security_log.record("signin.failed")
    db.session.commit()
    login(client, make_user(roles=role))
    assert client.get("/admin/security-log").status_code == 403


def test_nobody_can_change_or_delete_an_event(make_user):
    security_log.record("signin.failed", user=make_user())
    db.session.commit()
    (event,) = _events("signin.failed")
    event.kind = "forbidden"
    with pytest.raises(AppendOnlyError):
        db.session.flush()
    db.session.rollback()
    (event,) = _events("signin.failed")
    db.session.delete(event)
    with pytest.raises(AppendOnlyError):
        db.session.flush()
    db.session.rollback()


def test_no_route_offers_to_change_it(app):
    routes = [r for r in app.url_map.iter_rules() if "security" in r.rule]
    assert [(r.rule, sorted(r.methods - {"HEAD", "OPTIONS"})) for r in routes] == [
        ("/admin/security-log", ["GET"])
    ]


def test_the_retention_run_removes_old_events(app, runner, make_user):
    security_log.record("signin.failed")
    old = utcnow() - timedelta(days=app.config["SECURITY_LOG_DAYS"] + 1)
    db.session.execute(sa.insert(SecurityEvent).values(at=old, kind="forbidden"))
    db.session.commit()
    preview = runner.invoke(args=["academy", "retention", "run", "--dry-run"])
    assert "remove 1 security events" in preview.output
    assert len(_events()) == 2
    result = runner.invoke(args=["academy", "retention", "run"])
    assert "removed 1 security events" in result.output
    assert [e.kind for e in _events()] == ["signin.failed"]


def test_an_unknown_kind_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown security event kind"):
        security_log.record("made-up")
