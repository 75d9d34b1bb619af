"""Two-step sign-in on the account page: set it up, renew recovery codes, turn it off.

The secret being set up waits in the session (sealed, see academy.crypto) until a
code from the app confirms it, so opening the set-up page writes nothing to the
database, and reloading it shows the same QR code.
"""

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user

from academy.access import second_factor_setup, signed_in
from academy.account.blueprint import bp
from academy.account.forms import RecoveryCodesForm, TwoFactorOffForm, TwoFactorSetupForm
from academy.auth.routes import is_safe_next
from academy.crypto import InvalidToken, box
from academy.database import unit_of_work
from academy.extensions import limiter
from academy.services import ServiceError, security_log, two_factor

_SETUP_KEY = "two_factor_setup"
_PURPOSE = "two-factor-setup"


def _per_person() -> str:
    return f"two-factor:{current_user.id}"


def _setup_secret() -> str:
    sealed = session.get(_SETUP_KEY)
    if sealed:
        try:
            return box(_PURPOSE).decrypt(sealed.encode()).decode()
        except InvalidToken:
            pass
    secret = two_factor.new_secret()
    session[_SETUP_KEY] = box(_PURPOSE).encrypt(secret.encode()).decode()
    return secret


def _next_url() -> str:
    target = request.args.get("next")
    return target if is_safe_next(target) else url_for("account.two_factor")


def _codes_page(codes: list[str], heading: str):
    return render_template(
        "account/recovery_codes.html",
        codes=codes,
        heading=heading,
        text="Organising Academy recovery codes\n"
        f"{current_user.email}\nEach code works once.\n\n" + "\n".join(codes) + "\n",
        next_url=_next_url(),
    )


@bp.get("/two-factor", endpoint="two_factor")
@signed_in
@second_factor_setup
def two_factor_index():
    return render_template(
        "account/two_factor.html",
        user=current_user,
        codes_left=two_factor.recovery_codes_left(current_user),
        renew_form=RecoveryCodesForm(),
    )


@bp.route("/two-factor/setup", methods=["GET", "POST"])
@signed_in
@second_factor_setup
@limiter.limit("20 per hour", methods=["POST"], key_func=_per_person)
def two_factor_setup():
    if current_user.has_second_factor:
        return redirect(url_for("account.two_factor"))
    secret = _setup_secret()
    form = TwoFactorSetupForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                codes = two_factor.enable(current_user, secret, form.code.data)
        except ServiceError as error:
            form.code.errors.append(str(error))
            with unit_of_work():  # the failure is kept, though the change was not
                security_log.record("2fa.setup-failed")
        else:
            session.pop(_SETUP_KEY, None)
            return _codes_page(codes, "Two-step sign-in is on")
    uri = two_factor.provisioning_uri(current_user, secret)
    return render_template(
        "account/two_factor_setup.html",
        form=form,
        qr=two_factor.qr_svg(uri),
        secret=two_factor.grouped(secret),
        issuer=two_factor.ISSUER,
    ), (400 if form.errors else 200)


@bp.post("/two-factor/recovery-codes")
@signed_in
@second_factor_setup
@limiter.limit("20 per hour", key_func=_per_person)
def two_factor_recovery_codes():
    form = RecoveryCodesForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                codes = two_factor.renew_recovery_codes(current_user, form.code.data)
        except ServiceError as error:
            with unit_of_work():
                security_log.record("2fa.setup-failed")
            flash(str(error), "error")
        else:
            return _codes_page(codes, "Your new recovery codes")
    else:
        flash("Enter a code to confirm it is you.", "error")
    return redirect(url_for("account.two_factor"))


@bp.route("/two-factor/turn-off", methods=["GET", "POST"])
@signed_in
@second_factor_setup
@limiter.limit("20 per hour", methods=["POST"], key_func=_per_person)
def two_factor_off():
    if not current_user.has_second_factor:
        return redirect(url_for("account.two_factor"))
    form = TwoFactorOffForm()
    if not current_user.must_have_second_factor and form.validate_on_submit():
        try:
            with unit_of_work():
                two_factor.disable(current_user, form.password.data, form.code.data)
        except ServiceError as error:
            field = form.password if "password" in str(error) else form.code
            field.errors.append(str(error))
            with unit_of_work():
                security_log.record("2fa.setup-failed")
        else:
            flash("Two-step sign-in is off. You sign in with your password alone.", "success")
            return redirect(url_for("account.two_factor"))
    return render_template(
        "account/two_factor_off.html", form=form, required=current_user.must_have_second_factor
    ), (400 if form.errors else 200)
