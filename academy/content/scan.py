"""Find the links, images, headings, raw HTML and call-outs in Markdown source, with lines.

The check must be fast, so it does not render: it scans the source with a few
regular expressions after blanking out code (fenced blocks and inline code
spans), whose contents are shown literally and so are never links or HTML.
Blanking keeps every newline, so offsets still map to the right line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# The call-out boxes writers may use (`!!! tip "Title"`); the renderer allows their classes.
# `guidance` holds the model answer to a "Your turn" task: shown folded, to open after trying.
ADMONITION_KINDS = ("note", "tip", "warning", "important", "example", "activity", "guidance")

_FENCE_RE = re.compile(r"^[ \t]*(`{3,}|~{3,})")
_CODE_SPAN_RE = re.compile(r"(?<!`)(`+)(?!`)((?:(?!\n[ \t]*\n).)+?)(?<!`)\1(?!`)", re.DOTALL)
_HEADING_RE = re.compile(r"^(#{1,6})(?:[ \t]+(.*?))?[ \t]*#*[ \t]*$", re.MULTILINE)
# [text](target "title") and ![alt](target); the text may hold one level of brackets.
_LINK_RE = re.compile(
    r"(!?)\[((?:[^\[\]\\]|\\.|\[(?:[^\[\]\\]|\\.)*\])*)\]"
    r"\(\s*(<[^>\n]*>|[^\s()]*(?:\([^\s()]*\)[^\s()]*)*)(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^)]*\)))?\s*\)"
)
# [ref]: target — a reference definition (not a footnote, which starts with ^).
_REFDEF_RE = re.compile(r"^[ ]{0,3}\[(?!\^)([^\]\n]+)\]:[ \t]*(<[^>\n]*>|\S+)", re.MULTILINE)
_TAG_RE = re.compile(r"</?([A-Za-z][A-Za-z0-9-]*)(?=[\s/>])")
_ADMONITION_RE = re.compile(r"^[ \t]*!!![ \t]*([^\s\"]*)", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Link:
    target: str
    line: int
    image: bool
    text: str


@dataclass(frozen=True, slots=True)
class Heading:
    level: int
    text: str
    line: int


@dataclass(frozen=True, slots=True)
class Tag:
    name: str
    line: int


@dataclass(frozen=True, slots=True)
class Admonition:
    kind: str
    line: int


@dataclass(frozen=True, slots=True)
class Scan:
    links: tuple[Link, ...]
    headings: tuple[Heading, ...]
    tags: tuple[Tag, ...]
    admonitions: tuple[Admonition, ...]


def blank_code(text: str) -> str:
    """`text` with fenced code blocks and code spans replaced by spaces (newlines kept)."""
    if "`" not in text and "~~~" not in text:
        return text
    out: list[str] = []
    fence: str | None = None
    for line in text.split("\n"):
        match = _FENCE_RE.match(line)
        if fence is None:
            if match:
                fence = match.group(1)[0] * len(match.group(1))
                out.append("")
            else:
                out.append(line)
        else:
            if match and match.group(1).startswith(fence) and not line.strip().strip(fence[0]):
                fence = None
            out.append("")
    joined = "\n".join(out)
    return _CODE_SPAN_RE.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), joined)


def scan(text: str, first_line: int = 1) -> Scan:
    """Everything the check needs from one piece of Markdown that starts at `first_line`."""
    masked = blank_code(text)

    def line_of(offset: int) -> int:
        return first_line + masked.count("\n", 0, offset)

    links: list[Link] = []
    # Most pieces (quiz options, feedback) have none of these: skip the regexes.
    has_links, has_tags = "](" in masked or "]:" in masked, "<" in masked
    for m in _LINK_RE.finditer(masked) if has_links else ():
        links.append(Link(_unwrap(m.group(3)), line_of(m.start()), m.group(1) == "!", m.group(2)))
        # An image inside a link's text: [![alt](images/a.png)](https://example.org)
        start = m.start(2)
        links += [
            Link(_unwrap(inner.group(3)), line_of(start + inner.start()), True, inner.group(2))
            for inner in _LINK_RE.finditer(m.group(2))
            if inner.group(1) == "!"
        ]
    links += [
        Link(_unwrap(m.group(2)), line_of(m.start()), False, m.group(1))
        for m in (_REFDEF_RE.finditer(masked) if has_links else ())
    ]
    links.sort(key=lambda link: link.line)
    headings = tuple(
        Heading(len(m.group(1)), (m.group(2) or "").strip(), line_of(m.start()))
        for m in _HEADING_RE.finditer(masked)
    )
    tags = tuple(
        Tag(m.group(1).lower(), line_of(m.start()))
        for m in (_TAG_RE.finditer(masked) if has_tags else ())
    )
    admonitions = tuple(
        Admonition(m.group(1), line_of(m.start())) for m in _ADMONITION_RE.finditer(masked)
    )
    return Scan(tuple(links), headings, tags, admonitions)


def _unwrap(target: str) -> str:
    return target[1:-1].strip() if target.startswith("<") and target.endswith(">") else target
