"""Recording a candidate trainer's observed practice, from their cohort.

The observer opens a member of a cohort whose course has a rubric (Train the
trainer), chooses the session they watched, a level for each criterion, writes
feedback and the outcome. Who may not manage the cohort gets 404 (as on every
cohort page); what the service refuses is shown on the form and nothing changes.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import SelectChoice

from academy.access import roles_required
from academy.database import unit_of_work
from academy.extensions import db
from academy.guides.blueprint import bp
from academy.guides.forms import ObservationForm
from academy.models import Cohort, User
from academy.services import ServiceError
from academy.services import cohorts as cohorts_service
from academy.services import guides as service
from academy.services.certificates import NotAllowed

CRITERION = "criterion-"


def _managed_cohort(cohort_id: int) -> Cohort:
    cohort = db.session.get(Cohort, cohort_id)
    if cohort is None or not cohort.can_manage(current_user):
        abort(404)
    return cohort


@bp.route("/cohorts/<int:cohort_id>/members/<int:user_id>/observation", methods=["GET", "POST"])
@roles_required("trainer", "staff", "admin")
def observe(cohort_id: int, user_id: int):
    cohort = _managed_cohort(cohort_id)
    candidate = db.session.get(User, user_id)
    rubric = service.rubric_of(cohort.course_id)
    if candidate is None or rubric is None:
        abort(404)
    sessions = cohorts_service.sessions_of(cohort)
    form = ObservationForm()
    form.session.choices = [SelectChoice(0, "Choose a session")] + [
        SelectChoice(s.id, s.title) for s in sessions
    ]
    ratings = {
        key[len(CRITERION) :]: value
        for key, value in request.form.items()
        if key.startswith(CRITERION) and value
    }
    problem = None
    if form.validate_on_submit():
        session = next((s for s in sessions if s.id == form.session.data), None)
        try:
            if session is None:
                raise ServiceError("Choose one of this cohort's sessions.")
            with unit_of_work():
                service.record_observation(
                    cohort,
                    candidate,
                    session,
                    observer=current_user,
                    ratings=ratings,
                    feedback=form.feedback.data or "",
                    outcome=form.outcome.data or "",
                )
        except NotAllowed:
            abort(404)
        except ServiceError as error:
            problem = str(error)
        else:
            flash(
                f"Observation of {candidate.display_name} recorded. They can read your "
                "feedback on their cohort page.",
                "success",
            )
            return redirect(url_for("guides.observe", cohort_id=cohort.id, user_id=candidate.id))
    status = 400 if problem or form.errors else 200
    return render_template(
        "guides/observe.html",
        cohort=cohort,
        candidate=candidate,
        rubric=rubric,
        form=form,
        ratings=ratings,
        problem=problem,
        earlier=service.observations_of(candidate.id, cohort.id),
        in_cohort=cohorts_service.membership_of(cohort, candidate.id) is not None,
    ), status


@bp.app_template_global("practice_roster")
def practice_roster(cohort: Cohort) -> list[tuple[User, object]]:
    """For a cohort whose course has a rubric: each member and their latest observation."""
    if service.rubric_of(cohort.course_id) is None:
        return []
    members = [membership.user for membership in cohorts_service.members_of(cohort)]
    latest = service.latest_observations((m.id, cohort.academy_id) for m in members)
    return [(m, latest.get((m.id, cohort.academy_id))) for m in members]


@bp.app_template_global("my_observations")
def my_observations(cohort: Cohort) -> list:
    """The signed-in member's observations in this cohort (their cohort page)."""
    if not current_user.is_authenticated:
        return []
    return service.observations_of(current_user.id, cohort.id)
