"""Every template filter, registered in one place (the app factory calls `init_app`).

Dates and times read the same on every page, in e-mails and on certificates
because they all come from `academy.formatting` (UK time, CLDR month names):

    {{ cohort.starts_on | date }}              6 December 2026
    {{ invite.created_at | short_date }}       6 Dec 2026 (tables)
    {{ session.starts_at | date_and_time }}    Sunday 6 December 2026, 7.30pm
    {{ entry.at | log_time }}                  6 Dec 2026, 19:30:05 (logs)
    {{ session.ends_at | time }}               9pm
    {{ lesson.minutes | duration }}            1 hour 15 minutes
    {{ course.credit_hours | hours }}          6.5
    {{ course.credit_hours | credit_hours }}   6.5 credit hours
    {{ event.action | audit_action }}          Certificate issued
    {{ c.revoked_category | revocation_category }}   Issued in error

The certificate's own template, rendered by WeasyPrint outside Flask, names
the same functions `date` and `credit_hours` (academy/certificates/render.py).
`absolute_url(endpoint, ...)` is a global, for a link that
is copied and shared (invitations): it names the public address, not the
request's host.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask

from academy import formatting, links
from academy.models.certificates import RevocationCategory

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


def audit_action(action: str) -> str:
    """An audit event's action in words ("Certificate issued"); unknown ones as recorded."""
    return AUDIT_ACTIONS.get(action, action)


def revocation_category(category: str | None) -> str:
    """A revoked certificate's public reason in words; revocations from before there
    were categories read as withdrawn by the academy."""
    return RevocationCategory(category or RevocationCategory.WITHDRAWN).label


FILTERS: dict[str, Callable[..., str]] = {
    "date": formatting.long_date,
    "short_date": formatting.short_date,
    "date_and_time": formatting.date_and_time,
    "log_time": formatting.log_time,
    "time": formatting.clock,
    "duration": formatting.duration,
    "hours": formatting.hours,
    "credit_hours": formatting.credit_hours,
    "audit_action": audit_action,
    "revocation_category": revocation_category,
}


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(FILTERS)
    app.add_template_global(links.absolute_url, "absolute_url")
