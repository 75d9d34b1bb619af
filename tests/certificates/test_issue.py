"""Issuing certificates through the staff pages: who is eligible, what the PDF
says, the number and the code, academies, re-issuing and revoking."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from academy.extensions import db
from academy.models import AuditEvent
from academy.models.certificates import Certificate, CertificateNumber
from academy.services import ServiceError
from academy.services import certificates as service
from academy.services.academies import academy_by_slug
from academy.services.certificates import issuing
from academy.timeutil import utcnow

from .conftest import complete, course, hostile_template, make_cohort, pdf_text, qr_codes

VERIFY_LINK = re.compile(r"http://academy\.test/verify/([A-Za-z0-9_-]+)")


def certificates_of(user) -> list[Certificate]:
    return list(
        db.session.scalars(
            sa.select(Certificate).where(Certificate.user_id == user.id).order_by(Certificate.id)
        )
    )


def issue_self_study(client, member, slug="organising-basics", academy="north-west"):
    return client.post(
        "/staff/certificates/issue",
        data={
            "user_id": member.id,
            "course_id": course(slug).id,
            "academy_id": academy_by_slug(academy).id,
        },
    )


def code_from_mail(outbox) -> str:
    links = [m for mail in outbox for m in VERIFY_LINK.findall(mail.body)]
    assert links, "no verification link e-mailed"
    return links[-1]


def test_staff_issue_a_self_study_certificate_and_the_pdf_says_so(
    client, login, staff, member, outbox, app
):
    complete(member)
    login(client, staff)

    listed = client.get("/staff/eligible")
    assert member.display_name in listed.get_data(as_text=True).replace("&#39;", "'")

    response = issue_self_study(client, member)

    [certificate] = certificates_of(member)
    assert response.status_code == 302
    assert response.location.endswith(f"/staff/certificates/{certificate.id}")
    assert re.fullmatch(r"OA-\d{4}-\d{6}", certificate.number)
    assert certificate.status == "valid"
    assert certificate.holder_name == "Siân O'Connell-Adebayo"
    assert certificate.course_title == "Organising basics"
    assert certificate.level == "foundation"
    assert certificate.credit_hours == 4
    assert certificate.academy_name == "North West Organising Academy"
    assert certificate.issuer_name == "Maria Kowalczyk"
    assert certificate.issued_by_id == staff.id
    assert certificate.expires_on is None

    # The holder is told, with the verification link; the code itself is not stored.
    code = code_from_mail(outbox)
    assert len(code) >= 32  # 24 random bytes: 192 bits
    assert certificate.code_hash == service.hash_code(code)
    row = db.session.execute(sa.select(Certificate.__table__)).mappings().one()
    assert code not in {str(value) for value in row.values()}

    # The stored PDF: read back, it names holder, course and number, and its QR code
    # is the verification link.
    pdf = service.pdf_bytes(certificate)
    text = pdf_text(pdf)
    for expected in ("Siân O'Connell-Adebayo", "Organising basics", certificate.number):
        assert expected in text
    assert qr_codes(pdf) == [f"http://academy.test/verify/{code}"]

    # Recorded, and gone from the list of those waiting.
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "certificate.issue"))
    assert (event.actor_id, event.subject_user_id, event.target) == (
        staff.id,
        member.id,
        certificate.number,
    )
    assert member.display_name not in client.get("/staff/eligible").get_data(as_text=True)


def test_the_course_validity_sets_an_expiry_printed_on_the_certificate(
    client, login, staff, member
):
    complete(member, "organising-basics")
    complete(member, "leading-campaigns")  # validity_months: 24
    login(client, staff)

    issue_self_study(client, member, "leading-campaigns")

    [certificate] = certificates_of(member)
    issued = certificate.issued_on
    assert certificate.expires_on == service.add_months(issued, 24)
    assert certificate.expires_on.year == issued.year + 2
    assert "Valid until" in pdf_text(service.pdf_bytes(certificate))


def test_add_months_keeps_the_day_or_takes_the_last_of_the_month():
    import datetime as dt

    assert service.add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert service.add_months(dt.date(2026, 11, 21), 24) == dt.date(2028, 11, 21)
    assert service.add_months(dt.date(2028, 2, 29), 12) == dt.date(2029, 2, 28)


def test_numbers_come_from_the_database_counter_and_never_repeat(client, login, staff, make_user):
    login(client, staff)
    members = [make_user(name=f"Member {i}") for i in range(3)]
    for m in members:
        complete(m)
        assert issue_self_study(client, m).status_code == 302

    numbers = [c.number for m in members for c in certificates_of(m)]
    drawn = db.session.scalars(sa.select(CertificateNumber.id).order_by(CertificateNumber.id)).all()
    assert numbers == [f"OA-{utcnow().year}-{n:06d}" for n in drawn[-3:]]
    assert len(set(numbers)) == 3


@pytest.mark.parametrize("problem", ["not-completed", "not-accredited", "not-signed-off"])
def test_who_is_not_eligible_is_not_listed_and_cannot_be_issued(
    client, login, staff, member, make_user, problem
):
    if problem == "not-accredited":
        complete(member)
        course("organising-basics").accredited = False
        db.session.commit()
    elif problem == "not-signed-off":
        complete(member)
        make_cohort(trainers=[make_user(roles=("trainer",))], members=[member], signed_off=False)
    login(client, staff)

    assert member.display_name not in client.get("/staff/eligible").get_data(as_text=True)
    response = issue_self_study(client, member)
    assert response.status_code == 302
    assert certificates_of(member) == []
    message = {
        "not-completed": "has not completed Organising basics",
        "not-accredited": "is not an accredited course",
        "not-signed-off": "has not yet been signed off",
    }[problem]
    assert message in client.get(response.location).get_data(as_text=True).replace("&#39;", "'")


def test_a_signed_off_cohort_member_is_listed_under_the_cohort_and_issued_by_its_academy(
    client, login, staff, member, make_user
):
    trainer = make_user(roles=("trainer",), name="Tom Trainer")
    complete(member)
    cohort = make_cohort(trainers=[trainer], members=[member])
    login(client, staff)

    page = client.get("/staff/eligible").get_data(as_text=True)
    assert "Salford spring cohort" in page
    response = client.post(
        "/staff/certificates/issue",
        data={"user_id": member.id, "course_id": cohort.course_id, "cohort_id": cohort.id},
    )

    assert response.status_code == 302
    [certificate] = certificates_of(member)
    assert certificate.cohort_id == cohort.id
    assert certificate.academy_id == cohort.academy_id


def test_staff_of_another_academy_cannot_issue_for_a_cohort_or_see_its_members(
    client, login, make_user, member
):
    london = make_user(roles=("staff",), academy="london")
    complete(member)
    cohort = make_cohort(trainers=[make_user(roles=("trainer",))], members=[member])
    login(client, london)

    assert "Salford spring cohort" not in client.get("/staff/eligible").get_data(as_text=True)
    response = client.post(
        "/staff/certificates/issue",
        data={"user_id": member.id, "course_id": cohort.course_id, "cohort_id": cohort.id},
    )
    assert response.status_code == 404
    # A self-study issue in an academy they do not work in is refused too.
    assert issue_self_study(client, member, academy="north-west").status_code == 404
    assert certificates_of(member) == []


def test_members_and_trainers_cannot_issue(client, login, make_user, member):
    complete(member)
    for roles in ((), ("trainer",)):
        login(client, make_user(roles=roles))
        assert issue_self_study(client, member).status_code == 403
        assert client.get("/staff/eligible").status_code == 403
    assert certificates_of(member) == []


def test_a_second_issue_is_refused_while_one_is_valid(client, login, staff, member):
    complete(member)
    login(client, staff)
    issue_self_study(client, member)

    response = issue_self_study(client, member)

    assert len(certificates_of(member)) == 1
    page = client.get(response.location).get_data(as_text=True).replace("&#39;", "'")
    assert "already holds a valid certificate" in page


def test_the_database_refuses_a_second_valid_certificate_even_past_the_service(app, staff, member):
    complete(member)
    first = service.issue(
        member, course("organising-basics"), actor=staff, academy=academy_by_slug("north-west")
    )
    # As a request that rendered at the same time would: past the service's own
    # check, straight to the insert that follows the render.
    draft = issuing._draft(
        member,
        course("organising-basics"),
        academy_by_slug("north-west"),
        actor=staff,
        cohort=None,
        batch=None,
    )
    with pytest.raises(service.AlreadyCertified):
        issuing._insert(draft, b"%PDF-1.7 rendered by the racing request")
    assert [c.id for c in certificates_of(member)] == [first.id]


def test_reissuing_after_a_name_change_supersedes_the_old_certificate(
    client, login, staff, member, outbox
):
    complete(member)
    login(client, staff)
    issue_self_study(client, member)
    [old] = certificates_of(member)
    old_code = code_from_mail(outbox)
    member.display_name = "Siân Adebayo"
    db.session.commit()

    response = client.post(f"/staff/certificates/{old.id}/reissue")

    old, new = certificates_of(member)
    assert response.location.endswith(f"/staff/certificates/{new.id}")
    assert (old.status, new.status) == ("superseded", "valid")
    assert old.superseded_by_id == new.id
    assert new.holder_name == "Siân Adebayo"
    assert new.number != old.number
    new_code = code_from_mail(outbox)
    assert new_code != old_code
    assert "Siân Adebayo" in pdf_text(service.pdf_bytes(new))
    assert service.verify(old_code).status == "superseded"
    assert service.verify(new_code).status == "valid"
    assert (
        db.session.scalar(
            sa.select(AuditEvent).where(AuditEvent.action == "certificate.reissue")
        ).details["replaces"]
        == old.number
    )


def test_revoking_needs_a_reason_and_is_immediate(client, login, staff, member, outbox):
    complete(member)
    login(client, staff)
    issue_self_study(client, member)
    [certificate] = certificates_of(member)
    code = code_from_mail(outbox)

    client.post(f"/staff/certificates/{certificate.id}/revoke", data={"reason": "  "})
    db.session.refresh(certificate)
    assert certificate.status == "valid"

    client.post(
        f"/staff/certificates/{certificate.id}/revoke",
        data={"reason": "Issued in error: the cohort was not assessed."},
    )

    db.session.refresh(certificate)
    assert certificate.status == "revoked"
    assert certificate.revoked_reason == "Issued in error: the cohort was not assessed."
    assert certificate.revoked_by_id == staff.id
    answer = client.get(f"/verify/{code}.json").get_json()
    assert answer["status"] == "revoked"
    assert answer["revoked_on"] == certificate.revoked_at.date().isoformat()
    assert "Revoked" in client.get(f"/verify/{code}").get_data(as_text=True)
    assert "has been revoked" in outbox[-1].subject
    # Revoked once is revoked: a second attempt changes nothing.
    with pytest.raises(ServiceError, match="already revoked"):
        service.revoke(certificate, actor=staff, reason="again")


def test_staff_of_another_academy_cannot_see_revoke_or_reissue(
    client, login, staff, member, make_user
):
    complete(member)
    login(client, staff)
    issue_self_study(client, member)
    [certificate] = certificates_of(member)

    login(client, make_user(roles=("staff",), academy="london"))
    assert client.get(f"/staff/certificates/{certificate.id}").status_code == 404
    assert (
        client.post(
            f"/staff/certificates/{certificate.id}/revoke", data={"reason": "x"}
        ).status_code
        == 404
    )
    assert client.post(f"/staff/certificates/{certificate.id}/reissue").status_code == 404
    assert certificate.number not in client.get("/staff/certificates").get_data(as_text=True)
    db.session.refresh(certificate)
    assert certificate.status == "valid"


def test_admins_act_in_every_academy(client, login, member, make_user):
    complete(member)
    login(client, make_user(roles=("admin",)))

    assert issue_self_study(client, member, academy="wales").status_code == 302

    [certificate] = certificates_of(member)
    assert certificate.academy_name == "Wales Organising Academy"


def test_the_eligible_page_costs_the_same_whatever_the_number_of_members(
    client, login, staff, make_user, count_queries
):
    trainer = make_user(roles=("trainer",))
    login(client, staff)

    def members(n, name):
        people = [make_user(name=f"{name} {i}") for i in range(n)]
        for person in people:
            complete(person)
        make_cohort(trainers=[trainer], members=people, name=name)

    members(2, "Small")
    complete(make_user(name="Alone first"))
    with count_queries() as few:
        client.get("/staff/eligible")
    members(12, "Large")
    for i in range(6):
        complete(make_user(name=f"Alone {i}"))
    with count_queries() as many:
        page = client.get("/staff/eligible").get_data(as_text=True)

    assert "Large 11" in page
    assert "Alone 5" in page
    assert len(many) == len(few)


def test_a_certificate_that_cannot_be_laid_out_is_refused_with_a_reason(
    app, client, login, staff, member, tmp_path
):
    app.config["CERTIFICATE_TEMPLATE_DIR"] = str(hostile_template(tmp_path, "two-pages"))
    complete(member)
    login(client, staff)

    response = issue_self_study(client, member)

    assert certificates_of(member) == []
    page = client.get(response.location).get_data(as_text=True).replace("&#39;", "'")
    assert "does not fit on one certificate page" in page


def test_an_erased_member_is_neither_listed_nor_certified(client, login, staff, member):
    from academy.services.privacy import erase_account

    complete(member)
    erase_account(member)
    db.session.commit()
    assert all(e.user.id != member.id for e in service.eligible_members(staff))
    with pytest.raises(ServiceError, match="account has been closed"):
        service.check_eligible(member, course("organising-basics"))
    login(client, staff)
    issue_self_study(client, member)
    assert certificates_of(member) == []


def test_staff_viewing_a_certificate_is_recorded_in_the_holder_access_log(
    client, login, staff, member
):
    from academy.models.privacy import AccessLogEntry

    complete(member)
    login(client, staff)
    issue_self_study(client, member)
    [certificate] = certificates_of(member)
    assert client.get(f"/staff/certificates/{certificate.id}").status_code == 200
    [entry] = db.session.scalars(
        sa.select(AccessLogEntry).where(AccessLogEntry.subject_user_id == member.id)
    ).all()
    assert (entry.actor_id, entry.what) == (staff.id, "staff.certificate-page")
