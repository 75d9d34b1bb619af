"""The one Markdown -> HTML pipeline: python-markdown, then an allow-list sanitiser.

Lessons are written by people, not programs, so the output is cleaned by nh3
whatever the input: a mistake or a hostile edit cannot inject script, event
handlers, styles or `javascript:` links. Links between curriculum files are
rewritten to site URLs by the same resolver the check uses.

Bump RENDER_VERSION whenever the output for the same input changes: it is part
of every content hash, so the next sync re-renders everything.
"""

from __future__ import annotations

import threading
import xml.etree.ElementTree as etree
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import markdown
import nh3
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

from academy.content.scan import ADMONITION_KINDS

RENDER_VERSION = "2"

# (target as written, is it an image?) -> the site URL, or None if broken.
Resolver = Callable[[str, bool], str | None]

EXTENSIONS: list[str | Extension] = [
    "tables",  # | a | b |
    "footnotes",  # text[^1] … [^1]: note
    "admonition",  # !!! tip "Title"
    "toc",  # ids on headings, and the page's table of contents
    "attr_list",  # {#id} on headings; other attributes are removed by the sanitiser
    "sane_lists",  # a numbered list stays numbered, starting where the writer says
    "fenced_code",  # ``` code blocks, also inside lists
    "smarty",  # typographic quotes and dashes
]
EXTENSION_CONFIGS: dict[str, dict[str, Any]] = {
    "tables": {"use_align_attribute": True},  # `align=`, not `style=` (styles are removed)
    "toc": {"permalink": False, "toc_depth": "2-3"},
    "footnotes": {"BACKLINK_TITLE": "Back to the text of footnote %d"},
}

ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "blockquote", "br", "code", "dd", "del", "details", "div", "dl", "dt",
        "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "img", "li", "ol", "p", "pre",
        "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr",
        "ul",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height"},
    "ol": {"start"},
    "li": {"id"},  # footnotes
    "sup": {"id"},  # footnote references
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "div": {"aria-label"},
    "dt": {"id"},  # glossary terms, so that a lesson can link to one
    **{f"h{n}": {"id"} for n in range(1, 7)},
}
ALLOWED_ATTRIBUTE_VALUES = {
    "div": {"role": {"note", "region"}, "tabindex": {"0"}},
    "td": {"align": {"left", "center", "right"}},
    "th": {"align": {"left", "center", "right"}},
    "img": {"loading": {"lazy"}},
}
ALLOWED_CLASSES = {
    "div": {
        "admonition",
        *ADMONITION_KINDS,
        "footnote",
        "table-scroll",
        "lesson-outcomes",
        "lesson-sources",
    },
    "details": {"admonition", "guidance"},
    "dl": {"glossary"},
    "p": {"admonition-title", "lesson-outcomes-title"},
    "a": {"footnote-ref", "footnote-backref"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto"})


def sanitise(html: str) -> str:
    """Keep only the allow-listed tags, attributes, classes and URL schemes."""
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        clean_content_tags={"script", "style"},
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        tag_attribute_values=ALLOWED_ATTRIBUTE_VALUES,
        allowed_classes=ALLOWED_CLASSES,
        url_schemes=set(URL_SCHEMES),
        strip_comments=True,
    )


@dataclass(frozen=True, slots=True)
class Rendered:
    html: str
    toc: list[dict[str, Any]] = field(default_factory=list)  # [{"id", "name", "level"}]
    unresolved: tuple[str, ...] = ()  # links the resolver could not place (removed)


def render_markdown(text: str, resolve: Resolver | None = None) -> Rendered:
    """Render `text` to sanitised HTML; curriculum links go through `resolve`."""
    md = _markdown()
    md.reset()
    md.academy_resolve = resolve  # type: ignore[attr-defined]
    md.academy_unresolved = []  # type: ignore[attr-defined]
    try:
        html = md.convert(text)
        toc = _flatten_toc(md.toc_tokens)  # type: ignore[attr-defined]
        unresolved = tuple(md.academy_unresolved)  # type: ignore[attr-defined]
    finally:
        md.academy_resolve = None  # type: ignore[attr-defined]
    return Rendered(sanitise(html), toc, unresolved)


def render_inline(text: str, resolve: Resolver | None = None) -> str:
    """One line of Markdown (a question, an option) without the wrapping paragraph."""
    return unwrap_paragraph(render_markdown(text, resolve).html)


def unwrap_paragraph(html: str) -> str:
    """`<p>x</p>` -> `x`, for HTML that goes inside a label or a legend."""
    html = html.strip()
    if html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
        return html[3:-4]
    return html


def _flatten_toc(tokens: list[dict[str, Any]]) -> list[dict[str, Any]]:
    flat: list[dict[str, Any]] = []
    for token in tokens:
        flat.append({"id": token["id"], "name": token["name"], "level": token["level"]})
        flat.extend(_flatten_toc(token.get("children", [])))
    return flat


class _CurriculumTreeprocessor(Treeprocessor):
    """Resolve links and images, wrap tables for small screens, label call-outs."""

    def run(self, root: etree.Element) -> None:
        resolve: Resolver | None = getattr(self.md, "academy_resolve", None)
        unresolved: list[str] = self.md.academy_unresolved  # type: ignore[attr-defined]
        tables: list[tuple[etree.Element, int]] = []
        for parent in root.iter():
            for position, element in enumerate(parent):
                if element.tag == "table":
                    tables.append((parent, position))
            if parent.tag in ("a", "img") and resolve is not None:
                attribute = "href" if parent.tag == "a" else "src"
                target = parent.get(attribute)
                if target is not None:
                    url = resolve(target, parent.tag == "img")
                    if url is None:
                        unresolved.append(target)
                        del parent.attrib[attribute]
                    else:
                        parent.set(attribute, url)
            if parent.tag == "img":
                parent.set("loading", "lazy")
            if parent.tag == "div" and "admonition" in parent.get("class", "").split():
                if "guidance" in parent.get("class", "").split():
                    _fold(parent)
                else:
                    parent.set("role", "note")
        for parent, position in tables:
            table = parent[position]
            # A focusable, labelled region so that keyboard users can scroll a wide table.
            wrapper = etree.Element(
                "div",
                {
                    "class": "table-scroll",
                    "role": "region",
                    "tabindex": "0",
                    "aria-label": "Table (scrolls sideways)",
                },
            )
            wrapper.tail, table.tail = table.tail, None
            wrapper.append(table)
            parent[position] = wrapper


def _fold(box: etree.Element) -> None:
    """A guidance box (the model answer to a task) is folded: members try the task first."""
    box.tag = "details"
    title = next((child for child in box if child.get("class") == "admonition-title"), None)
    if title is None:
        title = etree.Element("p")
        title.text = "Guidance"
        box.insert(0, title)
    title.tag = "summary"
    title.attrib.pop("class", None)


class _CurriculumExtension(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 - the API's name
        # After inline (20) and attr_list (8), which create and decorate the elements.
        md.treeprocessors.register(_CurriculumTreeprocessor(md), "academy-curriculum", 4)


_local = threading.local()


def _markdown() -> markdown.Markdown:
    """One configured converter per thread (a Markdown instance is not thread-safe)."""
    md = getattr(_local, "md", None)
    if md is None:
        md = markdown.Markdown(
            extensions=[*EXTENSIONS, _CurriculumExtension()],
            extension_configs=EXTENSION_CONFIGS,
            output_format="html",
        )
        _local.md = md
    return md
