from flask import Response, flash, redirect, render_template, url_for
from flask_login import current_user, logout_user

from academy.access import public, signed_in
from academy.account.blueprint import bp
from academy.account.forms import (
    DeleteForm,
    DetailsForm,
    EmailForm,
    ExportForm,
    TrainingPreferencesForm,
    WithdrawForm,
    equality_form,
)
from academy.auth.forms import ConfirmForm
from academy.database import unit_of_work
from academy.extensions import db, limiter
from academy.models import Academy
from academy.passwords import verify_password
from academy.services import ServiceError, access_log, equality, preferences, privacy
from academy.services.academies import all_academies
from academy.timeutil import utcnow


@bp.get("/")
@signed_in
def index():
    accesses = access_log.recent_access_to(current_user)
    return render_template(
        "account/index.html",
        user=current_user,
        has_equality=bool(equality.answers_of(current_user)),
        accesses=list(zip(accesses, access_log.for_the_member(accesses), strict=True)),
        requests=privacy.requests_of(current_user),
        request_words=privacy.in_members_words,
        user_region=db.session.get(Academy, current_user.home_academy_id).name
        if current_user.home_academy_id
        else None,
    )


@bp.route("/details", methods=["GET", "POST"])
@signed_in
def details():
    form = DetailsForm(obj=current_user)
    if form.validate_on_submit():
        try:
            with unit_of_work():
                changed = privacy.correct_details(
                    current_user,
                    display_name=form.display_name.data,
                    show_name_on_verification=form.show_name_on_verification.data,
                )
        except ServiceError as error:
            form.display_name.errors.append(str(error))
        else:
            flash("Your details have been updated." if changed else "Nothing changed.", "success")
            return redirect(url_for("account.index"))
    return render_template("account/details.html", form=form)


@bp.route("/training", methods=["GET", "POST"])
@signed_in
def training_preferences():
    form = TrainingPreferencesForm()
    form.region.choices = [("", "Not set")] + [(str(a.id), a.name) for a in all_academies()]
    if not form.is_submitted():
        form.region.data = str(current_user.home_academy_id or "")
        form.session_reminders.data = current_user.session_reminders
    if form.validate_on_submit():
        try:
            with unit_of_work():
                changed = preferences.set_training_preferences(
                    current_user,
                    home_academy_id=int(form.region.data) if form.region.data else None,
                    session_reminders=form.session_reminders.data,
                )
        except ServiceError as error:
            form.region.errors.append(str(error))
        else:
            flash("Your training choices are saved." if changed else "Nothing changed.", "success")
            return redirect(url_for("account.index"))
    return render_template("account/training.html", form=form), (400 if form.errors else 200)


@bp.route("/email", methods=["GET", "POST"])
@signed_in
@limiter.limit("10 per hour", methods=["POST"])
def change_email():
    form = EmailForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                privacy.request_email_change(current_user, form.email.data, form.password.data)
        except ServiceError as error:
            field = form.password if "password" in str(error) else form.email
            field.errors.append(str(error))
        else:
            flash(
                f"We have sent a link to {form.email.data.strip().lower()}. Your address changes "
                "when you follow it.",
                "success",
            )
            return redirect(url_for("account.index"))
    return render_template("account/email.html", form=form)


@bp.route("/email/confirm/<token>", methods=["GET", "POST"])
@public
def confirm_email(token: str):
    """The link sent to a new address: its page has a button; only the button changes it.

    Whether the link is still good is known only once it is used (the rule is
    privacy.confirm_email_change's): an expired or used link then gets a clear
    message and changes nothing.
    """
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                privacy.confirm_email_change(token)
        except ServiceError as error:
            return render_template("auth/link_problem.html", message=str(error)), 400
        logout_user()
        flash("Your e-mail address has been changed. Please sign in with the new one.", "success")
        return redirect(url_for("auth.login"))
    return render_template("account/confirm_email.html", form=form)


@bp.route("/export", methods=["GET", "POST"])
@signed_in
@limiter.limit("10 per hour", methods=["POST"])
def export():
    form = ExportForm()
    if form.validate_on_submit():
        archive = privacy.export_archive(current_user)
        with unit_of_work():
            privacy.record_export(current_user)
        name = f"organising-academy-my-data-{utcnow():%Y-%m-%d}.zip"
        return Response(
            archive,
            mimetype="application/zip",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    return render_template("account/export.html", form=form)


@bp.route("/equality", methods=["GET", "POST"])
@signed_in
def equality_monitoring():
    questions = equality.all_questions()
    answers = equality.answers_of(current_user)
    form = equality_form(questions, answers)
    if form.validate_on_submit():
        try:
            with unit_of_work():
                equality.save_answers(
                    current_user,
                    {q.slug: f.data if f.raw_data else None for q, f in form.questions},
                )
        except ServiceError as error:
            flash(str(error), "error")
        else:
            flash("Thank you. Your answers have been saved.", "success")
            return redirect(url_for("account.equality_monitoring"))
    return render_template(
        "account/equality.html", form=form, answered=bool(answers), withdraw_form=WithdrawForm()
    )


@bp.post("/equality/withdraw")
@signed_in
def equality_withdraw():
    form = WithdrawForm()
    if form.validate_on_submit():
        with unit_of_work():
            removed = equality.withdraw(current_user)
        flash(
            "Your answers have been deleted." if removed else "You had not given any answers.",
            "success",
        )
    return redirect(url_for("account.equality_monitoring"))


@bp.route("/delete", methods=["GET", "POST"])
@signed_in
@limiter.limit("10 per hour", methods=["POST"])
def delete():
    form = DeleteForm()
    if form.validate_on_submit():
        if not verify_password(current_user.password_hash, form.password.data):
            form.password.errors.append("Your password is not right.")
        else:
            with unit_of_work():
                privacy.erase_account(current_user._get_current_object())
            logout_user()
            flash(
                "Your account has been deleted and your personal data erased. Thank you for "
                "learning with the Organising Academy.",
                "success",
            )
            return redirect(url_for("main.home"))
    return render_template("account/delete.html", form=form)
