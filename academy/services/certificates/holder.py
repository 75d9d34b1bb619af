"""The holder's own: their certificates, and whether verification shows their name."""

from __future__ import annotations

import sqlalchemy as sa

from academy.extensions import db
from academy.models import User
from academy.models.certificates import Certificate
from academy.services.audit import record


def certificates_of(user: User) -> list[Certificate]:
    """Every certificate of `user`, newest first (one query)."""
    return list(
        db.session.scalars(
            sa.select(Certificate)
            .where(Certificate.user_id == user.id)
            .order_by(Certificate.issued_at.desc(), Certificate.id.desc())
        )
    )


def set_show_name(user: User, show: bool) -> None:
    """Whether verification shows `user`'s name on their certificates (recorded)."""
    user.show_name_on_verification = bool(show)
    record("certificate.privacy", actor=user, subject=user, show_name=bool(show))
