"""Redis is a dependency the site survives (issue 23).

The app is built as production builds it with REDIS_URL set (rate limits, cache and
job queue all on that Redis; nothing replaced but the address), pointing at a port
where nothing listens. Signing in, verifying a certificate and every page answer
normally; the rate limits still hold, counted in this process; `/healthz` says
Redis is down with a 503; a certificate batch asked for meanwhile waits, clearly,
and starts once Redis is back.
"""

from __future__ import annotations

import logging
import socket
import threading
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from academy import jobs
from academy.extensions import db
from academy.models.certificates import BatchStatus, CertificateBatch
from academy.services import certificates as service
from academy.services.academies import academy_by_slug
from tests.conftest import PASSWORD, base_config

from .conftest import complete, course
from .test_batch import cohort, valid_certificates  # noqa: F401 - the fixture, shared


def closed_port() -> int:
    """A local port nothing listens on (bound for a moment, then let go)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


DOWN = f"redis://127.0.0.1:{closed_port()}/15"


@pytest.fixture
def app_config(tmp_path, database) -> dict:
    config = base_config(tmp_path, database, REDIS_URL=DOWN, ACADEMY_JOBS_INLINE=False)
    # The limiter's store follows REDIS_URL, as in production (tests otherwise count in
    # memory); the web processes' sweep is tested against a live server below.
    del config["RATELIMIT_STORAGE_URI"]
    config["ACADEMY_QUEUE_SWEEP_SECONDS"] = 0
    return config


class Records(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())


@pytest.fixture
def limiter_log():
    """What Flask-Limiter logs. Its extension object is one per process, as in
    production, but every test builds an app: each starts with the store taken as up."""
    from academy.extensions import limiter

    limiter._storage_dead = False
    handler = Records()
    logger = logging.getLogger("flask-limiter")
    logger.addHandler(handler)
    yield handler.messages
    logger.removeHandler(handler)


def test_the_app_is_really_pointed_at_a_redis_that_is_down(app):
    import redis

    assert app.config["RATELIMIT_STORAGE_URI"] == DOWN
    assert app.config["CACHE_TYPE"] == "RedisCache"
    with pytest.raises(redis.ConnectionError):
        jobs.redis_connection(app).ping()


def test_a_member_signs_in(client, make_user, limiter_log):
    member = make_user(email="member@example.org")
    response = client.post("/login", data={"email": member.email, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    # Counted in memory instead, and said once, not at every request.
    assert sum("falling back to in-memory" in m for m in limiter_log) == 1


def test_the_sign_in_limit_still_holds_per_process(client, make_user, limiter_log):
    member = make_user(email="limited@example.org")
    wrong = {"email": member.email, "password": "not the password at all"}
    answers = [client.post("/login", data=wrong).status_code for _ in range(6)]
    # LOGIN_RATE_LIMIT is 5 failed tries per account: the sixth is refused, as with Redis.
    assert answers[:5] == [200] * 5
    assert answers[5] == 429
    assert sum("falling back to in-memory" in m for m in limiter_log) == 1


def test_a_certificate_is_verified(client, make_user):
    staff = make_user(roles=("staff",), academy="north-west")
    member = make_user()
    complete(member)
    certificate = service.issue(
        member, course("organising-basics"), actor=staff, academy=academy_by_slug("north-west")
    )
    code = certificate.code
    db.session.commit()
    page = client.get(f"/verify/{code}")
    assert page.status_code == 200
    assert "Valid." in page.get_data(as_text=True)
    assert client.get(f"/verify/{code}.json").get_json()["status"] == "valid"


def test_healthz_names_redis_and_answers_503(client):
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "down"
    assert body["down"] == ["redis"]
    assert body["components"]["database"] == {"ok": True}
    assert body["components"]["redis"]["ok"] is False


def test_healthz_with_redis_up_reports_it_and_its_workers(client, app):
    from tests.deploy.servers import RedisDatabase

    redis_db = RedisDatabase()
    try:
        app.config["REDIS_URL"] = redis_db.url
        app.extensions.pop("academy_redis", None)
        response = client.get("/healthz")
        assert response.status_code == 200
        body = response.get_json()
        assert body["components"]["redis"] == {"ok": True}
        # No worker runs in this test: reported, without taking the site out of service.
        assert body["workers"] == {"ok": False, "workers": 0}
    finally:
        app.extensions.pop("academy_redis", None)
        redis_db.release()


def test_an_email_goes_from_this_process_when_the_queue_is_down(client, make_user, outbox):
    member = make_user(email="forgetful@example.org")
    response = client.post("/forgot-password", data={"email": member.email})
    assert response.status_code == 200
    for thread in threading.enumerate():
        if thread.name == "job:academy.mail.send_email":
            thread.join(timeout=30)
    assert [message.to for message in outbox] == [[member.email]]


def test_a_batch_asked_for_while_redis_is_down_waits_then_starts_when_it_is_back(
    app,
    client,
    login,
    make_user,
    cohort,  # noqa: F811 - the fixture imported above
    monkeypatch,
    runner,
):
    from rq import SimpleWorker

    from tests.deploy.servers import RedisDatabase

    staff = make_user(roles=("staff",), academy="north-west")
    login(client, staff)
    response = client.post(f"/staff/cohorts/{cohort.id}/certificates")
    batch = db.session.scalar(sa.select(CertificateBatch))
    assert response.status_code == 302
    assert response.location.endswith(f"/staff/batches/{batch.id}")
    assert batch.status == BatchStatus.WAITING
    page = client.get(response.location).get_data(as_text=True)
    assert "the batch is waiting to start" in page  # the message after asking
    assert "Waiting to start (the background queue cannot be reached just now" in page
    assert (
        client.get(f"/staff/batches/{batch.id}.json")
        .get_json()["state"]
        .startswith("Waiting to start (the background queue")
    )
    assert valid_certificates(cohort) == []
    # Still down: the sweep leaves it waiting.
    assert service.start_waiting() == 0

    redis_db = RedisDatabase()
    try:
        app.config["REDIS_URL"] = redis_db.url
        app.extensions.pop("academy_redis", None)
        result = runner.invoke(args=["academy", "certificates", "start-waiting"])
        assert result.exit_code == 0, result.output
        assert "Queued 1 waiting batch." in result.output
        db.session.refresh(batch)
        assert batch.status == BatchStatus.QUEUED
        queue = jobs.queue(app)
        assert queue.count == 1
        assert queue.jobs[0].args[:2] == ("academy.services.certificates.run_batch", (batch.id,))

        # The worker runs jobs in this process, with this app (and so this database).
        monkeypatch.setattr(jobs, "worker_app", app)
        SimpleWorker([queue], connection=queue.connection).work(burst=True)
        db.session.expire_all()
        assert len(valid_certificates(cohort)) == 4
        assert db.session.get(CertificateBatch, batch.id).status == BatchStatus.DONE
        # Nothing waits any more.
        assert service.start_waiting() == 0
    finally:
        app.extensions.pop("academy_redis", None)
        redis_db.release()


STAFF_AND_ADMIN_PAGES = [
    ("staff", "/staff/"),
    ("staff", "/staff/eligible"),
    ("staff", "/staff/certificates"),
    ("staff", "/staff/audit"),
    ("admin", "/admin/"),
    ("member", "/courses"),
    ("member", "/courses/organising-basics"),
    ("member", "/account/"),
    ("member", "/"),
]


@pytest.mark.parametrize(("who", "address"), STAFF_AND_ADMIN_PAGES)
def test_pages_that_keep_figures_in_the_cache_answer(client, login, make_user, who, address):
    roles = {"staff": ("staff",), "admin": ("admin",), "member": ()}[who]
    login(client, make_user(roles=roles, academy="north-west" if who == "staff" else None))
    response = client.get(address)
    assert response.status_code in (200, 302), address


def test_a_web_process_starts_the_waiting_batch_once_redis_is_back(tmp_path_factory, monkeypatch):
    """Against a live server on a committed database, as production runs: the batch asked
    for while Redis is down waits; once Redis answers, the next requests' sweep queues
    it, without anyone asking again, and a worker issues it."""
    from rq import SimpleWorker

    from academy import create_app
    from tests.certificates.test_concurrency import signed_in_cookie
    from tests.conftest import LiveServer, give_second_factor, make_database, migrate_and_seed
    from tests.deploy.servers import RedisDatabase

    from .conftest import make_cohort

    database = make_database(tmp_path_factory)
    config = base_config(
        tmp_path_factory.mktemp("sweep"),
        database,
        REDIS_URL=DOWN,
        ACADEMY_JOBS_INLINE=False,
        # Every second rather than every 30 (the default, checked in test_config): the
        # test waits for it.
        ACADEMY_QUEUE_SWEEP_SECONDS=1,
    )
    del config["RATELIMIT_STORAGE_URI"]
    app = create_app(config)
    migrate_and_seed(app)
    redis_db = RedisDatabase()
    try:
        with app.app_context():
            staff = accounts_user("Sweep Staff", roles=("staff",))
            give_second_factor(staff)
            people = [accounts_user(f"Sweep Member {i}") for i in range(3)]
            for person in people:
                complete(person)
            cohort = make_cohort(members=people)
            cohort_id = cohort.id
            db.session.commit()
            cookie, token = signed_in_cookie(app, staff)
            db.session.remove()
        with LiveServer(app) as server:
            status, location, _ = _http(
                server, "POST", f"/staff/cohorts/{cohort_id}/certificates", cookie, token
            )
            assert status == 302
            _, _, page = _http(server, "GET", urlsplit(location).path, cookie)
            assert "Waiting to start (the background queue cannot be reached" in page
            batch_id = int(location.rstrip("/").rsplit("/", 1)[1])

            app.config["REDIS_URL"] = redis_db.url  # Redis is back
            app.extensions.pop("academy_redis", None)
            for _ in range(150):  # a bound, not a timing: normally a second or two
                _http(server, "GET", "/", cookie)
                if _batch_status(app, batch_id) != BatchStatus.WAITING:
                    break
                threading.Event().wait(0.2)
            assert _batch_status(app, batch_id) == BatchStatus.QUEUED
            queue = jobs.queue(app)
            assert queue.count == 1
            monkeypatch.setattr(jobs, "worker_app", app)
            SimpleWorker([queue], connection=queue.connection).work(burst=True)
            assert _batch_status(app, batch_id) == BatchStatus.DONE
    finally:
        app.extensions.pop("academy_redis", None)
        redis_db.release()
        with app.app_context():
            db.engine.dispose()
        database.drop()


def accounts_user(name: str, roles: tuple[str, ...] = ()):
    import uuid

    from academy.services import accounts

    email = f"sweep-{uuid.uuid4().hex[:8]}@example.org"
    user = accounts.create_user(email, name, PASSWORD, check_password=False)
    for role in roles:
        accounts.grant_role(user, role, academy=academy_by_slug("north-west"))
    db.session.commit()
    return user


def _batch_status(app, batch_id: int) -> str:
    with app.app_context():
        status = db.session.get(CertificateBatch, batch_id).status
        db.session.remove()
    return status


def _http(server, method: str, path: str, cookie: str, token: str | None = None):
    import http.client
    from urllib.parse import urlencode

    address = urlsplit(server.url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=60)
    try:
        body = urlencode({"csrf_token": token}) if token else None
        headers = {"Cookie": cookie, "Referer": server.url + "/staff/"}
        if body:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return (
            response.status,
            response.getheader("Location", ""),
            response.read().decode("utf-8", "replace"),
        )
    finally:
        connection.close()


def test_the_worker_queues_waiting_batches_when_it_starts(
    app,
    staff,
    cohort,  # noqa: F811 - the fixture imported above
    runner,
    monkeypatch,
):
    from rq import Worker

    from tests.deploy.servers import RedisDatabase

    batch = service.start_batch(cohort, actor=staff)
    batch.status = BatchStatus.WAITING
    db.session.commit()
    # Only the start-up is under test: no jobs run, and the pool (this test's one
    # connection) is left alone.
    monkeypatch.setattr(Worker, "work", lambda self, **kwargs: None)
    monkeypatch.setattr("academy.ops.deploy.dispose_engines", lambda *args, **kwargs: None)
    monkeypatch.setattr(jobs, "worker_app", None)
    redis_db = RedisDatabase()
    try:
        app.config["REDIS_URL"] = redis_db.url
        app.extensions.pop("academy_redis", None)
        result = runner.invoke(args=["academy", "worker", "--burst"])
        assert result.exit_code == 0, result.output
        assert "Queued 1 certificate batch(es) that waited for the queue." in result.output
        db.session.expire_all()
        assert db.session.get(CertificateBatch, batch.id).status == BatchStatus.QUEUED
        assert jobs.queue(app).count == 1
    finally:
        app.extensions.pop("academy_redis", None)
        redis_db.release()
