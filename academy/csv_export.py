"""Every CSV file the Academy produces, written one way: safe and readable in Excel.

- Formula-safe: a text cell that starts with = + - @ (or a tab, carriage return
  or line feed) would be run as a formula by a spreadsheet, so it gets a
  leading apostrophe (OWASP "CSV injection"). Numbers stay numbers: -3 is not
  a formula.
- UTF-8 with a byte-order mark, which is how Excel knows the file is UTF-8 and
  shows "Siân" and "Wiśniewski" rather than "SiÃ¢n".
- Downloaded as `text/csv; charset=utf-8`, as an attachment with its name.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from urllib.parse import quote

from flask import Response

# A cell starting with one of these is read as a formula by spreadsheet programs.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
BOM = "\ufeff"
CONTENT_TYPE = "text/csv; charset=utf-8"


def safe_cell(value: object) -> object:
    """`value` as a cell: text that could start a formula gets a leading apostrophe;
    None is an empty cell; numbers are left as numbers."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_text(header: Sequence[object], rows: Iterable[Sequence[object]]) -> str:
    """The whole file: the byte-order mark, the header line, then one line per row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([safe_cell(cell) for cell in header])
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return BOM + buffer.getvalue()


def attachment(filename: str) -> str:
    """A Content-Disposition naming the file (RFC 6266; `filename*` when not ASCII)."""
    plain = filename.encode("ascii", "replace").decode("ascii").replace('"', "").replace("\\", "")
    value = f'attachment; filename="{plain}"'
    if plain != filename:
        value += f"; filename*=UTF-8''{quote(filename, safe='')}"
    return value


def csv_download(filename: str, text: str) -> Response:
    """`text` (from `csv_text`) as a download called `filename`."""
    return Response(
        text.encode("utf-8"),
        content_type=CONTENT_TYPE,
        headers={"Content-Disposition": attachment(filename)},
    )


def csv_response(
    filename: str, header: Sequence[object], rows: Iterable[Sequence[object]]
) -> Response:
    """A CSV download of `header` and `rows`."""
    return csv_download(filename, csv_text(header, rows))
