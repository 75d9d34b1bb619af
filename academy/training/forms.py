from datetime import date

from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField

from academy.formatting import month_label
from academy.models.cohorts import CohortMode


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
