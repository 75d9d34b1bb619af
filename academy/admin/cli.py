"""`flask academy retention …`: apply the retention rule (schedule `run` daily)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from academy.extensions import db
from academy.services import privacy

retention_cli = AppGroup("retention", help="Anonymise unused accounts; delete stale registrations.")


@retention_cli.command("run")
@click.option("--dry-run", is_flag=True, help="Only say how many accounts would be affected.")
def run(dry_run: bool) -> None:
    """Anonymise accounts unused beyond the retention period; delete unconfirmed ones."""
    days = privacy.retention_days()
    if dry_run:
        preview = privacy.retention_preview()
        click.echo(
            f"Would anonymise {preview['inactive']} accounts unused for {days} days and delete "
            f"{preview['unconfirmed']} registrations unconfirmed after "
            f"{privacy.UNCONFIRMED_DAYS} days."
        )
        return
    result = privacy.run_retention()
    db.session.commit()
    click.echo(
        f"Anonymised {result['anonymised']} accounts unused for {days} days; deleted "
        f"{result['deleted']} unconfirmed registrations."
    )
