"""`flask academy retention …`: apply the retention rule (schedule `run` daily)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from academy.database import unit_of_work
from academy.services import mail_failures, privacy, security_log

retention_cli = AppGroup("retention", help="Anonymise unused accounts; delete stale registrations.")


@retention_cli.command("run")
@click.option("--dry-run", is_flag=True, help="Only say how many accounts would be affected.")
def run(dry_run: bool) -> None:
    """Anonymise accounts unused beyond the retention period; delete unconfirmed ones;
    remove security events older than SECURITY_LOG_DAYS and failed e-mails older than
    MAIL_FAILURE_DAYS."""
    days = privacy.retention_days()
    event_days = current_app.config["SECURITY_LOG_DAYS"]
    events = security_log.remove_older_than(event_days, dry_run=dry_run)
    mail_days = current_app.config["MAIL_FAILURE_DAYS"]
    failures = mail_failures.remove_older_than(mail_days, dry_run=dry_run)
    if dry_run:
        preview = privacy.retention_preview()
        click.echo(
            f"Would anonymise {preview['inactive']} accounts unused for {days} days and delete "
            f"{preview['unconfirmed']} registrations unconfirmed after "
            f"{privacy.UNCONFIRMED_DAYS} days, and remove {events} security events older than "
            f"{event_days} days, and {failures} failed e-mails older than {mail_days} days."
        )
        return
    with unit_of_work():
        result = privacy.run_retention()
    click.echo(
        f"Anonymised {result['anonymised']} accounts unused for {days} days; deleted "
        f"{result['deleted']} unconfirmed registrations; removed {events} security events "
        f"older than {event_days} days; removed {failures} failed e-mails older than "
        f"{mail_days} days."
    )
