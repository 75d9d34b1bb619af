"""Real app processes for the deployment tests: gunicorn as in production, an RQ
worker, one shared database (SQLite file, or a fresh PostgreSQL schema where
TEST_DATABASE_URL is set) and a Redis database of their own."""

from __future__ import annotations

import http.client
import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

import redis
import sqlalchemy as sa

from academy import create_app
from academy.extensions import db
from academy.services import accounts
from tests.conftest import (
    _PASSWORD_HASH,
    BADGE_KEY,
    SECRET,
    TEST_CURRICULUM,
    Database,
    base_config,
)
from tests.conftest import migrate_and_seed as _migrate_and_seed

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
REDIS_HOST = os.environ.get("TEST_REDIS_HOST", "127.0.0.1")
REDIS_PORT = int(os.environ.get("TEST_REDIS_PORT", "6379"))
START_TIMEOUT = 40  # seconds for a process to answer /healthz


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# The database and Redis ------------------------------------------------------------------


class SharedDatabase:
    """A migrated, seeded database that separate processes reach through DATABASE_URL."""

    def __init__(self, tmp: Path):
        self.database = Database(tmp)
        self.tmp = tmp
        if self.database.schema:
            # libpq's options in the URL reach every process, as they would in production.
            sep = "&" if "?" in self.database.url else "?"
            options = quote(f"-csearch_path={self.database.schema}")
            self.url = f"{self.database.url}{sep}options={options}"
        else:
            self.url = self.database.url
        self.app = create_app(base_config(tmp, self.database))
        _migrate_and_seed(self.app)

    @property
    def is_postgres(self) -> bool:
        return self.database.schema is not None

    def make_member(self, email: str, name: str = "Test Member", roles=(), academy=None):
        """A confirmed account whose password is tests.conftest.PASSWORD; returns its id.

        Staff and admins get two-step sign-in with tests.conftest.TOTP_SECRET, as they must.
        """
        from academy.services.academies import academy_by_slug
        from tests.conftest import give_second_factor

        with self.app.app_context():
            user = accounts.create_user(email, name, "unused", check_password=False)
            user.password_hash = _PASSWORD_HASH
            for role in roles:
                accounts.grant_role(user, role, academy=academy_by_slug(academy or "north-west"))
            if user.must_have_second_factor:
                give_second_factor(user)
            db.session.commit()
            return user.id

    def complete_course(self, user_id: int, slug: str = "organising-basics") -> tuple[int, int]:
        """Record `user_id` as having finished the course alone; returns (course id,
        North West's id), what issuing them a certificate asks for."""
        from academy.models import Course, Enrolment
        from academy.services.academies import academy_by_slug
        from academy.timeutil import utcnow

        with self.app.app_context():
            course_id = db.session.scalar(sa.select(Course.id).where(Course.slug == slug))
            now = utcnow()
            db.session.add(
                Enrolment(
                    user_id=user_id,
                    course_id=course_id,
                    enrolled_at=now,
                    completed_at=now,
                    last_activity_at=now,
                )
            )
            db.session.commit()
            return course_id, academy_by_slug("north-west").id

    def drop(self) -> None:
        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()
        self.database.drop()


class RedisDatabase:
    """A Redis database number claimed for this test run alone; only its keys are removed."""

    CLAIM = "academy-test:claim"

    def __init__(self):
        self.token = uuid.uuid4().hex
        self.prefix = f"academy-test-{self.token[:10]}"
        for number in random.sample(range(1, 16), 15):
            client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=number)
            if client.dbsize() == 0 and client.set(self.CLAIM, self.token, nx=True, ex=1800):
                self.number, self.client = number, client
                break
            client.close()
        else:
            raise RuntimeError("no free Redis database (1–15) to run the deployment tests in")
        self.url = f"redis://{REDIS_HOST}:{REDIS_PORT}/{self.number}"

    def release(self) -> None:
        # The database was empty when claimed: what is in it now is this run's.
        if self.client.get(self.CLAIM) == self.token.encode():
            for pattern in ("rq:*", f"{self.prefix}*", "LIMITS*", "academy-cache:*", self.CLAIM):
                for key in self.client.scan_iter(match=pattern, count=500):
                    self.client.delete(key)
        self.client.close()


# Processes -----------------------------------------------------------------------------------


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log: Path
    url: str | None = None
    pids: list[int] = field(default_factory=list)

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=10)

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def app_environment(database: SharedDatabase, redis_db: RedisDatabase | None, tmp: Path, **extra):
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("FLASK_", "ACADEMY_", "GUNICORN_", "DATABASE_", "REDIS_"))
    }
    env.update(
        ACADEMY_ENV="production",
        SECRET_KEY=SECRET,
        DATABASE_URL=database.url,
        ACADEMY_CURRICULUM_DIR=str(TEST_CURRICULUM),
        ACADEMY_BASE_URL="http://127.0.0.1",
        ACADEMY_BADGE_SIGNING_KEY=BADGE_KEY,
        ACADEMY_CERTIFICATES_DIR=str(tmp / "certificates"),
        FLASK_MAIL_BACKEND="file",
        FLASK_MAIL_FILE_PATH=str(tmp / "mail"),
        PYTHONUNBUFFERED="1",
    )
    if redis_db is not None:
        env.update(REDIS_URL=redis_db.url, FLASK_RATELIMIT_KEY_PREFIX=redis_db.prefix)
    env.update(extra)
    return env


def start_gunicorn(name: str, env: dict, tmp: Path, *, workers: int = 1, threads: int = 1):
    port = free_port()
    log = tmp / f"{name}.log"
    env = {
        **env,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": str(workers),
        "GUNICORN_THREADS": str(threads),
    }
    with log.open("wb") as out:
        popen = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    process = Process(name, popen, log, url=f"http://127.0.0.1:{port}")
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if popen.poll() is not None:
            raise RuntimeError(f"{name} exited at start:\n{process.output()}")
        try:
            if Client(process.url).get("/healthz").status == 200:
                return process
        except OSError:
            pass
        time.sleep(0.2)
    process.stop()
    raise RuntimeError(f"{name} did not answer /healthz in {START_TIMEOUT}s:\n{process.output()}")


def start_worker(name: str, env: dict, tmp: Path) -> Process:
    log = tmp / f"{name}.log"
    with log.open("wb") as out:
        popen = subprocess.Popen(
            [str(BIN / "flask"), "--app", "academy", "academy", "worker"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return Process(name, popen, log)


# HTTP ------------------------------------------------------------------------------------------


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: str


class Client:
    """A tiny browser: keeps cookies itself (the app marks them Secure in production,
    and these processes speak plain HTTP on loopback), and sends form tokens."""

    def __init__(self, base: str, cookies: dict[str, str] | None = None):
        self.base = base
        self.cookies = dict(cookies or {})

    def request(self, method: str, path: str, form: dict | None = None) -> Response:
        parts = urlsplit(self.base)
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=15)
        headers = {"User-Agent": "academy-deploy-test"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=headers)
            raw = connection.getresponse()
            text = raw.read().decode("utf-8", "replace")
            for header, value in raw.getheaders():
                if header.lower() == "set-cookie":
                    cookie_name, _, rest = value.partition("=")
                    cookie_value = rest.split(";", 1)[0]
                    if "expires=thu, 01 jan 1970" in value.lower() or not cookie_value:
                        self.cookies.pop(cookie_name, None)
                    else:
                        self.cookies[cookie_name] = cookie_value
            return Response(raw.status, {k.lower(): v for k, v in raw.getheaders()}, text)
        finally:
            connection.close()

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def post(self, path: str, form: dict, token_from: str | None = None) -> Response:
        """POST `form` with the CSRF token of the form page `token_from` (default: `path`)."""
        page = self.get(token_from or path)
        return self.request("POST", path, {**form, "csrf_token": csrf_token(page.body)})


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html
    )
    if not match:
        raise AssertionError("the page has no CSRF token")
    return match.group(1)
