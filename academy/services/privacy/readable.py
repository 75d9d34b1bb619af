"""A member's export in their words: what each row points at, by name rather than id.

The export is made table by table from the schema (so nothing is left out); its rows
point at courses, lessons, cohorts, sessions, academies and certificates by database
id, which mean nothing to the person reading it. Here each such reference becomes the
thing's name (a course's slug and title, a cohort's name…), and a logged target such
as "cohort:12" becomes "cohort 'Leeds spring'". Names are looked up once per kind of
thing, however many rows there are.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from academy.extensions import db
from academy.services import access_log

# Referenced table -> (its columns to read, how a row reads). People (users.*) are not
# here: the registry decides what of other people an export may carry.
NAMED: dict[str, tuple[tuple[str, ...], Callable[[sa.Row], Any]]] = {
    "courses": (("slug", "title"), lambda r: {"slug": r.slug, "title": r.title}),
    "course_modules": (("slug", "title"), lambda r: {"slug": r.slug, "title": r.title}),
    "lessons": (("slug", "title"), lambda r: {"slug": r.slug, "title": r.title}),
    "quizzes": (("title",), lambda r: {"title": r.title}),
    "cohorts": (("name",), lambda r: {"name": r.name}),
    "cohort_sessions": (
        ("title", "starts_at"),
        lambda r: {"title": r.title, "starts_at": r.starts_at.isoformat()},
    ),
    "academies": (("slug", "name"), lambda r: {"slug": r.slug, "name": r.name}),
    "certificates": (
        ("number", "course_title"),
        lambda r: {"number": r.number, "course": r.course_title},
    ),
}
# Tables whose `target` column names a thing as "kind:id".
TARGETED = {"access_log", "audit_events"}


def _table_of(section: str) -> sa.Table | None:
    return db.metadata.tables.get(section.partition(" (as ")[0])


def _references(table: sa.Table) -> dict[str, str]:
    """Column name -> named table it points at, for this table's foreign keys."""
    found = {}
    for column in table.columns:
        for key in column.foreign_keys:
            if key.column.table.name in NAMED:
                found[column.name] = key.column.table.name
    return found


def name_things(tables: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """The export's sections with every reference to a named thing given by name."""
    wanted: dict[str, set[int]] = defaultdict(set)
    targets: list[str] = []
    plans: dict[str, dict[str, str]] = {}
    for section, rows in tables.items():
        table = _table_of(section)
        if table is None:
            continue
        plans[section] = _references(table)
        for row in rows:
            for column, named in plans[section].items():
                if row.get(column) is not None:
                    wanted[named].add(row[column])
            if table.name in TARGETED and row.get("target"):
                targets.append(row["target"])
    names = {named: _names(named, ids) for named, ids in wanted.items()}
    target_names = access_log.target_names(targets)
    return {
        section: [
            _named_row(row, plans.get(section, {}), names, target_names, _table_of(section))
            for row in rows
        ]
        for section, rows in tables.items()
    }


def _names(named: str, ids: set[int]) -> dict[int, Any]:
    table = db.metadata.tables[named]
    columns, read = NAMED[named]
    rows = db.session.execute(
        sa.select(table.c.id, *(table.c[c] for c in columns)).where(table.c.id.in_(sorted(ids)))
    )
    return {row.id: read(row) for row in rows}


def _named_row(
    row: dict[str, Any],
    plan: dict[str, str],
    names: dict[str, dict[int, Any]],
    target_names: dict[tuple[str, int], str],
    table: sa.Table | None,
) -> dict[str, Any]:
    named_row: dict[str, Any] = {}
    for key, value in row.items():
        if key in plan:
            # "course_id": 3 becomes "course": {"slug": …, "title": …}
            named_row[key.removesuffix("_id")] = (
                names[plan[key]].get(value) if value is not None else None
            )
        elif key == "target" and table is not None and table.name in TARGETED:
            named_row[key] = access_log.name_target(value, target_names)
        else:
            named_row[key] = value
    if table is not None and table.name == "access_log" and "what" in row:
        named_row["what"] = access_log.describe(row["what"])
    return named_row
