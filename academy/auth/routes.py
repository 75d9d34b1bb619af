from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user

from academy.access import public, second_factor_setup, signed_in
from academy.auth import second_step
from academy.auth.blueprint import bp
from academy.auth.forms import (
    ChangePasswordForm,
    CodeForm,
    ConfirmForm,
    ForgotForm,
    LoginForm,
    NewPasswordForm,
    RegisterForm,
    ResendConfirmationForm,
)
from academy.database import unit_of_work
from academy.extensions import limiter
from academy.navigation import landing_url
from academy.services import ServiceError, accounts, security_log


def is_safe_next(target: str | None) -> bool:
    """Only a path on this site: no scheme, no host, no protocol-relative or backslash tricks."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or any(ord(ch) < 32 for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def _after_login_url() -> str:
    target = request.args.get("next")
    return target if is_safe_next(target) else landing_url()


def _login_account_key() -> str:
    return "login-account:" + accounts.normalise_email(request.form.get("email", ""))


def _second_step_account_key() -> str:
    # The same key as the password step's: tries at either step count towards one limit.
    pending = second_step.current()
    return "login-account:" + (pending.email if pending else "")


def _resend_address_key() -> str:
    return "resend:" + accounts.normalise_email(request.form.get("email", ""))


def _failed(response) -> bool:
    # Only failed attempts count towards the limit; a success redirects.
    return response.status_code != 302


# Every try at either step of signing in, per account and per address (shared limits: the
# same counters whichever step the try is made at).
_per_account = limiter.shared_limit(
    lambda: current_app.config["LOGIN_RATE_LIMIT"],
    scope="sign-in-account",
    key_func=_login_account_key,
    methods=["POST"],
    deduct_when=_failed,
)
_per_account_second_step = limiter.shared_limit(
    lambda: current_app.config["LOGIN_RATE_LIMIT"],
    scope="sign-in-account",
    key_func=_second_step_account_key,
    methods=["POST"],
    deduct_when=_failed,
)
_per_address = limiter.shared_limit(
    "30 per 15 minutes", scope="sign-in-address", methods=["POST"], deduct_when=_failed
)

DID_NOT_WORK = (
    "That did not work. Either the code is not right, or the e-mail address or password you "
    "gave before it was not. Check the code and try again, or start again from the sign-in page."
)


def _second_step_page(form: CodeForm):
    """The one page every sign-in that has not simply succeeded gets (see second_step)."""
    target = request.args.get("next")
    action = url_for("auth.second_step", next=target if is_safe_next(target) else None)
    return render_template("auth/second_step.html", form=form, action=action)


def _sign_in(user):
    with unit_of_work():
        accounts.record_sign_in(user)
    second_step.finish()
    login_user(user)
    return redirect(_after_login_url())


@bp.route("/login", methods=["GET", "POST"])
@public
@_per_account
@_per_address
def login():
    if current_user.is_authenticated:
        return redirect(_after_login_url())
    form = LoginForm()
    if form.validate_on_submit():
        check = accounts.check_password(form.email.data, form.password.data)
        if check.ok and not check.user.has_second_factor:
            return _sign_in(check.user)
        # A right password for an account with a second factor, or anything wrong: the
        # same page, the same cookie, the same one write (see academy.auth.second_step).
        with unit_of_work():
            security_log.record(
                "signin.second-step" if check.ok else "signin.failed", user=check.user
            )
        second_step.start(form.email.data, check)
        return _second_step_page(CodeForm(formdata=None))
    return render_template("auth/login.html", form=form)


@bp.route("/login/code", methods=["GET", "POST"], endpoint="second_step")
@public
@_per_account_second_step
@_per_address
def second_step_view():
    if current_user.is_authenticated:
        return redirect(_after_login_url())
    pending = second_step.current()
    if pending is None or pending.expired:
        second_step.finish()
        flash(
            "Please sign in again: that page had been open too long."
            if pending
            else "Please sign in with your e-mail address and password first.",
            "info",
        )
        return redirect(url_for("auth.login", next=request.args.get("next")))
    form = CodeForm()
    if form.validate_on_submit():
        user = second_step.check(pending, form.code.data)
        if user is not None:
            return _sign_in(user)
        with unit_of_work():
            security_log.record(
                "2fa.failed" if pending.password_ok else "signin.failed",
                user=pending.user_id or None,
            )
        form.code.errors.append(DID_NOT_WORK)
    return _second_step_page(form)


@bp.post("/logout")
@signed_in
@second_factor_setup
def logout():
    # Ends this person's sessions everywhere, not only the cookie in this browser.
    with unit_of_work():
        accounts.sign_out_everywhere(current_user)
    logout_user()
    flash("You have signed out.", "success")
    return redirect(url_for("main.home"))


@bp.route("/register", methods=["GET", "POST"])
@public
@limiter.limit("20 per hour", methods=["POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                accounts.register(form.email.data, form.display_name.data, form.password.data)
        except ServiceError as error:
            form.password.errors.append(str(error))
        else:
            return redirect(url_for("auth.check_email"))
    return render_template("auth/register.html", form=form)


@bp.get("/register/check-your-email")
@public
def check_email():
    return render_template("auth/check_email.html")


@bp.route("/confirm/<token>", methods=["GET", "POST"])
@public
def confirm(token: str):
    """The link in the registration e-mail: its page has a button; only the button confirms.

    Opening the link changes nothing and signs nobody in (a link can be opened by a
    mail scanner, or sent by an attacker to a victim to sign them in to the
    attacker's account). Confirming does not sign in either: the person signs in
    with their password next.
    """
    try:
        accounts.confirmation_user(token)
    except ServiceError as error:
        return render_template("auth/link_problem.html", message=str(error)), 400
    form = ConfirmForm()
    if form.validate_on_submit():
        with unit_of_work():
            accounts.confirm(token)
        return render_template("auth/confirmed.html")
    return render_template("auth/confirm.html", form=form)


@bp.route("/register/resend", methods=["GET", "POST"])
@public
@limiter.limit("10 per hour", methods=["POST"])
@limiter.limit("3 per hour", methods=["POST"], key_func=lambda: _resend_address_key())
def resend_confirmation():
    """A new confirmation link ("Didn't get the e-mail?").

    The same answer whether or not the address has an account; limited per client
    and per address, so that nobody can fill someone's inbox with links.
    """
    form = ResendConfirmationForm()
    if form.validate_on_submit():
        with unit_of_work():
            accounts.resend_confirmation(form.email.data)
        return render_template("auth/check_email.html", resent=True)
    return render_template("auth/resend.html", form=form)


@bp.route("/forgot-password", methods=["GET", "POST"])
@public
@limiter.limit("10 per hour", methods=["POST"])
def forgot():
    form = ForgotForm()
    if form.validate_on_submit():
        with unit_of_work():
            accounts.request_password_reset(form.email.data)
        return render_template("auth/reset_sent.html")
    return render_template("auth/forgot.html", form=form)


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
@public
def reset(token: str):
    try:
        accounts.user_for_reset_token(token)
    except ServiceError as error:
        return render_template("auth/link_problem.html", message=str(error)), 400
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                accounts.reset_password(token, form.password.data)
        except ServiceError as error:
            form.password.errors.append(str(error))
        else:
            logout_user()
            flash("Your password has been changed. Please sign in with it.", "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", form=form)


@bp.route("/account/password", methods=["GET", "POST"])
@signed_in
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                accounts.change_password(current_user, form.current.data, form.password.data)
        except ServiceError as error:
            field = form.current if "current" in str(error) else form.password
            field.errors.append(str(error))
        else:
            # Other sessions have ended; keep this one signed in with the new version.
            login_user(current_user._get_current_object())
            flash("Your password has been changed. You have been signed out elsewhere.", "success")
            return redirect(url_for("main.home"))
    return render_template("auth/change_password.html", form=form)
