"""The security log records the client's address as ACADEMY_PROXIES says to read it."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from academy.extensions import db
from academy.models import SecurityEvent
from tests.conftest import base_config

CASES = {"no proxy": ("0", "10.0.0.9"), "one proxy": ("1", "203.0.113.7")}


@pytest.fixture(params=sorted(CASES))
def case(request) -> tuple[str, str]:
    return CASES[request.param]


@pytest.fixture
def app_config(tmp_path, database, case):
    return base_config(tmp_path, database, ACADEMY_PROXIES=case[0])


def test_the_address_is_the_clients_as_academy_proxies_says(app, client, case):
    app.config["VERIFY_RATE_LIMIT"] = "1 per minute"
    for code in ("first", "second"):
        client.get(
            f"/verify/{code}",
            headers={"X-Forwarded-For": "203.0.113.7"},
            environ_base={"REMOTE_ADDR": "10.0.0.9"},
        )
    ips = db.session.scalars(
        sa.select(SecurityEvent.ip).where(SecurityEvent.kind == "rate-limited")
    ).all()
    assert ips == [case[1]]
