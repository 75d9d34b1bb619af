"""The security log (read only), the e-mails that could not be delivered, resetting
someone's second factor, and background jobs that failed for good."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from academy import jobs
from academy.access import roles_required
from academy.admin.blueprint import bp
from academy.admin.forms import JobActionForm, ResetTwoFactorForm
from academy.database import unit_of_work
from academy.extensions import db
from academy.models import User
from academy.paging import PAGE_SIZE, page_from_query
from academy.services import ServiceError, background_jobs, security_log, two_factor
from academy.services import mail_failures as failed_mail


@bp.get("/security-log")
@roles_required("admin")
def security_events():
    page = page_from_query()
    kind = request.args.get("kind") or None
    if kind not in security_log.KINDS:
        kind = None
    found = security_log.events(kind=kind, page=page, per_page=PAGE_SIZE)
    return render_template(
        "admin/security_log.html",
        rows=found.items,
        page=found.number,
        has_next=found.has_next,
        kind=kind,
        kinds=security_log.KINDS,
    )


@bp.post("/people/<int:user_id>/two-factor/reset")
@roles_required("admin")
def reset_two_factor(user_id: int):
    """For someone who lost their phone and their recovery codes: audited; ends their sessions."""
    person = db.session.get(User, user_id)
    if person is None:
        abort(404)
    if ResetTwoFactorForm().validate_on_submit():
        try:
            with unit_of_work():
                two_factor.reset(person, actor=current_user)
        except ServiceError as error:
            flash(str(error), "error")
        else:
            flash(
                f"Two-step sign-in is reset for {person.display_name}. They have been signed out "
                "everywhere and can set it up again after signing in.",
                "success",
            )
    return redirect(url_for("admin.person", user_id=person.id))


@bp.get("/mail-failures")
@roles_required("admin")
def mail_failures():
    """E-mails that could not be delivered after every retry, newest first, with the reason."""
    page = page_from_query()
    found = failed_mail.failures(page=page, per_page=PAGE_SIZE)
    return render_template(
        "admin/mail_failures.html",
        rows=found.items,
        page=found.number,
        has_next=found.has_next,
    )


# Background jobs --------------------------------------------------------------------


@bp.get("/jobs")
@roles_required("admin")
def failed_jobs():
    count = background_jobs.failed_count()  # None without a queue, or if Redis is down
    found = None
    if background_jobs.available():
        found = background_jobs.failed_jobs() if count is not None else []
    return render_template(
        "admin/jobs.html",
        jobs=found,
        count=count,
        retries=len(current_app.config.get("JOB_RETRY_INTERVALS", jobs.RETRY_INTERVALS)),
        form=JobActionForm(),
    )


@bp.post("/jobs/<job_id>/retry")
@roles_required("admin")
def retry_job(job_id: str):
    return _act_on_job(job_id, background_jobs.retry, "queued again")


@bp.post("/jobs/<job_id>/discard")
@roles_required("admin")
def discard_job(job_id: str):
    return _act_on_job(job_id, background_jobs.discard, "discarded")


def _act_on_job(job_id: str, act, done: str):
    if not background_jobs.available():
        abort(404)
    if JobActionForm().validate_on_submit():
        try:
            with unit_of_work():
                purpose = act(job_id, actor=current_user)
        except ServiceError as error:
            flash(str(error), "error")
        else:
            flash(f"{purpose}: {done}.", "success")
    return redirect(url_for("admin.failed_jobs"))
