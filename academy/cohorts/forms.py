from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
    URLField,
)
from wtforms.validators import URL, DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from academy.models.cohorts import CohortMode


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class SignOffForm(FlaskForm):
    """Members to sign off together (the page draws one checkbox per member)."""

    members = SelectMultipleField(
        "Members to sign off",
        coerce=int,
        # Checked by the service, which says who cannot be signed off and why.
        validate_choice=False,
        validators=[DataRequired("Choose at least one member to sign off.")],
    )


MEETING_URL = [
    Optional(),
    URL(require_tld=False, message="Enter the full meeting link, starting with https://."),
    Length(max=500, message="Use at most 500 characters."),
]


class CohortEditForm(FlaskForm):
    name = StringField(
        "Cohort name",
        description="For example: Salford spring 2027 (evenings).",
        validators=[DataRequired("Give the cohort a name."), Length(max=120)],
    )
    mode = RadioField(
        "How it meets",
        choices=[SelectChoice(m.value, m.label) for m in CohortMode],
        default=CohortMode.IN_PERSON.value,
        validators=[InputRequired("Choose how the cohort meets.")],
    )
    venue = StringField(
        "Venue",
        description="Where in-person sessions happen (you can set a different one per session).",
        validators=[Length(max=300)],
    )
    meeting_url = URLField("Meeting link", validators=MEETING_URL)
    starts_on = DateField("Start date", validators=[InputRequired("Enter the start date.")])
    ends_on = DateField("End date", validators=[InputRequired("Enter the end date.")])
    capacity = IntegerField(
        "Capacity",
        description="The most members who can join.",
        default=30,
        validators=[
            InputRequired("Enter the capacity as a number."),
            NumberRange(1, 1000, "Capacity must be between 1 and 1000."),
        ],
    )
    min_attendance_percent = IntegerField(
        "Minimum attendance for sign-off (%)",
        description="Leave empty if attendance does not count towards sign-off.",
        validators=[Optional(), NumberRange(0, 100, "Enter a percentage from 0 to 100.")],
    )
    inactive_after_days = IntegerField(
        "Flag members inactive after (days)",
        default=14,
        validators=[
            InputRequired("Enter a number of days."),
            NumberRange(1, 365, "Enter a number of days from 1 to 365."),
        ],
    )
    co_trainers = MultiCheckboxField("Co-trainers", coerce=int, validate_choice=False)

    is_open = BooleanField("Open: list it on Find training so members can sign themselves up")
    town = StringField(
        "Town or city",
        description="Shown on Find training for in-person and blended cohorts.",
        validators=[Length(max=120, message="Use at most 120 characters.")],
    )
    region_only = BooleanField(
        "Only members in this academy's region may sign up (others can still see it)"
    )
    signup_closed = BooleanField("Sign-up closed: take no more sign-ups")


class CohortForm(CohortEditForm):
    academy = SelectField("Academy", coerce=int, validators=[InputRequired()])
    course = SelectField("Course", coerce=int, validators=[InputRequired()])


class InviteForm(FlaskForm):
    days = IntegerField(
        "Valid for (days)",
        default=14,
        validators=[
            InputRequired("Enter a number of days."),
            NumberRange(1, 90, "An invitation lasts from 1 to 90 days."),
        ],
    )


class ImportForm(FlaskForm):
    file = FileField(
        "CSV file",
        description="One person per line, with a first line naming the columns: email,name.",
        validators=[FileRequired("Choose a CSV file to import.")],
    )


class SessionForm(FlaskForm):
    title = StringField(
        "Title",
        validators=[DataRequired("Give the session a title."), Length(max=200)],
    )
    day = DateField("Date", validators=[InputRequired("Enter the date.")])
    starts = TimeField(
        "Start time", description="UK time.", validators=[InputRequired("Enter the start time.")]
    )
    ends = TimeField(
        "End time", description="UK time.", validators=[InputRequired("Enter the end time.")]
    )
    venue = StringField("Venue", validators=[Length(max=300)])
    meeting_url = URLField("Meeting link", validators=MEETING_URL)
    agenda = TextAreaField("Agenda", validators=[Length(max=5000)])


class AnnouncementForm(FlaskForm):
    subject = StringField("Subject", validators=[DataRequired("Write a subject."), Length(max=200)])
    body = TextAreaField(
        "Message",
        description="Sent by e-mail to every member and shown on the cohort page.",
        validators=[DataRequired("Write a message."), Length(max=10000)],
    )


class JoinCodeForm(FlaskForm):
    code = StringField(
        "Join code",
        description="8 letters and numbers, for example KX7P-Q2MB. Capitals do not matter.",
        validators=[DataRequired("Enter the join code your trainer gave you."), Length(max=20)],
    )
