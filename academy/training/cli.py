"""`flask academy training …`: the scheduled side of open cohorts.

Schedule `expire-offers` every few minutes (places offered from a waiting list
that were not accepted in time go to the next person) and `remind` once a day
(e-mails with a calendar file for the next day's sessions).
"""

from __future__ import annotations

import click
from flask.cli import AppGroup

from academy.database import unit_of_work
from academy.services import cohorts as cohorts_service
from academy.services.cohorts import reminders, waiting

training_cli = AppGroup("training", help="Waiting-list offers and session reminders.")


@training_cli.command("expire-offers")
def expire_offers() -> None:
    """Drop lapsed offers of a place and offer free places to the next people waiting."""
    with unit_of_work():
        lapsed, messages = waiting.expire_offers()
    cohorts_service.send_later(messages)
    click.echo(f"{lapsed} offers lapsed; {len(messages)} places offered.")


@training_cli.command("remind")
def remind() -> None:
    """E-mail members (with the .ics) about their sessions starting within the next day."""
    with unit_of_work():
        due = reminders.due_reminders()
    reminders.send_later(due)
    click.echo(f"{len(due)} session reminders sent.")
