"""The `flask academy …` commands."""

from __future__ import annotations

import secrets

import click
from flask import current_app
from flask.cli import AppGroup

from academy.database import unit_of_work
from academy.models import Role
from academy.services import ServiceError, accounts, two_factor
from academy.services.academies import academy_by_slug, ensure_academies

academy_cli = AppGroup("academy", help="Run the Organising Academy's own commands.")

DEMO_ACCOUNTS = (
    # e-mail, name, role, academy slug
    ("member@demo.example.org", "Demo Member", Role.MEMBER, None),
    ("trainer@demo.example.org", "Demo Trainer", Role.TRAINER, "north-west"),
    ("staff@demo.example.org", "Demo Staff", Role.STAFF, "north-west"),
    ("admin@demo.example.org", "Demo Admin", Role.ADMIN, None),
)


@academy_cli.command("seed-academies")
def seed_academies() -> None:
    """Create the regional academies (idempotent)."""
    with unit_of_work():
        academies = ensure_academies()
    click.echo(f"{len(academies)} academies: " + ", ".join(a.name for a in academies))


@academy_cli.command("create-user")
@click.option("--email", required=True)
@click.option("--name", "display_name", required=True, help="Name as shown on certificates.")
@click.option(
    "--role",
    "roles",
    multiple=True,
    type=click.Choice([r.value for r in Role]),
    help="Repeat for several roles.",
)
@click.option("--academy", "academy_slug", help="Academy slug for trainer and staff roles.")
@click.password_option()
def create_user(email, display_name, roles, academy_slug, password) -> None:
    """Create a confirmed account with the given roles."""
    academy = None
    if academy_slug:
        ensure_academies()
        academy = academy_by_slug(academy_slug)
        if academy is None:
            raise click.BadParameter(
                f"no academy with slug {academy_slug!r}", param_hint="--academy"
            )
    try:
        with unit_of_work():
            user = accounts.create_user(email, display_name, password)
            for role in roles:
                accounts.grant_role(user, role, academy=academy)
    except ServiceError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Created {user.email} with roles: {', '.join(sorted(user.roles))}")


@academy_cli.command("seed-demo")
def seed_demo() -> None:
    """Create one demo account per role (new passwords each run) and print how to sign in."""
    if current_app.config["ACADEMY_ENV"] == "production":
        raise click.ClickException("Demo accounts are never created in production.")
    with unit_of_work():
        ensure_academies()
        click.echo("Demo accounts (passwords are new each time this runs):")
        for email, name, role, academy_slug in DEMO_ACCOUNTS:
            password = "-".join(secrets.token_hex(2) for _ in range(4))
            user = accounts.find_user_by_email(email)
            if user is None:
                user = accounts.create_user(email, name, password, check_password=False)
            else:
                user.password_hash = accounts.hash_password(password)
                user.end_all_sessions()
            academy = academy_by_slug(academy_slug) if academy_slug else None
            accounts.grant_role(user, role, academy=academy)
            where = f" ({academy.full_name})" if academy else ""
            click.echo(f"  {role.value:<8} {email:<28} password: {password}{where}")
            if user.must_have_second_factor:
                # Staff and admins cannot use their pages without two-step sign-in.
                secret, codes = two_factor.enrol_for_demo(user)
                click.echo(
                    f"           two-step sign-in key: {two_factor.grouped(secret)} (add it to an "
                    f"authenticator app), or sign in with a recovery code: {codes[0]}"
                )


def _register_subcommands() -> None:
    from academy.content.cli import curriculum_cli

    academy_cli.add_command(curriculum_cli)
    from academy.admin.cli import retention_cli

    academy_cli.add_command(retention_cli)
    from academy.staff.cli import certificates_cli

    academy_cli.add_command(certificates_cli)
    from academy.training.cli import training_cli

    academy_cli.add_command(training_cli)
    from academy.ops.cli import register as register_ops

    register_ops(academy_cli)


_register_subcommands()
