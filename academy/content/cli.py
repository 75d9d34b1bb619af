"""`flask academy curriculum check [PATH]` and `flask academy curriculum sync`."""

from __future__ import annotations

import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from academy.content.problems import CurriculumError, display_path
from academy.content.reader import read_curriculum
from academy.content.validate import validate

curriculum_cli = AppGroup(
    "curriculum", help="Check the Markdown curriculum and load it into the database."
)


def _configured_root() -> Path:
    return Path(current_app.config["ACADEMY_CURRICULUM_DIR"])


@curriculum_cli.command("check")
@click.argument("path", required=False, type=click.Path(path_type=Path))
def check_command(path: Path | None) -> None:
    """Check every course under PATH (default: the configured curriculum).

    Prints each problem as `path:line: message` and exits with status 1 if there are any.
    """
    root = path if path is not None else _configured_root()
    started = time.perf_counter()
    curriculum = read_curriculum(root)
    problems = validate(curriculum)
    elapsed = time.perf_counter() - started
    for problem in problems:
        click.echo(problem.format())
    lessons = sum(len(m.lessons) for c in curriculum.courses for m in c.modules)
    quizzes = sum(m.quiz is not None for c in curriculum.courses for m in c.modules)
    counts = (
        f"{len(curriculum.courses)} courses, "
        f"{sum(len(c.modules) for c in curriculum.courses)} modules, "
        f"{lessons} lessons, {quizzes} quizzes in {display_path(curriculum.root)} "
        f"({elapsed * 1000:.0f} ms)"
    )
    if problems:
        files = len({p.path for p in problems})
        click.echo(
            f"{len(problems)} problem{'s' if len(problems) != 1 else ''} in {files} "
            f"file{'s' if files != 1 else ''}; checked {counts}",
            err=True,
        )
        raise SystemExit(1)
    click.echo(f"No problems: checked {counts}", err=True)


@curriculum_cli.command("sync")
@click.option("-v", "--verbose", is_flag=True, help="List every item created, updated or retired.")
def sync_command(verbose: bool) -> None:
    """Check the configured curriculum, then load it into the database by slug.

    Only what changed is written; removed items are retired, never deleted.
    """
    from academy.content.sync import sync_path
    from academy.database import unit_of_work
    from academy.extensions import db

    root = _configured_root()
    try:
        with unit_of_work():
            report = sync_path(root, db.session)
    except CurriculumError as error:
        for problem in error.problems:
            click.echo(problem.format())
        count = len(error.problems)
        click.echo(
            f"Not synced: {count} problem{'s' if count != 1 else ''} in the curriculum.", err=True
        )
        raise SystemExit(1) from None
    for title, items in (
        ("created", report.created),
        ("updated", report.updated),
        ("restored", report.restored),
        ("retired", report.retired),
    ):
        if verbose or title in ("restored", "retired"):
            for item in items:
                click.echo(f"  {title}: {item}")
    click.echo(f"Curriculum synced from {display_path(Path(root).absolute())}: {report.summary()}")
