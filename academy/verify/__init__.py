"""Public verification of certificates (`verify`) and the holder's own
certificates page (`certificates`)."""

from __future__ import annotations

from datetime import date, datetime

from academy.certificates.render import format_hours, long_date
from academy.verify.blueprint import bp, holder_bp

AUDIT_ACTIONS = {
    "certificate.issue": "Certificate issued",
    "certificate.reissue": "Certificate re-issued",
    "certificate.renew": "Certificate renewed",
    "certificate.revoke": "Certificate revoked",
    "certificate.batch": "Cohort batch started",
    "certificate.batch.resume": "Cohort batch resumed",
    "certificate.privacy": "Verification name choice changed",
    "trainer.promote": "Promoted to trainer",
    "trainer.decline": "Promotion declined",
    "trainer.demote": "Trainer role ended",
    "role.grant": "Role given",
    "role.revoke": "Role taken away",
}


@bp.app_template_filter("short_date")
def short_date(value: date | datetime | None) -> str:
    """21 November 2026, in UTC, whatever the server's locale."""
    if value is None:
        return ""
    return long_date(value.date() if isinstance(value, datetime) else value)


@bp.app_template_filter("hours")
def hours(value) -> str:
    return format_hours(value)


@bp.app_template_filter("audit_action")
def audit_action(action: str) -> str:
    return AUDIT_ACTIONS.get(action, action)


from academy.verify import holder, routes  # noqa: E402, F401 - they register their views

__all__ = ["bp", "holder_bp"]
