from datetime import UTC, datetime, time

import sqlalchemy as sa
from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import aliased

from academy import mail
from academy.access import roles_required
from academy.admin.blueprint import bp
from academy.admin.forms import (
    AcademyForm,
    CompleteForm,
    DataRequestForm,
    EraseForm,
    ExportForm,
    ExtendRequestForm,
    GrantRoleForm,
    QuestionForm,
    RenameAcademyForm,
    RetentionForm,
    RevokeRoleForm,
    RunRetentionForm,
    ToggleForm,
)
from academy.database import unit_of_work, writes
from academy.extensions import db
from academy.formatting import long_date
from academy.models import (
    Academy,
    AcademyRole,
    AccessLogEntry,
    AuditEvent,
    DataRequest,
    EqualityQuestion,
    Erasure,
    User,
)
from academy.models.privacy import REQUEST_LABELS
from academy.paging import PAGE_SIZE, Window, page_from_query
from academy.services import (
    ServiceError,
    accounts,
    admin,
    background_jobs,
    equality,
    mail_failures,
    privacy,
)
from academy.services import access_log as access_words
from academy.services.access_log import record_access, record_access_many
from academy.timeutil import utcnow


def _get_or_404(model, ident):
    item = db.session.get(model, ident)
    if item is None:
        abort(404)
    return item


@bp.get("/")
@roles_required("admin")
def index():
    today = utcnow().date()
    open_requests = db.session.scalar(
        select(sa.func.count()).where(DataRequest.completed_at.is_(None))
    )
    overdue = db.session.scalar(
        select(sa.func.count()).where(
            DataRequest.completed_at.is_(None), DataRequest.due_on < today
        )
    )
    return render_template(
        "admin/index.html",
        open_requests=open_requests,
        overdue=overdue,
        failed_mail=mail_failures.count_recent(),
        failed_jobs=background_jobs.failed_count(),
    )


# Academies ------------------------------------------------------------------------------


@bp.route("/academies", methods=["GET", "POST"])
@roles_required("admin")
def academies():
    form = AcademyForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                academy = admin.create_academy(form.name.data, form.slug.data, actor=current_user)
        except ServiceError as error:
            form.slug.errors.append(str(error))
        else:
            flash(f"{academy.full_name} has been created.", "success")
            return redirect(url_for("admin.academies"))
    counts = {
        (academy_id, role): n
        for academy_id, role, n in db.session.execute(
            select(AcademyRole.academy_id, AcademyRole.role, sa.func.count()).group_by(
                AcademyRole.academy_id, AcademyRole.role
            )
        )
    }
    rows = db.session.scalars(select(Academy).order_by(Academy.name)).all()
    return render_template("admin/academies.html", academies=rows, counts=counts, form=form)


@bp.route("/academies/<int:academy_id>", methods=["GET", "POST"])
@writes
@roles_required("admin")
def academy(academy_id: int):
    place = _get_or_404(Academy, academy_id)
    form = RenameAcademyForm(obj=place)
    if form.validate_on_submit():
        try:
            with unit_of_work():
                admin.rename_academy(place, form.name.data, actor=current_user)
        except ServiceError as error:
            form.name.errors.append(str(error))
        else:
            flash("The academy has been renamed.", "success")
            return redirect(url_for("admin.academy", academy_id=place.id))
    # Plain rows, not objects: the commit below would expire objects.
    people = db.session.execute(
        select(AcademyRole.role, User.id, User.display_name, User.email)
        .join(User, User.id == AcademyRole.user_id)
        .where(AcademyRole.academy_id == place.id)
        .order_by(AcademyRole.role, User.display_name)
    ).all()
    with unit_of_work():
        record_access_many(
            current_user, [row.id for row in people], "admin.academy-people", f"academy:{place.id}"
        )
    return render_template("admin/academy.html", academy=place, people=people, form=form)


# People and their roles -------------------------------------------------------------------


@bp.get("/people")
@writes
@roles_required("admin")
def people():
    query = (request.args.get("q") or "").strip()
    results = []
    if query:
        pattern = f"%{query.lower()}%"
        matches = (
            select(User.id)
            .where(sa.or_(User.email.like(pattern), sa.func.lower(User.display_name).like(pattern)))
            .order_by(User.display_name, User.id)
            .limit(PAGE_SIZE)
        )
        # Logged and committed first: a commit would expire the people loaded for the page.
        ids = db.session.scalars(matches).all()
        with unit_of_work():
            record_access_many(current_user, ids, "admin.people-search")
        results = db.session.scalars(
            select(User).where(User.id.in_(ids)).order_by(User.display_name, User.id)
        ).all()
    return render_template("admin/people.html", query=query, results=results)


def _grant_form() -> GrantRoleForm:
    form = GrantRoleForm()
    form.academy.choices = [(0, "No academy (admins only)")] + [
        (a.id, a.name) for a in db.session.scalars(select(Academy).order_by(Academy.name))
    ]
    return form


def _person_page(person: User, grant_form: GrantRoleForm | None = None, erase_form=None):
    with unit_of_work():
        record_access(current_user, person, "admin.member-page")
    requests = db.session.scalars(
        select(DataRequest).where(DataRequest.user_id == person.id).order_by(DataRequest.id.desc())
    ).all()
    actor = aliased(User)
    history = db.session.execute(
        select(AuditEvent, actor.display_name)
        .outerjoin(actor, actor.id == AuditEvent.actor_id)
        .where(AuditEvent.subject_user_id == person.id, AuditEvent.action.like("role.%"))
        .order_by(AuditEvent.id.desc())
        .limit(20)
    ).all()
    return render_template(
        "admin/person.html",
        person=person,
        erased=db.session.get(Erasure, person.id) is not None,
        grant_form=grant_form or _grant_form(),
        revoke_form=RevokeRoleForm(),
        export_form=ExportForm(),
        erase_form=erase_form or EraseForm(),
        requests=requests,
        labels=REQUEST_LABELS,
        history=history,
    )


@bp.get("/people/<int:user_id>")
@writes
@roles_required("admin")
def person(user_id: int):
    return _person_page(_get_or_404(User, user_id))


@bp.post("/people/<int:user_id>/roles")
@roles_required("admin")
def grant_role(user_id: int):
    person = _get_or_404(User, user_id)
    form = _grant_form()
    if form.validate_on_submit():
        place = db.session.get(Academy, form.academy.data) if form.academy.data else None
        try:
            with unit_of_work():
                admin.grant(person, form.role.data, place, actor=current_user)
        except ServiceError as error:
            form.academy.errors.append(str(error))
        else:
            flash(f"{person.display_name} is now {form.role.data}.", "success")
            return redirect(url_for("admin.person", user_id=person.id))
    return _person_page(person, grant_form=form), 400


@bp.post("/people/<int:user_id>/roles/revoke")
@roles_required("admin")
def revoke_role(user_id: int):
    person = _get_or_404(User, user_id)
    form = RevokeRoleForm()
    if form.validate_on_submit():
        place = None
        if form.academy_id.data:
            place = _get_or_404(Academy, int(form.academy_id.data))
        try:
            with unit_of_work():
                admin.revoke(person, form.role.data, place, actor=current_user)
        except (ServiceError, ValueError) as error:
            flash(str(error), "error")
        else:
            flash("The role has been removed.", "success")
    return redirect(url_for("admin.person", user_id=person.id))


@bp.post("/people/<int:user_id>/export")
@roles_required("admin")
def export_person(user_id: int):
    person = _get_or_404(User, user_id)
    form = ExportForm()
    if not form.validate_on_submit():
        abort(400)
    archive = privacy.export_archive(person)
    with unit_of_work():
        record_access(current_user, person, "data-export")
        privacy.record_export(person, actor=current_user)
    return Response(
        archive,
        mimetype="application/zip",
        headers={"Content-Disposition": f'attachment; filename="member-{person.id}-data.zip"'},
    )


@bp.post("/people/<int:user_id>/erase")
@roles_required("admin")
def erase_person(user_id: int):
    person = _get_or_404(User, user_id)
    form = EraseForm()
    if form.validate_on_submit():
        if person.id == current_user.id:
            flash("Delete your own account from your account page.", "error")
            return redirect(url_for("admin.person", user_id=person.id))
        try:
            with unit_of_work():
                privacy.erase_account(person, reason="admin", actor=current_user)
        except ServiceError as error:
            flash(str(error), "error")
        else:
            flash("The account has been erased.", "success")
        return redirect(url_for("admin.person", user_id=person.id))
    return _person_page(person, erase_form=form), 400


# Data requests ------------------------------------------------------------------------------


@bp.route("/data-requests", methods=["GET", "POST"])
@writes
@roles_required("admin")
def data_requests():
    form = DataRequestForm()
    if form.validate_on_submit():
        person = accounts.find_user_by_email(form.email.data)
        if person is None:
            form.email.errors.append("No account has this e-mail address.")
        else:
            received = datetime.combine(form.received_on.data, time(12), tzinfo=UTC)
            if received.date() > utcnow().date():
                form.received_on.errors.append("The date received cannot be in the future.")
            else:
                with unit_of_work():
                    privacy.open_request(
                        person,
                        form.kind.data,
                        actor=current_user,
                        channel="staff",
                        note=form.note.data or "",
                        received_at=received,
                    )
                flash("The request has been logged.", "success")
                return redirect(url_for("admin.data_requests"))
    if request.method == "GET" and form.received_on.data is None:
        form.received_on.data = utcnow().date()
    order = (DataRequest.completed_at.is_not(None), DataRequest.due_on, DataRequest.id)
    # Logged and committed first: a commit would expire the rows loaded for the page.
    subjects = db.session.scalars(select(DataRequest.user_id).order_by(*order).limit(200)).all()
    with unit_of_work():
        record_access_many(current_user, [s for s in subjects if s], "admin.data-requests")
    subject = aliased(User)
    rows = db.session.execute(
        select(DataRequest, subject.display_name, subject.email)
        .outerjoin(subject, subject.id == DataRequest.user_id)
        .order_by(*order)
        .limit(200)
    ).all()
    return render_template(
        "admin/data_requests.html",
        rows=rows,
        form=form,
        complete_form=CompleteForm(),
        labels=REQUEST_LABELS,
        today=utcnow().date(),
        can_extend=privacy.can_extend,
    )


@bp.post("/data-requests/<int:request_id>/complete")
@roles_required("admin")
def complete_request(request_id: int):
    item = _get_or_404(DataRequest, request_id)
    if CompleteForm().validate_on_submit():
        try:
            with unit_of_work():
                privacy.complete_request(item, actor=current_user)
        except ServiceError as error:
            flash(str(error), "error")
        else:
            flash("The request is marked as done.", "success")
    return redirect(url_for("admin.data_requests"))


@bp.route("/data-requests/<int:request_id>/extend", methods=["GET", "POST"])
@writes
@roles_required("admin")
def extend_request(request_id: int):
    """Extend a request's deadline once by two months, telling the member why."""
    item = _get_or_404(DataRequest, request_id)
    form = ExtendRequestForm()
    problem = None
    if form.validate_on_submit():
        try:
            with unit_of_work():
                message = privacy.extend_request(item, actor=current_user, reason=form.reason.data)
                if message:
                    mail.send(message)
        except ServiceError as error:
            problem = str(error)
        else:
            flash(
                f"The deadline is now {long_date(item.due_on)}. "
                + ("The member has been e-mailed the reason." if message else ""),
                "success",
            )
            return redirect(url_for("admin.data_requests"))
    member = db.session.get(User, item.user_id) if item.user_id else None
    if member is not None:
        with unit_of_work():
            record_access(current_user, member, "admin.data-request")
    return render_template(
        "admin/extend_request.html",
        item=item,
        member=member,
        form=form,
        problem=problem,
        labels=REQUEST_LABELS,
        can_extend=privacy.can_extend(item, utcnow().date()),
        extended_due=privacy.extended_due_on(item),
    ), (400 if problem or form.errors else 200)


# Access log -----------------------------------------------------------------------------------


@bp.get("/access-log")
@roles_required("admin")
def access_log():
    window = Window(page_from_query(), PAGE_SIZE)
    actor, subject = aliased(User), aliased(User)
    found = window.page(
        db.session.execute(
            window.apply(
                select(AccessLogEntry, actor.display_name, subject.display_name)
                .outerjoin(actor, actor.id == AccessLogEntry.actor_id)
                .outerjoin(subject, subject.id == AccessLogEntry.subject_user_id)
                .order_by(AccessLogEntry.id.desc())
            )
        ).all()
    )
    words = access_words.entries_in_words([entry for entry, _, _ in found.items])
    return render_template(
        "admin/access_log.html",
        rows=[(*row, said) for row, said in zip(found.items, words, strict=True)],
        page=found.number,
        has_next=found.has_next,
    )


# Retention ------------------------------------------------------------------------------------


@bp.route("/retention", methods=["GET", "POST"])
@roles_required("admin")
def retention():
    form = RetentionForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                privacy.set_retention_days(form.days.data, actor=current_user)
        except ServiceError as error:
            form.days.errors.append(str(error))
        else:
            flash("The retention period has been saved.", "success")
            return redirect(url_for("admin.retention"))
    if request.method == "GET":
        form.days.data = privacy.retention_days()
    return render_template(
        "admin/retention.html",
        form=form,
        run_form=RunRetentionForm(),
        preview=privacy.retention_preview(),
        days=privacy.retention_days(),
    )


@bp.post("/retention/run")
@roles_required("admin")
def run_retention():
    form = RunRetentionForm()
    if form.validate_on_submit():
        with unit_of_work():
            result = privacy.run_retention()
        flash(
            f"{result['anonymised']} inactive accounts anonymised, "
            f"{result['deleted']} unconfirmed registrations deleted.",
            "success",
        )
    else:
        flash("Tick the box to confirm.", "error")
    return redirect(url_for("admin.retention"))


# Equality questions -----------------------------------------------------------------------------


@bp.route("/equality-questions", methods=["GET", "POST"])
@roles_required("admin")
def equality_questions():
    form = QuestionForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                equality.add_question(form.label.data, form.hint.data or "", actor=current_user)
        except ServiceError as error:
            form.label.errors.append(str(error))
        else:
            flash("The question has been added to the questionnaire.", "success")
            return redirect(url_for("admin.equality_questions"))
    custom = db.session.scalars(select(EqualityQuestion).order_by(EqualityQuestion.id)).all()
    return render_template(
        "admin/equality_questions.html",
        builtin=equality.QUESTIONS,
        custom=custom,
        form=form,
        toggle_form=ToggleForm(),
    )


@bp.post("/equality-questions/<int:question_id>/toggle")
@roles_required("admin")
def toggle_question(question_id: int):
    question = _get_or_404(EqualityQuestion, question_id)
    if ToggleForm().validate_on_submit():
        with unit_of_work():
            equality.set_question_active(question, not question.active, actor=current_user)
        flash(
            "The question is now " + ("asked." if question.active else "no longer asked."),
            "success",
        )
    return redirect(url_for("admin.equality_questions"))
