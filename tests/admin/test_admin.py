"""Admin pages: academies, roles, data requests, access log, retention; every change audited."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from academy.extensions import db
from academy.formatting import short_date
from academy.models import (
    Academy,
    AccessLogEntry,
    AuditEvent,
    DataRequest,
    EqualityQuestion,
    Erasure,
    User,
)
from academy.models.audit import AppendOnlyError
from academy.services import privacy
from academy.services.academies import academy_by_slug
from academy.services.access_log import record_access
from academy.timeutil import utcnow


def _events(action: str, subject: User | None = None) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.action == action)
    if subject is not None:
        query = query.where(AuditEvent.subject_user_id == subject.id)
    return db.session.scalars(query).all()


def test_only_admins_reach_admin_pages(client, login, make_user):
    for roles in ((), ("trainer",), ("staff",)):
        login(client, make_user(roles=roles))
        for url in ("/admin/", "/admin/academies", "/admin/people", "/admin/access-log"):
            assert client.get(url).status_code == 403, (roles, url)


def test_create_and_rename_an_academy_audited(as_admin, admin):
    response = as_admin.post("/admin/academies", data={"name": "Northern Ireland", "slug": "ni"})
    assert response.status_code == 302
    academy = academy_by_slug("ni")
    assert academy.name == "Northern Ireland"
    [event] = _events("academy.create")
    assert event.actor_id == admin.id
    response = as_admin.post(f"/admin/academies/{academy.id}", data={"name": "Ulster"})
    assert response.status_code == 302
    db.session.refresh(academy)
    assert academy.name == "Ulster"
    [event] = _events("academy.rename")
    assert event.details == {"previous": "Northern Ireland", "name": "Ulster"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "London", "slug": "london-2"}, "There is already an academy called London."),
        ({"name": "Somewhere", "slug": "london"}, "already an academy with the short name"),
        ({"name": "Somewhere", "slug": "Bad Slug!"}, "only lower-case letters"),
    ],
)
def test_bad_academy_is_refused_and_nothing_changes(as_admin, data, message):
    before = db.session.scalar(select(db.func.count()).select_from(Academy))
    response = as_admin.post("/admin/academies", data=data)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(db.func.count()).select_from(Academy)) == before
    assert _events("academy.create") == []


def test_grant_and_revoke_trainer_role_audited(as_admin, admin, make_user):
    person = make_user()
    london = academy_by_slug("london")
    response = as_admin.post(
        f"/admin/people/{person.id}/roles", data={"role": "trainer", "academy": london.id}
    )
    assert response.status_code == 302
    db.session.refresh(person)
    assert person.academy_ids("trainer") == {london.id}
    [grant] = _events("role.grant", person)
    assert (grant.actor_id, grant.subject_user_id, grant.target) == (admin.id, person.id, "trainer")
    response = as_admin.post(
        f"/admin/people/{person.id}/roles/revoke",
        data={"role": "trainer", "academy_id": london.id},
    )
    assert response.status_code == 302
    db.session.refresh(person)
    assert "trainer" not in person.roles
    [revoke] = _events("role.revoke", person)
    assert revoke.actor_id == admin.id


def test_staff_role_needs_an_academy(as_admin, make_user):
    person = make_user()
    response = as_admin.post(
        f"/admin/people/{person.id}/roles", data={"role": "staff", "academy": 0}
    )
    assert response.status_code == 400
    assert "Choose the academy" in response.get_data(as_text=True)
    db.session.refresh(person)
    assert person.roles == {"member"}
    assert _events("role.grant", person) == []


def test_admin_cannot_remove_their_own_admin_role(as_admin, admin):
    as_admin.post(f"/admin/people/{admin.id}/roles/revoke", data={"role": "admin"})
    db.session.refresh(admin)
    assert "admin" in admin.roles


def test_viewing_a_member_is_logged_and_the_log_is_readable(as_admin, admin, make_user):
    person = make_user(name="Looked At", email="looked.at@example.org")
    page = as_admin.get(f"/admin/people/{person.id}").get_data(as_text=True)
    assert "looked.at@example.org" in page
    as_admin.get("/admin/people?q=looked")
    entries = db.session.scalars(
        select(AccessLogEntry).where(AccessLogEntry.subject_user_id == person.id)
    ).all()
    assert [(e.actor_id, e.what) for e in entries] == [
        (admin.id, "admin.member-page"),
        (admin.id, "admin.people-search"),
    ]
    log = as_admin.get("/admin/access-log").get_data(as_text=True)
    assert "Looked At" in log
    assert "looked at their account" in log
    assert "admin.member-page" not in log


def test_the_access_log_cannot_be_changed_or_deleted(make_user):
    staff, member = make_user(roles=("staff",)), make_user()
    entry = record_access(staff, member, "admin.member-page")
    db.session.commit()
    entry.what = "nothing"
    with pytest.raises(AppendOnlyError):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(AccessLogEntry, entry.id))
    with pytest.raises(AppendOnlyError):
        db.session.flush()
    db.session.rollback()


def test_own_data_is_not_logged_as_access(make_user):
    member = make_user()
    assert record_access(member, member, "admin.member-page") is None


def test_admin_export_for_a_member_is_logged(as_admin, admin, make_user):
    person = make_user(email="asked.by.post@example.org")
    response = as_admin.post(f"/admin/people/{person.id}/export")
    data = json.loads(zipfile.ZipFile(io.BytesIO(response.data)).read("data.json"))
    assert data["account"]["email"] == "asked.by.post@example.org"
    whats = db.session.scalars(
        select(AccessLogEntry.what).where(AccessLogEntry.subject_user_id == person.id)
    ).all()
    assert "data-export" in whats
    request = db.session.scalar(select(DataRequest).where(DataRequest.user_id == person.id))
    assert (request.kind, request.channel, request.handled_by_id) == ("export", "staff", admin.id)


def test_admin_erases_an_account(as_admin, make_user):
    person = make_user(email="erase.me@example.org")
    response = as_admin.post(f"/admin/people/{person.id}/erase", data={})
    assert response.status_code == 400
    assert db.session.get(Erasure, person.id) is None
    as_admin.post(f"/admin/people/{person.id}/erase", data={"confirm": "y"})
    assert db.session.get(Erasure, person.id).reason == "admin"
    assert db.session.scalar(select(User).where(User.email == "erase.me@example.org")) is None


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (date(2026, 1, 31), date(2026, 2, 28)),
        (date(2028, 1, 31), date(2028, 2, 29)),
        (date(2026, 12, 15), date(2027, 1, 15)),
        (date(2026, 3, 1), date(2026, 4, 1)),
    ],
)
def test_legal_deadline_is_one_calendar_month(received, due):
    assert privacy.add_one_month(received) == due


def test_logging_a_request_shows_its_deadline_and_completing_it(as_admin, admin, make_user):
    person = make_user(email="by.letter@example.org", name="By Letter")
    received = utcnow().date() - timedelta(days=40)
    response = as_admin.post(
        "/admin/data-requests",
        data={
            "email": "by.letter@example.org",
            "kind": "erasure",
            "received_on": received.isoformat(),
            "note": "Letter to the regional office",
        },
    )
    assert response.status_code == 302
    request = db.session.scalar(select(DataRequest).where(DataRequest.user_id == person.id))
    assert request.due_on == privacy.add_one_month(received)
    page = as_admin.get("/admin/data-requests").get_data(as_text=True)
    assert "Overdue" in page
    assert short_date(request.due_on) in page
    as_admin.post(f"/admin/data-requests/{request.id}/complete")
    db.session.refresh(request)
    assert request.completed_at is not None
    assert request.handled_by_id == admin.id
    assert _events("privacy.request.open")
    assert _events("privacy.request.complete")


def test_logging_a_request_for_an_unknown_address_changes_nothing(as_admin):
    response = as_admin.post(
        "/admin/data-requests",
        data={"email": "nobody@example.org", "kind": "export", "received_on": "2026-01-05"},
    )
    assert "No account has this e-mail address." in response.get_data(as_text=True)
    assert db.session.scalars(select(DataRequest)).all() == []


def test_retention_setting_is_validated_and_audited(as_admin, admin):
    response = as_admin.post("/admin/retention", data={"days": "10"})
    assert "Choose between 90 and 3650 days." in response.get_data(as_text=True)
    assert privacy.retention_days() == privacy.DEFAULT_RETENTION_DAYS
    as_admin.post("/admin/retention", data={"days": "400"})
    assert privacy.retention_days() == 400
    [event] = _events("privacy.retention.set")
    assert event.target == "400"


def test_retention_run_anonymises_inactive_accounts_and_deletes_stale_registrations(
    runner, make_user
):
    now = utcnow()
    old = make_user(email="old.member@example.org")
    old.last_login_at = now - timedelta(days=4 * 365)
    recent = make_user(email="recent.member@example.org")
    recent.last_login_at = now - timedelta(days=30)
    old_admin = make_user(roles=("admin",), email="old.admin@example.org")
    old_admin.last_login_at = now - timedelta(days=4 * 365)
    stale = make_user(email="never.confirmed@example.org")
    stale.confirmed_at, stale.created_at = None, now - timedelta(days=8)
    fresh = make_user(email="just.registered@example.org")
    fresh.confirmed_at, fresh.created_at = None, now - timedelta(days=2)
    db.session.commit()
    stale_id = stale.id

    preview = runner.invoke(args=["academy", "retention", "run", "--dry-run"])
    assert "Would anonymise 1 accounts" in preview.output
    assert "delete 1 registrations" in preview.output
    result = runner.invoke(args=["academy", "retention", "run"])
    assert result.exit_code == 0, result.output
    assert "Anonymised 1 accounts" in result.output
    emails = set(db.session.scalars(select(User.email)))
    assert "old.member@example.org" not in emails
    assert {
        "recent.member@example.org",
        "old.admin@example.org",
        "just.registered@example.org",
    } <= emails
    assert db.session.get(Erasure, old.id).reason == "retention"
    assert db.session.get(User, stale_id) is None
    # Running again finds nothing more to do.
    again = runner.invoke(args=["academy", "retention", "run"])
    assert "Anonymised 0 accounts" in again.output


def test_academies_add_their_own_equality_questions(as_admin, client, login, make_user):
    as_admin.post("/admin/equality-questions", data={"label": "Are you an unpaid carer?"})
    question = db.session.scalar(select(EqualityQuestion))
    assert question.slug == "custom-are-you-an-unpaid-carer"
    member = make_user()
    login(client, member)
    page = client.get("/account/equality").get_data(as_text=True)
    assert "Are you an unpaid carer?" in page
    client.post("/account/equality", data={"q_custom_are_you_an_unpaid_carer": "yes"})
    from academy.services import equality

    assert equality.answers_of(member) == {"custom-are-you-an-unpaid-carer": "yes"}


def _many_people(make_user, admin, n: int) -> None:
    from academy.services.access_log import record_access as log

    for i in range(n):
        person = make_user(name=f"Many {i}", email=f"many-{i}-{n}@example.org", roles=("trainer",))
        log(admin, person, "admin.member-page")
        privacy.open_request(person, "export", actor=admin, channel="staff")
    db.session.commit()


@pytest.mark.parametrize(
    "url",
    [
        "/admin/access-log",
        "/admin/data-requests",
        "/admin/people?q=many",
        "/admin/academies",
        "/admin/academies/{academy_id}",
    ],
)
def test_admin_lists_run_a_fixed_number_of_queries(as_admin, admin, make_user, count_queries, url):
    url = url.format(academy_id=academy_by_slug("north-west").id)
    _many_people(make_user, admin, 2)
    as_admin.get(url)
    with count_queries() as small:
        assert as_admin.get(url).status_code == 200
    _many_people(make_user, admin, 8)
    with count_queries() as large:
        assert as_admin.get(url).status_code == 200
    assert len(large) == len(small)


def test_exporting_for_a_member_completes_their_open_request(as_admin, admin, make_user):
    person = make_user()
    request = privacy.open_request(person, "export", actor=admin, channel="staff")
    db.session.commit()
    as_admin.post(f"/admin/people/{person.id}/export")
    db.session.refresh(request)
    assert request.completed_at is not None
    assert request.handled_by_id == admin.id
    assert len(db.session.scalars(select(DataRequest)).all()) == 1


def test_the_members_own_download_leaves_a_request_an_admin_logged_for_an_admin(
    as_admin, admin, make_user, client, login
):
    """A request that came in by letter is answered by an admin, who closes it; the member
    downloading a copy themselves meanwhile is a separate, self-service request."""
    person = make_user()
    logged = privacy.open_request(person, "export", actor=admin, channel="staff")
    db.session.commit()
    member = client.application.test_client()
    login(member, person)
    response = member.post("/account/export")
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    db.session.refresh(logged)
    assert logged.completed_at is None  # still the admin's to close
    own = db.session.scalars(
        select(DataRequest).where(DataRequest.user_id == person.id, DataRequest.id != logged.id)
    ).all()
    assert [(r.channel, r.completed_at is not None, r.handled_by_id) for r in own] == [
        ("self-service", True, person.id)
    ]
    # The admin sees it still open, and closes it.
    assert "Mark as done" in as_admin.get("/admin/data-requests").text
    assert as_admin.post(f"/admin/data-requests/{logged.id}/complete").status_code == 302
    db.session.refresh(logged)
    assert logged.completed_at is not None
    assert logged.handled_by_id == admin.id
