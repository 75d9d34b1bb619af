"""CPU time and queries per request, in-process: `.venv/bin/python bench/profile_pages.py`.

Where `bench/run.py` measures throughput through gunicorn (what the targets are
about), this replays the same prepared requests through the Flask app in one
process and reports, per request type, the CPU milliseconds (`time.process_time`,
steady even when other work shares the machine) and the SQL statements each
request ran. `--profile KIND` prints the cProfile of that request type.

It reuses the benchmark's seeded databases (seeding one if missing) and its
request files, so the numbers describe exactly what the benchmark drives.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import parse_qsl

from werkzeug.datastructures import MultiDict

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run  # noqa: E402  (bench/run.py: seeding and request files)


def load_requests(path: Path, limit: int) -> list[tuple[str, str, str, str]]:
    entries = []
    for raw in path.read_text().splitlines()[:limit]:
        method, target, cookie, body = (raw.split("\t") + ["", "", "", ""])[:4]
        entries.append((method, target, cookie, body))
    return entries


def make_app(database_url: str):
    from academy import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": run.SECRET,
            "ACADEMY_CHECK_CURRICULUM": False,
            "ACADEMY_BENCH": True,
            "VERIFY_RATE_LIMIT": "1000000 per minute",
            "RATELIMIT_ENABLED": False,
        }
    )


def replay(app, entries, statements: list[int]) -> tuple[list[float], list[int], list[int]]:
    client = app.test_client(use_cookies=False)
    cpu, queries, statuses = [], [], []
    for method, target, cookie, body in entries:
        headers = {"User-Agent": run.USER_AGENT}
        if cookie:
            headers["Cookie"] = cookie
        before = statements[0]
        started = time.process_time()
        if method == "POST":
            response = client.post(
                target,
                data=MultiDict(parse_qsl(body)),
                headers=headers,
                environ_base={"REMOTE_ADDR": "127.0.0.1"},
            )
        else:
            response = client.get(
                target, headers=headers, environ_base={"REMOTE_ADDR": "127.0.0.1"}
            )
        response.get_data()
        cpu.append((time.process_time() - started) * 1000)
        queries.append(statements[0] - before)
        statuses.append(response.status_code)
        response.close()
    return cpu, queries, statuses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--pg", action="store_true")
    parser.add_argument("--pg-url", default=run.PG_DEFAULT)
    parser.add_argument("-n", type=int, default=40, help="requests per type after warm-up")
    parser.add_argument("--only", action="append", help="request types (default: all)")
    parser.add_argument("--profile", help="print the cProfile of this request type")
    parser.add_argument("--sql", action="store_true", help="print one request's statements")
    args = parser.parse_args()

    kind = "postgresql" if args.pg else "sqlite"
    url, accounts, _seed = run.prepare_database(kind, args.members, args.pg_url)
    run.reopen_attempts(url, accounts)
    files = run.build_requests(url, accounts, run.OUT / f"requests-{kind}-{args.members}")
    app = make_app(url)

    from sqlalchemy import event

    from academy.extensions import db

    statements = [0]
    with app.app_context():
        engine = db.engine

    seen: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _count(_conn, _cursor, statement, *_args):
        statements[0] += 1
        seen.append(" ".join(statement.split())[:160])

    print(f"{kind}, {args.members:,} members, {args.n} requests per type after 5 to warm up")
    print(f"{'request':<12} {'cpu ms p50':>10} {'mean':>7} {'queries':>8}  statuses")
    for name in args.only or run.TARGETS:
        entries = load_requests(files[name], args.n + 6)
        if name == "quiz":
            # Every submission must answer a different open attempt (the last for --sql).
            warm, measured, last = entries[:5], entries[5:-1], entries[-1:]
        else:
            warm = entries[:5]
            measured = (entries * (args.n // max(len(entries), 1) + 1))[: args.n]
            last = measured[-1:]
        replay(app, warm, statements)
        if args.profile == name:
            profiler = cProfile.Profile()
            profiler.enable()
        cpu, queries, statuses = replay(app, measured, statements)
        if args.profile == name:
            profiler.disable()
            saved = run.OUT / f"profile-{kind}-{name}.prof"
            profiler.dump_stats(saved)
        print(
            f"{name:<12} {statistics.median(cpu):10.2f} {statistics.mean(cpu):7.2f} "
            f"{statistics.median(queries):8.0f}  {sorted(set(statuses))}"
        )
        if args.sql:
            seen.clear()
            replay(app, last, statements)
            print("\n".join(f"    {statement}" for statement in seen))
        if args.profile == name:
            print(f"    (saved for pstats or snakeviz: {saved})")
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
            pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
