from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from academy.models.certificates import RevocationCategory


class IssueForm(FlaskForm):
    """One member's certificate; `academy_id` only for a self-study completion."""

    user_id = IntegerField(validators=[InputRequired("Choose the member.")])
    course_id = IntegerField(validators=[InputRequired("Choose the course.")])
    cohort_id = IntegerField(validators=[Optional()])
    academy_id = IntegerField("Issuing academy", validators=[Optional()])


class IssueCohortForm(FlaskForm):
    pass


class RevokeForm(FlaskForm):
    category = SelectField(
        "Reason shown on the verification page",
        description="Anyone checking the certificate sees this, and never the holder's name.",
        choices=[SelectChoice("", "Choose…")]
        + [SelectChoice(c.value, c.label) for c in RevocationCategory],
        validators=[DataRequired("Choose the reason the verification page gives.")],
    )
    reason = TextAreaField(
        "Reason for revoking, for the holder",
        description="Recorded in the audit log and sent to the holder; never shown publicly.",
        validators=[
            DataRequired("Give the reason for revoking the certificate."),
            Length(max=500, message="Keep the reason to 500 characters."),
        ],
    )


class ReissueForm(FlaskForm):
    pass


class ResumeForm(FlaskForm):
    pass


class PromoteForm(FlaskForm):
    user_id = IntegerField(validators=[InputRequired("Choose the member.")])
    academy_id = SelectField("Academy", coerce=int, validate_choice=False)
    note = StringField(
        "Note (optional)", validators=[Length(max=1000, message="Keep the note short.")]
    )


class DeclineForm(FlaskForm):
    user_id = IntegerField(validators=[InputRequired("Choose the member.")])
    academy_id = IntegerField(validators=[InputRequired("Choose the academy.")])
    note = StringField(
        "Why not (for the staff)",
        validators=[
            DataRequired("Add a note saying why."),
            Length(max=1000, message="Keep the note short."),
        ],
    )


class DemoteForm(FlaskForm):
    user_id = IntegerField(validators=[InputRequired("Choose the trainer.")])
    academy_id = IntegerField(validators=[InputRequired("Choose the academy.")])
    note = StringField("Note (optional)", validators=[Length(max=1000)])


class FilterForm(FlaskForm):
    """GET filters; no CSRF on a search."""

    class Meta:
        csrf = False

    academy = SelectField("Academy", coerce=int, validate_choice=False)
    course = SelectField("Course", coerce=int, validate_choice=False)
    q = StringField("Number or name", validators=[Optional(), Length(max=120)])
    status = SelectField(
        "Status",
        choices=[
            SelectChoice("", "Any"),
            SelectChoice("valid", "Valid"),
            SelectChoice("revoked", "Revoked"),
            SelectChoice("superseded", "Replaced"),
            SelectChoice("renewal", "Due for renewal (or expired)"),
        ],
        validate_choice=False,
    )
