"""One CSV writer (academy.csv_export) for every CSV the Academy produces: formula-safe,
UTF-8 with a byte-order mark for Excel, downloaded as text/csv; charset=utf-8."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from academy.csv_export import attachment, csv_response, csv_text, safe_cell

ACADEMY = Path(__file__).parents[2] / "academy"


def _as_excel_reads(data: bytes) -> list[list[str]]:
    """Excel takes the byte-order mark as "this is UTF-8" (Python: utf-8-sig)."""
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+44 161 000 0000", "'+44 161 000 0000"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Amina", "Amina"),
        ("a=b", "a=b"),
        (-5, -5),
        (7.5, 7.5),
        (None, ""),
    ],
)
def test_cells_that_a_spreadsheet_would_run_get_an_apostrophe(cell, written):
    assert safe_cell(cell) == written


def test_names_round_trip_through_excel_and_formulas_stay_text():
    data = csv_text(["Name", "Sum"], [["Siân Wiśniewski", "=1+1"], ["Zoë", -3]]).encode("utf-8")
    assert data.startswith(b"\xef\xbb\xbf")  # the byte-order mark Excel looks for
    assert _as_excel_reads(data) == [
        ["Name", "Sum"],
        ["Siân Wiśniewski", "'=1+1"],
        ["Zoë", "-3"],
    ]


def test_a_download_is_utf8_csv_named_as_an_attachment(app):
    with app.test_request_context():
        response = csv_response("report-2026-12-06.csv", ["Name"], [["Siân"]])
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="report-2026-12-06.csv"'
    )
    assert _as_excel_reads(response.get_data()) == [["Name"], ["Siân"]]


def test_a_file_name_that_is_not_ascii_gets_both_forms():
    assert attachment('Wiśniewski "x".csv') == (
        "attachment; filename=\"Wi?niewski x.csv\"; filename*=UTF-8''Wi%C5%9Bniewski%20%22x%22.csv"
    )


def test_no_other_module_writes_csv():
    writers = [
        str(path.relative_to(ACADEMY))
        for path in ACADEMY.rglob("*.py")
        if re.search(r"csv\.(writer|DictWriter)|text/csv", path.read_text())
        and path.name != "csv_export.py"
    ]
    assert writers == []
