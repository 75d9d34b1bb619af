"""`flask academy packs warm`: render the session packs a curriculum release changed."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from academy.services import guides

packs_cli = AppGroup("packs", help="Printable packs: session packs and workbooks.")


@packs_cli.command("warm")
def warm() -> None:
    """Render and cache every session pack not cached for its content version yet.

    Run it after `flask academy curriculum sync` on a release, so that trainers never
    wait for a first render (each pack is rendered once, then served from the database).
    """
    rendered, cached = guides.warm_session_packs()
    click.echo(f"Session packs: {rendered} rendered, {cached} already cached.")
