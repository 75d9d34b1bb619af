"""Find training at scale: `.venv/bin/python bench/find_training.py [--pg] [--members N]`.

1. Takes bench/run.py's database (`flask academy seed-bench --members N`, default
   1,000; seeded into bench/out/ when missing, reused after) and adds 2,000 open
   cohorts across every academy, format and the coming months, each with members,
   a next session and a trainer (idempotent: only what is missing is added).
2. Starts the app under gunicorn as in production (bench/run.py's Server).
3. Drives it from loopback with wrk at 16 connections: the bare Flask page and the
   empty signed-in page for reference, then "Find training" (unfiltered, by region,
   by format, by month, later pages: an anonymous visitor's mix) and single
   listings, each after a bare-page run of its own for the ratio.

Writes bench/results/find-training/<db>-<members>.json and regenerates
bench/FIND_TRAINING.md from every result there. The target: p99 under 100 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import run  # noqa: E402 - bench/run.py: the database, the server, wrk and cookies

OUT = run.RESULTS / "find-training"
REPORT = run.BENCH / "FIND_TRAINING.md"
OPEN_COHORTS = 2000
P99_TARGET_MS = 100
KINDS = {
    "bare": "Bare Flask page (reference)",
    "signed_in": "Empty signed-in page (reference)",
    "find": "Find training, 2,000 open cohorts (mixed filters and pages)",
    "listing": "One listing",
}


def log(message: str) -> None:
    run.log(message)


def add_open_cohorts(database_url: str, accounts: dict) -> tuple[list[int], list[int]]:
    """Make sure there are OPEN_COHORTS open cohorts; return their ids and the academies."""
    import sqlalchemy as sa

    from academy import create_app
    from academy.extensions import db
    from academy.models import (
        Academy,
        Cohort,
        CohortMember,
        CohortSession,
        CohortTrainer,
        Course,
        User,
    )

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": run.SECRET,
            "ACADEMY_CHECK_CURRICULUM": False,
        }
    )
    with app.app_context():
        tag = "Bench open "
        existing = list(
            db.session.scalars(
                sa.select(Cohort.id).where(Cohort.is_open.is_(True), Cohort.name.like(tag + "%"))
            )
        )
        missing = OPEN_COHORTS - len(existing)
        if missing > 0:
            log(f"adding {missing} open cohorts")
            rng = random.Random(22)
            academies = list(db.session.scalars(sa.select(Academy.id)))
            courses = list(
                db.session.scalars(sa.select(Course.id).where(Course.retired_at.is_(None)))
            )
            trainer_id = accounts["trainer"]["id"]
            members = list(db.session.scalars(sa.select(User.id).limit(400)))
            now = datetime.now(UTC)
            today = date.today()
            for n in range(len(existing), OPEN_COHORTS):
                mode = rng.choice(("online", "in-person", "in-person", "blended"))
                starts = today + timedelta(days=rng.randint(-20, 150))
                cohort = Cohort(
                    academy_id=rng.choice(academies),
                    course_id=rng.choice(courses),
                    name=f"{tag}{n:04d}",
                    mode=mode,
                    venue="" if mode == "online" else "Community hall",
                    meeting_url="https://meet.example.org/bench" if mode != "in-person" else "",
                    town="" if mode == "online" else rng.choice(("Leeds", "Salford", "Cardiff")),
                    starts_on=starts,
                    ends_on=starts + timedelta(days=rng.randint(1, 90)),
                    capacity=rng.randint(8, 40),
                    is_open=True,
                    inactive_after_days=14,
                    created_by_id=trainer_id,
                )
                db.session.add(cohort)
                db.session.flush()
                db.session.add(CohortTrainer(cohort_id=cohort.id, user_id=trainer_id))
                for user_id in rng.sample(members, rng.randint(0, 10)):
                    db.session.add(
                        CohortMember(cohort_id=cohort.id, user_id=user_id, joined_via="open")
                    )
                for week in range(rng.randint(0, 3)):
                    start = now + timedelta(days=rng.randint(1, 60) + 7 * week)
                    db.session.add(
                        CohortSession(
                            cohort_id=cohort.id,
                            title=f"Session {week + 1}",
                            starts_at=start,
                            ends_at=start + timedelta(hours=2),
                        )
                    )
                if n % 200 == 0:
                    db.session.commit()
            db.session.commit()
        ids = list(
            db.session.scalars(
                sa.select(Cohort.id).where(Cohort.is_open.is_(True), Cohort.name.like(tag + "%"))
            )
        )
        academies = list(db.session.scalars(sa.select(Academy.id)))
        db.session.remove()
    return ids, academies


def build_requests(database_url: str, accounts: dict, cohort_ids, academies, folder: Path):
    folder.mkdir(parents=True, exist_ok=True)
    sessions = run.Sessions(database_url)
    rng = random.Random(7)
    # The server runs as in production, where the session cookie is `__Host-session`
    # (academy/config.py); run.Sessions names it as in development.
    member_cookies = [
        "__Host-" + sessions.cookie_and_token(u["id"])[0] for u in accounts["bench_users"][:50]
    ]
    today = date.today()
    months = []
    year, month = today.year, today.month
    for _ in range(6):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    lines: dict[str, list[str]] = {kind: [] for kind in KINDS}
    for i in range(2000):
        lines["bare"].append("GET\t/_bench/bare\t\t")
        lines["signed_in"].append(f"GET\t/_bench/signed-in\t{member_cookies[i % 50]}\t")
        query = rng.choice(
            (
                "",
                f"?region={rng.choice(academies)}",
                "?format=online",
                "?format=in-person",
                f"?month={rng.choice(months)}",
                f"?region={rng.choice(academies)}&month={rng.choice(months)}",
                f"?page={rng.randint(2, 20)}",
            )
        )
        lines["find"].append(f"GET\t/training/{query}\t\t")
        lines["listing"].append(f"GET\t/training/{rng.choice(cohort_ids)}\t\t")
    files = {}
    for kind, rows in lines.items():
        files[kind] = folder / f"{kind}.txt"
        files[kind].write_text("\n".join(rows) + "\n")
    return files


def measure(kind: str, members: int, args) -> dict:
    url, accounts, _seed = run.prepare_database(kind, members, args.pg_url)
    cohort_ids, academies = add_open_cohorts(url, accounts)
    files = build_requests(url, accounts, cohort_ids, academies, run.OUT / f"find-{kind}")
    redis = run.Redis()
    server = run.Server(url, redis.url, redis.prefix, args.workers)
    results: dict = {}
    try:
        for name in KINDS:
            run.check(server, files[name], name)
        log("warming up")
        for name in KINDS:
            run.wrk(server, files[name], seconds=2, connections=args.connections, threads=2)
        for name in KINDS:
            nearby = None
            if name != "bare":
                nearby = run.wrk(
                    server,
                    files["bare"],
                    seconds=max(3, args.seconds // 2),
                    connections=args.connections,
                    threads=2,
                )
            log(f"{KINDS[name]} for {args.seconds}s")
            data = run.wrk(
                server, files[name], seconds=args.seconds, connections=args.connections, threads=2
            )
            if nearby is not None:
                data["bare_rps"] = nearby["rps"]
            results[name] = data
            log(
                f"   {data['rps']:8.1f} req/s  ({run.ratio(data, results['bare']):.2f}× bare)  "
                f"p50 {data['p50_us'] / 1000:6.1f} ms  p99 {data['p99_us'] / 1000:6.1f} ms  "
                f"errors {data['errors']}"
            )
    finally:
        server.stop()
        redis.release()
    return {
        "database": kind,
        "members": members,
        "open_cohorts": len(cohort_ids),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "workers": args.workers,
        "connections": args.connections,
        "seconds": args.seconds,
        "results": results,
        "load_average": os.getloadavg(),
    }


def render() -> str:
    rows = [
        "# Find training at scale",
        "",
        "Written by `bench/find_training.py`: gunicorn as in production, wrk from loopback, "
        f"16 connections, {OPEN_COHORTS:,} open cohorts. Target: p99 under {P99_TARGET_MS} ms. "
        "Ratios are throughput against a bare Flask page measured just before each run, and "
        "against the empty signed-in page (the least any member's page costs).",
        "",
    ]
    for path in sorted(OUT.glob("*.json")):
        data = json.loads(path.read_text())
        results = data["results"]
        signed = results["signed_in"]["rps"]
        rows += [
            f"## {data['database']}, {data['members']:,} members, {data['open_cohorts']:,} open "
            f"cohorts ({data['date']})",
            "",
            "| page | req/s | × bare | × signed-in | p50 ms | p99 ms | errors | target |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
        ]
        for kind, label in KINDS.items():
            r = results[kind]
            p99 = r["p99_us"] / 1000
            target = ""
            if kind in ("find", "listing"):
                target = "met" if p99 < P99_TARGET_MS else "MISSED"
            rows.append(
                f"| {label} | {r['rps']:.0f} | {run.ratio(r, results['bare']):.2f} | "
                f"{r['rps'] / signed:.2f} | {r['p50_us'] / 1000:.1f} | {p99:.1f} | "
                f"{r['errors']} | {target} |"
            )
        rows.append("")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--pg", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", run.PG_DEFAULT))
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) * 2 + 1)
    parser.add_argument("--report-only", action="store_true")
    args = parser.parse_args()
    if not args.report_only:
        kind = "postgresql" if args.pg else "sqlite"
        result = measure(kind, args.members, args)
        OUT.mkdir(parents=True, exist_ok=True)
        (OUT / f"{kind}-{args.members}.json").write_text(json.dumps(result, indent=1))
    REPORT.write_text(render())
    print(REPORT.read_text())


if __name__ == "__main__":
    main()
