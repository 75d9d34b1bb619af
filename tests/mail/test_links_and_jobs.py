"""One base URL for everything that leaves the site (academy/links.py): configured in
production (required), following the served host in development, and carried into
background jobs from the moment they were queued."""

from __future__ import annotations

import threading

import pytest

from academy import create_app, jobs
from academy.config import ConfigError
from academy.links import absolute_url, base_url
from tests.conftest import base_config

seen: list[str] = []
done = threading.Event()


def record_base_url() -> None:
    """A job that notes the address links would name."""
    seen.append(absolute_url("verify.certificate", code="abc"))
    done.set()


def test_production_refuses_to_start_without_a_base_url(tmp_path, database, monkeypatch):
    monkeypatch.delenv("ACADEMY_BASE_URL", raising=False)
    config = base_config(tmp_path, database, ACADEMY_ENV="production")
    del config["ACADEMY_BASE_URL"]
    with pytest.raises(ConfigError, match="ACADEMY_BASE_URL"):
        create_app(config)


def test_production_uses_the_configured_address_whatever_the_host_header(tmp_path, database):
    app = create_app(
        base_config(
            tmp_path, database, ACADEMY_ENV="production", ACADEMY_BASE_URL="https://oa.example/"
        )
    )
    with app.test_request_context("/", base_url="http://evil.example:9999"):
        assert base_url() == "https://oa.example"


def test_development_follows_the_request_and_falls_back_outside_one(
    tmp_path, database, monkeypatch
):
    monkeypatch.delenv("ACADEMY_BASE_URL", raising=False)
    config = base_config(tmp_path, database)
    del config["ACADEMY_BASE_URL"]
    app = create_app(config)
    with app.test_request_context("/", base_url="http://127.0.0.1:8123"):
        assert absolute_url("verify.certificate", code="x") == "http://127.0.0.1:8123/verify/x"
    with app.app_context():  # a CLI command: the address `make run` serves by default
        assert base_url() == "http://127.0.0.1:5000"


def test_a_job_in_a_thread_uses_the_address_captured_when_it_was_queued(
    tmp_path, database, monkeypatch
):
    """No Redis: jobs run in a thread, in a fresh app context, after the request is gone."""
    monkeypatch.delenv("ACADEMY_BASE_URL", raising=False)
    config = base_config(tmp_path, database, ACADEMY_JOBS_INLINE=False)
    del config["ACADEMY_BASE_URL"]
    app = create_app(config)
    seen.clear()
    done.clear()
    with app.test_request_context("/", base_url="http://192.0.2.7:8080"):
        jobs.enqueue(f"{__name__}.record_base_url")
    assert done.wait(60)
    assert seen == ["http://192.0.2.7:8080/verify/abc"]


def test_an_rq_job_gets_the_captured_address_and_gives_up_after_its_retries(app, monkeypatch):
    """On Redis (db 15 of this machine's), RQ retries the job (no delay here, so no
    scheduler is needed) and, when none is left, `give_up` records the failure."""
    from redis import Redis
    from rq import Queue, SimpleWorker

    redis = Redis.from_url("redis://127.0.0.1:6379/15")
    redis.flushdb()
    monkeypatch.setitem(app.config, "ACADEMY_JOBS_INLINE", False)
    monkeypatch.setitem(app.config, "ACADEMY_BASE_URL", "")  # development: follow the host
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:6379/15")
    monkeypatch.setitem(app.extensions, "academy_redis", redis)
    monkeypatch.setattr(jobs, "worker_app", app)
    calls.clear()
    try:
        with app.test_request_context("/", base_url="http://198.51.100.4:5001"):
            jobs.enqueue(
                f"{__name__}.always_fails",
                "x",
                retries=jobs.Retries((0, 0), f"{__name__}.note_give_up"),
            )
        SimpleWorker([Queue("academy", connection=redis)], connection=redis).work(burst=True)
    finally:
        redis.flushdb()
    assert calls == [
        ("run", "http://198.51.100.4:5001"),
        ("run", "http://198.51.100.4:5001"),
        ("run", "http://198.51.100.4:5001"),
        ("give_up", "boom x", 3),
    ]


calls: list[tuple] = []


def always_fails(word: str) -> None:
    calls.append(("run", base_url()))
    raise RuntimeError(f"boom {word}")


def note_give_up(error: BaseException, attempts: int, word: str) -> None:  # noqa: ARG001
    calls.append(("give_up", str(error), attempts))
