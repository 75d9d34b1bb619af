from datetime import date

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from academy.formatting import month_label
from academy.models.cohorts import CohortMode
from academy.services.feedback import EVALUATION_QUESTIONS, SESSION_QUESTIONS


class FindForm(FlaskForm):
    """The filters of "Find training", read from the query string (no CSRF: a GET)."""

    class Meta:
        csrf = False

    region = SelectField("Region", default="")
    course = SelectField("Course", default="")
    format = SelectField("Format", default="")
    month = SelectField("Month", default="")

    def fill(self, academies, courses, today: date) -> None:
        self.region.choices = [SelectChoice("", "Any region")] + [
            SelectChoice(str(a.id), a.name) for a in academies
        ]
        self.course.choices = [SelectChoice("", "Any course")] + [
            SelectChoice(str(course_id), title) for course_id, title in courses
        ]
        self.format.choices = [SelectChoice("", "Any format")] + [
            SelectChoice(m.value, m.label) for m in CohortMode
        ]
        months = []
        year, month = today.year, today.month
        for _ in range(12):
            months.append(SelectChoice(f"{year:04d}-{month:02d}", month_label(year, month)))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        self.month.choices = [SelectChoice("", "Any month"), *months]


SCALE = [
    SelectChoice("1", "1 – strongly disagree"),
    SelectChoice("2", "2"),
    SelectChoice("3", "3"),
    SelectChoice("4", "4"),
    SelectChoice("5", "5 – strongly agree"),
]


def _rating(label: str) -> RadioField:
    return RadioField(
        label,
        choices=SCALE,
        coerce=int,
        validators=[InputRequired("Choose a number from 1 to 5.")],
    )


def _comment() -> TextAreaField:
    return TextAreaField(
        "Comment (optional)",
        description="Trainers see comments without your name, once at least five people answered.",
        validators=[Optional(), Length(max=2000, message="Keep your comment to 2000 characters.")],
    )


class SessionFeedbackForm(FlaskForm):
    clear = _rating(SESSION_QUESTIONS[0][1])
    useful = _rating(SESSION_QUESTIONS[1][1])
    well_run = _rating(SESSION_QUESTIONS[2][1])
    recommend = _rating(SESSION_QUESTIONS[3][1])
    comment = _comment()

    def ratings(self) -> dict[str, int]:
        return {key: getattr(self, key).data for key, _ in SESSION_QUESTIONS}


class EvaluationForm(FlaskForm):
    overall = _rating(EVALUATION_QUESTIONS[0][1])
    recommend = _rating(EVALUATION_QUESTIONS[1][1])
    comment = _comment()

    def ratings(self) -> dict[str, int]:
        return {key: getattr(self, key).data for key, _ in EVALUATION_QUESTIONS}
