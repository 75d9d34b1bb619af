"""The holder's own certificates: list, download, and what verification shows."""

from __future__ import annotations

import logging
from io import BytesIO

from flask import Response, abort, flash, redirect, render_template, send_file, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField

from academy.access import signed_in
from academy.database import unit_of_work
from academy.extensions import db
from academy.models import Course
from academy.models.certificates import Certificate
from academy.services import certificates as service
from academy.services.certificates import badges
from academy.verify.blueprint import holder_bp

log = logging.getLogger(__name__)


class ShowNameForm(FlaskForm):
    show_name = BooleanField(
        "Show my name to people who check my certificates",
        description="Without it, the verification page shows only the course, the date and "
        "whether the certificate is valid.",
    )


@holder_bp.app_template_global("member_certificates")
def member_certificates(user) -> list[Certificate]:
    """For the learning dashboard: the member's certificates, newest first."""
    if not getattr(user, "is_authenticated", False):
        return []
    return service.certificates_of(user)


@holder_bp.get("/")
@signed_in
def index():
    form = ShowNameForm(show_name=current_user.show_name_on_verification)
    return render_template(
        "certificates/index.html",
        certificates=service.certificates_of(current_user),
        form=form,
    )


@holder_bp.post("/privacy")
@signed_in
def privacy():
    form = ShowNameForm()
    if form.validate_on_submit():
        with unit_of_work():
            service.set_show_name(current_user, form.show_name.data)
        if form.show_name.data:
            flash("People who check your certificates will now see your name.", "success")
        else:
            flash("People who check your certificates will no longer see your name.", "success")
    else:
        for errors in form.errors.values():
            for error in errors:
                flash(error, "error")
    return redirect(url_for("certificates.index"))


@holder_bp.get("/<int:certificate_id>/pdf")
@signed_in
def download(certificate_id: int):
    certificate = db.session.get(Certificate, certificate_id)
    # Someone else's certificate is "not found": its existence is personal data.
    if certificate is None or not service.can_download(current_user, certificate):
        abort(404)
    pdf = service.pdf_bytes(certificate)
    if pdf is None:
        log.error("certificate %s has no stored PDF", certificate.number)
        abort(404)
    return send_file(
        BytesIO(pdf),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=f"{certificate.number}.pdf",
        max_age=0,
        etag=certificate.pdf_sha256 or False,
    )


@holder_bp.get("/<int:certificate_id>/badge.jwt")
@signed_in
def badge(certificate_id: int):
    """The holder's certificate as an Open Badges 3.0 credential (a signed VC-JWT)."""
    certificate = db.session.get(Certificate, certificate_id)
    # Only the holder: it carries their name, for them to share where they choose.
    if certificate is None or certificate.user_id != current_user.id:
        abort(404)
    if not certificate.is_current:
        abort(404)
    course = db.session.get(Course, certificate.course_id)
    token = badges.signed_credential(certificate, current_user, course)
    response = Response(token, mimetype="application/vc+jwt")
    response.headers["Content-Disposition"] = (
        f"attachment; filename={certificate.number}-open-badge.jwt"
    )
    return response
