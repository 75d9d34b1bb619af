"""Two gunicorn processes on different ports, one database, one Redis, one RQ worker:
what a member does on one process holds on the other.

On PostgreSQL where TEST_DATABASE_URL is set; otherwise both processes share one
SQLite file (still separate processes). Redis is the machine's own, in a
database number claimed for this run."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from tests.conftest import PASSWORD, totp_code
from tests.deploy.servers import (
    Client,
    RedisDatabase,
    SharedDatabase,
    app_environment,
    start_gunicorn,
    start_worker,
)

JOB_TIMEOUT = 30  # seconds for the worker to send the confirmation e-mail


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cluster")
    database = SharedDatabase(tmp_path_factory.mktemp("cluster-db"))
    redis_db = RedisDatabase()
    env = app_environment(database, redis_db, tmp)
    processes = []
    try:
        processes.append(start_gunicorn("web-a", env, tmp))
        # B imports the app once in the master and forks two workers from it, so
        # the post_fork hook that drops inherited database connections is in play.
        processes.append(start_gunicorn("web-b", {**env, "GUNICORN_PRELOAD": "1"}, tmp, workers=2))
        processes.append(start_worker("worker", env, tmp))
        yield {
            "a": processes[0],
            "b": processes[1],
            "worker": processes[2],
            "database": database,
            "redis": redis_db,
            "mail": tmp / "mail",
        }
    finally:
        for process in processes:
            process.stop()
        redis_db.release()
        database.drop()


def test_a_session_started_on_one_process_works_on_the_other(cluster):
    cluster["database"].make_member("roaming@example.org", name="Roaming Member")
    on_a = Client(cluster["a"].url)
    answer = on_a.post("/login", {"email": "roaming@example.org", "password": PASSWORD})
    assert answer.status == 302, answer.body

    on_b = Client(cluster["b"].url, cookies=on_a.cookies)
    page = on_b.get("/account/password")
    assert page.status == 200
    assert "Current password" in page.body

    stranger = Client(cluster["b"].url)
    assert stranger.get("/account/password").status == 302  # to the log-in page

    # Signing out on B ends the session that A handed out.
    assert on_b.post("/logout", {}, token_from="/account/password").status == 302
    replay = Client(cluster["a"].url, cookies=on_a.cookies)
    assert replay.get("/account/password").status == 302


def test_failed_log_ins_on_one_process_count_towards_the_limit_on_the_other(cluster):
    cluster["database"].make_member("targeted@example.org")
    wrong = {"email": "targeted@example.org", "password": "not the password"}
    for _ in range(3):
        assert Client(cluster["a"].url).post("/login", wrong).status == 200
    for _ in range(2):
        assert Client(cluster["b"].url).post("/login", wrong).status == 200
    # Five failures in all: the account's limit is reached on both processes.
    for process in ("a", "b"):
        right = {"email": "targeted@example.org", "password": PASSWORD}
        answer = Client(cluster[process].url).post("/login", right)
        assert answer.status == 429, (process, answer.status)
    # Another account is not affected.
    cluster["database"].make_member("bystander@example.org")
    other = {"email": "bystander@example.org", "password": PASSWORD}
    assert Client(cluster["b"].url).post("/login", other).status == 302


def test_a_job_queued_by_one_process_is_run_by_the_worker(cluster):
    mail: Path = cluster["mail"]
    before = set(mail.glob("*")) if mail.exists() else set()
    on_a = Client(cluster["a"].url)
    answer = on_a.post(
        "/register",
        {
            "display_name": "Queued Newcomer",
            "email": "queued@example.org",
            "password": "lantern orchard velvet compass",
            "consent": "y",
        },
    )
    assert answer.status == 302, answer.body

    # The web process only queued the e-mail; the worker process sends it.
    deadline = time.monotonic() + JOB_TIMEOUT
    sent = []
    while time.monotonic() < deadline and not sent:
        sent = [p for p in (mail.glob("*") if mail.exists() else []) if p not in before]
        time.sleep(0.2)
    assert sent, "the worker sent no e-mail:\n" + cluster["worker"].output()
    message = sent[0].read_text()
    assert "queued@example.org" in message
    assert "Job OK" in cluster["worker"].output() or "Successfully completed" in (
        cluster["worker"].output()
    )

    # The e-mailed link's button, on the other process, confirms; then the newcomer signs in.
    link = re.search(r"http://127\.0\.0\.1(/confirm/\S+)", message).group(1)
    on_b = Client(cluster["b"].url)
    assert on_b.get(link).status == 200
    confirmed = on_b.post(link, {})
    assert confirmed.status == 200
    assert "Now sign in" in confirmed.body
    signed_in = on_b.post(
        "/login", {"email": "queued@example.org", "password": "lantern orchard velvet compass"}
    )
    assert signed_in.status == 302, signed_in.body
    assert on_b.get("/account/password").status == 200


def test_staff_counts_kept_in_the_shared_cache_are_forgotten_by_every_process(cluster):
    """A's staff home page keeps its counts in Redis; a certificate issued on B
    must show on A at once, not when A's copy would have run out."""
    database = cluster["database"]
    database.make_member("counter@example.org", roles=("staff",), academy="north-west")
    finisher = database.make_member("finisher@example.org", name="Fran Finisher")
    course_id, academy_id = database.complete_course(finisher)
    on_a = Client(cluster["a"].url)
    answer = on_a.post("/login", {"email": "counter@example.org", "password": PASSWORD})
    assert answer.status == 200, answer.body  # staff: the second step
    answer = on_a.post("/login/code", {"code": totp_code()})
    assert answer.status == 302, answer.body
    assert "1 member is waiting for a certificate" in on_a.get("/staff/").body
    assert "1 member is waiting for a certificate" in on_a.get("/staff/").body

    on_b = Client(cluster["b"].url, cookies=on_a.cookies)
    issued = on_b.post(
        "/staff/certificates/issue",
        {"user_id": finisher, "course_id": course_id, "academy_id": academy_id},
        token_from="/staff/eligible",
    )
    assert issued.status == 302, issued.body
    assert "/staff/certificates/" in issued.headers["location"]

    assert "0 members are waiting for a certificate" in on_a.get("/staff/").body


def test_logs_are_one_json_object_per_line(cluster):
    Client(cluster["a"].url).get("/healthz")
    lines = [line for line in cluster["a"].output().splitlines() if line.strip()]
    entries = [json.loads(line) for line in lines]
    access = [e for e in entries if e.get("logger") == "gunicorn.access"]
    assert any(e["path"] == "/healthz" and e["status"] == 200 for e in access)
    # The confirmation link's token never reaches the logs.
    assert not any("/confirm/" in e.get("path", "") and "redacted" not in e["path"] for e in access)


def test_every_process_publishes_the_same_badge_issuer_key(cluster):
    """One ACADEMY_BADGE_SIGNING_KEY for every machine (production refuses to start without
    it): a badge signed on one verifies against the issuer profile served by the other."""
    import json

    on_a = Client(cluster["a"].url).get("/verify/issuer.json")
    on_b = Client(cluster["b"].url).get("/verify/issuer.json")
    assert on_a.status == on_b.status == 200
    keys_a = [m["publicKeyJwk"] for m in json.loads(on_a.body)["verificationMethod"]]
    keys_b = [m["publicKeyJwk"] for m in json.loads(on_b.body)["verificationMethod"]]
    assert keys_a == keys_b
    assert len(keys_a) == 1
