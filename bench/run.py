"""The benchmark: `make bench` (or `.venv/bin/python bench/run.py [options]`).

For each database size asked for (default 1,000 members) and each database
(SQLite by default, PostgreSQL with --pg):

1. seed a database with `flask academy seed-bench` (kept in bench/out/ and
   reused by later runs),
2. start the app under gunicorn with gunicorn.conf.py, as in production
   (ACADEMY_ENV=production, JSON logs, Redis for rate limits), plus
   ACADEMY_BENCH=1 for the bare reference page,
3. drive it from loopback with wrk, 16 connections, through bench/requests.lua,
   which replays prepared requests (signed-in members, real quiz answers),
4. record throughput, p50/p95/p99 latency and errors per request type, the
   peak memory (VmHWM) of every gunicorn process, and certificate rendering
   against WeasyPrint alone (bench/cert_render.py),

then write bench/results/<db>-<members>.json and regenerate bench/RESULTS.md
from every result present and bench/findings.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BENCH = ROOT / "bench"
OUT = BENCH / "out"
RESULTS = BENCH / "results"
BIN = Path(sys.executable).parent
SECRET = "bench-secret-key-" + "0" * 32
USER_AGENT = "academy-bench"
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432"

# Request type -> (what the ratio to the bare page must reach, label)
TARGETS = {
    "bare": (None, "Bare Flask page (reference)"),
    "signed_in": (None, "Empty signed-in page (reference)"),
    "lesson": (0.5, "Lesson page"),
    "quiz": (0.3, "Quiz submission"),
    "dashboard": (0.3, "Member dashboard"),
    "cohort": (None, "Cohort page, 500 members"),
    "staff": (None, "Staff dashboard"),
    "verify": (0.5, "Certificate verification"),
}
P99_LIMIT_MS = 250
# Measured in every run for comparison, not held to a target: the bare page is
# what the ratios are taken against; the empty signed-in page is the least any
# member's page can cost (session, the member and their roles, the layout).
REFERENCES = ("bare", "signed_in")


def log(message: str) -> None:
    print(f"[bench {datetime.now(UTC):%H:%M:%S}] {message}", flush=True)


def flask(env: dict, *args: str, capture: bool = False) -> str:
    result = subprocess.run(
        [str(BIN / "flask"), "--app", "academy", *args],
        cwd=ROOT,
        env=env,
        check=True,
        text=True,
        capture_output=capture,
    )
    return result.stdout if capture else ""


# Databases -----------------------------------------------------------------------------------


def base_env(database_url: str) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("FLASK_", "ACADEMY_", "GUNICORN_", "DATABASE_", "REDIS_"))
    }
    env.update(
        DATABASE_URL=database_url,
        SECRET_KEY=SECRET,
        ACADEMY_BASE_URL="http://127.0.0.1",
        ACADEMY_CERTIFICATES_DIR=str(OUT / "certificates"),
        # What production refuses to start without (academy/config.py): a badge key
        # for this run, and a mail backend that keeps messages in memory.
        ACADEMY_BADGE_SIGNING_KEY=_badge_key(),
        FLASK_MAIL_BACKEND="locmem",
        PYTHONUNBUFFERED="1",
    )
    return env


def _badge_key() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def prepare_database(kind: str, members: int, pg_base: str) -> tuple[str, dict, dict]:
    """The database URL, its seed accounts and how the seed went (seeding if needed)."""
    OUT.mkdir(parents=True, exist_ok=True)
    if kind == "sqlite":
        path = OUT / f"bench-{members}.sqlite3"
        url = f"sqlite:///{path}"
        accounts_file = OUT / f"bench-{members}.sqlite3.json"
        exists = path.exists() and accounts_file.exists()
        if path.exists() and not exists:
            for leftover in OUT.glob(f"bench-{members}.sqlite3*"):
                leftover.unlink()
    else:
        import sqlalchemy as sa

        name = f"academy_bench_{members}"
        url = f"{pg_base}/{name}"
        accounts_file = OUT / f"pg-{members}.json"
        admin = sa.create_engine(f"{pg_base}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            present = conn.scalar(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
            )
            exists = bool(present) and accounts_file.exists()
            if present and not exists:
                conn.execute(sa.text(f'DROP DATABASE "{name}"'))
            if not exists:
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    if exists:
        log(f"reusing the {kind} database with {members:,} members (migrating it to the head)")
        flask(base_env(url), "db", "upgrade", capture=True)
        accounts = json.loads(accounts_file.read_text())
        return url, accounts, accounts.get("seed", {})
    env = base_env(url)
    log(f"migrating and loading the curriculum into a fresh {kind} database")
    flask(env, "db", "upgrade", capture=True)
    flask(env, "academy", "seed-academies", capture=True)
    flask(env, "academy", "curriculum", "sync", capture=True)
    log(f"seeding {members:,} members (flask academy seed-bench --members {members})")
    started = time.perf_counter()
    output = flask(
        env,
        "academy",
        "seed-bench",
        "--members",
        str(members),
        "--write-accounts",
        str(accounts_file),
        capture=True,
    )
    seconds = time.perf_counter() - started
    print(output)
    accounts = json.loads(accounts_file.read_text())
    accounts["seed"] = {
        "command": f"flask academy seed-bench --members {members}",
        "seconds_total": round(seconds, 1),
        "seconds_inside": accounts.get("seconds"),
        "counts": accounts.get("counts"),
        "database_bytes": database_size(kind, url),
    }
    accounts_file.write_text(json.dumps(accounts, indent=1))
    return url, accounts, accounts["seed"]


def database_size(kind: str, url: str) -> int:
    if kind == "sqlite":
        path = Path(url.removeprefix("sqlite:///"))
        return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.connect() as conn:
        size = conn.scalar(sa.text("SELECT pg_database_size(current_database())"))
    engine.dispose()
    return int(size)


# Requests --------------------------------------------------------------------------------------


class Sessions:
    """Signed-in session cookies made as Flask-Login would, and form tokens for them."""

    def __init__(self, database_url: str):
        from academy import create_app

        self.app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": database_url,
                "SECRET_KEY": SECRET,
                "ACADEMY_CHECK_CURRICULUM": False,
            }
        )
        with self.app.test_request_context(
            environ_base={"REMOTE_ADDR": "127.0.0.1"}, headers={"User-Agent": USER_AGENT}
        ):
            from flask_login.utils import _create_identifier

            self.identifier = _create_identifier()
        self.serializer = self.app.session_interface.get_signing_serializer(self.app)

    def cookie_and_token(self, user_id: int) -> tuple[str, str]:
        from itsdangerous import URLSafeTimedSerializer

        from academy.extensions import db
        from academy.models import User

        with self.app.app_context():
            user = db.session.get(User, user_id)
            session_id = user.get_id()
            db.session.remove()
        raw = uuid.uuid4().hex
        cookie = self.serializer.dumps(
            {"_user_id": session_id, "_fresh": True, "_id": self.identifier, "csrf_token": raw}
        )
        token = URLSafeTimedSerializer(SECRET, salt="wtf-csrf-token").dumps(raw)
        # The servers run as in production, where the cookie has the __Host- prefix.
        return f"__Host-session={cookie}", token


def build_requests(database_url: str, accounts: dict, files: Path) -> dict[str, Path]:
    """One file of prepared requests per request type."""
    import sqlalchemy as sa

    from academy.extensions import db
    from academy.models import Course, Lesson, Module, Quiz
    from academy.models.learning import QuizAttempt

    sessions = Sessions(database_url)
    rng = random.Random(7)
    bench_ids = [u["id"] for u in accounts["bench_users"]]
    member = {uid: sessions.cookie_and_token(uid) for uid in bench_ids}
    trainer_cookie, _ = sessions.cookie_and_token(accounts["trainer"]["id"])
    staff_cookie, _ = sessions.cookie_and_token(accounts["staff"]["id"])
    lines: dict[str, list[str]] = {name: [] for name in TARGETS}

    def line(kind: str, method: str, path: str, cookie: str = "", body: str = "") -> None:
        lines[kind].append("\t".join((method, path, cookie, body)))

    line("bare", "GET", "/_bench/bare")
    for uid in bench_ids:
        line("signed_in", "GET", "/_bench/signed-in", member[uid][0])
    with sessions.app.app_context():
        lessons = db.session.execute(
            sa.select(Course.slug, Lesson.slug)
            .join(Lesson, Lesson.course_id == Course.id)
            .where(Lesson.retired_at.is_(None), Course.retired_at.is_(None))
        ).all()
        for _ in range(4000):
            uid = rng.choice(bench_ids)
            course, lesson = rng.choice(lessons)
            line("lesson", "GET", f"/courses/{course}/lessons/{lesson}", member[uid][0])
        for uid in bench_ids:
            line("dashboard", "GET", "/dashboard", member[uid][0])
        line("cohort", "GET", f"/cohorts/{accounts['big_cohort_id']}/", trainer_cookie)
        line("staff", "GET", "/staff/", staff_cookie)
        for code in accounts["verification_codes"]:
            line("verify", "GET", f"/verify/{code}")
        # Every open attempt of every bench account, answered rightly, in a shuffled order.
        attempts = db.session.execute(
            sa.select(QuizAttempt, Course.slug, Module.slug)
            .join(Quiz, Quiz.id == QuizAttempt.quiz_id)
            .join(Module, Module.id == Quiz.module_id)
            .join(Course, Course.id == Quiz.course_id)
            .where(QuizAttempt.user_id.in_(bench_ids), QuizAttempt.submitted_at.is_(None))
        ).all()
        rng.shuffle(attempts)
        for attempt, course, module in attempts:
            cookie, token = member[attempt.user_id]
            fields = [("csrf_token", token)]
            for question in attempt.snapshot["questions"]:
                name = f"q-{question['key']}"
                if question["kind"] == "short":
                    fields.append((name, (question.get("accepted_answers") or ["x"])[0]))
                    continue
                for option in question["options"]:
                    if option.get("correct"):
                        fields.append((name, f"{question['key']}:{option['key']}"))
            path = f"/courses/{course}/quizzes/{module}/attempts/{attempt.number}"
            line("quiz", "POST", path, cookie, urlencode(fields))
        db.session.remove()
        db.engine.dispose()
    files.mkdir(parents=True, exist_ok=True)
    paths = {}
    for kind, entries in lines.items():
        paths[kind] = files / f"{kind}.tsv"
        paths[kind].write_text("\n".join(entries) + "\n")
    return paths


def reopen_attempts(database_url: str, accounts: dict) -> int:
    """Bench accounts' attempts back to open, so every run submits fresh ones."""
    import sqlalchemy as sa

    engine = sa.create_engine(database_url)
    ids = [u["id"] for u in accounts["bench_users"]]
    with engine.begin() as conn:
        reopened = conn.execute(
            sa.text(
                "UPDATE quiz_attempts SET submitted_at = NULL, answers = NULL, results = NULL, "
                "score = NULL, passed = NULL WHERE number = 1 AND user_id IN "
                f"({','.join(str(i) for i in ids)})"
            )
        ).rowcount
        conn.execute(
            sa.text(
                "DELETE FROM quiz_attempts WHERE number > 1 AND user_id IN "
                f"({','.join(str(i) for i in ids)})"
            )
        )
    engine.dispose()
    return reopened


# The server --------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Redis:
    """A Redis database number of our own for rate limits, or none if Redis is not there."""

    def __init__(self):
        self.url = None
        self.prefix = f"academy-bench-{uuid.uuid4().hex[:8]}"
        try:
            import redis

            for number in range(15, 0, -1):
                client = redis.Redis(host="127.0.0.1", port=6379, db=number)
                if client.dbsize() == 0 and client.set(
                    "academy-bench:claim", "1", nx=True, ex=3600
                ):
                    self.client, self.url = client, f"redis://127.0.0.1:6379/{number}"
                    return
        except Exception as error:  # noqa: BLE001 - reported, the bench goes on without
            log(f"no Redis ({error}): rate limits will be per process")

    def release(self) -> None:
        if self.url:
            for pattern in ("LIMITS*", f"{self.prefix}*", "rq:*", "academy-bench:claim"):
                for key in self.client.scan_iter(match=pattern):
                    self.client.delete(key)


class Server:
    def __init__(
        self,
        database_url: str,
        redis_url: str | None,
        prefix: str,
        workers: int,
        extra_env: dict | None = None,
    ):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = base_env(database_url)
        env.update(
            ACADEMY_ENV="production",
            ACADEMY_BENCH="1",
            GUNICORN_BIND=f"127.0.0.1:{self.port}",
            WEB_CONCURRENCY=str(workers),
            GUNICORN_ACCESS_LOG=str(OUT / "access.log"),
            # Verification is limited per address; every request here comes from one.
            FLASK_VERIFY_RATE_LIMIT="1000000 per minute",
            FLASK_RATELIMIT_KEY_PREFIX=prefix,
            # Each run's own cache: counts kept from another database must not show.
            FLASK_CACHE_KEY_PREFIX=f"{prefix}cache:",
        )
        # Production does not start without Redis (academy/config.py): the local one
        # where the run names none.
        env["REDIS_URL"] = redis_url or os.environ.get(
            "BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"
        )
        env.update(extra_env or {})
        (OUT / "access.log").unlink(missing_ok=True)
        self.log_path = OUT / "gunicorn.log"
        self.log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited:\n{self.log_path.read_text()[-3000:]}")
            if self.all_workers_answer(workers):
                return
            time.sleep(0.3)
        self.stop()
        raise SystemExit("gunicorn did not start")

    def all_workers_answer(self, expected: int) -> bool:
        """Every worker has loaded the app and answered (by the pids in the access log)."""
        from concurrent.futures import ThreadPoolExecutor

        def health(_):
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=5) as answer:  # noqa: S310
                    return answer.status
            except OSError:
                return None

        with ThreadPoolExecutor(expected) as pool:
            list(pool.map(health, range(expected * 2)))
        pids = set()
        access = OUT / "access.log"
        if access.exists():
            for row in access.read_text().splitlines()[-500:]:
                if '"/healthz"' in row:
                    pids.add(json.loads(row)["pid"])
        return len(self.workers()) >= expected and set(self.workers()) <= pids

    def drain(self) -> None:
        """Wait until requests queued by the last wrk run are answered (a /healthz
        queued behind them comes back), so they do not slow the next run."""
        try:
            with urllib.request.urlopen(self.url + "/healthz", timeout=120) as answer:  # noqa: S310
                answer.read()
        except OSError as error:
            log(f"the server did not drain: {error}")

    def workers(self) -> list[int]:
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.process.pid:
                children.append(int(stat.parent.name))
        return children

    def peak_memory(self) -> dict:
        def hwm(pid: int) -> int:
            text = Path(f"/proc/{pid}/status").read_text()
            return int(re.search(r"VmHWM:\s+(\d+) kB", text).group(1)) * 1024

        workers = [hwm(pid) for pid in self.workers()]
        return {"master": hwm(self.process.pid), "workers": sorted(workers)}

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()


def check(server: Server, request_file: Path, kind: str) -> None:
    """One request of the type by hand: the right page, not an error or the log-in page."""
    method, path, cookie, body = request_file.read_text().splitlines()[0].split("\t")
    request = urllib.request.Request(  # noqa: S310 - our own loopback server
        server.url + path,
        data=body.encode() if body else None,
        method=method,
        headers={"User-Agent": USER_AGENT, "Cookie": cookie}
        | ({"Content-Type": "application/x-www-form-urlencoded"} if body else {}),
    )

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        answer = opener.open(request, timeout=30)
        status, location = answer.status, answer.headers.get("Location", "")
    except urllib.error.HTTPError as error:
        status, location = error.code, error.headers.get("Location", "")
    expected = 303 if kind == "quiz" else 200
    if status != expected or "/login" in location:
        raise SystemExit(f"{kind}: {method} {path} answered {status} {location}")


def wrk(
    server: Server,
    request_file: Path,
    *,
    seconds: int,
    connections: int,
    threads: int,
    offset: int = 0,
) -> dict:
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(BENCH / "requests.lua"),
        server.url,
        "--",
        str(request_file),
        str(offset),
        str(threads),
    ]
    output = subprocess.run(command, check=True, text=True, capture_output=True).stdout
    server.drain()
    data = json.loads(output.split("BENCH-JSON", 1)[1].strip().splitlines()[0])
    data["rps"] = data["requests"] / (data["duration_us"] / 1e6)
    data["errors"] = sum(
        data[k]
        for k in ("status_errors", "connect_errors", "read_errors", "write_errors", "timeouts")
    )
    return data


# One configuration -------------------------------------------------------------------------


def run_one(kind: str, members: int, args) -> dict:
    url, accounts, seed = prepare_database(kind, members, args.pg_url)
    reopened = reopen_attempts(url, accounts)
    files = build_requests(url, accounts, OUT / f"requests-{kind}-{members}")
    quiz_available = reopened
    redis = Redis()
    server = Server(url, redis.url, redis.prefix, args.workers)
    results: dict = {}
    measured = [
        name for name in TARGETS if not args.only or name in REFERENCES or name in args.only
    ]
    try:
        for kind_name in measured:
            check(server, files[kind_name], kind_name)
        # The quiz check above submitted the first attempt in the list: start after it.
        offset = {"quiz": 1}
        log(f"{kind} {members:,}: warming up")
        for name in measured:
            if name == "quiz":
                continue
            wrk(server, files[name], seconds=2, connections=args.connections, threads=2)
        for name in measured:
            nearby = None
            if name != "bare":
                # The machine's speed drifts over minutes (other tenants, clocks), so each
                # type is compared with a bare-page run taken just before it.
                nearby = wrk(
                    server,
                    files["bare"],
                    seconds=max(3, args.seconds // 2),
                    connections=args.connections,
                    threads=2,
                )
            log(f"{kind} {members:,}: {TARGETS[name][1]} for {args.seconds}s")
            data = wrk(
                server,
                files[name],
                seconds=args.seconds,
                connections=args.connections,
                threads=2,
                offset=offset.get(name, 0),
            )
            if nearby is not None:
                data["bare_rps"] = nearby["rps"]
            if name == "quiz" and data["requests"] > quiz_available - 1:
                data["note"] = (
                    f"{data['requests']} submissions but only {quiz_available} open attempts: "
                    "the rest were repeats"
                )
            results[name] = data
            times_bare = ratio(data, results.get("bare", data))
            log(
                f"   {data['rps']:8.1f} req/s  ({times_bare:.2f}× bare)  "
                f"p50 {data['p50_us'] / 1000:6.1f} ms  "
                f"p95 {data['p95_us'] / 1000:6.1f} ms  p99 {data['p99_us'] / 1000:6.1f} ms  "
                f"errors {data['errors']}"
            )
        memory = server.peak_memory()
    finally:
        server.stop()
        redis.release()
    log_text = server.log_path.read_text(errors="replace")
    return {
        "database": kind,
        "members": members,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "seed": seed,
        "workers": args.workers,
        "connections": args.connections,
        "seconds": args.seconds,
        "redis": bool(redis.url),
        "results": results,
        "memory": memory,
        "database_bytes": database_size(kind, url),
        "server_errors": log_text.count('"level": "ERROR"'),
        "locked_errors": log_text.count("database is locked"),
        "load_average": os.getloadavg(),
    }


def ratio(data: dict, bare: dict) -> float:
    """Throughput against the bare page measured just before it (or the run's first)."""
    reference = data.get("bare_rps") or bare["rps"]
    return data["rps"] / reference if reference else 0.0


def cert_render(n: int) -> str:
    log(f"certificate rendering, {n} of each")
    return subprocess.run(
        [sys.executable, str(BENCH / "cert_render.py"), "-n", str(n)],
        cwd=ROOT,
        check=True,
        text=True,
        capture_output=True,
    ).stdout.strip()


# RESULTS.md ------------------------------------------------------------------------------------


def machine() -> dict:
    cpu = "unknown"
    for row in Path("/proc/cpuinfo").read_text().splitlines():
        if row.startswith("model name"):
            cpu = row.split(":", 1)[1].strip()
            break
    memory = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
    import sqlite3

    import gunicorn
    import sqlalchemy

    pg = subprocess.run(["psql", "--version"], capture_output=True, text=True).stdout.strip()
    wrk_version = subprocess.run(["wrk", "--version"], capture_output=True, text=True)
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(memory / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": pg,
        "gunicorn": gunicorn.__version__,
        "sqlalchemy": sqlalchemy.__version__,
        "wrk": (wrk_version.stdout or wrk_version.stderr).splitlines()[0],
    }


def ms(us: float) -> str:
    return f"{us / 1000:.1f}"


def render_results() -> str:
    runs = [
        json.loads(p.read_text())
        for p in sorted(RESULTS.glob("*.json"))
        if p.name != "machine.json"
    ]
    runs.sort(key=lambda r: (r["database"] != "sqlite", r["members"]))
    info = (
        json.loads((RESULTS / "machine.json").read_text())
        if (RESULTS / "machine.json").exists()
        else machine()
    )
    out = ["# Benchmark results", ""]
    out.append(
        "Generated by `bench/run.py` (`make bench`); the narrative of what was found and "
        "fixed is in `bench/findings.md`, copied at the end. Every number is from one run "
        "on the machine below; throughput is compared with the bare Flask page **in the "
        "same run**, which is what the targets are about."
    )
    met = total = 0
    for run in runs:
        bare = run["results"]["bare"]
        for name, (target, _) in TARGETS.items():
            data = run["results"].get(name)
            if not data or name in REFERENCES:
                continue
            checks = [data["p99_us"] / 1000 <= P99_LIMIT_MS]
            if target is not None:
                checks.append(ratio(data, bare) >= target)
            met += sum(checks)
            total += len(checks)
    out += [
        "",
        f"**Verdict: {met} of {total} target checks met** across the runs below (ratio to "
        f"the bare page, p99 ≤ {P99_LIMIT_MS} ms at {runs[0]['connections'] if runs else 16} "
        "connections). What stands in the way, what was fixed and what it gained: "
        '"Where things stand", "What was found" and "The floor" at the end.',
    ]
    out += ["", "## Machine", ""]
    for key in (
        "cpu",
        "cores",
        "memory_gib",
        "kernel",
        "python",
        "sqlite",
        "postgresql",
        "gunicorn",
        "sqlalchemy",
        "wrk",
    ):
        out.append(f"- {key}: {info.get(key)}")
    out.append(
        "- load: wrk, gunicorn and the database share the same 2 cores, and other work on "
        "the machine shows in the load average noted per run; ratios to the bare page, "
        "measured minutes apart in the same run, are steadier than req/s."
    )
    out += ["", "## Commands", ""]
    out.append("```sh")
    out.append("make bench                                         # SQLite, 1,000 members")
    out.append(".venv/bin/python bench/run.py --members 1000 --members 500000 [--pg|--both]")
    out.append(".venv/bin/python bench/profile_pages.py [--pg] [--profile lesson]  # CPU per page")
    out.append("```")
    out.append("")
    out.append(
        "Each run: `flask academy seed-bench --members N` into a fresh database (kept in "
        "bench/out/), `gunicorn -c gunicorn.conf.py wsgi:app` with ACADEMY_ENV=production, "
        "ACADEMY_BENCH=1 and REDIS_URL (rate limits in Redis), a 2 s warm-up per request "
        "type, then `wrk -t2 -c16 -d<seconds>s -s bench/requests.lua` per request type. "
        "Signed-in requests carry session cookies of the seeded bench accounts (400 members "
        "half way through every course); lesson pages rotate over 4,000 (member, lesson) "
        "pairs, dashboards over 400 members, verification over up to 2,000 real codes; each "
        "quiz submission answers a different open attempt (a real, marked, stored submission). "
        "The machine's speed drifts over minutes, so each request type's ratio is to a "
        'bare-page run of half as long taken just before it (the "bare just before" '
        "column); the bare row itself is the run's first measurement. The "
        '"× signed-in page" column divides a member page\'s ratio by the empty signed-in '
        "page's: what the page costs against the least any member's page can cost "
        "(bench/findings.md, the fourth and fifth rounds)."
    )
    for run in runs:
        res = run["results"]
        bare = res["bare"]
        out += ["", f"## {run['database']} — {run['members']:,} members ({run['date']})", ""]
        seed = run.get("seed") or {}
        counts = seed.get("counts") or {}
        progress = counts.get("lesson_completions", 0) + counts.get("quiz_attempts", 0)
        if seed:
            out.append(
                f"Seed: `{seed.get('command')}` took {seed.get('seconds_total')} s "
                f"({seed.get('seconds_inside')} s inside the command), "
                f"{progress:,} progress rows ({counts.get('lesson_completions', 0):,} lessons "
                f"completed, {counts.get('quiz_attempts', 0):,} quiz attempts), "
                f"{counts.get('enrolments', 0):,} enrolments, {counts.get('cohort_members', 0):,} "
                f"cohort places, {counts.get('certificates', 0):,} certificates; database "
                f"{run['database_bytes'] / 2**20:,.0f} MiB."
            )
        out.append(
            f"gunicorn: {run['workers']} sync workers; wrk: {run['connections']} connections, "
            f"{run['seconds']} s per type; Redis: {'yes' if run['redis'] else 'no'}; "
            f"load average at the end {', '.join(f'{x:.1f}' for x in run['load_average'])}."
        )
        out += [
            "",
            "| request | req/s | bare just before | × bare | × signed-in page | target | p50 ms "
            "| p95 ms | p99 ms | errors |",
            "| --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: |",
        ]
        signed_in = res.get("signed_in")
        for name, (target, label) in TARGETS.items():
            data = res.get(name)
            if not data:
                continue
            times_bare = ratio(data, bare)
            # Against the least a member's page can cost (both to their own bare page);
            # not for the references themselves, nor for verification, which is public.
            against_floor = "—"
            if signed_in and name not in (*REFERENCES, "verify"):
                against_floor = f"{times_bare / ratio(signed_in, bare):.2f}"
            verdicts = ["reference"] if name in REFERENCES else []
            if target is not None:
                verdicts.append(f"≥ {target:.1f}× " + ("✔" if times_bare >= target else "✘"))
            p99_ok = data["p99_us"] / 1000 <= P99_LIMIT_MS
            if name not in REFERENCES:
                verdicts.append(f"p99 ≤ {P99_LIMIT_MS} " + ("✔" if p99_ok else "✘"))
            out.append(
                f"| {label} | {data['rps']:.0f} | {data.get('bare_rps') or bare['rps']:.0f} | "
                f"{times_bare:.2f} | {against_floor} | {'; '.join(verdicts)} | "
                f"{ms(data['p50_us'])} | {ms(data['p95_us'])} | {ms(data['p99_us'])} | "
                f"{data['errors']} |"
            )
        notes = [f"{n}: {d['note']}" for n, d in res.items() if d.get("note")]
        for note in notes:
            out.append(f"\nNote: {note}")
        mem = run["memory"]
        out.append("")
        out.append(
            f"Peak memory (VmHWM): gunicorn master {mem['master'] / 2**20:.0f} MiB; workers "
            + ", ".join(f"{w / 2**20:.0f}" for w in mem["workers"])
            + " MiB. Server log: "
            + f'{run["server_errors"]} errors, {run["locked_errors"]} "database is locked".'
        )
    # The same ratios at every size?
    by_db: dict[str, list] = {}
    for run in runs:
        by_db.setdefault(run["database"], []).append(run)
    comparison = []
    for db_name, db_runs in by_db.items():
        if len(db_runs) < 2:
            continue
        small, large = db_runs[0], db_runs[-1]
        comparison += [
            "",
            f"### {db_name}: {small['members']:,} against {large['members']:,} members",
            "",
            f"| request | × bare at {small['members']:,} "
            f"| × bare at {large['members']:,} | change |",
            "| --- | ---: | ---: | ---: |",
        ]
        for name, (_, label) in TARGETS.items():
            if name == "bare" or name not in small["results"] or name not in large["results"]:
                continue
            a = ratio(small["results"][name], small["results"]["bare"])
            b = ratio(large["results"][name], large["results"]["bare"])
            comparison.append(f"| {label} | {a:.2f} | {b:.2f} | {100 * (b - a) / a:+.0f}% |")
    if comparison:
        out += ["", "## Does the cost grow with the data?"] + comparison
    render = RESULTS / "cert_render.txt"
    if render.exists():
        out += [
            "",
            "## Certificate rendering",
            "",
            "`.venv/bin/python bench/cert_render.py -n 10`:",
            "",
            "```",
            render.read_text().strip(),
            "```",
        ]
    findings = BENCH / "findings.md"
    if findings.exists():
        out += ["", findings.read_text().strip()]
    return "\n".join(out) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmark the Academy under gunicorn.")
    parser.add_argument("--members", type=int, action="append", help="repeatable; default 1000")
    parser.add_argument("--pg", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument("--both", action="store_true", help="SQLite and PostgreSQL")
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", PG_DEFAULT))
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) * 2 + 1)
    parser.add_argument("--render", type=int, default=10, help="certificates per kind (0: skip)")
    parser.add_argument("--report-only", action="store_true", help="only rewrite RESULTS.md")
    parser.add_argument(
        "--only",
        action="append",
        choices=[name for name in TARGETS if name not in REFERENCES],
        help="measure only these request types (and the bare page); prints, writes nothing",
    )
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    if not args.report_only:
        (RESULTS / "machine.json").write_text(json.dumps(machine(), indent=1))
        kinds = ["sqlite", "postgresql"] if args.both else ["postgresql" if args.pg else "sqlite"]
        for members in args.members or [1000]:
            for kind in kinds:
                run = run_one(kind, members, args)
                if args.only:  # a partial run: the log above is its result
                    continue
                (RESULTS / f"{kind}-{members}.json").write_text(json.dumps(run, indent=1))
                (BENCH / "RESULTS.md").write_text(render_results())
        if args.only:
            return
        if args.render:
            (RESULTS / "cert_render.txt").write_text(cert_render(args.render) + "\n")
    (BENCH / "RESULTS.md").write_text(render_results())
    log(f"wrote {BENCH / 'RESULTS.md'}")


if __name__ == "__main__":
    main()
