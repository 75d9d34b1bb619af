"""A burst of sign-ins: `.venv/bin/python bench/signin_burst.py [--members 64] [--rounds 3]`.

Issue 23: after a training session 64 members signed in at the same moment and
waited up to ~6 s (p99) on a 2-core machine, because each sign-in verified an
Argon2id hash sized for a bigger machine. This measures that moment, as
production runs it:

1. a fresh SQLite database in bench/out/ with `--members` confirmed accounts
   (their hashes made with today's parameters, as a real account's would be),
2. gunicorn with gunicorn.conf.py and 4 workers (ACADEMY_ENV=production),
3. each member opens the sign-in page (cookie and form token), then all post
   the form at once (a barrier releases every thread together); each answer
   must be the redirect of a successful sign-in,
4. the same burst against the bare Flask page (ACADEMY_BENCH=1) as the
   reference for what the machine and the client cost without any hashing,

and prints p50 / p99 / max per round, the CPU time the web workers spent on the
burst (from /proc: what the burst costs whatever else the machine is doing, and
divided by the cores, the soonest an otherwise idle machine could answer the
last sign-in), the Argon2 parameters and the machine's load (the machine may be
shared: read p99 with the load beside it).
Rate limits are off for the run: 64 sign-ins from one address would otherwise
meet the per-address limit, which is not what is measured. Results go to
bench/results/signin-burst.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import BIN, OUT, RESULTS, ROOT, Server, base_env, flask, log  # noqa: E402

PASSWORD = "a bench passphrase nobody would guess"  # noqa: S105 - bench accounts only
TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


OPENER = urllib.request.build_opener(NoRedirect)


def prepare(members: int) -> tuple[str, list[str]]:
    """A fresh database with `members` confirmed accounts; their e-mail addresses."""
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "signin-burst.sqlite3"
    for leftover in OUT.glob("signin-burst.sqlite3*"):
        leftover.unlink()
    url = f"sqlite:///{path}"
    env = base_env(url)
    flask(env, "db", "upgrade", capture=True)
    emails = [f"burst-{n:03d}@bench.example.org" for n in range(members)]
    script = (
        "import sys\n"
        "from academy import create_app\n"
        "from academy.extensions import db\n"
        "from academy.services import accounts\n"
        "app = create_app({'ACADEMY_CHECK_CURRICULUM': False})\n"
        "with app.app_context():\n"
        "    for email in sys.argv[2:]:\n"
        "        accounts.create_user(email, 'Bench Member', sys.argv[1], check_password=False)\n"
        "    db.session.commit()\n"
    )
    subprocess.run(
        [str(BIN / "python"), "-c", script, PASSWORD, *emails], cwd=ROOT, env=env, check=True
    )
    return url, emails


def _request(url: str, *, data: bytes | None = None, cookie: str = "") -> tuple[int, dict]:
    headers = {"User-Agent": "academy-bench", "Cookie": cookie} if cookie else {}
    if data:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    request = urllib.request.Request(url, data=data, headers=headers)  # noqa: S310 - loopback
    try:
        with OPENER.open(request, timeout=120) as answer:
            return answer.status, {"body": answer.read().decode(), "headers": answer.headers}
    except urllib.error.HTTPError as error:
        return error.code, {"body": error.read().decode(), "headers": error.headers}


def sign_in_form(server: Server, email: str) -> tuple[str, bytes]:
    """The session cookie and the filled-in form a member's browser would post."""
    status, answer = _request(server.url + "/login")
    assert status == 200, status
    cookie = answer["headers"]["Set-Cookie"].split(";", 1)[0]
    token = TOKEN.search(answer["body"]).group(1)
    body = urlencode({"csrf_token": token, "email": email, "password": PASSWORD}).encode()
    return cookie, body


def burst(jobs: list) -> list[float]:
    """Run every job at the same moment; each returns its own latency in seconds."""
    barrier = threading.Barrier(len(jobs))
    times: list[float] = [0.0] * len(jobs)

    def run(index: int, job) -> None:
        barrier.wait()
        started = time.perf_counter()
        job()
        times[index] = time.perf_counter() - started

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return times


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU time used so far by these processes (from /proc)."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))
    return ordered[index]


def summary(times: list[float]) -> dict:
    return {
        "n": len(times),
        "p50_ms": round(statistics.median(times) * 1000, 1),
        "p99_ms": round(percentile(times, 0.99) * 1000, 1),
        "max_ms": round(max(times) * 1000, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()

    from academy import passwords

    log(f"seeding {args.members} accounts in a fresh SQLite database")
    url, emails = prepare(args.members)
    server = Server(url, None, "signin-burst:", args.workers, {"FLASK_RATELIMIT_ENABLED": "false"})
    rounds, references = [], []
    try:
        # One sign-in per worker first: no burst pays for a cold process.
        for email in emails[: args.workers * 2]:
            cookie, body = sign_in_form(server, email)
            assert _request(server.url + "/login", data=body, cookie=cookie)[0] == 302
        for number in range(1, args.rounds + 1):
            forms = [sign_in_form(server, email) for email in emails]
            statuses: list[int] = []

            def job(form: tuple[str, bytes], statuses: list[int] = statuses) -> None:
                cookie, body = form
                statuses.append(_request(server.url + "/login", data=body, cookie=cookie)[0])

            load = os.getloadavg()[0]
            workers = server.workers()
            cpu_before = cpu_seconds(workers)
            times = burst([lambda form=form: job(form) for form in forms])
            cpu = cpu_seconds(workers) - cpu_before
            wrong = [s for s in statuses if s != 302]
            if wrong:
                raise SystemExit(f"round {number}: {len(wrong)} sign-ins failed: {wrong[:5]}")
            reference = burst([lambda: _request(server.url + "/_bench/bare")] * len(emails))
            rounds.append(
                {
                    **summary(times),
                    "load_before": round(load, 2),
                    # What the burst cost the web workers, whatever else the machine was doing:
                    # on an otherwise idle machine the last answer cannot come sooner than
                    # this divided by the cores.
                    "worker_cpu_s": round(cpu, 2),
                    "cpu_ms_per_sign_in": round(cpu / len(forms) * 1000, 1),
                    "idle_machine_floor_ms": round(cpu / (os.cpu_count() or 1) * 1000),
                }
            )
            references.append(summary(reference))
            log(
                f"round {number}: {args.members} sign-ins at once: p50 {rounds[-1]['p50_ms']} ms, "
                f"p99 {rounds[-1]['p99_ms']} ms, max {rounds[-1]['max_ms']} ms; workers used "
                f"{cpu:.2f} s CPU ({rounds[-1]['cpu_ms_per_sign_in']} ms a sign-in) "
                f"(bare page burst p99 {references[-1]['p99_ms']} ms; load {load:.1f})"
            )
    finally:
        server.stop()
    every = rounds
    result = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "cores": os.cpu_count(),
        "workers": args.workers,
        "members": args.members,
        "argon2": {
            "type": "argon2id",
            "time_cost": passwords.TIME_COST,
            "memory_kib": passwords.MEMORY_COST_KIB,
            "parallelism": passwords.PARALLELISM,
        },
        "rounds": every,
        "bare_page_rounds": references,
        "p99_ms_worst_round": max(r["p99_ms"] for r in every),
        "p50_ms_median_round": statistics.median(r["p50_ms"] for r in every),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "signin-burst.json").write_text(json.dumps(result, indent=1) + "\n")
    log(
        f"Argon2id t={passwords.TIME_COST} m={passwords.MEMORY_COST_KIB // 1024} MiB "
        f"p={passwords.PARALLELISM}, {args.workers} workers, {os.cpu_count()} cores: "
        f"p50 {result['p50_ms_median_round']} ms (median round), "
        f"p99 {result['p99_ms_worst_round']} ms (worst round)"
    )


if __name__ == "__main__":
    main()
