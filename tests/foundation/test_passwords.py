"""The password policy and hashing: the common-password list, Argon2id parameters at or
above OWASP's minimum, and old hashes upgraded when their owner next signs in."""

from __future__ import annotations

import gzip
import re
from importlib import resources

import pytest
from argon2 import PasswordHasher
from argon2.profiles import RFC_9106_LOW_MEMORY

from academy import passwords
from academy.extensions import db
from academy.services import accounts
from tests.conftest import PASSWORD

# Far down the 100,000 (lines 90,000 and more), in other cases than the list has them.
DEEP_IN_THE_LIST = ("YoungMoney", "YOURMOTHER", "Zelenograd")
TOO_COMMON = "too common and easy to guess"


def test_the_list_holds_the_100000_most_common_passwords():
    data = resources.files("academy.data").joinpath("common-passwords-100k.txt.gz").read_bytes()
    lines = gzip.decompress(data).decode().splitlines()
    assert len(lines) == 100_000
    assert lines[:3] == ["123456", "password", "12345678"]
    assert len(data) < 400_000  # shipped compressed
    assert resources.files("academy.data").joinpath("common-passwords-100k.LICENSE").is_file()


@pytest.mark.parametrize("password", DEEP_IN_THE_LIST + ("Solidarity", "password123"))
def test_common_passwords_are_refused_whatever_their_case(password):
    assert passwords.password_problem(password) == (
        "That password is too common and easy to guess. Try a few unrelated words."
    )


def test_an_unusual_passphrase_is_accepted():
    assert passwords.password_problem("a long and unusual passphrase") is None


def test_registration_refuses_a_common_password(client, outbox):
    response = client.post(
        "/register",
        data={
            "display_name": "Ada Organiser",
            "email": "ada@example.org",
            "password": DEEP_IN_THE_LIST[0],
            "consent": "y",
        },
    )
    assert response.status_code == 200
    assert TOO_COMMON in response.get_data(as_text=True)
    assert accounts.find_user_by_email("ada@example.org") is None


def test_a_reset_refuses_a_common_password(client, make_user, outbox):
    user = make_user(email="m@example.org")
    client.post("/forgot-password", data={"email": "m@example.org"})
    link = re.search(r"http://academy\.test(/reset-password/\S+)", outbox[-1].body).group(1)
    before = user.password_hash
    response = client.post(
        link, data={"password": DEEP_IN_THE_LIST[1], "confirm": DEEP_IN_THE_LIST[1]}
    )
    assert TOO_COMMON in response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.password_hash == before


def test_a_change_refuses_a_common_password(client, make_user, login):
    user = make_user()
    login(client, user)
    before = user.password_hash
    new = DEEP_IN_THE_LIST[2]
    response = client.post(
        "/account/password", data={"current": PASSWORD, "password": new, "confirm": new}
    )
    assert TOO_COMMON in response.get_data(as_text=True)
    assert user.password_hash == before


def test_hashes_use_argon2id_at_or_above_owasps_minimum():
    stored = passwords.hash_password("a long and unusual passphrase")
    match = re.match(r"\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$", stored)
    memory_kib, time_cost, parallelism = map(int, match.groups())
    # OWASP Password Storage Cheat Sheet: m=19 MiB t=2 p=1, or equivalents with less
    # memory and more passes (12 MiB t=3, 9 MiB t=4, 7 MiB t=5, 6 MiB t=5).
    owasp = {19456: 2, 12288: 3, 9216: 4, 7168: 5, 6144: 5}
    assert any(memory_kib >= m and time_cost >= t for m, t in owasp.items())
    assert parallelism >= 1


def test_a_hash_made_with_old_parameters_is_upgraded_at_sign_in(client, make_user):
    user = make_user(email="m@example.org")
    old = PasswordHasher.from_parameters(RFC_9106_LOW_MEMORY).hash(PASSWORD)
    user.password_hash = old
    db.session.commit()
    assert passwords.needs_rehash(old)
    response = client.post("/login", data={"email": "m@example.org", "password": PASSWORD})
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.password_hash != old
    assert not passwords.needs_rehash(user.password_hash)
    assert passwords.verify_password(user.password_hash, PASSWORD)


def test_a_wrong_password_does_not_upgrade_the_hash(client, make_user):
    user = make_user(email="m@example.org")
    old = PasswordHasher.from_parameters(RFC_9106_LOW_MEMORY).hash(PASSWORD)
    user.password_hash = old
    db.session.commit()
    client.post("/login", data={"email": "m@example.org", "password": "not the password"})
    db.session.refresh(user)
    assert user.password_hash == old
