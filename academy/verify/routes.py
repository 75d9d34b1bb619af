"""The public verification page: /verify/<code> and /verify/<code>.json.

Anyone may ask; nobody learns more than the holder chose to show. A code
that was never issued and a code that could never be one get the very same
answer (status and body), so guessing teaches nothing. Rate limited, never
indexed, never cached (a revocation shows on the next request).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Response, abort, current_app, jsonify, redirect, render_template, request, url_for

from academy.access import public
from academy.extensions import limiter
from academy.services import certificates as service
from academy.services.certificates import badge_status
from academy.verify.blueprint import bp


def _limit() -> str:
    return current_app.config["VERIFY_RATE_LIMIT"]


verify_limit = limiter.shared_limit(_limit, scope="verify")


@bp.after_request
def _private(response):
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Cache-Control"] = "no-store"
    if response.status_code != 429:
        _without_limit_headers()
    return response


def _without_limit_headers() -> None:
    """Answer without the X-RateLimit-* headers; a refusal (429) keeps them.

    Counting the request against the limit is one storage round trip (an
    increment, on the way in). The headers would cost two more on every answer
    (flask-limiter reads the window's count and expiry back to write them), on
    the public page that is limited because it may be hammered; and how many
    guesses are left is nothing a genuine verifier needs. This blueprint's
    after_request runs before the limiter's, which then has no limit to report.
    """
    context = getattr(limiter, "context", None)
    if context is not None and hasattr(context, "view_rate_limit"):
        context.view_rate_limit = None


def _code_from(text: str) -> str:
    """What someone pasted or typed: the code itself, or the whole verification link.

    A code of the current format is sent on as printed (upper case, in groups), however
    it was typed; an older code is passed on exactly, as it is case-sensitive.
    """
    text = (text or "").strip()
    if "/" in text:
        text = urlsplit(text).path.rstrip("/").rpartition("/")[2]
    return service.grouped_code(text.removesuffix(".json"))


@bp.get("/")
@public
@verify_limit
def form():
    code = _code_from(request.args.get("code", ""))
    if code:
        return redirect(url_for("verify.certificate", code=code))
    return render_template("verify/form.html")


@bp.get("/issuer.json")
@public
def issuer():
    """The Open Badges issuer profile and the public key that signs its credentials."""
    from academy.services.certificates import badges as certificates_badges

    return jsonify(certificates_badges.issuer_profile())


@bp.get("/status/<int:number>")
@public
def status_list(number: int):
    """An Open Badges revocation list (a signed Bitstring Status List credential)."""
    token = badge_status.signed_status_list(number)
    if token is None:
        abort(404)
    return Response(token, mimetype="application/vc+jwt")


@bp.get("/<path:code>")
@public
@verify_limit
def certificate(code: str):
    result = service.verify(code)
    if result is None:
        return render_template("verify/result.html", result=None), 404
    return render_template("verify/result.html", result=result)


@bp.get("/<path:code>.json")
@public
@verify_limit
def certificate_json(code: str):
    result = service.verify(code)
    if result is None:
        return jsonify(status="not_found"), 404
    return jsonify(result.as_json())
