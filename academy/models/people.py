"""People: accounts, their roles, and the regional academies they belong to."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from academy.extensions import db
from academy.models.types import UTCDateTime
from academy.timeutil import utcnow


class Role(enum.StrEnum):
    MEMBER = "member"
    TRAINER = "trainer"
    STAFF = "staff"
    ADMIN = "admin"


# Roles that are held in a particular academy rather than across the site.
ACADEMY_ROLES = (Role.TRAINER, Role.STAFF)
# Roles that may not use their pages without a second factor (academy/access.py).
SECOND_FACTOR_ROLES = (Role.STAFF.value, Role.ADMIN.value)

SelectT = TypeVar("SelectT", bound=sa.Select)


def new_session_version() -> str:
    return secrets.token_urlsafe(16)


class User(db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored normalised (stripped, lower case) so uniqueness ignores case.
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(120))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    # Rotated to end every session of this person at once (log-out, password
    # change, disabling, losing a role): it is part of the session's user id.
    session_version: Mapped[str] = mapped_column(sa.String(32), default=new_session_version)
    privacy_accepted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Set when the person follows the link e-mailed at registration; until then
    # the account cannot sign in (and its existence is never revealed).
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Whether the public verification page may show the holder's name.
    show_name_on_verification: Mapped[bool] = mapped_column(default=False)
    # The region (academy) whose training the member wants to hear about; optional.
    home_academy_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("academies.id", ondelete="SET NULL"), index=True
    )
    # E-mail reminders with a calendar file the day before each cohort session.
    session_reminders: Mapped[bool] = mapped_column(default=True)
    # Two-factor sign-in (academy/services/two_factor.py). The TOTP secret is kept
    # encrypted (a Fernet token whose key is derived from SECRET_KEY), so a copy of
    # the database alone does not give it away.
    totp_secret: Mapped[str | None] = mapped_column(sa.String(255))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The last 30-second time step whose code was accepted: a code is never taken twice.
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger)
    # SHA-256 of each recovery code not yet used, space-separated; a used one is removed.
    recovery_code_hashes: Mapped[str | None] = mapped_column(sa.Text)

    role_grants: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )
    academy_roles: Mapped[list[AcademyRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    # Flask-Login protocol -------------------------------------------------
    @property
    def is_active(self) -> bool:
        return self.disabled_at is None and self.confirmed_at is not None

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    # Roles ------------------------------------------------------------------
    @property
    def roles(self) -> frozenset[str]:
        """Every account is a member; other roles are granted."""
        return frozenset({Role.MEMBER.value, *(grant.role for grant in self.role_grants)})

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    def academy_ids(self, role: str) -> set[int]:
        """The academies in which this person holds `role` (trainer or staff).

        What was granted, not where they may act: an admin holds none and acts in
        all. Ask `acts_in`, `academies_for` or `within_academies` for that.
        """
        return {link.academy_id for link in self.academy_roles if link.role == role}

    # Where they act: the academy-scope rule, written once ---------------------------
    # Admins act in every academy; trainers and staff in the academies they hold
    # those roles in; members in none. Models (`Cohort.can_manage`), services
    # (certificates, promotion, reports, cohorts) and routes all ask these, so the
    # rule cannot drift; tests/foundation/test_academy_scope.py keeps it that way.
    @property
    def acts_everywhere(self) -> bool:
        """Whether this person acts in every academy (an admin), the whole country included."""
        return self.has_role(Role.ADMIN)

    def academies_for(self, *roles: str) -> set[int] | None:
        """The academies this person acts in as one of `roles` (trainer and staff if none
        are named): None means every academy (an admin)."""
        if self.acts_everywhere:
            return None
        wanted = roles or ACADEMY_ROLES
        return {link.academy_id for link in self.academy_roles if link.role in wanted}

    def acts_in(self, academy: Academy | int, *roles: str) -> bool:
        """Whether this person may act for `academy` (or its id) as one of `roles`."""
        ids = self.academies_for(*roles)
        academy_id = academy if isinstance(academy, int) else academy.id
        return ids is None or academy_id in ids

    def academies_held(self, *roles: str) -> list[Academy]:
        """The academies (objects, by name) in which this person holds one of `roles`.

        Loaded with the roles, so no query. An admin holds none and acts in every
        academy: ask `acts_everywhere` first and query those instead.
        """
        wanted = roles or ACADEMY_ROLES
        academies = {
            link.academy_id: link.academy for link in self.academy_roles if link.role in wanted
        }
        return sorted(academies.values(), key=lambda academy: academy.name)

    def academy_filter(self, column: sa.ColumnElement[int], *roles: str) -> sa.ColumnElement[bool]:
        """SQL: `column` (an academy id) is one this person acts in as one of `roles`."""
        ids = self.academies_for(*roles)
        if ids is None:
            return sa.true()
        # An empty IN matches nothing; -1 is no academy's id and keeps the SQL plain.
        return column.in_(ids or {-1})

    def end_all_sessions(self) -> None:
        self.session_version = new_session_version()

    # Two-factor sign-in -------------------------------------------------------
    @property
    def has_second_factor(self) -> bool:
        return self.totp_enabled_at is not None

    @property
    def must_have_second_factor(self) -> bool:
        """Staff and admins reach members' data: a password alone is not enough for them."""
        return self.has_role(*SECOND_FACTOR_ROLES)

    def __repr__(self) -> str:
        return f"<User {self.id}>"


class UserRole(db.Model):
    """A site-wide role. Trainer and staff also have `AcademyRole` rows saying where."""

    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="role_grants")


class Academy(db.Model):
    """A regional academy: the English regions, Scotland and Wales."""

    __tablename__ = "academies"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def full_name(self) -> str:
        return f"{self.name} Organising Academy"

    def __repr__(self) -> str:
        return f"<Academy {self.slug}>"


class AcademyRole(db.Model):
    """Where a trainer trains or a staff member works."""

    __tablename__ = "academy_roles"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    academy_id: Mapped[int] = mapped_column(
        sa.ForeignKey("academies.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="academy_roles")
    academy: Mapped[Academy] = relationship(lazy="joined")


def within_academies(
    query: SelectT, column: sa.ColumnElement[int], user: User, *roles: str
) -> SelectT:
    """`query` narrowed to the rows whose `column` (an academy id) `user` acts in as one of
    `roles`; unchanged for an admin (no always-true condition in the SQL)."""
    if user.acts_everywhere:
        return query
    return query.where(user.academy_filter(column, *roles))
