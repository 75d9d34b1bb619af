"""Cohort pages. Every view loads its cohort (404), checks access, then acts.

A cohort someone may not see answers 404, whatever they guess in the URL, so its
existence is not revealed; a member of a cohort asking for a trainer's page of it
gets 403.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import bindparam, select
from sqlalchemy.orm import defaultload, lazyload, selectinload
from wtforms import SelectChoice

from academy.access import roles_required, signed_in
from academy.auth.routes import is_safe_next
from academy.cohorts.blueprint import bp
from academy.cohorts.forms import (
    ActionForm,
    CohortEditForm,
    CohortForm,
    ImportForm,
    InviteForm,
    JoinCodeForm,
    SignOffForm,
)
from academy.csv_export import csv_download
from academy.database import unit_of_work, writes
from academy.extensions import db, limiter
from academy.links import absolute_url
from academy.models import (
    Academy,
    Cohort,
    CohortInvite,
    CohortSession,
    CohortTrainer,
    Course,
    User,
)
from academy.paging import page_asked
from academy.services import ServiceError
from academy.services import cohorts as service
from academy.services.access_log import record_access_many
from academy.services.cohorts import importing as cohorts_import
from academy.services.cohorts import signing_off as cohort_sign_off
from academy.services.cohorts import summaries as cohort_summaries
from academy.services.cohorts import table as cohorts_table

MANAGERS = ("trainer", "staff", "admin")
UK = ZoneInfo("Europe/London")


# Loading and checking ------------------------------------------------------------------


# Not the course's modules, lessons and quizzes that loading its course would bring
# (three queries): the pages that need them ask (cohorts_table.module_heads). Nor
# the trainers' own roles (two more): the pages show their names.
# Built once: every cohort page runs it, and `Session.get` with options would build
# its cache key anew on each call.
_COHORT_ONLY = (
    select(Cohort)
    .options(
        defaultload(Cohort.course).lazyload(Course.modules),
        selectinload(Cohort.trainer_links)
        .defaultload(CohortTrainer.user)
        .options(lazyload(User.role_grants), lazyload(User.academy_roles)),
    )
    .where(Cohort.id == bindparam("cohort_id"))
)


def _cohort(cohort_id: int, *, manage: bool = True) -> Cohort:
    """The cohort if the current user may manage it (or, with manage=False, view it)."""
    cohort = db.session.execute(_COHORT_ONLY, {"cohort_id": cohort_id}).scalar_one_or_none()
    if cohort is None:
        abort(404)
    if cohort.can_manage(current_user):
        return cohort
    if cohort.is_member(current_user):
        if manage:
            abort(403)
        return cohort
    abort(404)


def _session(cohort: Cohort, session_id: int) -> CohortSession:
    session = db.session.get(CohortSession, session_id)
    if session is None or session.cohort_id != cohort.id:
        abort(404)
    return session


def _course_url(cohort: Cohort) -> str | None:
    # The learning pages are another blueprint; link to them when they are there.
    if "learn.course" not in current_app.view_functions:
        return None
    return url_for("learn.course", course_slug=cohort.course.slug)


def _cohort_url(cohort: Cohort) -> str:
    return absolute_url("cohorts.detail", cohort_id=cohort.id)


# Template helpers ----------------------------------------------------------------------


@bp.app_template_global("my_cohorts")
def my_cohorts() -> list[Cohort]:
    """The cohorts the signed-in person belongs to (for the dashboard)."""
    if not current_user.is_authenticated:
        return []
    return service.cohorts_of_member(current_user)


@bp.app_template_global("upcoming_cohort_sessions")
def upcoming_cohort_sessions(limit: int = 5) -> list[CohortSession]:
    """For the member's dashboard (cohorts/_dashboard_sessions.html)."""
    if not current_user.is_authenticated:
        return []
    return service.upcoming_sessions_for(current_user, limit)


# Lists and creating --------------------------------------------------------------------


@bp.get("/cohorts/")
@signed_in
def index():
    managed = service.cohorts_managed_by(current_user) if current_user.has_role(*MANAGERS) else []
    mine = service.cohorts_of_member(current_user)
    counts = service.member_counts([c.id for c in managed])
    can_create = bool(service.academies_for_new_cohort(current_user)) and current_user.has_role(
        *MANAGERS
    )
    return render_template(
        "cohorts/index.html", managed=managed, mine=mine, counts=counts, can_create=can_create
    )


def _co_trainer_choices(form: CohortEditForm, academy_ids: set[int]) -> None:
    form.co_trainers.choices = [
        (u.id, u.display_name) for u in service.trainers_in(academy_ids) if u.id != current_user.id
    ]


def _details(form: CohortEditForm) -> service.CohortDetails:
    return service.CohortDetails(
        name=form.name.data or "",
        mode=form.mode.data,
        venue=form.venue.data or "",
        meeting_url=form.meeting_url.data or "",
        starts_on=form.starts_on.data,
        ends_on=form.ends_on.data,
        capacity=form.capacity.data,
        min_attendance_percent=form.min_attendance_percent.data,
        inactive_after_days=form.inactive_after_days.data,
        is_open=form.is_open.data,
        signup_closed=form.signup_closed.data,
        region_only=form.region_only.data,
        town=form.town.data or "",
    )


def _chosen_trainers(form: CohortEditForm) -> list[User]:
    ids = [i for i in (form.co_trainers.data or []) if i != current_user.id]
    if not ids:
        return []
    return list(db.session.scalars(db.select(User).where(User.id.in_(ids))))


@bp.route("/cohorts/new", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def new():
    academies = service.academies_for_new_cohort(current_user)
    if not academies:
        abort(403)
    form = CohortForm()
    form.academy.choices = [SelectChoice(a.id, a.full_name) for a in academies]
    form.course.choices = [SelectChoice(c.id, c.title) for c in service.offered_courses()]
    _co_trainer_choices(form, {a.id for a in academies})
    if form.validate_on_submit():
        academy = db.session.get(Academy, form.academy.data)
        course = db.session.get(Course, form.course.data)
        try:
            with unit_of_work():
                if academy is None or course is None:
                    raise ServiceError("Choose an academy and a course from the lists.")
                cohort = service.create_cohort(
                    current_user,
                    academy=academy,
                    course=course,
                    details=_details(form),
                    co_trainers=_chosen_trainers(form),
                )
        except ServiceError as error:
            form.name.errors.append(str(error))
        else:
            flash(f"Cohort “{cohort.name}” created. Now invite its members.", "success")
            return redirect(url_for("cohorts.invitations", cohort_id=cohort.id))
    return render_template("cohorts/form.html", form=form, cohort=None)


@bp.route("/cohorts/<int:cohort_id>/edit", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def edit(cohort_id: int):
    cohort = _cohort(cohort_id)
    form = CohortEditForm(obj=cohort)
    _co_trainer_choices(form, {cohort.academy_id})
    if request.method == "GET":
        form.co_trainers.data = sorted(cohort.trainer_ids - {current_user.id})
    if form.validate_on_submit():
        try:
            with unit_of_work():
                service.update_cohort(current_user, cohort, _details(form), _chosen_trainers(form))
        except ServiceError as error:
            form.name.errors.append(str(error))
        else:
            flash("Cohort details saved.", "success")
            return redirect(url_for("cohorts.detail", cohort_id=cohort.id))
    return render_template("cohorts/form.html", form=form, cohort=cohort)


# The cohort page -----------------------------------------------------------------------


@bp.get("/cohorts/<int:cohort_id>/")
@signed_in
def detail(cohort_id: int):
    cohort = _cohort(cohort_id, manage=False)
    announcements = service.announcements_of(cohort)
    if not cohort.can_manage(current_user):
        return render_template(
            "cohorts/member.html",
            cohort=cohort,
            sessions=service.sessions_of(cohort),
            announcements=announcements,
            membership=service.membership_of(cohort, current_user.id),
            attendance=service.attendance_summaries(cohort, user_ids=[current_user.id])[
                current_user.id
            ],
            course_url=_course_url(cohort),
        )
    descending = request.args.get("dir") == "desc"
    builder = cohorts_table.TableBuilder(cohort, keep_summary=True)
    sort = builder.sort_key(request.args.get("sort"))
    page, problem = page_asked(request.args.get("page"), builder.summary().pages, what="members")
    if problem:
        # A page that does not exist (a bookmark from when the cohort was bigger, a
        # mistyped address): say so and show the nearest one, in the same order.
        flash(problem, "warning")
        return redirect(_detail_url(cohort, sort, descending, page))
    table = builder.page(page, sort, descending)
    return render_template(
        "cohorts/detail.html",
        cohort=cohort,
        table=table,
        sort=sort,
        descending=descending,
        announcements=announcements,
        action_form=ActionForm(),
        figures_age=cohort_summaries.largest_age(),
    )


def _detail_url(cohort: Cohort, sort: str, descending: bool, page: int) -> str:
    return url_for(
        "cohorts.detail",
        cohort_id=cohort.id,
        sort=None if sort == "name" else sort,
        dir="desc" if descending else None,
        page=page if page > 1 else None,
        _anchor="progress",
    )


@bp.get("/cohorts/<int:cohort_id>/export.csv")
@writes  # logs the export in each member's access log
@roles_required(*MANAGERS)
def export(cohort_id: int):
    cohort = _cohort(cohort_id)
    table = cohorts_table.whole_table(cohort)
    body = cohorts_table.export_csv(table)  # before the commit expires what it reads
    # An export of members' personal data: each member can see it was taken, and by whom.
    with unit_of_work():
        record_access_many(
            current_user,
            [row.user_id for row in table.rows],
            "cohort.csv-export",
            f"cohort:{cohort.id}",
        )
    return csv_download(f"cohort-{cohort.id}-progress.csv", body)


# Invitations, joining and importing ---------------------------------------------------


@bp.route("/cohorts/<int:cohort_id>/invitations", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def invitations(cohort_id: int):
    cohort = _cohort(cohort_id)
    form = InviteForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                invite = service.create_invite(cohort, current_user, days=form.days.data)
        except ServiceError as error:
            form.days.errors.append(str(error))
        else:
            flash(f"New join code {service.format_code(invite.code)} and link created.", "success")
            return redirect(url_for("cohorts.invitations", cohort_id=cohort.id))
    return render_template(
        "cohorts/invitations.html",
        cohort=cohort,
        form=form,
        invites=service.invites_of(cohort),
        personal=service.pending_personal_invites(cohort),
        member_count=service.member_count(cohort),
        action_form=ActionForm(),
        format_code=service.format_code,
        now=datetime.now(UK),
    )


@bp.post("/cohorts/<int:cohort_id>/invitations/<int:invite_id>/revoke")
@roles_required(*MANAGERS)
def revoke_invitation(cohort_id: int, invite_id: int):
    cohort = _cohort(cohort_id)
    invite = db.session.get(CohortInvite, invite_id)
    if invite is None or invite.cohort_id != cohort.id:
        abort(404)
    if ActionForm().validate_on_submit():
        with unit_of_work():
            service.revoke_invite(invite, current_user)
        flash("Invitation withdrawn: its code and link no longer work.", "success")
    return redirect(url_for("cohorts.invitations", cohort_id=cohort.id))


def _join_key() -> str:
    # Per person, not per address: a whole class may join from one hall's Wi-Fi.
    who = current_user.id if current_user.is_authenticated else request.remote_addr
    return f"join:{who}"


@bp.route("/join", methods=["GET", "POST"])
@signed_in
@limiter.limit("20 per hour", methods=["POST"], key_func=_join_key)
def join_code():
    form = JoinCodeForm()
    if form.validate_on_submit():
        invite = service.find_invite(form.code.data)
        if invite is None or invite.personal:
            form.code.errors.append("That join code is not right. Check it with your trainer.")
        else:
            return redirect(url_for("cohorts.join", key=invite.code))
    return render_template("cohorts/join_code.html", form=form)


@bp.route("/join/<key>", methods=["GET", "POST"])
@signed_in
@limiter.limit("40 per hour", key_func=_join_key)
def join(key: str):
    invite = service.find_invite(key)
    if invite is None:
        return render_template(
            "cohorts/join_problem.html",
            message="This invitation is not valid. Check you copied all of the link or code.",
        ), 404
    cohort = invite.cohort
    if service.membership_of(cohort, current_user.id) is not None:
        return redirect(url_for("cohorts.detail", cohort_id=cohort.id))
    form = ActionForm()
    problem = service.join_problem(invite)
    if problem is None and form.validate_on_submit():
        try:
            with unit_of_work():
                service.join(current_user, invite)
        except ServiceError as error:
            problem = str(error)
        else:
            flash(
                f"Welcome to {cohort.name}. You are enrolled in {cohort.course.title}.", "success"
            )
            return redirect(url_for("cohorts.detail", cohort_id=cohort.id))
    return render_template("cohorts/join.html", cohort=cohort, form=form, problem=problem), (
        409 if problem else 200
    )


@bp.route("/cohorts/<int:cohort_id>/import", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def import_members(cohort_id: int):
    cohort = _cohort(cohort_id)
    form = ImportForm()
    results = problems = None
    if form.validate_on_submit():
        try:
            with unit_of_work():
                rows = cohorts_import.parse(form.file.data.read(cohorts_import.MAX_BYTES + 1))
                results, messages = cohorts_import.import_members(cohort, current_user, rows)
                service.send_later(messages)
        except cohorts_import.ImportRejected as error:
            problems = error.problems
    status = 400 if problems else 200
    return render_template(
        "cohorts/import.html", cohort=cohort, form=form, results=results, problems=problems
    ), status


def _member_action(cohort_id: int, user_id: int, act) -> Response:
    cohort = _cohort(cohort_id)
    if service.membership_of(cohort, user_id) is None:
        abort(404)
    if ActionForm().validate_on_submit():
        try:
            with unit_of_work():
                message = act(cohort, user_id, current_user)
        except ServiceError as error:
            flash(str(error), "error")
        else:
            flash(message, "success")
    back = request.form.get("back")
    return redirect(back if is_safe_next(back) else url_for("cohorts.detail", cohort_id=cohort_id))


@bp.post("/cohorts/<int:cohort_id>/members/<int:user_id>/sign-off")
@roles_required(*MANAGERS)
def sign_off(cohort_id: int, user_id: int):
    def act(cohort, user_id, actor):
        service.sign_off(cohort, user_id, actor)
        return f"{db.session.get(User, user_id).display_name} signed off."

    return _member_action(cohort_id, user_id, act)


@bp.route("/cohorts/<int:cohort_id>/sign-off", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def sign_off_members(cohort_id: int):
    """Everyone waiting for sign-off on one page, to sign off together."""
    cohort = _cohort(cohort_id)
    form = SignOffForm()
    problem = problems = None
    if form.validate_on_submit():
        try:
            with unit_of_work():
                count = cohort_sign_off.sign_off_members(cohort, form.members.data, current_user)
        except ServiceError as error:
            problem, problems = str(error), getattr(error, "problems", None)
        else:
            flash(_signed_off_message(count), "success")
            return redirect(url_for("cohorts.detail", cohort_id=cohort.id, sort="status"))
    # Everyone who can be signed off is ticked until the trainer says otherwise.
    chosen = set(form.members.data or ()) if form.is_submitted() else None
    return render_template(
        "cohorts/sign_off.html",
        cohort=cohort,
        form=form,
        waiting=cohort_sign_off.waiting(cohort),
        chosen=chosen,
        problem=problem,
        problems=problems,
    ), (400 if problem or form.errors else 200)


def _signed_off_message(count: int) -> str:
    if count == 0:
        return "Everyone you chose had been signed off already."
    return f"{count} member{'' if count == 1 else 's'} signed off."


@bp.post("/cohorts/<int:cohort_id>/members/<int:user_id>/withdraw-sign-off")
@roles_required(*MANAGERS)
def withdraw_sign_off(cohort_id: int, user_id: int):
    def act(cohort, user_id, actor):
        service.withdraw_sign_off(cohort, user_id, actor)
        return "Sign-off withdrawn."

    return _member_action(cohort_id, user_id, act)


@bp.post("/cohorts/<int:cohort_id>/members/<int:user_id>/remove")
@roles_required(*MANAGERS)
def remove_member(cohort_id: int, user_id: int):
    offers = []  # the freed place, offered to the waiting list once committed

    def act(cohort, user_id, actor):
        offers.extend(service.remove_member(cohort, user_id, actor))
        return "Removed from the cohort. Their own progress in the course is kept."

    response = _member_action(cohort_id, user_id, act)
    service.send_later(offers)
    return response


@bp.route("/cohorts/<int:cohort_id>/leave", methods=["GET", "POST"])
@signed_in
def leave(cohort_id: int):
    cohort = _cohort(cohort_id, manage=False)
    if service.membership_of(cohort, current_user.id) is None:
        abort(404)  # a trainer or staff member is not a member to leave
    form = ActionForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                offers = service.leave_cohort(cohort, current_user)
                service.send_later(offers)
        except ServiceError as error:
            flash(str(error), "error")
            return redirect(url_for("cohorts.detail", cohort_id=cohort.id))
        flash(f"You have left {cohort.name}. Your progress in the course is kept.", "success")
        return redirect(url_for("cohorts.index"))
    return render_template("cohorts/leave.html", cohort=cohort, form=form)
