"""Members' writes while a cohort's certificate batch renders: p50/p99 with and without.

    .venv/bin/python bench/batch_contention.py [--batch 100] [--members 8] [--seconds 30]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench]

A fresh database (SQLite in a temporary folder unless --database-url names an empty
PostgreSQL database or schema), migrated and seeded with a cohort of --batch members
waiting for their certificates and --members members who each, in their own thread,
sign in once and then change their privacy choice (a POST that writes a row) over
and over, through real HTTP to the app served by werkzeug (threaded) in a child
process. The batch runs in another child process, as an RQ worker would.

Two phases of --seconds each: (a) members alone; (b) members while the batch runs
(it is started at the beginning of the phase; the phase ends when its time is up
or the batch is done, whichever is later, so every render overlaps the load). The
target is p99 of (b) <= 1.5 x p99 of (a), and no failed request. It also reports
how much of its run the batch spent inside a database transaction (on SQLite, the
one write lock), which is what used to make members wait. Before this
change the batch rendered inside its write transaction, and on SQLite members'
writes queued behind it (issue 23: throughput -74%, median x3.8).
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import re
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PASSWORD = "bench horse battery staple"  # noqa: S105 - accounts of a throwaway database


def config(folder: Path, database_url: str | None) -> dict:
    return {
        "INSTANCE_PATH": str(folder / "instance"),
        "SECRET_KEY": "bench-secret-not-used-anywhere-else",
        "SQLALCHEMY_DATABASE_URI": database_url or f"sqlite:///{folder / 'bench.sqlite3'}",
        "ACADEMY_BASE_URL": "http://127.0.0.1",
        "MAIL_BACKEND": "locmem",
        "RATELIMIT_ENABLED": False,
        "ACADEMY_JOBS_INLINE": True,
    }


def seed(settings: dict, batch: int, members: int) -> tuple[int, list[str]]:
    """Migrate, load the curriculum, make the cohort and the members; the batch's id."""
    import flask_migrate

    from academy import create_app
    from academy.content.sync import sync_path
    from academy.extensions import db
    from academy.models import Cohort, CohortMember, Course, Enrolment
    from academy.services import accounts
    from academy.services import certificates as service
    from academy.services.academies import academy_by_slug, ensure_academies
    from academy.timeutil import utcnow

    app = create_app(settings)
    with app.app_context():
        flask_migrate.upgrade()
        ensure_academies()
        sync_path(Path(app.config["ACADEMY_CURRICULUM_DIR"]), db.session)
        db.session.commit()
        north_west = academy_by_slug("north-west")
        course = db.session.scalar(db.select(Course).where(Course.accredited.is_(True)))
        staff = accounts.create_user("staff@bench.example", "Bench Staff", PASSWORD)
        accounts.grant_role(staff, "staff", academy=north_west)
        cohort = Cohort(
            academy_id=north_west.id,
            course_id=course.id,
            name="Bench cohort",
            mode="online",
            starts_on=utcnow().date(),
            ends_on=utcnow().date(),
            capacity=batch + 1,
        )
        db.session.add(cohort)
        db.session.flush()
        for i in range(batch):
            person = accounts.create_user(
                f"graduate{i}@bench.example", f"Graduate Number {i}", PASSWORD, check_password=False
            )
            db.session.add(
                Enrolment(
                    user_id=person.id,
                    course_id=course.id,
                    enrolled_at=utcnow(),
                    completed_at=utcnow(),
                    last_activity_at=utcnow(),
                )
            )
            db.session.add(
                CohortMember(cohort_id=cohort.id, user_id=person.id, signed_off_at=utcnow())
            )
        emails = []
        for i in range(members):
            email = f"member{i}@bench.example"
            accounts.create_user(email, f"Member {i}", PASSWORD, check_password=False)
            emails.append(email)
        db.session.commit()
        started = service.start_batch(cohort, actor=staff)
        db.session.commit()
        return started.id, emails


def serve(settings: dict, port_out) -> None:
    import logging

    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    from academy import create_app

    server = make_server("127.0.0.1", 0, create_app(settings), threaded=True)
    port_out.send(server.server_port)
    server.serve_forever()


def run_batch(settings: dict, batch_id: int, out) -> None:
    """Run the batch as a worker would; send back how long it took and how long, in
    all, it held a database transaction open (on SQLite: the write lock)."""
    import sqlalchemy as sa

    from academy import create_app
    from academy.extensions import db
    from academy.services import certificates as service

    with create_app(settings).app_context():
        opened: dict[int, float] = {}
        held: list[float] = []

        def begin(connection) -> None:
            opened[id(connection)] = time.perf_counter()

        def end(connection) -> None:
            if (start := opened.pop(id(connection), None)) is not None:
                held.append(time.perf_counter() - start)

        sa.event.listen(db.engine, "begin", begin)
        sa.event.listen(db.engine, "commit", end)
        sa.event.listen(db.engine, "rollback", end)
        start = time.perf_counter()
        service.run_batch(batch_id)
        out.send((time.perf_counter() - start, sum(held), max(held, default=0)))


class Member:
    """One member's browser: cookies, the form token, and their timed writes."""

    def __init__(self, port: int, email: str):
        self.port, self.email, self.cookies = port, email, {}

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key] = rest.split(";", 1)[0]
        connection.close()
        return response.status, text

    def token(self, path: str) -> str:
        _, page = self.request("GET", path)
        return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)

    def sign_in(self) -> None:
        status, _ = self.request(
            "POST",
            "/login",
            {"email": self.email, "password": PASSWORD, "csrf_token": self.token("/login")},
        )
        assert status == 302, f"{self.email} could not sign in ({status})"
        self.csrf = self.token("/certificates/")

    def write(self, show: bool) -> tuple[float, int]:
        form = {"csrf_token": self.csrf, **({"show_name": "y"} if show else {})}
        start = time.perf_counter()
        status, _ = self.request("POST", "/certificates/privacy", form)
        return (time.perf_counter() - start) * 1000, status


def load(members: list[Member], until) -> tuple[list[float], int]:
    times: list[float] = []
    failures = [0]
    lock = threading.Lock()

    def work(member: Member) -> None:
        show = False
        while not until():
            elapsed, status = member.write(show)
            show = not show
            with lock:
                times.append(elapsed)
                failures[0] += status != 302

    threads = [threading.Thread(target=work, args=(m,)) for m in members]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return times, failures[0]


def summary(name: str, times: list[float], failures: int, seconds: float) -> str:
    p99 = statistics.quantiles(times, n=100)[98]
    return (
        f"{name:<24} {len(times):6d} writes  {len(times) / seconds:6.1f}/s  "
        f"p50 {statistics.median(times):7.1f} ms  p99 {p99:7.1f} ms  failed {failures}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=100, help="certificates in the batch")
    parser.add_argument("--members", type=int, default=8, help="members writing at once")
    parser.add_argument("--seconds", type=float, default=30, help="length of each phase")
    parser.add_argument("--database-url", help="an empty PostgreSQL database (default SQLite)")
    args = parser.parse_args()

    spawn = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory(prefix="batch-bench-") as tmp:
        settings = config(Path(tmp), args.database_url)
        batch_id, emails = seed(settings, args.batch, args.members)
        receive, send = spawn.Pipe(duplex=False)
        web = spawn.Process(target=serve, args=(settings, send), daemon=True)
        web.start()
        port = receive.recv()
        try:
            members = [Member(port, email) for email in emails]
            for member in members:
                member.sign_in()
            for member in members[:2]:  # warm the server up
                member.write(True)

            start = time.monotonic()
            alone, alone_failed = load(members, lambda: time.monotonic() - start > args.seconds)
            alone_seconds = time.monotonic() - start

            from_worker, to_main = spawn.Pipe(duplex=False)
            worker = spawn.Process(target=run_batch, args=(settings, batch_id, to_main))
            start = time.monotonic()
            worker.start()
            during, during_failed = load(
                members,
                lambda: time.monotonic() - start > args.seconds and not worker.is_alive(),
            )
            during_seconds = time.monotonic() - start
            batch_seconds, held_seconds, longest = from_worker.recv()
            worker.join()
        finally:
            web.terminate()
            web.join()

        issued = issued_count(settings, batch_id)

    database = "postgresql" if args.database_url else "sqlite"
    print(
        f"{database}: {args.members} members writing; batch of {args.batch} "
        f"({issued} issued in {during_seconds:.0f} s)"
    )
    print(
        f"the batch held a transaction open {held_seconds:.1f} s of its {batch_seconds:.1f} s "
        f"({100 * held_seconds / batch_seconds:.0f}%; longest {longest * 1000:.0f} ms)"
    )
    print(summary("(a) members alone", alone, alone_failed, alone_seconds))
    print(summary("(b) during the batch", during, during_failed, during_seconds))
    ratio = statistics.quantiles(during, n=100)[98] / statistics.quantiles(alone, n=100)[98]
    verdict = "OK" if ratio <= 1.5 and not (alone_failed or during_failed) else "OVER TARGET"
    print(f"p99 (b)/(a): {ratio:.2f}x (target <= 1.5x, no failures): {verdict}")


def issued_count(settings: dict, batch_id: int) -> int:
    from academy import create_app
    from academy.extensions import db
    from academy.models.certificates import CertificateBatch

    with create_app(settings).app_context():
        return db.session.get(CertificateBatch, batch_id).issued


if __name__ == "__main__":
    main()
