"""CSV import: row-by-row report for a good file; a bad file changes nothing at all."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from academy.extensions import db
from academy.models import AuditEvent, CohortInvite, CohortMember, Enrolment, User
from academy.services.cohorts.importing import ImportRejected, parse


def _upload(client, cohort, content: bytes | str, filename="members.csv"):
    data = content.encode() if isinstance(content, str) else content
    return client.post(
        f"/cohorts/{cohort.id}/import",
        data={"file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def _snapshot(cohort):
    db.session.expire_all()
    return (
        db.session.scalars(
            sa.select(CohortMember.user_id).where(CohortMember.cohort_id == cohort.id)
        ).all(),
        db.session.scalars(
            sa.select(CohortInvite.email).where(CohortInvite.email.is_not(None))
        ).all(),
        db.session.scalar(sa.select(sa.func.count()).select_from(User)),
        db.session.scalar(sa.select(sa.func.count()).select_from(Enrolment)),
        db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)),
    )


def test_a_good_file_adds_members_with_accounts_and_invites_the_others(
    app, client, login, trainer, cohort, make_user, outbox
):
    existing = make_user(name="Amina Khan", email="amina@example.org")
    users_before = db.session.scalar(sa.select(sa.func.count()).select_from(User))
    login(client, trainer)
    response = _upload(
        client,
        cohort,
        '\ufeffName,E-mail\r\nAmina Khan,AMINA@example.org\r\n\r\n"Price, Tom",tom@example.org\r\n',
    )
    assert response.status_code == 200
    text = response.text
    assert "1 added" in text
    assert "1 invited to register" in text
    assert "Added: they already had an account" in text
    assert "Invited by e-mail to create an account" in text
    # Existing account: in the cohort and enrolled in its course.
    assert db.session.get(CohortMember, (cohort.id, existing.id)) is not None
    assert db.session.scalar(
        sa.select(Enrolment).where(
            Enrolment.user_id == existing.id, Enrolment.course_id == cohort.course_id
        )
    )
    # No account was created for Tom: he must register and consent himself.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == users_before
    invite = db.session.scalar(
        sa.select(CohortInvite).where(CohortInvite.email == "tom@example.org")
    )
    assert invite is not None
    to_tom = [m for m in outbox if m.to == ["tom@example.org"]]
    assert len(to_tom) == 1
    assert "/register" in to_tom[0].body
    assert f"/join/{invite.token}" in to_tom[0].body
    assert [m for m in outbox if m.to == ["amina@example.org"]]

    # Importing the same file again changes nothing and says so.
    outbox.clear()
    again = _upload(client, cohort, "email,name\namina@example.org,Amina\ntom@example.org,Tom\n")
    assert "Already in the cohort" in again.text
    assert "Already invited" in again.text
    assert outbox == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("email,name\ngood@example.org,Good\nnot-an-email,Bad\n", "Line 3"),
        ("email,name\ngood@example.org,Good\n,No Email\n", "the e-mail address is missing"),
        ("email,name\ngood@example.org,\n", "the name is missing"),
        ("address,who\ngood@example.org,Good\n", "must name the columns"),
        ("email,name\na@example.org,A\nA@example.org,A again\n", "also on line 2"),
        ("email,name\na@example.org,A,extra\n", "expected 2 columns but found 3"),
        ('email,name\n"a@example.org,A\n', "not valid CSV"),
        ("email,name\n", "no members in it"),
        ("", "The file is empty"),
        (b"email,name\n\xff\xfe@example.org,X\n", "not UTF-8"),
    ],
)
def test_a_bad_file_is_rejected_with_a_clear_message_and_nothing_changes(
    client, login, trainer, cohort, make_user, outbox, content, message
):
    make_user(email="good@example.org")
    login(client, trainer)
    before = _snapshot(cohort)
    response = _upload(client, cohort, content)
    assert response.status_code == 400
    assert "The file was not imported" in response.text
    assert message in response.text
    assert _snapshot(cohort) == before
    assert outbox == []


def test_a_file_over_capacity_is_rejected_whole(
    client, login, trainer, make_cohort, make_user, outbox
):
    small = make_cohort(trainer, capacity=2)
    people = [make_user(email=f"p{i}@example.org") for i in range(3)]
    login(client, trainer)
    before = _snapshot(small)
    response = _upload(
        client,
        small,
        "email,name\n" + "".join(f"{p.email},P\n" for p in people) + "x@example.org,X\n",
    )
    assert response.status_code == 400
    assert "room for 2 more" in response.text
    assert _snapshot(small) == before
    assert outbox == []


def test_parse_reports_every_problem_by_line():
    with pytest.raises(ImportRejected) as error:
        parse(b"email,name\nbad,One\nalso bad,Two\nok@example.org,\n")
    assert error.value.problems == [
        "Line 2: \u201cbad\u201d is not a valid e-mail address.",
        "Line 3: \u201calso bad\u201d is not a valid e-mail address.",
        "Line 4: the name is missing.",
    ]


def test_formula_like_names_are_kept_as_text(client, login, trainer, cohort):
    rows = parse(b'email,name\nx@example.org,=HYPERLINK("http://evil")\n')
    assert rows[0].name == '=HYPERLINK("http://evil")'  # stored as typed; escaped on export


def test_a_member_cannot_import(client, login, make_user, cohort):
    login(client, make_user())
    assert _upload(client, cohort, "email,name\na@example.org,A\n").status_code == 403
