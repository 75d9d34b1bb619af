"""Admin operations: academies, and the roles people hold in them. Every change is audited."""

from __future__ import annotations

import re

from sqlalchemy import select

from academy.extensions import db
from academy.models import Academy, Role, User
from academy.services import ServiceError, accounts
from academy.services.audit import record

_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def create_academy(name: str, slug: str, *, actor: User) -> Academy:
    name, slug = " ".join(name.split()), slug.strip().lower()
    if not name:
        raise ServiceError("Enter the academy's name.")
    if not _SLUG.match(slug):
        raise ServiceError(
            "The short name may use only lower-case letters, digits and hyphens, like north-west."
        )
    if db.session.scalar(select(Academy).where(Academy.slug == slug)) is not None:
        raise ServiceError(f"There is already an academy with the short name {slug}.")
    if db.session.scalar(select(Academy).where(Academy.name == name)) is not None:
        raise ServiceError(f"There is already an academy called {name}.")
    academy = Academy(name=name, slug=slug)
    db.session.add(academy)
    db.session.flush()
    record("academy.create", actor=actor, academy_id=academy.id, target=slug, name=name)
    return academy


def rename_academy(academy: Academy, name: str, *, actor: User) -> None:
    name = " ".join(name.split())
    if not name:
        raise ServiceError("Enter the academy's name.")
    if name == academy.name:
        return
    clash = db.session.scalar(select(Academy).where(Academy.name == name, Academy.id != academy.id))
    if clash is not None:
        raise ServiceError(f"There is already an academy called {name}.")
    previous, academy.name = academy.name, name
    record("academy.rename", actor=actor, academy_id=academy.id, previous=previous, name=name)


GRANTABLE = (Role.TRAINER, Role.STAFF, Role.ADMIN)


def grant(user: User, role: str, academy: Academy | None, *, actor: User) -> None:
    if role not in {r.value for r in GRANTABLE}:
        raise ServiceError("Choose trainer, staff or admin.")
    if role == Role.ADMIN:
        academy = None
    elif academy is None:
        raise ServiceError(f"Choose the academy this {role} belongs to.")
    if not user.is_active:
        raise ServiceError("This account is not active, so it cannot be given a role.")
    accounts.grant_role(user, role, academy=academy, actor=actor)


def revoke(user: User, role: str, academy: Academy | None, *, actor: User) -> None:
    if role == Role.ADMIN and user.id == actor.id:
        raise ServiceError("You cannot remove your own admin role: ask another admin.")
    if role not in user.roles:
        raise ServiceError(f"This person is not a {role}.")
    accounts.revoke_role(user, role, academy=academy, actor=actor)
