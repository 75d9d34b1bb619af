"""Staff pages: load the object (404), check it is in the staff member's academies
(404: another academy's certificates are none of their business), then act
through the services and commit once."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import sqlalchemy as sa
from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import selectinload
from wtforms.fields.choices import SelectChoice

from academy.access import roles_required
from academy.database import unit_of_work, writes
from academy.extensions import db
from academy.models import Academy, AuditEvent, Cohort, Course, Role, User, within_academies
from academy.models.certificates import Certificate, CertificateBatch
from academy.paging import PAGE_SIZE, Window, id_from_query, page_from_query
from academy.services import ServiceError, promotion, staff_counts
from academy.services import certificates as service
from academy.services.access_log import record_access
from academy.staff.blueprint import bp
from academy.staff.forms import (
    DeclineForm,
    DemoteForm,
    FilterForm,
    IssueCohortForm,
    IssueForm,
    PromoteForm,
    ReissueForm,
    ResumeForm,
    RevokeForm,
)
from academy.timeutil import utcnow

STAFF = ("staff", "admin")
AUDITED = ("certificate.", "trainer.", "role.")


# Helpers ----------------------------------------------------------------------------------


def _certificate_or_404(certificate_id: int) -> Certificate:
    certificate = db.session.get(Certificate, certificate_id)
    if certificate is None or not current_user.acts_in(certificate.academy_id, Role.STAFF):
        abort(404)
    return certificate


def _academy_or_404(academy_id: int | None) -> Academy:
    academy = db.session.get(Academy, academy_id) if academy_id else None
    if academy is None or not current_user.acts_in(academy.id, Role.STAFF):
        abort(404)
    return academy


def _user_or_404(user_id: int | None) -> User:
    user = db.session.get(User, user_id) if user_id else None
    if user is None:
        abort(404)
    return user


def _form_errors(form) -> None:
    for errors in form.errors.values():
        for error in errors:
            flash(error, "error")


def _back(default: str) -> str:
    """Return to the page the form was on (only ever one of ours)."""
    target = request.form.get("next", "")
    if target.startswith("/staff/") and "//" not in target and "\\" not in target:
        return target
    return default


# Home -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchLine:
    """A recent cohort batch, as the home page lists it."""

    id: int
    course_title: str
    academy_name: str
    issued: int
    total: int
    status: str


def _recent_batches(limit: int = 5) -> list[BatchLine]:
    """The latest batches of the staff member's academies: the columns shown, not
    the batches (whose per-member outcomes can be long)."""
    query = (
        sa.select(
            CertificateBatch.id,
            Course.title,
            Academy.name,
            CertificateBatch.issued,
            CertificateBatch.user_ids,
            CertificateBatch.status,
        )
        .join(Course, Course.id == CertificateBatch.course_id)
        .join(Academy, Academy.id == CertificateBatch.academy_id)
        .order_by(CertificateBatch.id.desc())
        .limit(limit)
    )
    query = within_academies(query, CertificateBatch.academy_id, current_user, Role.STAFF)
    return [
        BatchLine(batch_id, title, name, issued, len(user_ids or ()), status)
        for batch_id, title, name, issued, user_ids, status in db.session.execute(query)
    ]


@bp.get("/")
@roles_required(*STAFF)
def index():
    # Counted, not listed: the lists can hold tens of thousands at full membership.
    counts = staff_counts.waiting_counts(current_user)
    return render_template(
        "staff/index.html",
        academies=service.academies_of(current_user),
        waiting=counts.certificates,
        candidates=counts.candidates,
        cap=staff_counts.COUNT_CAP,
        counts_age=staff_counts.largest_age(),
        batches=_recent_batches(),
    )


# Eligible members and issuing -----------------------------------------------------------


def _filter_form(academies: list[Academy]) -> FilterForm:
    form = FilterForm(request.args)
    form.academy.choices = [SelectChoice(0, "All my academies")] + [
        SelectChoice(a.id, a.name) for a in academies
    ]
    courses = db.session.scalars(
        sa.select(Course)
        .where(Course.accredited.is_(True), Course.retired_at.is_(None))
        .order_by(Course.position, Course.title)
    ).all()
    form.course.choices = [SelectChoice(0, "All courses")] + [
        SelectChoice(c.id, c.title) for c in courses
    ]
    return form


@bp.get("/eligible")
@roles_required(*STAFF)
def eligible():
    academies = service.academies_of(current_user)
    form = _filter_form(academies)
    filters = {name: id_from_query(name) for name in ("academy", "course", "cohort")}
    page = page_from_query()
    waiting = service.waiting_page(
        current_user,
        academy_id=filters["academy"],
        course_id=filters["course"],
        cohort_id=filters["cohort"],
        page=page,
        per_page=PAGE_SIZE,
    )
    by_cohort: OrderedDict[Cohort, list] = OrderedDict()
    alone = []
    for entry in waiting.entries:
        if entry.cohort is None:
            alone.append(entry)
        else:
            by_cohort.setdefault(entry.cohort, []).append(entry)
    return render_template(
        "staff/eligible.html",
        form=form,
        academies=academies,
        by_cohort=by_cohort,
        alone=alone,
        waiting=waiting,
        page=page,
        query_args={name: value for name, value in filters.items() if value},
    )


@bp.post("/certificates/issue")
@roles_required(*STAFF)
def issue():
    form = IssueForm()
    if not form.validate_on_submit():
        _form_errors(form)
        return redirect(_back(url_for("staff.eligible")))
    member = _user_or_404(form.user_id.data)
    course = db.session.get(Course, form.course_id.data) or abort(404)
    cohort = None
    if form.cohort_id.data:
        cohort = db.session.get(Cohort, form.cohort_id.data) or abort(404)
        if not current_user.acts_in(cohort.academy_id, Role.STAFF):
            abort(404)
    academy = _academy_or_404(form.academy_id.data) if form.academy_id.data else None
    try:
        with unit_of_work():
            certificate = service.issue(
                member, course, actor=current_user, academy=academy, cohort=cohort
            )
            code = certificate.code
    except ServiceError as error:
        flash(str(error), "error")
        return redirect(_back(url_for("staff.eligible")))
    flash(
        f"Certificate {certificate.number} issued to {certificate.holder_name}. "
        f"Its verification link: {service.verify_url(code)}",
        "success",
    )
    return redirect(url_for("staff.certificate", certificate_id=certificate.id))


@bp.post("/cohorts/<int:cohort_id>/certificates")
@roles_required(*STAFF)
def issue_cohort(cohort_id: int):
    cohort = db.session.get(Cohort, cohort_id)
    if cohort is None or not current_user.acts_in(cohort.academy_id, Role.STAFF):
        abort(404)
    form = IssueCohortForm()
    if not form.validate_on_submit():
        _form_errors(form)
        return redirect(url_for("staff.eligible", cohort=cohort.id))
    try:
        with unit_of_work():
            batch = service.start_batch(cohort, actor=current_user)
    except ServiceError as error:
        flash(str(error), "error")
        return redirect(url_for("staff.eligible", cohort=cohort.id))
    _queue_batch(batch.id)
    return redirect(url_for("staff.batch", batch_id=batch.id))


def _queue_batch(batch_id: int) -> bool:
    # After the unit of work, with nothing left to commit: the job (in another process)
    # must see the batch, and a queue that is down must answer here.
    if service.queue_batch(batch_id):
        return True
    flash(WAITING_FOR_QUEUE, "warning")
    return False


WAITING_FOR_QUEUE = (
    "The background queue cannot be reached just now, so the batch is waiting to start. "
    "Nothing more is needed from you: it starts by itself as soon as the queue is back."
)


def _batch_or_404(batch_id: int) -> CertificateBatch:
    batch = db.session.get(CertificateBatch, batch_id)
    if batch is None or not current_user.acts_in(batch.academy_id, Role.STAFF):
        abort(404)
    return batch


@bp.get("/batches/<int:batch_id>")
@roles_required(*STAFF)
def batch(batch_id: int):
    batch = _batch_or_404(batch_id)
    course = db.session.get(Course, batch.course_id)
    cohort = db.session.get(Cohort, batch.cohort_id) if batch.cohort_id else None
    people = {
        u.id: u
        for u in db.session.scalars(sa.select(User).where(User.id.in_(batch.user_ids or [-1])))
    }
    return render_template(
        "staff/batch.html",
        batch=batch,
        course=course,
        cohort=cohort,
        people=people,
        can_resume=service.can_resume(batch),
        resume_form=ResumeForm(),
    )


@bp.get("/batches/<int:batch_id>.json")
@roles_required(*STAFF)
def batch_json(batch_id: int):
    batch = _batch_or_404(batch_id)
    return jsonify(
        status=batch.status,
        total=batch.total,
        issued=batch.issued,
        skipped=batch.skipped,
        failed=batch.failed,
        percent=batch.percent,
        finished=batch.finished,
        state=batch.state,
    )


@bp.post("/batches/<int:batch_id>/resume")
@roles_required(*STAFF)
def resume_batch(batch_id: int):
    batch = _batch_or_404(batch_id)
    form = ResumeForm()
    if not form.validate_on_submit():
        _form_errors(form)
        return redirect(url_for("staff.batch", batch_id=batch.id))
    try:
        with unit_of_work():
            service.resume_batch(batch, actor=current_user)
    except ServiceError as error:
        flash(str(error), "error")
        return redirect(url_for("staff.batch", batch_id=batch.id))
    if _queue_batch(batch.id):
        flash("The batch is carrying on where it stopped.", "success")
    return redirect(url_for("staff.batch", batch_id=batch.id))


# Issued certificates ----------------------------------------------------------------------


@bp.get("/certificates")
@roles_required(*STAFF)
def certificates():
    academies = service.academies_of(current_user)
    form = _filter_form(academies)
    query = sa.select(Certificate).order_by(Certificate.issued_at.desc(), Certificate.id.desc())
    query = within_academies(query, Certificate.academy_id, current_user, Role.STAFF)
    if academy_id := id_from_query("academy"):
        query = query.where(Certificate.academy_id == academy_id)
    if course_id := id_from_query("course"):
        query = query.where(Certificate.course_id == course_id)
    status = request.args.get("status", "")
    if status == "renewal":
        query = query.where(
            Certificate.status == "valid",
            Certificate.expires_on <= utcnow().date() + service.RENEW_WINDOW,
        )
    elif status:
        query = query.where(Certificate.status == status)
    if q := (request.args.get("q") or "").strip()[:120]:
        like = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(
            sa.or_(
                Certificate.number.ilike(like, escape="\\"),
                Certificate.holder_name.ilike(like, escape="\\"),
            )
        )
    window = Window(page_from_query(), PAGE_SIZE)
    found = window.page(db.session.scalars(window.apply(query)).all())
    return render_template(
        "staff/certificates.html",
        form=form,
        certificates=found.items,
        page=found.number,
        has_next=found.has_next,
        query_args={k: v for k, v in request.args.items() if k != "page"},
    )


@bp.get("/certificates/<int:certificate_id>")
@writes  # logs the view in the member's access log
@roles_required(*STAFF)
def certificate(certificate_id: int):
    certificate = _certificate_or_404(certificate_id)
    holder = db.session.get(User, certificate.user_id) if certificate.user_id else None
    if holder is not None:
        with unit_of_work():
            record_access(
                current_user, holder, "staff.certificate-page", f"certificate:{certificate.id}"
            )
    history = db.session.scalars(
        sa.select(AuditEvent)
        .options(selectinload(AuditEvent.actor))
        .where(AuditEvent.target == certificate.number)
        .order_by(AuditEvent.at, AuditEvent.id)
    ).all()
    return render_template(
        "staff/certificate.html",
        certificate=certificate,
        holder=holder,
        history=history,
        revoke_form=RevokeForm(),
        reissue_form=ReissueForm(),
        can_renew=service.can_renew(certificate),
    )


@bp.post("/certificates/<int:certificate_id>/revoke")
@roles_required(*STAFF)
def revoke(certificate_id: int):
    certificate = _certificate_or_404(certificate_id)
    form = RevokeForm()
    if not form.validate_on_submit():
        _form_errors(form)
        return redirect(url_for("staff.certificate", certificate_id=certificate.id))
    try:
        with unit_of_work():
            service.revoke(
                certificate,
                actor=current_user,
                reason=form.reason.data,
                category=form.category.data,
            )
    except ServiceError as error:
        flash(str(error), "error")
        return redirect(url_for("staff.certificate", certificate_id=certificate.id))
    flash(f"Certificate {certificate.number} is revoked.", "success")
    return redirect(url_for("staff.certificate", certificate_id=certificate.id))


@bp.post("/certificates/<int:certificate_id>/reissue")
@roles_required(*STAFF)
def reissue(certificate_id: int):
    return _reissue(certificate_id, renew=False)


@bp.post("/certificates/<int:certificate_id>/renew")
@roles_required(*STAFF)
def renew(certificate_id: int):
    return _reissue(certificate_id, renew=True)


def _reissue(certificate_id: int, *, renew: bool):
    certificate = _certificate_or_404(certificate_id)
    form = ReissueForm()
    if not form.validate_on_submit():
        _form_errors(form)
        return redirect(url_for("staff.certificate", certificate_id=certificate.id))
    try:
        with unit_of_work():
            new = service.reissue(certificate, actor=current_user, renew=renew)
            code = new.code
    except ServiceError as error:
        flash(str(error), "error")
        return redirect(url_for("staff.certificate", certificate_id=certificate.id))
    flash(
        f"Certificate {new.number} replaces {certificate.number}. "
        f"Its verification link: {service.verify_url(code)}",
        "success",
    )
    return redirect(url_for("staff.certificate", certificate_id=new.id))


# Promotions -------------------------------------------------------------------------------


@bp.get("/promotions")
@roles_required(*STAFF)
def promotions():
    academies = service.academies_of(current_user)
    # Graduates and trainers are paged apart: each list keeps its place as the other moves.
    page = page_from_query()
    trainers_page = page_from_query("trainers")
    candidates, more_candidates = promotion.candidates_page(current_user, page, PAGE_SIZE)
    trainers, more_trainers = promotion.trainers_page(current_user, trainers_page, PAGE_SIZE)
    return render_template(
        "staff/promotions.html",
        academies=academies,
        candidates=candidates,
        trainers=trainers,
        course=promotion.trainer_course(),
        page=page,
        more_candidates=more_candidates,
        trainers_page=trainers_page,
        more_trainers=more_trainers,
        waiting=staff_counts.waiting_counts(current_user).candidates,
        cap=staff_counts.COUNT_CAP,
    )


def _change_trainer_role(form, action, success: str):
    """Promote, decline or demote: the same checks, one service call, one message.

    `success` is formatted with the member's name and the academy's full name.
    """
    if not form.validate_on_submit():
        _form_errors(form)
        return redirect(url_for("staff.promotions"))
    member = _user_or_404(form.user_id.data)
    academy = _academy_or_404(form.academy_id.data)
    try:
        with unit_of_work():
            action(member, academy, actor=current_user, note=form.note.data)
    except ServiceError as error:
        flash(str(error), "error")
        return redirect(url_for("staff.promotions"))
    flash(success.format(name=member.display_name, academy=academy.full_name), "success")
    return redirect(url_for("staff.promotions"))


@bp.post("/promotions/promote")
@roles_required(*STAFF)
def promote():
    return _change_trainer_role(
        PromoteForm(), promotion.promote, "{name} is now a trainer in {academy}."
    )


@bp.post("/promotions/decline")
@roles_required(*STAFF)
def decline():
    return _change_trainer_role(
        DeclineForm(), promotion.decline, "Declined for now: {name}. They have been told."
    )


@bp.post("/trainers/demote")
@roles_required(*STAFF)
def demote():
    return _change_trainer_role(
        DemoteForm(), promotion.demote, "{name} is no longer a trainer in {academy}."
    )


@bp.get("/lineage")
@roles_required(*STAFF)
def lineage():
    academies = service.academies_of(current_user)
    if not academies:
        abort(404)
    chosen = id_from_query("academy") or academies[0].id
    academy = _academy_or_404(chosen)
    return render_template(
        "staff/lineage.html",
        academies=academies,
        academy=academy,
        tree=promotion.lineage(academy),
    )


# Audit log --------------------------------------------------------------------------------


@bp.get("/audit")
@roles_required(*STAFF)
def audit():
    academies = service.academies_of(current_user)
    query = (
        sa.select(AuditEvent)
        .options(selectinload(AuditEvent.actor), selectinload(AuditEvent.subject))
        .where(sa.or_(*(AuditEvent.action.startswith(prefix) for prefix in AUDITED)))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    )
    query = within_academies(query, AuditEvent.academy_id, current_user, Role.STAFF)
    if academy_id := id_from_query("academy"):
        query = query.where(AuditEvent.academy_id == academy_id)
    window = Window(page_from_query(), PAGE_SIZE)
    found = window.page(db.session.scalars(window.apply(query)).all())
    names = {a.id: a.name for a in db.session.scalars(sa.select(Academy))}
    return render_template(
        "staff/audit.html",
        events=found.items,
        academies=academies,
        academy_names=names,
        chosen=academy_id,
        page=found.number,
        has_next=found.has_next,
    )
