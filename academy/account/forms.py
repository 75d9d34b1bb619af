from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional

from academy.auth.forms import display_name_field
from academy.services.equality import Question


class DetailsForm(FlaskForm):
    display_name = display_name_field()
    show_name_on_verification = BooleanField("Show my name to people who check my certificates")


class TrainingPreferencesForm(FlaskForm):
    region = SelectField(
        "Your region",
        description="We show you training there (and online) first. Leave it unset if you prefer.",
        default="",
    )
    session_reminders = BooleanField(
        "E-mail me a reminder, with a calendar file, the day before each session of my cohorts"
    )


class EmailForm(FlaskForm):
    email = EmailField(
        "New e-mail address",
        description="We will send a link to it. Your address changes when you follow the link.",
        validators=[
            DataRequired("Enter your new e-mail address."),
            Email("Enter an e-mail address in the right format, like name@example.com."),
            Length(max=254, message="That e-mail address is too long."),
        ],
    )
    password = PasswordField(
        "Your password", validators=[DataRequired("Enter your password to confirm.")]
    )


class ExportForm(FlaskForm):
    pass


class WithdrawForm(FlaskForm):
    pass


class DeleteForm(FlaskForm):
    password = PasswordField(
        "Your password", validators=[DataRequired("Enter your password to confirm.")]
    )
    understood = BooleanField(
        "I understand that my account and my personal data will be erased and cannot be "
        "brought back, and that my certificates will no longer be verifiable.",
        validators=[DataRequired("Tick the box to confirm you understand.")],
    )


class EqualityFormBase(FlaskForm):
    pass


def equality_form(questions: list[Question], answers: dict[str, str]) -> FlaskForm:
    """A form with one optional set of radio buttons per question."""

    class EqualityForm(EqualityFormBase):
        pass

    for question in questions:
        setattr(
            EqualityForm,
            "q_" + question.slug.replace("-", "_"),
            RadioField(
                question.label,
                description=question.hint,
                choices=[SelectChoice(value, label) for value, label in question.options],
                validators=[Optional()],
                default=answers.get(question.slug),
            ),
        )
    form = EqualityForm()
    form.questions = [
        (question, form["q_" + question.slug.replace("-", "_")]) for question in questions
    ]
    return form


def _code_field(label: str = "Code from the app") -> StringField:
    return StringField(
        label,
        description="The 6 digits your authenticator app shows now.",
        validators=[
            DataRequired("Enter the code from your authenticator app."),
            Length(max=40, message="That is too long."),
        ],
    )


class TwoFactorSetupForm(FlaskForm):
    code = _code_field()


class RecoveryCodesForm(FlaskForm):
    code = StringField(
        "Code from the app, or a recovery code",
        validators=[
            DataRequired("Enter a code to confirm it is you."),
            Length(max=40, message="That is too long."),
        ],
    )


class TwoFactorOffForm(FlaskForm):
    password = PasswordField(
        "Your password", validators=[DataRequired("Enter your password to confirm.")]
    )
    code = StringField(
        "Code from the app, or a recovery code",
        validators=[
            DataRequired("Enter a code to confirm it is you."),
            Length(max=40, message="That is too long."),
        ],
    )
