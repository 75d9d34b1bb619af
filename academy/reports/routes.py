from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from academy.access import roles_required
from academy.csv_export import csv_response
from academy.extensions import db
from academy.formatting import iso_date
from academy.models import Course
from academy.reports.blueprint import bp
from academy.services import reports
from academy.services.feedback import SESSION_QUESTIONS
from academy.services.feedback import results as feedback_results
from academy.services.reports import EQUALITY_COLUMNS, equality_report
from academy.services.reports import charts as reports_charts
from academy.timeutil import utcnow

STAFF = ("staff", "admin")
TABLES = (
    "summary",
    "monthly",
    "courses",
    "cohorts",
    "trainers",
    "cascade",
    "equality",
    "feedback",
)


def _scope_or_404(slug: str) -> reports.Scope:
    scope = reports.scope_by_slug(slug)
    if scope is None:
        abort(404)
    if not reports.can_report_on(current_user, scope):
        abort(403)
    return scope


def _course_filter() -> Course | None:
    """The course named by ?course=<slug>, None for every course; 404 if there is no such."""
    slug = request.args.get("course")
    if not slug:
        return None
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if course is None:
        abort(404)
    return course


@bp.get("/")
@roles_required(*STAFF)
def index():
    scopes = reports.scopes_for(current_user)
    if len(scopes) == 1:
        return redirect(url_for("reports.dashboard", slug=scopes[0].slug))
    return render_template("reports/index.html", scopes=scopes)


@bp.get("/<slug>/")
@roles_required(*STAFF)
def dashboard(slug: str):
    scope = _scope_or_404(slug)
    now = utcnow()
    summary = reports.summary(scope, now)
    monthly = reports.monthly(scope, now.date())
    courses = reports.by_course(scope, now)
    cohorts = reports.by_cohort(scope, now)
    trainers = reports.by_trainer(scope)
    labels = [row.label for row in monthly.rows]
    charts = {
        "enrolments": reports_charts.column_chart(
            "Enrolments each month", labels, [row.values[0] for row in monthly.rows]
        ),
        "completions": reports_charts.column_chart(
            "Course completions each month", labels, [row.values[1] for row in monthly.rows]
        ),
        "certificates": reports_charts.column_chart(
            "Certificates issued each month", labels, [row.values[2] for row in monthly.rows]
        ),
        "joined": reports_charts.column_chart(
            "Members joining cohorts each month", labels, [row.values[3] for row in monthly.rows]
        ),
        "trainers_new": reports_charts.column_chart(
            "New trainers each month", labels, [row.values[4] for row in monthly.rows]
        ),
        "courses": reports_charts.bar_chart(
            "Members enrolled in each course", [(row.label, row.values[0]) for row in courses.rows]
        ),
        "trainers": reports_charts.bar_chart(
            "Members trained by each trainer (the 15 who trained most)",
            [(row.label, row.values[1]) for row in trainers.rows[:15]],
        ),
    }
    return render_template(
        "reports/dashboard.html",
        scope=scope,
        scopes=reports.scopes_for(current_user),
        summary=summary,
        monthly=monthly,
        courses=courses,
        cohorts=cohorts,
        trainers=trainers,
        charts=charts,
    )


@bp.get("/<slug>/cascade")
@roles_required(*STAFF)
def cascade(slug: str):
    scope = _scope_or_404(slug)
    trees = reports.cascade(scope)
    return render_template(
        "reports/cascade.html",
        scope=scope,
        table=reports.cascade_table(trees),
        chart=reports_charts.cascade_chart("The training cascade", trees),
    )


@bp.get("/<slug>/equality")
@roles_required(*STAFF)
def equality(slug: str):
    scope = _scope_or_404(slug)
    course = _course_filter()
    report = equality_report(scope, course.id if course else None)
    charts = {
        question.slug: reports_charts.bar_chart(
            f"Share of enrolled members who completed a course: {question.label}",
            [(row.label, row.completed_rate) for row in question.rows],
            unit="%",
            maximum=100,
            hidden_text="hidden: fewer than 10 members",
        )
        for question in report.questions
    }
    return render_template(
        "reports/equality.html",
        scope=scope,
        course=course,
        courses=db.session.scalars(
            select(Course).where(Course.retired_at.is_(None)).order_by(Course.position)
        ).all(),
        report=report,
        charts=charts,
        columns=EQUALITY_COLUMNS,
    )


@bp.get("/<slug>/feedback")
@roles_required(*STAFF)
def feedback(slug: str):
    scope = _scope_or_404(slug)
    results = feedback_results.staff_results(scope, utcnow().date())
    chart = reports_charts.bar_chart(
        "Average rating of sessions each month (out of 5)",
        [
            (label, None if result.suppressed else feedback_results.average_of(result))
            for label, result in zip(results.month_labels, results.monthly, strict=True)
        ],
        maximum=5,
        hidden_text=f"fewer than {feedback_results.MIN_ANSWERS} answers (hidden)",
    )
    return render_template(
        "reports/feedback.html",
        scope=scope,
        results=results,
        chart=chart,
        questions=SESSION_QUESTIONS,
        minimum=feedback_results.MIN_ANSWERS,
    )


@bp.get("/<slug>/<table>.csv")
@roles_required(*STAFF)
def csv_export(slug: str, table: str):
    scope = _scope_or_404(slug)
    if table not in TABLES:
        abort(404)
    filename = f"academy-{scope.slug}-{table}-{iso_date(utcnow())}.csv"
    if table == "summary":
        s = reports.summary(scope)
        return csv_response(
            filename,
            ["Measure", "Count"],
            [
                ["Members enrolled", s.members_enrolled],
                [f"Active in the last {reports.ACTIVE_DAYS} days", s.active_recently],
                ["Course completions", s.courses_completed],
                ["Members who completed a course", s.members_completed],
                ["Certificates issued", s.certificates_issued],
                ["Trainers", s.trainers],
                ["Members trained in cohorts", s.members_trained],
            ],
        )
    if table == "feedback":
        results = feedback_results.staff_results(scope, utcnow().date())
        return csv_response(filename, feedback_results.CSV_COLUMNS, results.csv_rows())
    if table == "equality":
        course = _course_filter()
        report = equality_report(scope, course.id if course else None)
        if course is not None:
            filename = filename.replace("-equality-", f"-equality-{course.slug}-")
        return csv_response(filename, ["Question", *EQUALITY_COLUMNS], report.csv_rows())
    if table == "cascade":
        result = reports.cascade_table(reports.cascade(scope))
        return csv_response(
            filename,
            [result.columns[0], "Trained by", *result.columns[1:]],
            [[row.label, row.note, *row.values] for row in result.rows],
        )
    builder = {
        "monthly": reports.monthly,
        "courses": reports.by_course,
        "cohorts": reports.by_cohort,
        "trainers": reports.by_trainer,
    }[table]
    result = builder(scope)
    if table == "cohorts":
        return csv_response(
            filename,
            [result.columns[0], "Course", *result.columns[1:]],
            [[row.label, row.note, *row.values] for row in result.rows],
        )
    return csv_response(filename, result.columns, result.csv_rows())
