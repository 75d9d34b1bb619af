"""Certificate PDFs, rendered for real by WeasyPrint and read back with pypdf,
pdfium and zxing: what they say, that they fit one page, that the QR code
scans, that a template can reach nothing but its own folder, and that a stored
certificate is never seen half-written."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import logging
import os
import stat
import threading
import urllib.request
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pypdf
import pypdfium2
import pytest

from academy.certificates.render import (
    DEFAULT_TEMPLATE_DIR,
    CertificateContent,
    CertificateLayoutError,
    CertificateRenderer,
    renderer_for,
    restricted_url_fetcher,
    write_atomically,
)
from academy.formatting import credit_hours, long_date

from .conftest import VERIFY_URL, pdf_pages, pdf_text, qr_codes

# --- what the certificate says ----------------------------------------------


def test_pdf_states_holder_course_number_and_expiry(renderer, make_content, caplog):
    caplog.set_level(logging.WARNING)
    pdf = renderer.render(make_content())

    assert pdf.startswith(b"%PDF-")
    assert len(pdf_pages(pdf)) == 1
    text = pdf_text(pdf)
    for expected in (
        "Siân O'Connell-Adebayo",
        "Community organising",
        "OA-2026-000123",
        "North West Organising Academy",
        "This is to certify that",
        "has successfully completed",
        "Intermediate level",
        "10 credit hours",
        "Issued 21 November 2026",
        "Valid until 21 November 2028",
        "Maria Kowalczyk",
        "Academy staff",
        "Verify this certificate at",
        VERIFY_URL,
    ):
        assert expected in text
    # Letter-spaced capitals come back from the PDF with spaces between them.
    assert "LABOUROR GANISINGACADEMY" not in text
    assert "LABOURORGANISINGACADEMY" in text.replace(" ", "")
    # The shipped template loads all its assets and uses only CSS that
    # WeasyPrint understands: it has nothing to complain about.
    assert not caplog.records


def test_no_expiry_line_when_the_course_has_no_validity_period(renderer, make_content):
    text = pdf_text(renderer.render(make_content(expires_on=None)))

    assert "Issued 21 November 2026" in text
    assert "Valid until" not in text


def test_pdf_metadata_names_the_certificate(renderer, make_content):
    reader = pypdf.PdfReader(io.BytesIO(renderer.render(make_content())))

    assert reader.metadata.title == (
        "Certificate OA-2026-000123: Siân O'Connell-Adebayo, Community organising"
    )
    assert reader.metadata.author == "North West Organising Academy"
    # Fixed to the issue date, so the same certificate always renders to the same bytes.
    assert reader.metadata["/CreationDate"] == "D:20261121"


@pytest.mark.parametrize(
    ("level", "hours", "shown"),
    [
        ("advanced", 14, "Advanced level · 14 credit hours"),
        ("Level 3", Decimal("7.50"), "Level 3 · 7.5 credit hours"),
        ("beginner", 1, "Beginner level · 1 credit hour"),
    ],
)
def test_level_and_credit_hours_read_naturally(renderer, make_content, level, hours, shown):
    assert shown in pdf_text(renderer.render(make_content(level=level, credit_hours=hours)))


def test_long_date_is_british_and_ignores_the_locale():
    assert long_date(dt.date(2028, 11, 21)) == "21 November 2028"
    assert long_date(dt.date(2026, 1, 2)) == "2 January 2026"


@pytest.mark.parametrize(
    ("hours", "text"),
    [
        (10, "10 credit hours"),
        (1, "1 credit hour"),
        (7.5, "7.5 credit hours"),
        (Decimal("12.0"), "12 credit hours"),
        (0.5, "0.5 credit hours"),
    ],
)
def test_credit_hours(hours, text):
    assert credit_hours(hours) == text


@pytest.mark.parametrize(
    "changes",
    [
        {"verify_url": "javascript:alert(1)"},
        {"verify_url": "/verify/relative"},
        {"verify_url": "file:///etc/passwd"},
        {"holder_name": "   "},
        {"number": ""},
        {"expires_on": dt.date(2026, 11, 20)},
    ],
)
def test_content_refuses_what_cannot_be_a_certificate(make_content, changes):
    with pytest.raises(ValueError, match="must"):
        make_content(**changes)


# --- one page, whatever the lengths -------------------------------------------


def words_of_length(length: int, words: tuple[str, ...]) -> str:
    text = " ".join(itertools.islice(itertools.cycle(words), length))[:length].rstrip()
    return (text + "x" * length)[:length]


LONG_NAME_WORDS = (
    "Maximiliana",
    "Alexandrina",
    "Wolfeschlegelsteinhausen-Bergerdorff",
    "de",
    "la",
    "Featherstonehaugh",
)
LONG_TITLE_WORDS = (
    "Advanced",
    "community",
    "organising,",
    "leadership",
    "development",
    "and",
    "campaign",
    "strategy",
    "for",
    "branch",
    "officers",
)


def text_box(pdf: bytes, needle: str) -> tuple[float, float, float, float]:
    """(left, bottom, right, top) in PDF points of the first occurrence of needle."""
    document = pypdfium2.PdfDocument(io.BytesIO(pdf))
    try:
        textpage = document[0].get_textpage()
        searcher = textpage.search(needle, match_case=True)
        found = searcher.get_next()
        assert found, f"{needle!r} not on the page"
        index, count = found
        boxes = [textpage.get_charbox(i) for i in range(index, index + count)]
    finally:
        document.close()
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


@pytest.mark.parametrize(
    ("holder_name", "course_title"),
    [
        (words_of_length(80, LONG_NAME_WORDS), words_of_length(120, LONG_TITLE_WORDS)),
        # The limits CertificateContent documents.
        (words_of_length(100, LONG_NAME_WORDS), words_of_length(160, LONG_TITLE_WORDS)),
        # The widest letter, with nowhere to break a line.
        ("W" * 80, "M" * 120),
        ("Jo", "Y"),
    ],
    ids=["80-and-120", "100-and-160", "unbreakable", "short"],
)
def test_one_page_whatever_the_lengths(renderer, make_content, holder_name, course_title):
    assert len(holder_name) <= 100
    assert len(course_title) <= 160
    content = make_content(holder_name=holder_name, course_title=course_title)

    pdf = renderer.render(content)

    assert len(pdf_pages(pdf)) == 1
    text = pdf_text(pdf).replace(" ", "")
    assert holder_name.replace(" ", "") in text
    assert course_title.replace(" ", "") in text
    # The text above stays clear of the footer below (PDF y grows upwards).
    assert text_box(pdf, "credit hours")[1] > text_box(pdf, "Certificate no.")[3] + 10
    assert qr_codes(pdf) == [VERIFY_URL]


def test_layout_error_rather_than_a_second_page(tmp_path, make_content):
    (tmp_path / "certificate.html").write_text(
        '<p style="height: 300mm">{{ cert.holder_name }}</p><p>{{ cert.number }}</p>'
    )
    (tmp_path / "certificate.css").write_text("@page { size: A4 landscape }")

    with pytest.raises(CertificateLayoutError, match="2 pages"):
        CertificateRenderer(tmp_path).render(make_content())


# --- the QR code ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "verify_url",
    [
        VERIFY_URL,
        "http://localhost:5000/verify/abc",
        "https://academy.example.org/verify/" + "Zx9_-" * 12,
    ],
)
def test_qr_code_decodes_to_the_verification_url(renderer, make_content, verify_url):
    pdf = renderer.render(make_content(verify_url=verify_url))

    assert qr_codes(pdf) == [verify_url]
    assert verify_url in pdf_text(pdf).replace(" ", "")


# --- escaping -----------------------------------------------------------------


@pytest.mark.parametrize(
    "hostile",
    [
        '<img src="file:///etc/passwd">',
        "</p><script>alert(1)</script>",
        '{{ 7 * 7 }} & "quotes" <b>',
    ],
)
def test_every_field_is_escaped(renderer, make_content, hostile, caplog):
    caplog.set_level(logging.WARNING)
    content = make_content(
        holder_name=hostile,
        course_title=hostile,
        level=hostile,
        academy_name=hostile,
        issuer_name=hostile,
        issuer_role=hostile,
        number=hostile,
    )

    html = renderer.html(content)
    pdf = renderer.render(content)

    assert hostile not in html
    # Printed literally, several times over (holder, course, academy, issuer …).
    assert pdf_text(pdf).count(hostile) >= 4
    assert "root:" not in pdf_text(pdf)
    # Nothing was fetched, or even asked for.
    assert not caplog.records


# --- the template may read its own folder and nothing else ------------------


OUTSIDE_SECRET = "OUTSIDE-SECRET-7F3A"
INSIDE_ASSET = "INSIDE-ASSET-OK"
SERVED_SECRET = "SERVED-SECRET-91C2"


def svg_saying(text: str, extra: str = "") -> str:
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'
        f' width="300" height="40"><text x="2" y="30" font-size="20">{text}</text>{extra}</svg>'
    )


@pytest.fixture
def spy_server():
    """A real HTTP server on a free loopback port that records every request."""
    requests: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            requests.append(self.path)
            body = svg_saying(SERVED_SECRET).encode()
            self.send_response(200)
            self.send_header("Content-Type", "image/svg+xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format, *args):  # keep the test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", requests
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def hostile_template(tmp_path, spy_server):
    """A template folder whose HTML, CSS and SVG reach for things outside it."""
    server, _ = spy_server
    outside = tmp_path / "outside-secret.svg"
    outside.write_text(svg_saying(OUTSIDE_SECRET))
    folder = tmp_path / "template"
    folder.mkdir()
    (folder / "inside.svg").write_text(svg_saying(INSIDE_ASSET))
    (folder / "sneaky.svg").symlink_to(outside)
    (folder / "passwd.svg").symlink_to("/etc/passwd")
    (folder / "nested.svg").write_text(
        svg_saying(
            "NESTED",
            extra=f'<image href="file:///etc/passwd" width="10" height="10"/>'
            f'<image xlink:href="../outside-secret.svg" width="10" height="10"/>'
            f'<image href="{server}/nested.svg" width="10" height="10"/>',
        )
    )
    html = """<!doctype html>
<html><head>
<link rel="stylesheet" href="SERVER/linked.css">
<link rel="stylesheet" href="file:///etc/passwd">
<link rel="attachment" href="file:///etc/passwd">
<link rel="attachment" href="SERVER/attachment.txt">
<link rel="attachment" href="../outside-secret.svg">
</head><body>
<p class="holder">{{ cert.holder_name }}</p>
<img src="inside.svg">
<img src="file:///etc/passwd">
<img src="file://localhost/etc/passwd">
<img src="../outside-secret.svg">
<img src="%2e%2e/outside-secret.svg">
<img src="OUTSIDE_URI">
<img src="sneaky.svg">
<img src="passwd.svg">
<img src="nested.svg">
<img src="SERVER/image.svg">
<img src="https://127.0.0.1:1/tls.svg">
<img src="ftp://127.0.0.1/file.svg">
<object data="file:///etc/passwd"></object>
<embed src="SERVER/embed.svg">
<ul><li>list</li></ul>
<div class="bg"></div>
</body></html>
"""
    css = """@import url("SERVER/imported.css");
@import url("file:///etc/passwd");
@font-face { font-family: Evil; src: url("SERVER/font.woff"), url("../outside.ttf"); }
body { background: url("file:///etc/passwd"); font-family: Evil, sans-serif; }
.bg { width: 10mm; height: 10mm; background-image: url("SERVER/bg.svg"); }
.holder::before { content: url("../outside-secret.svg"); }
.holder::after { content: url("SERVER/after.svg"); }
li { list-style-image: url("SERVER/bullet.svg"); }
"""
    for name, text in (("certificate.html", html), ("certificate.css", css)):
        text = text.replace("SERVER", server).replace("OUTSIDE_URI", outside.as_uri())
        (folder / name).write_text(text)
    return folder


def test_hostile_template_fetches_nothing_outside_its_folder(
    hostile_template, spy_server, make_content, caplog
):
    server, requests = spy_server
    caplog.set_level(logging.WARNING)

    renderer = CertificateRenderer(hostile_template)
    pdf = renderer.render(make_content())

    text = pdf_text(pdf)
    assert INSIDE_ASSET in text  # its own assets still load: the fence is not a wall
    assert "NESTED" in text
    assert make_content().holder_name in text
    assert OUTSIDE_SECRET not in text
    assert SERVED_SECRET not in text
    assert "root:" not in text
    assert pypdf.PdfReader(io.BytesIO(pdf)).attachments == {}
    assert requests == []
    refused = " ".join(
        r.getMessage() for r in caplog.records if r.name == "academy.certificates.render"
    )
    for url in (
        "file:///etc/passwd",
        f"{server}/linked.css",
        f"{server}/imported.css",
        f"{server}/font.woff",
        f"{server}/image.svg",
        f"{server}/nested.svg",
        "outside-secret.svg",
        "https://127.0.0.1:1/tls.svg",
        "ftp://127.0.0.1/",
    ):
        assert url in refused

    # The server was there all along and answers anyone who does ask.
    with urllib.request.urlopen(f"{server}/probe") as response:  # noqa: S310 (loopback)
        assert SERVED_SECRET.encode() in response.read()
    assert requests == ["/probe"]


def test_fetcher_serves_only_files_inside_the_folder(hostile_template, spy_server):
    server, requests = spy_server
    fetch = restricted_url_fetcher(hostile_template)
    inside = hostile_template / "inside.svg"

    response = fetch(inside.as_uri())
    assert response.read() == inside.read_bytes()
    assert response.content_type == "image/svg+xml"
    response.close()
    data = fetch("data:text/plain;charset=utf-8,hello%20there")
    assert data.read() == b"hello there"
    data.close()

    for url in (
        "file:///etc/passwd",
        "file://localhost/etc/passwd",
        "file://otherhost" + inside.as_uri().removeprefix("file://"),
        (hostile_template / ".." / "outside-secret.svg").as_uri(),
        inside.as_uri().replace("/inside.svg", "/%2e%2e/outside-secret.svg"),
        (hostile_template / "sneaky.svg").as_uri(),
        (hostile_template / "passwd.svg").as_uri(),
        hostile_template.as_uri(),  # the folder itself is not a file
        (hostile_template / "missing.svg").as_uri(),
        f"{server}/direct",
        "https://127.0.0.1:1/",
        "ftp://127.0.0.1/",
        "gopher://127.0.0.1/",
    ):
        with pytest.raises(ValueError, match="only load their own files"):
            fetch(url)
    assert requests == []


# --- storing ------------------------------------------------------------------


def test_write_stores_the_pdf_and_replaces_the_old_one(renderer, make_content, tmp_path):
    target = tmp_path / "OA-2026-000123.pdf"
    target.write_bytes(b"an older certificate")

    renderer.write(make_content(), target)

    assert target.read_bytes() == renderer.render(make_content())
    assert [p.name for p in tmp_path.iterdir()] == [target.name]  # no temporary left
    assert stat.S_IMODE(target.stat().st_mode) == 0o600  # personal data


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(
    renderer, make_content, tmp_path, monkeypatch
):
    target = tmp_path / "OA-2026-000123.pdf"
    target.write_bytes(b"an older certificate")

    def disk_full(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    with pytest.raises(OSError, match="No space"):
        renderer.write(make_content(), target)

    assert target.read_bytes() == b"an older certificate"
    assert [p.name for p in tmp_path.iterdir()] == [target.name]


def test_a_failed_render_writes_nothing(tmp_path, make_content):
    template = tmp_path / "template"
    template.mkdir()
    (template / "certificate.html").write_text('<p style="height: 300mm">{{ cert.number }}</p>x')
    (template / "certificate.css").write_text("@page { size: A4 landscape }")
    out = tmp_path / "out"
    out.mkdir()

    with pytest.raises(CertificateLayoutError):
        CertificateRenderer(template).write(make_content(), out / "c.pdf")

    assert list(out.iterdir()) == []


def test_readers_never_see_half_a_file(tmp_path):
    target = tmp_path / "certificate.pdf"
    versions = [b"%PDF-one " + b"1" * 200_000, b"%PDF-two " + b"2" * 300_000]
    write_atomically(target, versions[0])
    seen: set[bytes] = set()
    done = threading.Event()

    def read_until_done():
        while not done.is_set():
            seen.add(target.read_bytes())

    reader = threading.Thread(target=read_until_done)
    reader.start()
    try:
        for i in range(60):
            write_atomically(target, versions[i % 2])
    finally:
        done.set()
        reader.join()

    assert seen <= set(versions)
    assert [p.name for p in tmp_path.iterdir()] == [target.name]


# --- reuse --------------------------------------------------------------------


def test_a_reused_renderer_renders_each_certificate_the_same(make_content):
    renderer = CertificateRenderer()
    first = make_content()
    second = make_content(
        number="OA-2026-000124",
        holder_name="Another Person",
        course_title="Media and communications",
        expires_on=None,
        verify_url="https://academy.example.org/verify/ANOTHER-CODE",
    )

    first_pdf = renderer.render(first)
    second_pdf = renderer.render(second)
    first_again = renderer.render(first)

    assert pdf_text(first_again) == pdf_text(first_pdf)
    assert first_again == first_pdf  # byte for byte: re-rendering reproduces the stored file
    second_text = pdf_text(second_pdf)
    assert "Another Person" in second_text
    assert "Media and communications" in second_text
    assert first.holder_name not in second_text
    assert "Valid until" not in second_text
    assert qr_codes(second_pdf) == [second.verify_url]
    assert CertificateRenderer().render(first) == first_pdf


def test_content_is_immutable(make_content):
    content = make_content()
    with pytest.raises(AttributeError):
        content.holder_name = "Someone else"  # type: ignore[misc]
    assert isinstance(content, CertificateContent)


def test_default_template_is_the_shipped_one(renderer):
    assert renderer.template_dir == Path(__file__).resolve().parents[2] / "certificates" / "default"


def test_one_renderer_per_process_and_template():
    assert renderer_for() is renderer_for(DEFAULT_TEMPLATE_DIR / ".." / "default")
    assert renderer_for().template_dir == DEFAULT_TEMPLATE_DIR


def test_pdf_is_tagged_for_screen_readers(renderer, make_content):
    reader = pypdf.PdfReader(io.BytesIO(renderer.render(make_content())))

    assert reader.trailer["/Root"]["/MarkInfo"]["/Marked"]
    assert "/StructTreeRoot" in reader.trailer["/Root"]
    assert reader.trailer["/Root"]["/Lang"] == "en-GB"
