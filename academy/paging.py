"""Lists that come a page at a time: which page was asked for, and one page of rows.

Two kinds of list are paged here:

- lists whose length is counted (the cohort table): a page that does not exist
  is answered with the nearest one that does, and a sentence saying why
  (`page_asked`);
- lists too long to count on every visit (waiting lists, logs): the page asked
  for is read by `page_from_query` (anything that is not a page number shows
  the first page, as it always has; a number beyond any list we could hold
  answers 400, since the database could not even be asked for it), and found
  with OFFSET and LIMIT, asking for one row more than the page shows to learn
  whether there is a next page (`Window`, `Page`).

Nothing a visitor types in `?page=` reaches the database unchecked: 10**20,
-3, 0, 1.5 and "abc" each get a clear answer, never a 500; nor in the ids a
paged list is filtered by (`id_from_query`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, NamedTuple, TypeVar

import sqlalchemy as sa
from flask import abort, request

T = TypeVar("T")

PAGE_SIZE = 50
# More pages than any list here could fill (50 thousand million rows at 50 a page),
# and few enough that OFFSET stays far inside the 64-bit integers the databases take.
MAX_PAGE = 10**9


class Asked(NamedTuple):
    """The page to show, and why it is not the page asked for (None when it is)."""

    number: int
    problem: str | None


def _shown(text: str) -> str:
    return text if len(text) <= 20 else text[:20] + "…"


def _read(raw: str) -> int | None:
    """The whole number `raw` spells (capped just past `MAX_PAGE`), or None."""
    if not (raw.isascii() and raw.isdigit()):
        return None
    digits = raw.lstrip("0")
    # Compared by length first: int() of a long enough string is slow (or refused).
    return int(digits or "0") if len(digits) <= len(str(MAX_PAGE)) else MAX_PAGE + 1


def page_asked(raw: str | None, pages: int, *, what: str = "items") -> Asked:
    """For a list of `pages` pages: the page `raw` (the query string's text) asks
    for, or the nearest that exists and a sentence saying why (`what` names the
    list's rows: "members")."""
    if not raw:
        return Asked(1, None)
    number = _read(raw)
    if number is None:
        return Asked(1, f"“{_shown(raw)}” is not a page number: this is the first page of {what}.")
    if number == 0:
        return Asked(1, f"There is no page 0: this is the first page of {what}.")
    if number > pages:
        shown = _shown(raw.lstrip("0"))
        if pages <= 1:
            return Asked(1, f"There is no page {shown}: all the {what} fit on one page.")
        return Asked(
            pages, f"There is no page {shown}: this is the last page of {what}, page {pages}."
        )
    return Asked(number, None)


def page_from_query(name: str = "page") -> int:
    """The page of a list of unknown length asked for in `?<name>=`.

    Not a page number (missing, "abc", -2, 0): the first page, as these lists
    have always answered. A page past the end is shown as asked (the list says
    there is nothing there and offers the way back); past any list we could
    hold (`MAX_PAGE`): 400, saying so.
    """
    raw = request.args.get(name) or ""
    number = _read(raw)
    if number is None or number == 0:
        return 1
    if number > MAX_PAGE:
        abort(400, description=f"There is no page {_shown(raw.lstrip('0'))}.")
    return number


# The largest id a database column holds here (a signed 64-bit integer).
MAX_ID = 2**63 - 1


def id_from_query(name: str) -> int | None:
    """The id a list is filtered by in `?<name>=` (an academy, a course), None for none.

    Read as `request.args.get(name, type=int)` read it (what is not a number is
    no filter), except that a number no column could hold answers 400 rather
    than failing in the database.
    """
    raw = request.args.get(name, "")
    try:
        value = int(raw)
    except ValueError:
        return None
    if abs(value) > MAX_ID:
        abort(400, description=f"There is no {name} {_shown(raw)}.")
    return value or None


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: its rows, its number (from 1), and whether more follow."""

    items: list[T]
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1


@dataclass(frozen=True)
class Window:
    """Page `number` of `size` rows, read as OFFSET and LIMIT with one row to spare.

    The spare row is never shown: its presence says there is a next page, so a
    page costs the same however long the list, and nothing is counted.
    """

    number: int
    size: int = PAGE_SIZE

    def __post_init__(self) -> None:
        if not 1 <= self.number <= MAX_PAGE or self.size < 1:
            raise ValueError(f"no page {self.number} of {self.size}")

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    @property
    def limit(self) -> int:
        return self.size + 1

    def apply(self, statement):
        """`statement` (a select) limited to this page and its spare row."""
        return statement.offset(self.offset).limit(self.limit)

    def page(self, rows: Sequence[T]) -> Page[T]:
        """The page shown from the rows read through `apply`."""
        return Page(list(rows[: self.size]), self.number, len(rows) > self.size)


def capped_count(statement: sa.Select, cap: int) -> sa.ScalarSelect[int]:
    """How many rows `statement` finds, counted no further than `cap`: a "100 or more" or
    "is it bigger than N?" costs the same however big the table grows."""
    found = statement.with_only_columns(sa.literal_column("1"), maintain_column_froms=True)
    return sa.select(sa.func.count()).select_from(found.limit(cap).subquery()).scalar_subquery()
