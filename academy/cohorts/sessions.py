"""Cohort sessions, attendance, calendar files and announcements: the trainer's live
teaching, and what members see of it (views on the cohorts blueprint)."""

from __future__ import annotations

from datetime import datetime

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import SelectChoice

from academy.access import roles_required, signed_in
from academy.cohorts.blueprint import bp
from academy.cohorts.forms import (
    ActionForm,
    AnnouncementForm,
    SessionForm,
)
from academy.cohorts.routes import MANAGERS, UK, _cohort, _cohort_url, _session
from academy.database import unit_of_work
from academy.models import (
    Cohort,
    CohortSession,
)
from academy.models.cohorts import AttendanceStatus
from academy.services import ServiceError
from academy.services import cohorts as service
from academy.services.cohorts import ics as cohorts_ics

# Sessions and attendance ---------------------------------------------------------------


@bp.get("/cohorts/<int:cohort_id>/sessions")
@roles_required(*MANAGERS)
def sessions(cohort_id: int):
    cohort = _cohort(cohort_id)
    return render_template(
        "cohorts/sessions.html", cohort=cohort, sessions=service.sessions_of(cohort)
    )


def _session_details(form: SessionForm) -> service.SessionDetails:
    starts = datetime.combine(form.day.data, form.starts.data, UK)
    ends = datetime.combine(form.day.data, form.ends.data, UK)
    return service.SessionDetails(
        title=form.title.data or "",
        starts_at=starts,
        ends_at=ends,
        venue=form.venue.data or "",
        meeting_url=form.meeting_url.data or "",
        agenda=form.agenda.data or "",
        module_id=form.module.data or None,
    )


@bp.route("/cohorts/<int:cohort_id>/sessions/new", methods=["GET", "POST"])
@bp.route("/cohorts/<int:cohort_id>/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def session_form(cohort_id: int, session_id: int | None = None):
    cohort = _cohort(cohort_id)
    session = _session(cohort, session_id) if session_id is not None else None
    form = SessionForm()
    form.module.choices = [SelectChoice(0, "None")] + [
        SelectChoice(module.id, module.title) for module in service.course_modules(cohort.course_id)
    ]
    if request.method == "GET":
        if session is not None:
            starts, ends = session.starts_at.astimezone(UK), session.ends_at.astimezone(UK)
            form.title.data, form.agenda.data = session.title, session.agenda
            form.day.data, form.starts.data, form.ends.data = (
                starts.date(),
                starts.time(),
                ends.time(),
            )
            form.venue.data, form.meeting_url.data = session.venue, session.meeting_url
            form.module.data = session.module_id or 0
        else:
            form.venue.data, form.meeting_url.data = cohort.venue, cohort.meeting_url
    if form.validate_on_submit():
        try:
            with unit_of_work():
                if session is None:
                    service.schedule_session(cohort, current_user, _session_details(form))
                else:
                    service.update_session(session, current_user, _session_details(form))
        except ServiceError as error:
            form.title.errors.append(str(error))
        else:
            flash("Session saved. Members see it on their dashboard.", "success")
            return redirect(url_for("cohorts.sessions", cohort_id=cohort.id))
    return render_template("cohorts/session_form.html", cohort=cohort, session=session, form=form)


@bp.route("/cohorts/<int:cohort_id>/sessions/<int:session_id>/attendance", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def attendance(cohort_id: int, session_id: int):
    cohort = _cohort(cohort_id)
    session = _session(cohort, session_id)
    form = ActionForm()
    members = service.members_of(cohort)
    current = service.attendance_for_session(session)
    problem = None
    if form.validate_on_submit():
        statuses = {}
        # "Everyone else present": one click for a big cohort, then mark the exceptions.
        fill = request.form.get("fill")
        for membership in members:
            value = request.form.get(f"status-{membership.user_id}") or current.get(
                membership.user_id
            )
            if value or fill:
                statuses[membership.user_id] = value or fill
        try:
            with unit_of_work():
                saved = service.record_attendance(session, current_user, statuses)
        except ServiceError as error:
            problem = str(error)
            members = service.members_of(cohort)  # the rollback expired them
        else:
            flash(f"Attendance saved for {saved} members.", "success")
            return redirect(url_for("cohorts.sessions", cohort_id=cohort.id))
        current = {**current, **statuses}
    return render_template(
        "cohorts/attendance.html",
        cohort=cohort,
        session=session,
        members=members,
        current=current,
        statuses=list(AttendanceStatus),
        form=form,
        problem=problem,
    ), (400 if problem else 200)


@bp.get("/cohorts/<int:cohort_id>/calendar.ics")
@signed_in
def calendar(cohort_id: int):
    cohort = _cohort(cohort_id, manage=False)
    return _ics(cohort, service.sessions_of(cohort), f"cohort-{cohort.id}.ics")


@bp.get("/cohorts/<int:cohort_id>/sessions/<int:session_id>/session.ics")
@signed_in
def session_ics(cohort_id: int, session_id: int):
    cohort = _cohort(cohort_id, manage=False)
    session = _session(cohort, session_id)
    return _ics(cohort, [session], f"cohort-{cohort.id}-session-{session.id}.ics")


def _ics(cohort: Cohort, sessions: list[CohortSession], filename: str) -> Response:
    body = cohorts_ics.calendar(cohort, sessions, cohort_url=_cohort_url(cohort))
    return Response(
        body,
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# Announcements -------------------------------------------------------------------------


@bp.route("/cohorts/<int:cohort_id>/announcements/new", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def announce(cohort_id: int):
    cohort = _cohort(cohort_id)
    form = AnnouncementForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                announcement = service.announce(
                    cohort, current_user, form.subject.data, form.body.data
                )
                # Sent once committed: no one is e-mailed an announcement that was rolled back.
                service.send_later(service.announcement_messages(cohort, announcement))
        except ServiceError as error:
            form.subject.errors.append(str(error))
        else:
            flash(
                f"Announcement posted and being e-mailed to {announcement.recipients} members.",
                "success",
            )
            return redirect(url_for("cohorts.detail", cohort_id=cohort.id))
    return render_template("cohorts/announce.html", cohort=cohort, form=form)
