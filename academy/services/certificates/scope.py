"""Who may act where, for certificates: staff in their own academies, admins in every
academy (the rule itself is `User.acts_in`, written once in academy.models.people).

Every certificate action (issuing, re-issuing, revoking, a cohort's batch) and
every list of who is waiting asks these first; so do the promotions.
"""

from __future__ import annotations

import sqlalchemy as sa

from academy.extensions import db
from academy.models import Academy, Role, User
from academy.models.certificates import Certificate
from academy.services import ServiceError


class NotAllowed(ServiceError):
    """The person acting may not do this here (a route answers 403 or 404)."""


def academies_of(actor: User) -> list[Academy]:
    """The academies `actor` may act in as staff, by name.

    A staff member's come with their roles (each role loads its academy), so
    only an admin's, which are all of them, need a query.
    """
    if actor.acts_everywhere:
        return list(db.session.scalars(sa.select(Academy).order_by(Academy.name)))
    return actor.academies_held(Role.STAFF)


def require_academy(actor: User, academy_id: int) -> None:
    """Raise NotAllowed unless `actor` may act as staff for the academy `academy_id`."""
    if not actor.acts_in(academy_id, Role.STAFF):
        raise NotAllowed("You can only act for the academies you work in.")


def can_download(user: User, certificate: Certificate) -> bool:
    """The holder, staff of the issuing academy, and admins."""
    if certificate.user_id is not None and certificate.user_id == user.id:
        return True
    return user.acts_in(certificate.academy_id, Role.STAFF)
