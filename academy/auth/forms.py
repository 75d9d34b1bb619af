from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length

EMAIL = [
    DataRequired("Enter your e-mail address."),
    Email("Enter an e-mail address in the right format, like name@example.com."),
    Length(max=254, message="That e-mail address is too long."),
]


def display_name_field() -> StringField:
    """The name a person chooses for their certificates (registration and account page)."""
    return StringField(
        "Your name",
        description="As you would like it to appear on your certificates.",
        validators=[
            DataRequired("Enter your name."),
            Length(max=120, message="Use at most 120 characters."),
        ],
    )


class LoginForm(FlaskForm):
    email = EmailField("E-mail address", validators=EMAIL)
    password = PasswordField("Password", validators=[DataRequired("Enter your password.")])


class RegisterForm(FlaskForm):
    display_name = display_name_field()
    email = EmailField("E-mail address", validators=EMAIL)
    password = PasswordField(
        "Password",
        description="At least 8 characters. A few unrelated words make a strong password.",
        validators=[DataRequired("Choose a password.")],
    )
    consent = BooleanField(
        "I have read the privacy notice and agree to the Academy keeping my details "
        "to provide my training.",
        validators=[DataRequired("You need to agree to the privacy notice to register.")],
    )


class ForgotForm(FlaskForm):
    email = EmailField("E-mail address", validators=EMAIL)


class ResendConfirmationForm(FlaskForm):
    email = EmailField("E-mail address", validators=EMAIL)


class NewPasswordForm(FlaskForm):
    password = PasswordField(
        "New password",
        description="At least 8 characters. A few unrelated words make a strong password.",
        validators=[DataRequired("Choose a new password.")],
    )
    confirm = PasswordField(
        "New password again",
        validators=[
            DataRequired("Type the new password again."),
            EqualTo("password", "The two passwords are different."),
        ],
    )


class ChangePasswordForm(NewPasswordForm):
    current = PasswordField(
        "Current password", validators=[DataRequired("Enter your current password.")]
    )


class CodeForm(FlaskForm):
    """The second step of signing in."""

    code = StringField(
        "Code",
        description="The 6-digit code your authenticator app shows now, or one of your "
        "recovery codes.",
        validators=[DataRequired("Enter the code."), Length(max=40, message="That is too long.")],
    )


class ConfirmForm(FlaskForm):
    """A button: following an e-mailed link only shows it, posting it acts."""
