"""The security log (read only) and resetting someone's second factor."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from academy.access import roles_required
from academy.admin.blueprint import bp
from academy.admin.forms import ResetTwoFactorForm
from academy.database import unit_of_work
from academy.extensions import db
from academy.models import User
from academy.paging import PAGE_SIZE, page_from_query
from academy.services import ServiceError, security_log, two_factor


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
