"""Who may act where: staff in their own academies, admins in every academy.

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


def staff_academy_ids(actor: User) -> set[int] | None:
    """The academies `actor` issues in: None means every academy (admins)."""
    if actor.has_role(Role.ADMIN):
        return None
    return actor.academy_ids(Role.STAFF)


def can_act_in(actor: User, academy_id: int) -> bool:
    """Whether `actor` may act for the academy `academy_id`."""
    ids = staff_academy_ids(actor)
    return ids is None or academy_id in ids


def academies_of(actor: User) -> list[Academy]:
    """The academies `actor` may act in, by name.

    A staff member's come with their roles (each role loads its academy), so
    only an admin's, which are all of them, need a query.
    """
    if staff_academy_ids(actor) is None:
        return list(db.session.scalars(sa.select(Academy).order_by(Academy.name)))
    academies = {
        link.academy_id: link.academy for link in actor.academy_roles if link.role == Role.STAFF
    }
    return sorted(academies.values(), key=lambda academy: academy.name)


def require_academy(actor: User, academy_id: int) -> None:
    """Raise NotAllowed unless `actor` may act for the academy `academy_id`."""
    if not can_act_in(actor, academy_id):
        raise NotAllowed("You can only act for the academies you work in.")


def can_download(user: User, certificate: Certificate) -> bool:
    """The holder, staff of the issuing academy, and admins."""
    if certificate.user_id is not None and certificate.user_id == user.id:
        return True
    return user.has_role(Role.STAFF, Role.ADMIN) and can_act_in(user, certificate.academy_id)
