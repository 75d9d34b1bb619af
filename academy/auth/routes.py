from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user

from academy.access import public, signed_in
from academy.auth.blueprint import bp
from academy.auth.forms import (
    ChangePasswordForm,
    ForgotForm,
    LoginForm,
    NewPasswordForm,
    RegisterForm,
)
from academy.extensions import db, limiter
from academy.services import ServiceError, accounts


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
    return target if is_safe_next(target) else url_for("main.home")


def _login_account_key() -> str:
    return "login-account:" + accounts.normalise_email(request.form.get("email", ""))


def _failed(response) -> bool:
    # Only failed attempts count towards the limit; a success redirects.
    return response.status_code != 302


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(
    lambda: current_app.config["LOGIN_RATE_LIMIT"],
    key_func=_login_account_key,
    methods=["POST"],
    deduct_when=_failed,
)
@limiter.limit("30 per 15 minutes", methods=["POST"], deduct_when=_failed)
def login():
    if current_user.is_authenticated:
        return redirect(_after_login_url())
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is not None:
            db.session.commit()
            login_user(user)
            return redirect(_after_login_url())
        form.password.errors.append(
            "The e-mail address or password is not right. If you registered recently, "
            "follow the link we e-mailed you first."
        )
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@signed_in
def logout():
    # Ends this person's sessions everywhere, not only the cookie in this browser.
    accounts.sign_out_everywhere(current_user)
    db.session.commit()
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
            accounts.register(form.email.data, form.display_name.data, form.password.data)
        except ServiceError as error:
            form.password.errors.append(str(error))
        else:
            db.session.commit()
            return redirect(url_for("auth.check_email"))
    return render_template("auth/register.html", form=form)


@bp.get("/register/check-your-email")
@public
def check_email():
    return render_template("auth/check_email.html")


@bp.get("/confirm/<token>")
@public
def confirm(token: str):
    try:
        user = accounts.confirm(token)
    except ServiceError as error:
        return render_template("auth/link_problem.html", message=str(error)), 400
    db.session.commit()
    if user.is_active:
        login_user(user)
        flash("Welcome to the Organising Academy. Your account is ready.", "success")
    return redirect(url_for("main.home"))


@bp.route("/forgot-password", methods=["GET", "POST"])
@public
@limiter.limit("10 per hour", methods=["POST"])
def forgot():
    form = ForgotForm()
    if form.validate_on_submit():
        accounts.request_password_reset(form.email.data)
        db.session.commit()
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
            accounts.reset_password(token, form.password.data)
        except ServiceError as error:
            form.password.errors.append(str(error))
        else:
            db.session.commit()
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
            accounts.change_password(current_user, form.current.data, form.password.data)
        except ServiceError as error:
            field = form.current if "current" in str(error) else form.password
            field.errors.append(str(error))
        else:
            db.session.commit()
            # Other sessions have ended; keep this one signed in with the new version.
            login_user(current_user._get_current_object())
            flash("Your password has been changed. You have been signed out elsewhere.", "success")
            return redirect(url_for("main.home"))
    return render_template("auth/change_password.html", form=form)
