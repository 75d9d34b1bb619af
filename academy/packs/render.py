"""Lay out a printable pack (a trainer's session pack, a member's workbook) as an A4 PDF.

The pack is built from HTML the curriculum sync has already rendered and
sanitised (academy.content.render), wrapped in `templates/pack.html` and styled by
`templates/pack.css`: a cover, a contents page whose page numbers WeasyPrint
fills in (`target-counter`), then the parts, with page numbers in the footer.

WeasyPrint reads through the certificates' restricted URL fetcher, rooted at this
template folder: a lesson's link or image cannot make it read another file or
call the network. Pictures in lessons are left out (the fetcher refuses their site
URLs) and their alternative text is printed instead.

No Flask here: academy.services.guides.packs decides what goes in and caches the
bytes.
"""

from __future__ import annotations

import functools
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
import weasyprint
from markupsafe import Markup
from weasyprint.text.fonts import FontConfiguration

from academy.certificates.render import restricted_url_fetcher

TEMPLATE_DIR = Path(__file__).parent / "templates"
# Bump when the layout changes: it is part of every cached pack's version.
PACK_VERSION = "1"

_IMG_RE = re.compile(r"<img\b[^>]*?\balt=\"([^\"]*)\"[^>]*>", re.IGNORECASE)


@dataclass(frozen=True)
class Part:
    """One chapter of a pack: its anchor, title, and sanitised HTML body."""

    id: str
    title: str
    html: str
    kicker: str = ""  # a line above the title, e.g. the module a lesson belongs to
    new_page: bool = True


@dataclass(frozen=True)
class Pack:
    kind: str  # "session" or "workbook": picks the styles for task space
    title: str
    subtitle: str
    audience: str  # who it is for, printed on the cover
    parts: list[Part] = field(default_factory=list)
    # Extra entries in the contents (an anchor inside a part, e.g. "Handouts").
    extra_contents: list[tuple[str, str]] = field(default_factory=list)


def _printable(html: str) -> str:
    """A lesson's pictures become their alternative text (the fetcher would drop them)."""
    return _IMG_RE.sub(lambda m: f'<span class="picture">[Picture: {m.group(1)}]</span>', html)


class PackRenderer:
    """Parses the stylesheet and compiles the template once; one per process."""

    def __init__(self, template_dir: Path = TEMPLATE_DIR) -> None:
        self.template_dir = template_dir.resolve(strict=True)
        self.base_url = self.template_dir.as_uri() + "/"
        self.url_fetcher = restricted_url_fetcher(self.template_dir)
        self.font_config = FontConfiguration()
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(self.template_dir),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            auto_reload=False,
        )
        self._template = env.get_template("pack.html")
        self.stylesheet = weasyprint.CSS(
            string=(self.template_dir / "pack.css").read_text(encoding="utf-8"),
            base_url=self.base_url,
            url_fetcher=self.url_fetcher,
            font_config=self.font_config,
        )
        self._lock = threading.Lock()

    def html(self, pack: Pack) -> str:
        parts = [
            (part, Markup(_printable(part.html)))  # noqa: S704 - sanitised at sync time
            for part in pack.parts
        ]
        return self._template.render(pack=pack, parts=parts)

    def render(self, pack: Pack) -> bytes:
        document = weasyprint.HTML(
            string=self.html(pack), base_url=self.base_url, url_fetcher=self.url_fetcher
        )
        with self._lock:  # WeasyPrint's font configuration is not thread-safe
            return document.write_pdf(
                stylesheets=[self.stylesheet], font_config=self.font_config, pdf_tags=True
            )


@functools.cache
def pack_renderer() -> PackRenderer:
    """This process's renderer, made on first use (after a worker forks)."""
    return PackRenderer()
