"""`column IN (ids)` for a list of integer ids given when the statement runs.

SQLAlchemy's expanding parameter turns a list of 50 ids into 50 bound parameters,
re-rendered on every run. On PostgreSQL that costs twice: SQLAlchemy writes the
list into the SQL each time, and psycopg, which keeps its conversion of a query
only up to 50 parameters, parses the whole statement again (0.6–0.9 ms a statement
on the cohort page, bench/findings.md). There the list goes as one array parameter,
`column = ANY(:ids)`, and the statement's text never changes. Other databases get
the expanding IN.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.visitors import InternalTraversal


class IdIn(sa.sql.expression.ColumnElement[bool]):
    """True where `column` is one of the ids bound under `name` (a list of ints)."""

    type = sa.Boolean()
    # A comparison, not a boolean column: without this, databases with no boolean
    # type (SQLite) get "(user_id IN (...)) = 1", which no index can serve.
    _is_implicitly_boolean = True
    inherit_cache = True
    _traverse_internals = [
        ("column", InternalTraversal.dp_clauseelement),
        ("name", InternalTraversal.dp_string),
    ]

    def __init__(self, column: sa.ColumnElement[int], name: str):
        self.column = column
        self.name = name


def id_in(column: sa.ColumnElement[int], name: str) -> IdIn:
    return IdIn(column, name)


@compiles(IdIn)
def _expanding(element: IdIn, compiler, **kw) -> str:
    ids = sa.bindparam(element.name, expanding=True, type_=sa.Integer)
    return compiler.process(element.column.in_(ids), **kw)


@compiles(IdIn, "postgresql")
def _array(element: IdIn, compiler, **kw) -> str:
    ids = sa.bindparam(element.name, type_=postgresql.ARRAY(sa.Integer))
    return compiler.process(element.column == sa.any_(ids), **kw)
