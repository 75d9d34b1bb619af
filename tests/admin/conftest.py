"""Fixtures for the admin pages: an admin, and a client signed in as them."""

from __future__ import annotations

import pytest


@pytest.fixture
def admin(make_user):
    return make_user(roles=("admin",), name="Ada Admin")


@pytest.fixture
def as_admin(client, login, admin):
    login(client, admin)
    return client
