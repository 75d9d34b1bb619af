"""Words, not internal codes: the access log, the member's account page and their data
export name things as a person would, from the stored kind and target, in a fixed number
of queries."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date, timedelta

import sqlalchemy as sa

from academy.extensions import db
from academy.models import Certificate, Cohort, Course
from academy.services import learning
from academy.services.academies import academy_by_slug
from academy.services.access_log import record_access, record_access_many
from academy.timeutil import utcnow


def _cohort(name: str) -> Cohort:
    today = date.today()
    cohort = Cohort(
        academy_id=academy_by_slug("north-west").id,
        course_id=_course().id,
        name=name,
        mode="in-person",
        venue="Leeds Civic Hall",
        starts_on=today - timedelta(days=10),
        ends_on=today + timedelta(days=30),
        capacity=20,
    )
    db.session.add(cohort)
    db.session.flush()
    return cohort


def _course() -> Course:
    return db.session.scalar(sa.select(Course).where(Course.slug == "organising-basics"))


def _certificate(holder, number: str) -> Certificate:
    course = _course()
    certificate = Certificate(
        number=number,
        code_hash=number.lower().ljust(64, "0"),
        user_id=holder.id,
        course_id=course.id,
        academy_id=academy_by_slug("north-west").id,
        holder_name=holder.display_name,
        course_title=course.title,
        level=course.level,
        credit_hours=course.credit_hours,
        academy_name="North West Organising Academy",
        issuer_name="Someone",
        issued_at=utcnow(),
        status="valid",
    )
    db.session.add(certificate)
    db.session.flush()
    return certificate


def _log_some(make_user, admin, n: int) -> None:
    trainer = make_user(roles=("trainer",), academy="north-west")
    staff = make_user(roles=("staff",), academy="north-west")
    for i in range(n):
        person = make_user(name=f"Person {n}-{i}")
        cohort = _cohort(f"Leeds spring {n}-{i}")
        record_access_many(trainer, [person.id], "cohort.csv-export", f"cohort:{cohort.id}")
        certificate = _certificate(person, f"OA-2026-9{n:02d}{i:03d}")
        record_access(staff, person, "staff.certificate-page", f"certificate:{certificate.id}")
        record_access(admin, person, "admin.academy-people", f"academy:{cohort.academy_id}")
        record_access(admin, person, "data-export")
    db.session.commit()


def test_the_access_log_names_cohorts_certificates_and_academies(as_admin, admin, make_user):
    _log_some(make_user, admin, 1)
    page = as_admin.get("/admin/access-log")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "exported the progress of cohort &#39;Leeds spring 1-0&#39;" in html
    assert "looked at certificate OA-2026-901000 (Organising basics)" in html
    assert "looked at the people working in the North West Organising Academy" in html
    assert "downloaded a copy of their data" in html
    for code in ("cohort.csv-export", "cohort:", "certificate:", "academy:", "data-export"):
        assert code not in html, code


def test_a_deleted_target_is_said_plainly(as_admin, admin, make_user):
    person = make_user()
    record_access(admin, person, "cohort.csv-export", "cohort:999999")
    db.session.commit()
    html = as_admin.get("/admin/access-log").get_data(as_text=True)
    assert "exported the progress of a cohort since deleted" in html


def test_the_access_log_names_things_in_a_fixed_number_of_queries(
    as_admin, admin, make_user, count_queries
):
    _log_some(make_user, admin, 1)
    as_admin.get("/admin/access-log")
    with count_queries() as few:
        assert as_admin.get("/admin/access-log").status_code == 200
    _log_some(make_user, admin, 6)
    with count_queries() as many:
        assert as_admin.get("/admin/access-log").status_code == 200
    assert len(many) == len(few)


def test_the_member_reads_who_looked_at_what_by_name(client, login, admin, make_user):
    member = make_user(name="Mo Member")
    trainer = make_user(roles=("trainer",), academy="north-west")
    cohort = _cohort("Leeds spring")
    record_access_many(trainer, [member.id], "cohort.csv-export", f"cohort:{cohort.id}")
    db.session.commit()
    login(client, member)
    html = client.get("/account/").get_data(as_text=True)
    assert "downloaded by its trainer or staff: cohort &#39;Leeds spring&#39;" in html
    assert f"cohort:{cohort.id}" not in html


def test_the_data_export_names_courses_cohorts_and_targets_not_ids(
    client, login, make_user, count_queries
):
    member = make_user(name="Mo Member")
    trainer = make_user(roles=("trainer",), academy="north-west")
    course = _course()
    learning.enrol(member, course)
    tree = learning.course_tree(course.id)
    learning.complete_lesson(member, tree.modules[0].lessons[0])
    cohort = _cohort("Leeds spring")
    record_access_many(trainer, [member.id], "cohort.csv-export", f"cohort:{cohort.id}")
    db.session.commit()
    login(client, member)
    response = client.post("/account/export")
    assert response.status_code == 200
    data = json.loads(zipfile.ZipFile(io.BytesIO(response.data)).read("data.json"))
    records = data["records"]
    [enrolment] = records["enrolments"]
    assert "course_id" not in enrolment
    assert enrolment["course"] == {"slug": "organising-basics", "title": course.title}
    [completion] = records["lesson_completions"]
    assert "lesson_id" not in completion
    assert completion["lesson"]["slug"] == tree.modules[0].lessons[0].slug
    assert completion["course"]["slug"] == "organising-basics"
    [access] = records["access_log"]
    assert access["target"] == "cohort 'Leeds spring'"
    assert access["what"] == "Your cohort's progress was downloaded by its trainer or staff"
    assert "cohort.csv-export" not in json.dumps(data)


def test_the_export_names_things_in_a_fixed_number_of_queries(make_user, count_queries):
    from academy.services import privacy

    member = make_user(name="Mo Member")
    trainer = make_user(roles=("trainer",), academy="north-west")

    def grow(n: int) -> None:
        for i in range(n):
            cohort = _cohort(f"Leeds {n}-{i}")
            record_access_many(trainer, [member.id], "cohort.csv-export", f"cohort:{cohort.id}")
        db.session.commit()

    courses = db.session.scalars(sa.select(Course).order_by(Course.id)).all()
    learning.enrol(member, courses[0])
    grow(1)
    privacy.export_data(member)
    with count_queries() as few:
        privacy.export_data(member)
    for course in courses[1:]:
        learning.enrol(member, course, check_prerequisites=False)
    grow(5)
    privacy.export_data(member)  # as above: the member reloaded after the commit
    with count_queries() as many:
        data = privacy.export_data(member)
    assert len(data["records"]["enrolments"]) == len(courses) > 1
    assert len(data["records"]["access_log"]) == 6
    assert len(many) == len(few)
