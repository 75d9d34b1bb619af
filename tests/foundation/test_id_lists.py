"""`id_in`: a list of ids as one array on PostgreSQL, an expanding IN elsewhere."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from academy.extensions import db
from academy.models import User
from academy.services.id_lists import id_in

STATEMENT = sa.select(User.id).where(id_in(User.id, "ids")).order_by(User.id)


def _where(dialect) -> str:
    sql = " ".join(str(STATEMENT.compile(dialect=dialect)).split())
    return sql[sql.index(" WHERE ") + 7 : sql.index(" ORDER BY ")]


def test_postgresql_gets_one_array_and_others_an_expanding_list():
    assert _where(postgresql.psycopg.dialect()) == "users.id = ANY (%(ids)s::INTEGER[])"
    # The whole condition, as an index can serve it: not "(users.id IN (...)) = 1",
    # which is how SQLite is given a boolean expression it does not know to be a
    # comparison (a full scan of quiz_attempts at 500,000 members: 170 ms a lesson).
    assert _where(sqlite.dialect()) == "users.id IN (__[POSTCOMPILE_ids])"


def test_it_finds_exactly_the_ids_given(app, make_user):
    first, _second, third = (make_user(name=f"Person {i}") for i in range(3))
    found = db.session.scalars(STATEMENT, {"ids": [third.id, first.id]}).all()
    assert found == sorted([first.id, third.id])
    assert db.session.scalars(STATEMENT, {"ids": []}).all() == []
    # Built once, run with other ids: the statement's cached form takes them too.
    assert db.session.scalars(STATEMENT, {"ids": [third.id]}).all() == [third.id]


def test_statements_that_differ_are_cached_apart():
    def key(column, name):
        return sa.select(User.id).where(id_in(column, name))._generate_cache_key()

    assert key(User.id, "ids") == key(User.id, "ids")
    assert key(User.id, "ids") != key(User.id, "other")
    assert key(User.id, "ids") != key(User.confirmed_at, "ids")
