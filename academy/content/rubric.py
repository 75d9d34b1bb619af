"""Parse the observation rubric (rubric.md): criteria, each described at every level.

    ## Plans a clear session {#planning}
    What the observer looks for.

    - not-yet: what it looks like before the candidate is ready
    - secure: what it looks like when they are ready to train members
    - strong: …

The levels and the level every criterion must reach come from the front matter.
"""

from __future__ import annotations

import re
from pathlib import Path

from academy.content.problems import Problem
from academy.content.scan import blank_code
from academy.content.slugs import SLUG_RE
from academy.content.tree import Criterion, Descriptor

_HEADING_RE = re.compile(r"^(#{1,6})[ \t]+(.*?)[ \t]*$")
_KEY_RE = re.compile(r"[ \t]*\{#([^}\s]*)\}$")
_LEVEL_RE = re.compile(r"^[-*+][ \t]+([a-z0-9-]+)[ \t]*:[ \t]*(.*)$")
_BULLET_RE = re.compile(r"^[-*+][ \t]+")


def parse_criteria(
    path: Path, body: str, body_line: int, levels: tuple[str, ...]
) -> tuple[str, tuple[Criterion, ...], list[Problem]]:
    """The introduction, the criteria, and what is wrong with them."""
    problems: list[Problem] = []
    masked = blank_code(body).split("\n")
    raw = body.split("\n")
    starts = [i for i, line in enumerate(masked) if _HEADING_RE.match(line)]
    intro_end = starts[0] if starts else len(raw)
    intro = "\n".join(raw[:intro_end]).strip("\n")
    criteria: list[Criterion] = []
    for position, index in enumerate(starts):
        end = starts[position + 1] if position + 1 < len(starts) else len(raw)
        criterion = _criterion(path, raw, index, end, body_line, levels, problems)
        if criterion is not None:
            criteria.append(criterion)
    if not starts:
        problems.append(
            Problem(path, body_line, "the rubric has no criteria: start each with '## '")
        )
    seen: dict[str, int] = {}
    for criterion in criteria:
        if criterion.key in seen:
            problems.append(
                Problem(
                    path,
                    criterion.line,
                    f"criterion key '{criterion.key}' is also used on line {seen[criterion.key]}",
                )
            )
        seen.setdefault(criterion.key, criterion.line)
    return intro, tuple(criteria), problems


def _criterion(
    path: Path,
    raw: list[str],
    index: int,
    end: int,
    body_line: int,
    levels: tuple[str, ...],
    problems: list[Problem],
) -> Criterion | None:
    number = body_line + index
    match = _HEADING_RE.match(raw[index])
    assert match is not None  # noqa: S101 - `starts` only holds heading lines
    if len(match.group(1)) != 2:
        problems.append(
            Problem(path, number, "a rubric uses '##' for each criterion, nothing else")
        )
        return None
    title = match.group(2)
    key_match = _KEY_RE.search(title)
    if key_match is None:
        problems.append(
            Problem(
                path,
                number,
                "give each criterion a key: '## Plans a clear session {#planning}'"
                " (observations are recorded against it)",
            )
        )
        return None
    key, title = key_match.group(1), title[: key_match.start()].strip()
    if not SLUG_RE.match(key):
        problems.append(
            Problem(
                path,
                number,
                f"criterion key '{key}' must use lower-case letters, digits and hyphens",
            )
        )
    description: list[str] = []
    descriptors: list[Descriptor] = []
    for offset in range(index + 1, end):
        line = raw[offset]
        level = _LEVEL_RE.match(line)
        if level:
            descriptors.append(
                Descriptor(level.group(1), level.group(2).strip(), body_line + offset)
            )
        elif _BULLET_RE.match(line):
            problems.append(
                Problem(
                    path,
                    body_line + offset,
                    "write each level as '- <level>: what it looks "
                    f"like', with a level from {', '.join(levels)}",
                )
            )
        elif descriptors and line.startswith((" ", "\t")) and line.strip():
            last = descriptors[-1]  # a descriptor continued on the next line
            descriptors[-1] = Descriptor(last.level, f"{last.text} {line.strip()}", last.line)
        elif not descriptors:
            description.append(line)
    if not title:
        problems.append(Problem(path, number, "criterion has no title"))
    if not "\n".join(description).strip():
        problems.append(
            Problem(path, number, f"'{title}' needs a description of what the observer looks for")
        )
    written = tuple(d.level for d in descriptors)
    if written != levels:
        missing = [level for level in levels if level not in written]
        unknown = [level for level in written if level not in levels]
        if unknown:
            line = next(d.line for d in descriptors if d.level == unknown[0])
            problems.append(
                Problem(
                    path, line, f"unknown level '{unknown[0]}': the levels are {', '.join(levels)}"
                )
            )
        elif missing:
            problems.append(
                Problem(
                    path,
                    number,
                    f"'{title}' does not describe level "
                    f"'{missing[0]}': describe every level, in order",
                )
            )
        else:
            problems.append(
                Problem(
                    path,
                    number,
                    f"'{title}' must describe each level once, in the order {', '.join(levels)}",
                )
            )
    for descriptor in descriptors:
        if not descriptor.text:
            problems.append(
                Problem(path, descriptor.line, f"level '{descriptor.level}' has no description")
            )
    return Criterion(key, title, number, "\n".join(description).strip("\n"), tuple(descriptors))
