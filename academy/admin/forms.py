from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional


class AcademyForm(FlaskForm):
    name = StringField(
        "Name",
        description="For example: North West. “Organising Academy” is added after it.",
        validators=[DataRequired("Enter the academy's name."), Length(max=120)],
    )
    slug = StringField(
        "Short name for web addresses",
        description=(
            "Lower-case letters, digits and hyphens, like north-west. It cannot be changed later."
        ),
        validators=[DataRequired("Enter a short name."), Length(max=64)],
    )


class RenameAcademyForm(FlaskForm):
    name = StringField(
        "Name", validators=[DataRequired("Enter the academy's name."), Length(max=120)]
    )


class GrantRoleForm(FlaskForm):
    role = SelectField(
        "Role",
        choices=[
            SelectChoice("trainer", "Trainer"),
            SelectChoice("staff", "Staff"),
            SelectChoice("admin", "Admin (every academy)"),
        ],
    )
    academy = SelectField(
        "Academy",
        description="Needed for trainers and staff; ignored for admins.",
        coerce=int,
        validators=[Optional()],
    )


class RevokeRoleForm(FlaskForm):
    role = HiddenField(validators=[DataRequired()])
    academy_id = HiddenField()


class EraseForm(FlaskForm):
    confirm = BooleanField(
        "I confirm this person asked for their account to be erased, or the law requires it. "
        "This cannot be undone.",
        validators=[DataRequired("Tick the box to confirm.")],
    )


class ExportForm(FlaskForm):
    pass


class DataRequestForm(FlaskForm):
    email = EmailField(
        "Member's e-mail address",
        validators=[
            DataRequired("Enter the member's e-mail address."),
            Email("Enter a valid e-mail address."),
        ],
    )
    kind = SelectField(
        "What they asked for",
        choices=[
            SelectChoice("export", "A copy of their data (access)"),
            SelectChoice("correction", "A correction"),
            SelectChoice("erasure", "Erasure"),
        ],
    )
    received_on = DateField(
        "Date received",
        description="The one-month deadline runs from this date.",
        validators=[InputRequired("Enter the date the request was received.")],
    )
    note = TextAreaField(
        "Note",
        description="What was asked, and how it reached us. Keep personal details out.",
        validators=[Length(max=2000)],
    )


class CompleteForm(FlaskForm):
    pass


class ExtendRequestForm(FlaskForm):
    reason = TextAreaField(
        "Why more time is needed",
        description="The member is e-mailed this, word for word, with the new deadline.",
        validators=[
            DataRequired("Give the reason: the member is told it."),
            Length(max=1000, message="Keep the reason to 1000 characters."),
        ],
    )


class RetentionForm(FlaskForm):
    days = IntegerField(
        "Anonymise accounts not used for this many days",
        description="Between 90 and 3650 days. 1095 days is three years.",
        validators=[
            InputRequired("Enter a number of days."),
            NumberRange(90, 3650, "Choose between 90 and 3650 days."),
        ],
    )


class RunRetentionForm(FlaskForm):
    confirm = BooleanField(
        "Anonymise these accounts now", validators=[DataRequired("Tick the box to confirm.")]
    )


class QuestionForm(FlaskForm):
    label = StringField(
        "Question",
        description=(
            "A yes/no question, e.g. “Are you an unpaid carer?”. “Prefer not to say” is added."
        ),
        validators=[DataRequired("Write the question."), Length(max=300)],
    )
    hint = StringField("Hint (optional)", validators=[Length(max=500)])


class ToggleForm(FlaskForm):
    pass


class ResetTwoFactorForm(FlaskForm):
    pass


class JobActionForm(FlaskForm):
    pass
