"""The HTML of whole curriculum pages, composed from their parts once per content version.

A lesson page opens with what the member will be able to do and closes with
the sources its facts were checked against; a glossary is a list of terms and
their definitions. Both are built here at sync time, so that a request only
reads stored HTML.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html import escape

from academy.content.render import Rendered, render_inline, sanitise
from academy.content.tree import Glossary, Lesson
from academy.formatting import long_date

OUTCOMES_TITLE = "By the end of this lesson you will be able to:"
SOURCES_ID = "sources"

# Renders a piece of the file's Markdown (resolving its links as the check does).
RenderPart = Callable[[str], Rendered]


def lesson_page(lesson: Lesson, body: Rendered) -> Rendered:
    """The lesson's outcomes, then its body, then its sources, as one sanitised page."""
    parts: list[str] = []
    toc = list(body.toc)
    if lesson.outcomes:
        items = "".join(f"<li>{render_inline(item)}</li>" for item in lesson.outcomes)
        parts.append(
            f'<div class="lesson-outcomes" role="note"><p class="lesson-outcomes-title">'
            f"{OUTCOMES_TITLE}</p><ul>{items}</ul></div>"
        )
    parts.append(body.html)
    if lesson.sources:
        items = "".join(
            f'<li><a href="{escape(source.url)}">{escape(source.title)}</a>, '
            f"last checked {long_date(source.checked)}</li>"
            for source in lesson.sources
        )
        parts.append(
            f'<div class="lesson-sources"><h2 id="{SOURCES_ID}">Sources</h2><ul>{items}</ul></div>'
        )
        toc.append({"id": SOURCES_ID, "name": "Sources", "level": 2})
    return Rendered(sanitise("\n".join(parts)), toc, body.unresolved)


def glossary_page(glossary: Glossary, render: RenderPart) -> Rendered:
    """A definition list with an anchor on every term, so lessons can link to one."""
    entries: list[str] = []
    unresolved: list[str] = []
    for term in glossary.terms:
        definition = render(term.definition)
        unresolved += definition.unresolved
        entries.append(
            f'<dt id="{escape(term.key)}">{escape(term.term)}</dt><dd>{definition.html}</dd>'
        )
    return Rendered(
        sanitise(f'<dl class="glossary">{"".join(entries)}</dl>'), [], tuple(unresolved)
    )


_HEADING_OR_TABLE = re.compile(
    r'<h[23] id="[^"]*">(?P<heading>.*?)</h[23]>|aria-label="Table \(scrolls sideways\)"'
)


def guide_page(body: Rendered) -> Rendered:
    """A guide's body with each table's scrolling region named after its section.

    A guide has at least two session-plan tables, and two regions with one name are
    one landmark too many for a screen reader (axe: landmark-unique).
    """
    heading = ""
    seen: dict[str, int] = {}

    def name(match: re.Match[str]) -> str:
        nonlocal heading
        if match.group("heading") is not None:
            heading = re.sub(r"<[^>]+>", "", match.group("heading"))
            return match.group(0)
        label = f"{heading or 'Table'} (table, scrolls sideways)"
        seen[label] = seen.get(label, 0) + 1
        if seen[label] > 1:
            label = f"{heading or 'Table'} (table {seen[label]}, scrolls sideways)"
        return f'aria-label="{label}"'

    return Rendered(_HEADING_OR_TABLE.sub(name, body.html), body.toc, body.unresolved)
