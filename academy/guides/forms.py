from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length

from academy.models.guides import ObservationOutcome
from academy.services.guides.observations import FEEDBACK_MAX


class ObservationForm(FlaskForm):
    """The session, feedback and outcome; a level per criterion comes as `criterion-<key>`
    fields drawn from the rubric, checked by the service (which names a missing or
    unknown criterion)."""

    session = SelectField(
        "Session observed",
        coerce=int,
        validate_choice=False,  # the service says when it is not one of the cohort's
        validators=[DataRequired("Choose the session you observed.")],
    )
    feedback = TextAreaField(
        "Written feedback",
        description="What went well, with evidence, and one or two things to work on.",
        validators=[
            DataRequired("Write the feedback: what went well, and what to work on."),
            Length(max=FEEDBACK_MAX),
        ],
    )
    outcome = RadioField(
        "Outcome",
        choices=[SelectChoice(o.value, o.label) for o in ObservationOutcome],
        validate_choice=False,
        validators=[DataRequired("Choose the outcome: passed, or needs more practice.")],
    )
