"""Render certificate PDFs from an HTML/CSS template with WeasyPrint.

A certificate template is a folder (``certificates/default/`` is the one we ship)
holding ``certificate.html``, a Jinja2 template rendered with autoescaping,
``certificate.css``, and whatever assets they use (SVG, fonts). The template may
read its own folder and nothing else: :func:`restricted_url_fetcher` refuses every
other ``file:`` URL and every network URL, so neither a careless template nor a
hostile holder name can make WeasyPrint read ``/etc/passwd`` or call an internal
service.

One :class:`CertificateRenderer` parses the stylesheet, loads the fonts and
compiles the template once; reuse it for every certificate a process renders
(a cohort's batch especially), which roughly halves the time of each render.

No Flask here: the issuing service, the CLI and the background queue all call
:meth:`CertificateRenderer.write`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import logging
import mimetypes
import os
import tempfile
import threading
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

import jinja2
import segno
import weasyprint
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from academy import formatting, paths

log = logging.getLogger(__name__)

#: The template shipped with the application (``certificates/default/`` at the
#: top of the repository, or its copy in an installed wheel).
DEFAULT_TEMPLATE_DIR = paths.CERTIFICATES_DIR / "default"

HTML_NAME = "certificate.html"
CSS_NAME = "certificate.css"


class CertificateLayoutError(ValueError):
    """The content does not fit the template's single page."""


@dataclass(frozen=True, kw_only=True)
class CertificateContent:
    """Everything printed on one certificate, as plain values.

    The caller (the issuing service) decides what goes in; the renderer only
    lays it out. Every text field is escaped by the template, so any string is
    safe here; keep ``holder_name`` to 100 characters and ``course_title`` to
    160, which the default template is tested to fit on its one page.
    """

    number: str
    holder_name: str
    course_title: str
    level: str
    credit_hours: int | float | Decimal
    academy_name: str
    issued_on: dt.date
    expires_on: dt.date | None
    issuer_name: str
    verify_url: str
    issuer_role: str = "Academy staff"
    # The code in the link, grouped for typing at the verification page ("" to leave out).
    verification_code: str = ""

    def __post_init__(self) -> None:
        for name in ("number", "holder_name", "course_title", "academy_name", "issuer_name"):
            if not getattr(self, name).strip():
                raise ValueError(f"{name} must not be blank")
        url = urlsplit(self.verify_url)
        if url.scheme not in {"https", "http"} or not url.netloc:
            raise ValueError(f"verify_url must be an absolute http(s) URL: {self.verify_url!r}")
        if self.expires_on is not None and self.expires_on < self.issued_on:
            raise ValueError("expires_on must not be before issued_on")


def qr_data_uri(url: str) -> str:
    """An SVG data URI of a QR code for ``url``.

    Vector, so it stays crisp at any print size; black on white with the
    standard four-module quiet zone so phones (and zxing in the tests) read it
    whatever the page background. Error correction M survives a crease or a
    smudge while keeping the code small enough to scan from an arm's length.
    """
    qr = segno.make(url, error="m", micro=False)
    return qr.svg_data_uri(border=4, dark="#000", light="#fff", omitsize=True)


class RestrictedURLFetcher(URLFetcher):
    """A WeasyPrint URL fetcher that serves only files inside one folder.

    Allowed: ``file:`` URLs whose path, once ``..`` and symlinks are resolved,
    is a regular file inside ``root``; and ``data:`` URLs (the QR code), which
    carry their content with them. Everything else (other files, ``http:``,
    ``https:``, ``ftp:`` …) raises :class:`ValueError` before any I/O, and
    WeasyPrint then leaves that resource out of the PDF.
    """

    def __init__(self, root: Path) -> None:
        # The parent class is only ever asked to open data: URLs; refusing every
        # other protocol there too means a mistake here still fetches nothing.
        super().__init__(timeout=1, allowed_protocols=("data",), allow_redirects=False)
        self.root = Path(root).resolve(strict=True)

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        scheme = url.partition(":")[0].lower()
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == "file" and (path := self._local_path(url)) is not None:
            content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(
                path.as_uri(), body=path.read_bytes(), headers={"Content-Type": content_type}
            )
        log.warning("Certificate template asked for %s, outside %s: refused", url, self.root)
        raise ValueError(f"certificate templates may only load their own files, not {url!r}")

    def _local_path(self, url: str) -> Path | None:
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            return None
        # Resolve first, then check: ``..``, percent-encoded dots and symlinks
        # all collapse into the real path, which is also the one we open.
        try:
            path = Path(url2pathname(parts.path)).resolve(strict=True)
        except (OSError, RuntimeError):
            return None
        if not path.is_relative_to(self.root) or not path.is_file():
            return None
        return path


def restricted_url_fetcher(template_dir: Path) -> RestrictedURLFetcher:
    """The URL fetcher to give WeasyPrint for a template in ``template_dir``.

    WeasyPrint 70 calls it with a URL and needs a :class:`URLFetcher` instance
    (it reads attributes of the fetcher, so a bare function will not do).
    """
    return RestrictedURLFetcher(template_dir)


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that a reader sees the old file or the new
    one, never half of one: a temporary file in the same folder, fsync, rename.

    The folder must exist. The file is created with mode 0600 (certificates are
    personal data); whoever serves downloads runs as the same user.
    """
    path = Path(path)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as tmp:
            tmp.write(data)
            tmp.flush()
            os.fsync(tmp.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    # The rename itself lives in the folder: sync it too, or a crash right
    # after issuing could bring back the old file (or none).
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


class CertificateRenderer:
    """Renders certificates from one template folder.

    Parses the CSS and loads its fonts once, and keeps the compiled Jinja
    template, so each certificate pays only for its own layout and PDF. Safe
    to share between threads (renders are serialised: WeasyPrint's font
    configuration is not thread-safe); create one per process.
    """

    def __init__(self, template_dir: Path = DEFAULT_TEMPLATE_DIR) -> None:
        self.template_dir = Path(template_dir).resolve(strict=True)
        # The trailing slash makes relative URLs ("emblem.svg") resolve inside
        # the folder rather than beside it.
        self.base_url = self.template_dir.as_uri() + "/"
        self.url_fetcher = restricted_url_fetcher(self.template_dir)
        self.font_config = FontConfiguration()
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(self.template_dir),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            auto_reload=False,
        )
        # The names and functions of the site's filters (academy.templating), so a
        # date reads the same on the certificate as on the page that verifies it.
        env.filters["date"] = formatting.long_date
        env.filters["credit_hours"] = formatting.credit_hours
        self._template = env.get_template(HTML_NAME)
        self.stylesheet = weasyprint.CSS(
            string=(self.template_dir / CSS_NAME).read_text(encoding="utf-8"),
            base_url=self.base_url,
            url_fetcher=self.url_fetcher,
            font_config=self.font_config,
        )
        self._lock = threading.Lock()

    def html(self, content: CertificateContent) -> str:
        """The template rendered for ``content``, before WeasyPrint lays it out."""
        return self._template.render(cert=content, qr_src=qr_data_uri(content.verify_url))

    def render(self, content: CertificateContent) -> bytes:
        """The certificate as PDF bytes: exactly one page, or CertificateLayoutError."""
        html = weasyprint.HTML(
            string=self.html(content), base_url=self.base_url, url_fetcher=self.url_fetcher
        )
        with self._lock:
            document = html.render(stylesheets=[self.stylesheet], font_config=self.font_config)
            if len(document.pages) != 1:
                raise CertificateLayoutError(
                    f"certificate {content.number} needs {len(document.pages)} pages, not 1"
                )
            # Tagged, so that screen readers read the certificate in order and
            # skip the decoration; it costs nothing measurable here.
            return document.write_pdf(pdf_tags=True)

    def write(self, content: CertificateContent, path: Path) -> None:
        """Render ``content`` and store it at ``path`` atomically."""
        write_atomically(path, self.render(content))


def renderer_for(template_dir: Path = DEFAULT_TEMPLATE_DIR) -> CertificateRenderer:
    """This process's renderer for ``template_dir``, created on first use.

    Call it lazily (in a request or a job), not at import time, so that each
    worker process builds its own after the fork.
    """
    return _renderer_for(Path(template_dir).resolve(strict=True))


@functools.cache
def _renderer_for(template_dir: Path) -> CertificateRenderer:
    return CertificateRenderer(template_dir)
