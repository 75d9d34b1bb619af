"""The `flask academy …` commands."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from academy.database import unit_of_work
from academy.models import Role
from academy.services import ServiceError, accounts
from academy.services.academies import academy_by_slug, ensure_academies

academy_cli = AppGroup("academy", help="Run the Organising Academy's own commands.")


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
    """Make the demo academy (once) and print how to sign in as each role (new
    passwords each run)."""
    from academy.ops import demo

    try:
        sign_ins, made = demo.seed_demo()
    except demo.DemoError as error:
        raise click.ClickException(str(error)) from None
    click.echo(
        "Demo data (made up; every address ends in @demo.example.org): "
        + ("created." if made else "already here, left as it is.")
    )
    click.echo("Demo accounts (passwords are new each time this runs):")
    for account in sign_ins:
        where = f" ({account.academy})" if account.academy else ""
        click.echo(f"  {account.role:<8} {account.email:<22} password: {account.password}{where}")
        if account.second_factor_key:
            click.echo(
                f"           two-step sign-in key: {account.second_factor_key} (add it to an "
                f"authenticator app), or sign in with a recovery code: {account.recovery_code}"
            )
        click.echo(f"           {demo.TO_TRY[account.role]}")


def _register_subcommands() -> None:
    from academy.content.cli import curriculum_cli

    academy_cli.add_command(curriculum_cli)
    from academy.admin.cli import retention_cli

    academy_cli.add_command(retention_cli)
    from academy.staff.cli import certificates_cli

    academy_cli.add_command(certificates_cli)
    from academy.guides.cli import packs_cli

    academy_cli.add_command(packs_cli)
    from academy.training.cli import training_cli

    academy_cli.add_command(training_cli)
    from academy.ops.cli import register as register_ops

    register_ops(academy_cli)


_register_subcommands()
