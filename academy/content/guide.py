"""The rules of a facilitator's guide (guide.md), beyond its settings.

A volunteer trainer runs a live session from the guide alone, so the check
insists on the parts they need, in a fixed order, and on session plans whose
timings add up to the session's length in both variants.
"""

from __future__ import annotations

import re
from pathlib import Path

from academy.content.problems import Problem
from academy.content.scan import blank_code, scan
from academy.content.tree import Guide, Module

SECTIONS = (
    "Before the session",
    "Session plan: in person",
    "Session plan: online",
    "Activities",
    "Discussion prompts",
    "What to watch for",
    "Links to the module",
)
OPTIONAL_LAST = "Handouts"
PLANS = ("Session plan: in person", "Session plan: online")

_ROW_RE = re.compile(r"^[ \t]*\|(.*)\|[ \t]*$")
_RULE_CELL_RE = re.compile(r"^[ \t]*:?-{3,}:?[ \t]*$")


def check_guide(guide: Guide, module: Module) -> list[Problem]:
    """Every problem with `guide` as the guide of `module`."""
    problems: list[Problem] = []
    path = guide.path
    found = scan(guide.body, guide.body_line)
    sections = [(h.text, h.line) for h in found.headings if h.level == 2]
    names = [name for name, _ in sections]
    expected = list(SECTIONS) + ([OPTIONAL_LAST] if OPTIONAL_LAST in names else [])
    for name, line in sections:
        if name not in expected:
            problems.append(
                Problem(
                    path,
                    line,
                    f"unexpected section '## {name}': a guide has "
                    f"{', '.join(SECTIONS)} and optionally {OPTIONAL_LAST}",
                )
            )
    missing = [name for name in SECTIONS if name not in names]
    for name in missing:
        problems.append(Problem(path, guide.body_line, f"the guide needs a '## {name}' section"))
    present = [name for name in names if name in expected]
    if not missing and present != expected:
        first_wrong = next(
            (
                line
                for (name, line), want in zip(
                    [(n, ln) for n, ln in sections if n in expected], expected, strict=False
                )
                if name != want
            ),
            guide.body_line,
        )
        problems.append(
            Problem(path, first_wrong, "put the sections in this order: " + ", ".join(expected))
        )
    bodies = _section_bodies(guide)
    for plan in PLANS:
        if plan in bodies:
            problems.extend(_check_plan(path, plan, *bodies[plan], guide.minutes))
    if "Activities" in bodies:
        text, line = bodies["Activities"]
        if not any(h.level == 3 for h in scan(text, line).headings):
            problems.append(
                Problem(
                    path,
                    line - 1,
                    "describe each activity under its own '### Activity name' heading",
                )
            )
    for name in ("Discussion prompts", "What to watch for", "Before the session"):
        if name in bodies and not bodies[name][0].strip():
            problems.append(Problem(path, bodies[name][1] - 1, f"'## {name}' is empty"))
    if "Links to the module" in bodies:
        problems.extend(_check_links(guide, module, *bodies["Links to the module"]))
    return problems


def _section_bodies(guide: Guide) -> dict[str, tuple[str, int]]:
    """Each `##` section's text and the line it starts on (the line after its heading)."""
    masked = blank_code(guide.body).split("\n")
    raw = guide.body.split("\n")
    heads = [
        (i, line[3:].strip()) for i, line in enumerate(masked) if re.match(r"^##[ \t]+\S", line)
    ]
    out: dict[str, tuple[str, int]] = {}
    for n, (index, name) in enumerate(heads):
        end = heads[n + 1][0] if n + 1 < len(heads) else len(raw)
        out.setdefault(name, ("\n".join(raw[index + 1 : end]), guide.body_line + index + 1))
    return out


def _check_plan(path: Path, name: str, text: str, first_line: int, minutes: int) -> list[Problem]:
    rows = []
    for offset, line in enumerate(text.split("\n")):
        match = _ROW_RE.match(line)
        if match:
            rows.append(([cell.strip() for cell in match.group(1).split("|")], first_line + offset))
    heading_line = first_line - 1
    if len(rows) < 3 or not all(_RULE_CELL_RE.match(cell) for cell in rows[1][0]):
        return [
            Problem(
                path,
                heading_line,
                f"'## {name}' needs a table: | Minutes | Activity | "
                "How |, a |---| line, then one row per step",
            )
        ]
    header, _ = rows[0]
    if header[0].casefold() != "minutes":
        return [
            Problem(
                path, rows[0][1], f"the first column of the '{name}' table must be headed 'Minutes'"
            )
        ]
    total = 0
    problems: list[Problem] = []
    for cells, line in rows[2:]:
        if not cells[0].isdigit() or int(cells[0]) == 0:
            problems.append(Problem(path, line, f"'{cells[0]}' is not a number of minutes"))
            continue
        total += int(cells[0])
    if not problems and minutes and total != minutes:  # minutes is 0 when it was invalid
        problems.append(
            Problem(
                path,
                heading_line,
                f"the {name.split(': ')[1]} plan adds up to {total} "
                f"minutes, but the session is {minutes} ('minutes' in the settings)",
            )
        )
    return problems


def _check_links(guide: Guide, module: Module, text: str, line: int) -> list[Problem]:
    folder = guide.path.parent.resolve()
    targets = set()
    for link in scan(text, line).links:
        target = link.target.split("#", 1)[0]
        if target and "://" not in target and not target.startswith("mailto:"):
            targets.add((folder / target).resolve())
    problems = []
    if not any(lesson.path.resolve() in targets for lesson in module.lessons):
        problems.append(
            Problem(
                guide.path,
                line - 1,
                "link to at least one of the module's lessons, e.g. [the first lesson](01-….md)",
            )
        )
    if module.quiz is not None and module.quiz.path.resolve() not in targets:
        problems.append(
            Problem(guide.path, line - 1, "link to the module's quiz: [the module quiz](quiz.md)")
        )
    return problems
