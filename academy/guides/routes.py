"""Guide pages, session packs and workbooks.

A guide is for those who teach: a member asking for one (or its pack) by URL gets
404, as for anything else that is not theirs, so its existence is not a hint.
"""

from __future__ import annotations

import io

from flask import abort, render_template, send_file
from flask_login import current_user

from academy.access import roles_required, signed_in
from academy.guides.blueprint import bp
from academy.models import Cohort, CohortSession, Course
from academy.services import guides as service


def _readable_guide(course_slug: str, module_slug: str):
    course = service.current_course(course_slug)
    if course is None or not service.may_read_guides(current_user, course.id):
        abort(404)
    found = service.guide_of(course, module_slug)
    if found is None:
        abort(404)
    return course, *found


def _pdf(pdf: bytes, name: str):
    return send_file(
        io.BytesIO(pdf),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=name,
        max_age=0,
        etag=True,
    )


# Template helpers ----------------------------------------------------------------------


@bp.app_template_global("course_guides")
def course_guides(course) -> list:
    """The modules of `course` with a guide, if the signed-in person may read them."""
    if not current_user.is_authenticated or not service.may_read_guides(current_user, course.id):
        return []
    found = service.guides_of_courses({course.id})
    return found[0][1] if found else []


@bp.app_template_global("session_guides")
def session_guides(cohort: Cohort, sessions: list[CohortSession]) -> dict[int, object]:
    """{module id: module} for the sessions' modules that have a guide this person may read."""
    if not current_user.is_authenticated or not service.may_read_guides(
        current_user, cohort.course_id
    ):
        return {}
    guided = service.guided_module_ids(s.module_id for s in sessions)
    if not guided:
        return {}
    return {m.id: m for m in service.modules_by_id(guided)}


@bp.app_template_global("may_print_workbook")
def may_print_workbook(course) -> bool:
    return current_user.is_authenticated and service.may_print_workbook(current_user, course.id)


@bp.app_template_global("trainer_next_steps")
def trainer_next_steps() -> bool:
    """Show a trainer who runs no cohort yet (a new one) what to do next."""
    return current_user.is_authenticated and service.is_new_trainer(current_user)


# Pages ---------------------------------------------------------------------------------


@bp.get("/guides/")
@roles_required("trainer", "staff", "admin")
def index():
    return render_template(
        "guides/index.html",
        courses=service.guides_of_courses(service.guide_course_ids(current_user)),
    )


@bp.get("/courses/<course_slug>/guides/<module_slug>")
@signed_in
def guide(course_slug: str, module_slug: str):
    course, module, found = _readable_guide(course_slug, module_slug)
    return render_template("guides/guide.html", course=course, module=module, guide=found)


@bp.get("/courses/<course_slug>/guides/<module_slug>/session-pack.pdf")
@signed_in
def session_pack(course_slug: str, module_slug: str):
    course, module, found = _readable_guide(course_slug, module_slug)
    pdf = service.session_pack(course, module, found)
    return _pdf(pdf, f"{course.slug}-{module.slug}-session-pack.pdf")


@bp.get("/courses/<course_slug>/workbook.pdf")
@signed_in
def workbook(course_slug: str):
    course: Course | None = service.current_course(course_slug)
    if course is None or not service.may_print_workbook(current_user, course.id):
        abort(404)
    return _pdf(service.workbook(course), f"{course.slug}-workbook.pdf")
