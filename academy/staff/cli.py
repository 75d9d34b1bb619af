"""`flask academy certificates …`: the daily expiry reminder, resuming batches, and
importing the PDFs an older version kept on local disk."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from academy.database import unit_of_work
from academy.extensions import db
from academy.models.certificates import BatchStatus, CertificateBatch
from academy.services import certificates as service
from academy.services.certificates.legacy import import_files

certificates_cli = AppGroup("certificates", help="Certificates: reminders, batches, stored PDFs.")


@certificates_cli.command("remind")
@click.option(
    "--days",
    default=30,
    show_default=True,
    type=click.IntRange(1, 366),
    help="Remind holders whose certificate expires within this many days.",
)
def remind(days: int) -> None:
    """E-mail holders whose certificate expires soon (once each). Run it daily."""
    with unit_of_work():
        sent = service.send_expiry_reminders(days)
    click.echo(f"Sent {sent} renewal {'reminder' if sent == 1 else 'reminders'}.")


@certificates_cli.command("resume-batches")
def resume_batches() -> None:
    """Carry on every cohort batch whose worker stopped (after a restart, say), and queue
    those that waited for the job queue while it was down."""
    waiting = service.start_waiting()
    if waiting:
        click.echo(f"Queued {waiting} waiting {'batch' if waiting == 1 else 'batches'}.")
    batches = db.session.scalars(
        sa.select(CertificateBatch).where(
            CertificateBatch.status.in_([BatchStatus.QUEUED, BatchStatus.RUNNING])
        )
    ).all()
    stalled = [batch.id for batch in batches if service.batch_is_stalled(batch)]
    for batch_id in stalled:
        service.run_batch(batch_id)
    click.echo(f"Resumed {len(stalled)} {'batch' if len(stalled) == 1 else 'batches'}.")


@certificates_cli.command("start-waiting")
def start_waiting() -> None:
    """Queue the batches asked for while the job queue was down (each web process and the
    worker do this by themselves; this is for cron or by hand)."""
    started = service.start_waiting()
    click.echo(f"Queued {started} waiting {'batch' if started == 1 else 'batches'}.")


@certificates_cli.command("import-files")
@click.option(
    "--folder",
    type=click.Path(file_okay=False, path_type=str),
    help="The folder of <id>.pdf files (default: ACADEMY_CERTIFICATES_DIR).",
)
def import_pdf_files(folder: str | None) -> None:
    """Copy the certificate PDFs this machine kept on disk into the database.

    Run it once on each machine that ran an older version; a file is imported only
    if it is the PDF that was issued (its hash matches), and never twice.
    """
    from flask import current_app

    folder = folder or current_app.config["ACADEMY_CERTIFICATES_DIR"]
    with unit_of_work():
        counts = import_files(db.session.connection(), folder)
    click.echo(
        f"Imported {counts['imported']}, already stored {counts['present']}, "
        f"not matching {counts['skipped']} (from {folder})."
    )
