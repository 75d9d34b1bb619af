"""The Redis the queue needs: `noeviction` and persistence, checked at start-up with
one warning naming each setting to change, and never a refusal to start.

Against the real local Redis, which keeps nothing on disk: the warning must appear.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import uuid

import pytest
import redis

from academy import create_app
from academy.ops.redis_check import check_redis, redis_problems
from tests.conftest import base_config
from tests.deploy.servers import (
    REDIS_HOST,
    REDIS_PORT,
    RedisDatabase,
    SharedDatabase,
    app_environment,
    free_port,
)

LOCAL = f"redis://{REDIS_HOST}:{REDIS_PORT}/0"
UNSAFE = "is not safe for the job queue"


class Records(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)

    def at(self, level: int) -> list[str]:
        return [r.getMessage() for r in self.records if r.levelno == level]


@pytest.fixture
def logged():
    """What academy.ops.redis_check logs (the academy logger does not propagate)."""
    handler = Records()
    logger = logging.getLogger("academy.ops.redis_check")
    level = logger.level
    logger.setLevel(logging.INFO)  # as in a running app (academy/logging_setup.py)
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(level)


@pytest.fixture(scope="module")
def local_settings() -> dict[str, str]:
    client = redis.Redis.from_url(LOCAL, decode_responses=True)
    settings = {
        name: client.config_get(name)[name] for name in ("maxmemory-policy", "appendonly", "save")
    }
    client.close()
    return settings


def test_the_local_redis_without_persistence_gets_one_warning(logged, local_settings):
    # This machine's Redis keeps nothing on disk (the test depends on it: say so if not).
    assert local_settings["appendonly"] == "no"
    assert local_settings["save"] == ""

    problems = check_redis(LOCAL)

    assert any("persistence is off" in p for p in problems)
    (warning,) = logged.at(logging.WARNING)
    assert UNSAFE in warning
    assert f"{REDIS_HOST}:{REDIS_PORT}" in warning
    assert "appendonly yes" in warning
    assert "save" in warning
    # Its eviction policy is the right one, so the warning does not mention it.
    assert local_settings["maxmemory-policy"] == "noeviction"
    assert "maxmemory-policy" not in warning


class Settings:
    """A Redis double answering CONFIG GET with chosen values (the shared local Redis
    must not be reconfigured under the other test runs)."""

    def __init__(self, **values: str):
        self.values = {name.replace("_", "-"): value for name, value in values.items()}

    def pipeline(self, transaction: bool = True):
        return self

    def config_get(self, name: str):
        self.asked = [*getattr(self, "asked", []), name]

    def execute(self):
        return [{name: self.values[name]} for name in self.asked]


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"maxmemory_policy": "noeviction", "appendonly": "yes", "save": ""}, []),
        ({"maxmemory_policy": "noeviction", "appendonly": "no", "save": "3600 1"}, []),
        (
            {"maxmemory_policy": "allkeys-lru", "appendonly": "yes", "save": "3600 1"},
            ["maxmemory-policy is 'allkeys-lru'"],
        ),
        (
            {"maxmemory_policy": "volatile-lru", "appendonly": "no", "save": ""},
            ["maxmemory-policy is 'volatile-lru'", "persistence is off"],
        ),
    ],
)
def test_each_unsafe_setting_is_named(settings, expected):
    problems = redis_problems(Settings(**settings))
    assert len(problems) == len(expected)
    for problem, start in zip(problems, expected, strict=True):
        assert problem.startswith(start)
    if expected and expected[0].startswith("maxmemory"):
        assert "set maxmemory-policy noeviction" in problems[0]


def test_a_redis_that_refuses_config_get_is_not_an_error(logged):
    """A user without the CONFIG command (as on managed Redis services)."""
    admin = redis.Redis.from_url(LOCAL)
    user, password = f"academy-test-{uuid.uuid4().hex[:10]}", uuid.uuid4().hex
    admin.acl_setuser(
        user, enabled=True, passwords=[f"+{password}"], keys=["*"], commands=["+@all", "-config"]
    )
    try:
        problems = check_redis(f"redis://{user}:{password}@{REDIS_HOST}:{REDIS_PORT}/0")
    finally:
        admin.acl_deluser(user)
        admin.close()

    assert problems == []
    assert logged.at(logging.WARNING) == []
    (info,) = logged.at(logging.INFO)
    assert "Could not read the settings" in info
    assert password not in info


def test_a_redis_that_does_not_answer_is_a_warning_not_a_crash(logged):
    problems = check_redis(f"redis://127.0.0.1:{free_port()}/0")

    assert problems == []
    (warning,) = logged.at(logging.WARNING)
    assert "Could not reach Redis" in warning


def test_create_app_with_redis_url_warns_once_and_starts(logged, tmp_path, database):
    app = create_app(base_config(tmp_path, database, REDIS_URL=LOCAL))

    assert app.config["REDIS_URL"] == LOCAL
    assert len([m for m in logged.at(logging.WARNING) if UNSAFE in m]) == 1


def test_create_app_without_redis_checks_nothing(logged, tmp_path, database):
    create_app(base_config(tmp_path, database))
    assert logged.records == []


def test_the_worker_warns_once_at_start_and_works(tmp_path_factory):
    shared = SharedDatabase(tmp_path_factory.mktemp("worker-db"))
    queue = RedisDatabase()
    tmp = tmp_path_factory.mktemp("worker")
    try:
        env = app_environment(shared, queue, tmp, ACADEMY_INSTANCE_PATH=str(tmp / "i"))
        flask = os.path.join(os.path.dirname(sys.executable), "flask")
        result = subprocess.run(
            [flask, "--app", "academy", "academy", "worker", "--burst"],
            env=env,
            cwd=tmp,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        queue.release()
        shared.drop()
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if UNSAFE in line]
    assert len(warnings) == 1, result.stderr
    assert '"level": "WARNING"' in warnings[0]  # production logs, one JSON object a line
    assert "appendonly yes" in warnings[0]
