"""A report's table: labelled rows of numbers, as the page shows them and the CSV holds them."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Row:
    """One line of a table: a label and its numbers, in the column order of the table."""

    label: str
    values: list[int | None]
    note: str = ""


@dataclass
class Table:
    key: str
    caption: str
    columns: list[str]
    rows: list[Row] = field(default_factory=list)

    def csv_rows(self) -> list[list[object]]:
        return [[row.label, *row.values] for row in self.rows]
