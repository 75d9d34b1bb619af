"""Charts drawn on the server as inline SVG: no JavaScript, nothing from a CDN.

Each chart is an image with a title and a description for screen readers
(`role="img"` with `aria-labelledby`); the page puts the same numbers in a
table beside it. Values are written on the bars, so nothing depends on colour
or on reading a scale. Presentation attributes only (the CSP forbids inline
styles).
"""

from __future__ import annotations

import itertools
import textwrap
from collections.abc import Sequence

from markupsafe import Markup, escape

from academy.services.reports.training_cascade import CascadeNode

INK = "#1a1a1a"
BAR = "#a50e24"  # 7:1 against white
GRID = "#6b6b6b"
FONT = 'font-family="system-ui, sans-serif"'
_ids = itertools.count(1)


def _open(width: int, height: int, title: str, desc: str) -> tuple[str, str]:
    n = next(_ids)
    head = (
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="chart-{n}-title chart-{n}-desc" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="chart-{n}-title">{escape(title)}</title>'
        f'<desc id="chart-{n}-desc">{escape(desc)}</desc>'
    )
    return head, "</svg>"


def bar_chart(
    title: str,
    items: Sequence[tuple[str, int | None]],
    *,
    unit: str = "",
    maximum: int | None = None,
    hidden_text: str = "fewer than 10 (hidden)",
) -> Markup:
    """Horizontal bars, one per item, with the label above and the value at the end."""
    # About the width of a phone, so that text in the chart stays readable on one;
    # long labels wrap onto a second or third line.
    width, top, line = 360, 8, 18
    labels = [textwrap.wrap(label, 44)[:3] or [""] for label, _ in items]
    heights = [line * len(lines) + 28 for lines in labels]
    height = top + sum(heights) + 4
    peak = maximum or max((v for _, v in items if v is not None), default=0) or 1
    described = "; ".join(
        f"{label}: {hidden_text if value is None else f'{value}{unit}'}" for label, value in items
    )
    head, tail = _open(width, height, title, described)
    parts = [head]
    y = top
    for (_, value), lines, row in zip(items, labels, heights, strict=True):
        for n, text in enumerate(lines):
            parts.append(
                f'<text x="0" y="{y + 14 + n * line}" fill="{INK}" font-size="14" {FONT}>'
                f"{escape(text)}</text>"
            )
        bar_y = y + line * len(lines) + 2
        y += row
        if value is None:
            parts.append(
                f'<text x="0" y="{bar_y + 15}" fill="{INK}" font-size="14" font-style="italic" '
                f"{FONT}>{escape(hidden_text)}</text>"
            )
            continue
        length = max(round((width - 60) * value / peak), 2)
        parts.append(
            f'<rect x="0" y="{bar_y}" width="{length}" height="20" fill="{BAR}"/>'
            f'<text x="{length + 6}" y="{bar_y + 15}" fill="{INK}" font-size="15" '
            f'font-weight="700" {FONT}>{value}{escape(unit)}</text>'
        )
    parts.append(tail)
    return Markup("".join(parts))  # noqa: S704 - every text is escaped where it goes in


def column_chart(title: str, labels: Sequence[str], values: Sequence[int]) -> Markup:
    """Vertical columns over time (labels like 'Jan 2026'), the value above each column."""
    width, height, bottom, top = 360, 200, 40, 22
    n = max(len(values), 1)
    slot = width / n
    peak = max(values, default=0) or 1
    described = "; ".join(f"{label}: {value}" for label, value in zip(labels, values, strict=True))
    head, tail = _open(width, height, title, described)
    parts = [head]
    base = height - bottom
    parts.append(
        f'<line x1="0" y1="{base}" x2="{width}" y2="{base}" stroke="{GRID}" stroke-width="1"/>'
    )
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        x = index * slot
        bar = (base - top) * value / peak
        month, _, year = label.partition(" ")
        parts.append(
            f'<rect x="{x + slot * 0.18:.1f}" y="{base - bar:.1f}" width="{slot * 0.64:.1f}" '
            f'height="{bar:.1f}" fill="{BAR}"/>'
            f'<text x="{x + slot / 2:.1f}" y="{base - bar - 5:.1f}" text-anchor="middle" '
            f'fill="{INK}" font-size="12" font-weight="700" {FONT}>{value}</text>'
            f'<text x="{x + slot / 2:.1f}" y="{base + 15}" text-anchor="middle" fill="{INK}" '
            f'font-size="11" {FONT}>{escape(month)}</text>'
        )
        if index == 0 or month == "Jan":
            parts.append(
                f'<text x="{x + slot / 2:.1f}" y="{base + 31}" text-anchor="middle" '
                f'fill="{INK}" font-size="11" {FONT}>{escape(year)}</text>'
            )
    parts.append(tail)
    return Markup("".join(parts))  # noqa: S704 - every text is escaped where it goes in


def cascade_chart(title: str, trees: Sequence[CascadeNode]) -> Markup:
    """The cascade as an indented tree: each trainer under the trainer who trained them."""
    nodes = [node for tree in trees for node in tree.walk()]
    row, indent = 30, 22

    def summary_of(node: CascadeNode) -> str:
        text = f"{node.members_trained} members"
        if node.children:
            n = len(node.children)
            text += f", {n} new trainer{'s' if n != 1 else ''}"
        return text

    # As narrow as the tree allows (roughly 7.5 units a character), so text stays readable.
    width = max(
        [320]
        + [
            round(24 + node.depth * indent + 7.5 * len(f"{node.name} – {summary_of(node)}"))
            for node in nodes
        ]
    )
    height = max(len(nodes), 1) * row + 8
    described = "; ".join(
        f"{node.name} (generation {node.depth + 1}) trained {node.members_trained} members"
        + (f" and {len(node.children)} new trainers" if node.children else "")
        for node in nodes
    )
    head, tail = _open(width, height, title, described or "No trainers yet.")
    parts = [head]
    position: dict[int, tuple[float, float]] = {}
    for index, node in enumerate(nodes):
        x, y = 8 + node.depth * indent, 8 + index * row + row / 2
        position[id(node)] = (x, y)
    for node in nodes:
        px, py = position[id(node)]
        for child in node.children:
            cx, cy = position[id(child)]
            parts.append(
                f'<path d="M{px + 5:.0f} {py + 6:.0f} V{cy:.0f} H{cx - 6:.0f}" fill="none" '
                f'stroke="{GRID}" stroke-width="1.5"/>'
            )
    for node in nodes:
        x, y = position[id(node)]
        summary = summary_of(node)
        parts.append(
            f'<circle cx="{x + 5:.0f}" cy="{y:.0f}" r="5" fill="{BAR}"/>'
            f'<text x="{x + 16:.0f}" y="{y + 5:.0f}" fill="{INK}" font-size="14" {FONT}>'
            f'<tspan font-weight="700">{escape(node.name)}</tspan> – {escape(summary)}</text>'
        )
    parts.append(tail)
    return Markup("".join(parts))  # noqa: S704 - every text is escaped where it goes in
