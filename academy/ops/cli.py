"""`flask academy worker | backup | restore | seed-bench`: commands for running the Academy."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from academy.ops import backup as backups


@click.command("worker")
@click.option("--burst", is_flag=True, help="Run the queued jobs, then stop.")
@click.option("--queue", "queue_name", default="academy", show_default=True)
@with_appcontext
def worker(burst: bool, queue_name: str) -> None:
    """Run background jobs (e-mail, certificate batches) from Redis with RQ."""
    from redis import Redis
    from rq import Queue, Worker

    from academy import jobs
    from academy.ops.deploy import dispose_engines

    app = current_app._get_current_object()
    if not app.config.get("REDIS_URL"):
        raise click.ClickException("REDIS_URL is not set: there is no queue to work on.")
    # Jobs run in this app (academy.worker.run_job would otherwise build another).
    jobs.worker_app = app
    # The queue answers (this worker is about to use it): queue what waited for it.
    from academy.ops.sweep import sweep

    started = sweep(app)
    if started:
        click.echo(f"Queued {started} certificate batch(es) that waited for the queue.")
    # RQ forks a work horse for each job: it must start with an empty pool,
    # never with a connection this process holds.
    dispose_engines(app, close=True)
    # create_app has checked that this Redis keeps its data and never evicts it
    # (academy/ops/redis_check.py), and warned if not.
    connection = Redis.from_url(app.config["REDIS_URL"])
    rq_worker = Worker([Queue(queue_name, connection=connection)], connection=connection)
    # The scheduler puts retried jobs back on the queue when their wait is over
    # (jobs.RETRY_INTERVALS, or an e-mail's own Retries); one worker at a time holds it.
    rq_worker.work(burst=burst, with_scheduler=True)


@click.command("backup")
@click.argument("target", type=click.Path(path_type=Path), required=False)
@with_appcontext
def backup_command(target: Path | None) -> None:
    """Back the database up to TARGET (a file or folder; default instance/backups/)."""
    app = current_app._get_current_object()
    target = target or Path(app.instance_path) / "backups"
    try:
        if not target.suffix:
            target.mkdir(parents=True, exist_ok=True)
        written = backups.backup(app, target)
    except (backups.BackupError, OSError) as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Backed up to {written} ({written.stat().st_size / 1024:.0f} KiB)")


@click.command("restore")
@click.argument("source", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option(
    "--identity",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    help="The age identity (private key) file that opens an encrypted backup (.age).",
)
@click.option(
    "--erasures",
    "ledger_files",
    multiple=True,
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    help="An erasure ledger written by `flask academy erasure-ledger` since the backup "
    "(needed only if the database being replaced is lost; its own ledger is always read).",
)
@click.confirmation_option(
    prompt="This replaces everything in the database with the backup. Go on?"
)
@with_appcontext
def restore_command(source: Path, identity: Path | None, ledger_files: tuple[Path, ...]) -> None:
    """Replace the database's contents with the backup in SOURCE, then erase again every
    member erased since it was taken."""
    try:
        again = backups.restore(
            current_app._get_current_object(),
            source,
            identity=identity,
            ledger_files=ledger_files,
        )
    except (backups.BackupError, OSError) as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Restored from {source}")
    click.echo(
        f"Erased again {again} member{'s' if again != 1 else ''} erased since the backup was taken."
    )


@click.command("erasure-ledger")
@click.argument("target", type=click.Path(path_type=Path, dir_okay=False))
@with_appcontext
def erasure_ledger_command(target: Path) -> None:
    """Write every erasure (account ids and dates only) to TARGET, for a restore to re-apply
    if the database itself is lost. Keep it beside the backups."""
    from academy.services.privacy import erasure

    text = erasure.ledger_lines(erasure.erasure_ledger())
    partial = target.with_name(target.name + ".partial")
    partial.write_text(text)
    partial.replace(target)
    click.echo(f"Wrote {text.count(chr(10))} erasures to {target}")


@click.command("seed-bench")
@click.option("--members", type=click.IntRange(min=1), required=True, help="Member accounts.")
@click.option("--bench-users", type=click.IntRange(min=1), default=400, show_default=True)
@click.option("--seed", type=int, default=2026, show_default=True)
@click.option(
    "--write-accounts",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the bench accounts, the 500-member cohort and sample verification codes "
    "here (JSON), for bench/run.py.",
)
@with_appcontext
def seed_bench_command(members, bench_users, seed, write_accounts) -> None:
    """Fill a fresh database with realistic data for the benchmark (never in production)."""
    import json

    from academy.ops.seed import BENCH_PASSWORD, SeedError, seed_bench

    if current_app.config["ACADEMY_ENV"] == "production":
        raise click.ClickException("Benchmark data is never seeded in production.")
    try:
        result = seed_bench(members, bench_users=bench_users, seed=seed, log=click.echo)
    except SeedError as error:
        raise click.ClickException(str(error)) from error
    for table, count in sorted(result.counts.items()):
        click.echo(f"  {table:<22} {count:>12,}")
    click.echo(
        f"Seeded {members:,} members and {result.progress_rows:,} progress rows "
        f"in {result.seconds:.0f}s."
    )
    if write_accounts:
        write_accounts.write_text(
            json.dumps(
                {
                    "members": members,
                    "password": BENCH_PASSWORD,
                    "bench_users": result.bench_users,
                    "trainer": result.trainer,
                    "staff": result.staff,
                    "big_cohort_id": result.big_cohort_id,
                    "verification_codes": result.verification_codes,
                    "counts": dict(result.counts),
                    "seconds": round(result.seconds, 1),
                },
                indent=1,
            )
        )


def register(group: click.Group) -> None:
    group.add_command(seed_bench_command)
    group.add_command(worker)
    group.add_command(backup_command)
    group.add_command(restore_command)
    group.add_command(erasure_ledger_command)
