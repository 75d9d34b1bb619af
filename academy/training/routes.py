"""Find training pages. The list and each listing are public; signing up needs an
account (anyone else is sent to sign in and brought back); the sign-ups page is
for the cohort's managers only (404 for anyone else, as every cohort page)."""

from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from academy.access import public, roles_required, signed_in
from academy.cohorts.forms import ActionForm
from academy.database import unit_of_work
from academy.extensions import db, limiter
from academy.models import Cohort
from academy.paging import page_from_query
from academy.services import ServiceError
from academy.services import cohorts as cohorts_service
from academy.services.academies import all_academies
from academy.services.cohorts import listing as listings
from academy.services.cohorts import open_signup, waiting
from academy.timeutil import utcnow
from academy.training.blueprint import bp
from academy.training.forms import FindForm

MANAGERS = ("trainer", "staff", "admin")


@bp.app_template_global("training_near_you")
def training_near_you() -> list[listings.Listing]:
    """For the member's dashboard (training/_dashboard.html)."""
    if not current_user.is_authenticated:
        return []
    return listings.near_you(current_user)


def _filters(form: FindForm) -> listings.Filters:
    """The filters asked for; a value not among the choices is said and ignored."""
    form.validate()
    value = {f.name: (f.data if not f.errors else "") for f in form}
    month = None
    if value["month"]:
        year, number = value["month"].split("-")
        month = date(int(year), int(number), 1)
    return listings.Filters(
        academy_id=int(value["region"]) if value["region"] else None,
        course_id=int(value["course"]) if value["course"] else None,
        mode=value["format"] or None,
        month=month,
    )


@bp.get("/training/")
@public
def find():
    form = FindForm(request.args)
    form.fill(all_academies(), listings.course_choices(), utcnow().date())
    filters = _filters(form)
    page = listings.find_training(filters, page_from_query())
    asked = {key: value for key, value in request.args.items() if key != "page" and value}
    return render_template(
        "training/find.html",
        form=form,
        page=page,
        previous_url=url_for("training.find", **asked, page=page.number - 1)
        if page.has_previous
        else None,
        next_url=url_for("training.find", **asked, page=page.number + 1) if page.has_next else None,
    ), (400 if form.errors else 200)


def _listing(cohort_id: int) -> listings.Listing:
    found = listings.listing(cohort_id)
    if found is None:
        abort(404)
    return found


@bp.get("/training/<int:cohort_id>")
@public
def listing(cohort_id: int):
    found = _listing(cohort_id)
    cohort = found.cohort
    member = place = position = None
    problem = open_signup.listing_problem(cohort)
    if current_user.is_authenticated:
        member = cohorts_service.membership_of(cohort, current_user.id)
        place = waiting.waiting_place(cohort.id, current_user.id)
        position = waiting.position(place) if place else None
        if member is None and place is None:
            problem = open_signup.signup_problem(cohort, current_user)
    return render_template(
        "training/listing.html",
        listing=found,
        cohort=cohort,
        member=member,
        place=place,
        position=position,
        offer_open=bool(place and place.offer_expires_at and place.offer_expires_at > utcnow()),
        problem=problem,
        form=ActionForm(),
    )


def _signup_key() -> str:
    return f"signup:{current_user.id}"


def _open_cohort(cohort_id: int) -> Cohort:
    cohort = db.session.get(Cohort, cohort_id)
    if cohort is None or not cohort.is_open:
        abort(404)
    return cohort


@bp.route("/training/<int:cohort_id>/sign-up", methods=["GET", "POST"])
@signed_in
@limiter.limit("30 per hour", methods=["POST"], key_func=_signup_key)
def sign_up(cohort_id: int):
    cohort = _open_cohort(cohort_id)
    # Reached by GET after signing in: the listing has the button.
    if request.method == "GET" or not ActionForm().validate_on_submit():
        return redirect(url_for("training.listing", cohort_id=cohort.id))
    try:
        with unit_of_work():
            result = open_signup.sign_up(current_user, cohort)
    except ServiceError as error:
        flash(str(error), "error")
        return redirect(url_for("training.listing", cohort_id=cohort_id))
    if result.joined:
        flash(f"You are in {cohort.name} and enrolled in {cohort.course.title}.", "success")
        return redirect(url_for("cohorts.detail", cohort_id=cohort.id))
    flash(
        f"{cohort.name} is full: you are number {result.position} on the waiting list. "
        "We will e-mail you if a place comes free.",
        "info",
    )
    return redirect(url_for("training.listing", cohort_id=cohort.id))


@bp.post("/training/<int:cohort_id>/accept")
@signed_in
def accept(cohort_id: int):
    cohort = _open_cohort(cohort_id)
    if ActionForm().validate_on_submit():
        try:
            with unit_of_work():
                open_signup.accept_offer(current_user, cohort)
        except ServiceError as error:
            flash(str(error), "error")
        else:
            flash(f"You are in {cohort.name} and enrolled in {cohort.course.title}.", "success")
            return redirect(url_for("cohorts.detail", cohort_id=cohort.id))
    return redirect(url_for("training.listing", cohort_id=cohort.id))


@bp.post("/training/<int:cohort_id>/leave-waiting-list")
@signed_in
def leave_waiting_list(cohort_id: int):
    cohort = _open_cohort(cohort_id)
    if ActionForm().validate_on_submit():
        try:
            with unit_of_work():
                offers = open_signup.leave_waiting_list(current_user, cohort)
        except ServiceError as error:
            flash(str(error), "error")
        else:
            cohorts_service.send_later(offers)
            flash(f"You are no longer on the waiting list for {cohort.name}.", "success")
    return redirect(url_for("training.listing", cohort_id=cohort.id))


# The trainer's side -------------------------------------------------------------------


def _managed(cohort_id: int) -> Cohort:
    cohort = db.session.get(Cohort, cohort_id)
    if cohort is None or not cohort.can_manage(current_user):
        abort(404)
    return cohort


@bp.get("/cohorts/<int:cohort_id>/sign-ups")
@roles_required(*MANAGERS)
def sign_ups(cohort_id: int):
    cohort = _managed(cohort_id)
    members = [m for m in cohorts_service.members_of(cohort) if m.joined_via == "open"]
    return render_template(
        "training/sign_ups.html",
        cohort=cohort,
        members=members,
        member_count=cohorts_service.member_count(cohort),
        waiting_list=waiting.waiting_list(cohort),
        now=utcnow(),
        form=ActionForm(),
    )


@bp.post("/cohorts/<int:cohort_id>/sign-ups/close")
@roles_required(*MANAGERS)
def close_sign_up(cohort_id: int):
    cohort = _managed(cohort_id)
    if ActionForm().validate_on_submit():
        closed = request.form.get("closed") == "1"
        with unit_of_work():
            offers = open_signup.set_signup_closed(cohort, current_user, closed=closed)
        cohorts_service.send_later(offers)
        flash("Sign-up closed." if closed else "Sign-up reopened.", "success")
    return redirect(url_for("training.sign_ups", cohort_id=cohort.id))
