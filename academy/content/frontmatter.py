"""Split a Markdown file into its YAML front matter and body, keeping line numbers.

PyYAML's composer gives every node a start mark, so each setting (and each
item of a list setting) can be reported at the line where it was written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from academy.content.problems import Problem

# libyaml when available: parsing ~150 small documents must stay well under a second.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

FENCE = "---"


@dataclass(frozen=True, slots=True)
class FrontMatter:
    """The settings of one file and where each was written."""

    data: dict[str, Any]
    key_lines: dict[str, int]  # setting name -> line of its key
    item_lines: dict[str, tuple[int, ...]]  # list setting -> line of each item
    body: str
    body_line: int  # line number of the body's first line
    problems: tuple[Problem, ...] = field(default=())
    readable: bool = True  # False when the settings could not be read at all

    def line(self, key: str, default: int = 1) -> int:
        return self.key_lines.get(key, default)


def parse(path: Path, text: str) -> FrontMatter:
    """Parse `text` (the contents of `path`); problems are returned, never raised."""
    text = text.removeprefix("\ufeff")
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != FENCE:
        return FrontMatter(
            {},
            {},
            {},
            text,
            1,
            readable=False,
            problems=(
                Problem(
                    path,
                    1,
                    "missing front matter: start the file with a '---' line, "
                    "the settings, then another '---' line",
                ),
            ),
        )
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() == FENCE), None)
    if end is None:
        return FrontMatter(
            {},
            {},
            {},
            "\n".join(lines[1:]),  # keep checking what follows, as if it were the body
            2,
            readable=False,
            problems=(
                Problem(path, 1, "front matter is not closed: add a '---' line after the settings"),
            ),
        )
    body = "\n".join(lines[end + 1 :])
    data, key_lines, item_lines, problems = _load_yaml(path, "\n".join(lines[1:end]), offset=2)
    readable = not problems or bool(key_lines)
    return FrontMatter(data, key_lines, item_lines, body, end + 2, tuple(problems), readable)


def _load_yaml(
    path: Path, source: str, offset: int
) -> tuple[dict[str, Any], dict[str, int], dict[str, tuple[int, ...]], list[Problem]]:
    problems: list[Problem] = []
    loader = _Loader(source)
    try:
        node = loader.get_single_node()
        if node is None:
            return {}, {}, {}, []
        if not isinstance(node, yaml.MappingNode):
            problems.append(
                Problem(
                    path,
                    node.start_mark.line + offset,
                    "front matter must be settings, one 'name: value' per line",
                )
            )
            return {}, {}, {}, problems
        key_lines: dict[str, int] = {}
        item_lines: dict[str, tuple[int, ...]] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + offset
            key = key_node.value
            if not isinstance(key_node, yaml.ScalarNode):
                problems.append(Problem(path, line, "a setting name must be a plain word"))
                continue
            if key in key_lines:
                problems.append(
                    Problem(path, line, f"'{key}' is set twice (first on line {key_lines[key]})")
                )
                continue
            key_lines[key] = line
            if isinstance(value_node, yaml.SequenceNode):
                item_lines[key] = tuple(n.start_mark.line + offset for n in value_node.value)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + offset if mark is not None else offset
        problems.append(Problem(path, line, _yaml_message(error)))
        return {}, {}, {}, problems
    except yaml.YAMLError as error:  # pragma: no cover - unmarked errors are rare
        problems.append(Problem(path, offset, f"front matter is not valid YAML: {error}"))
        return {}, {}, {}, problems
    finally:
        loader.dispose()
    # YAML allows non-string keys (`1: x`, `yes: x`); settings are always names.
    data = {str(k): v for k, v in data.items()}
    return data, key_lines, item_lines, problems


def _yaml_message(error: yaml.MarkedYAMLError) -> str:
    problem = (error.problem or error.context or "could not be read").strip()
    hint = ""
    if "mapping values are not allowed" in problem:
        hint = " (if a value contains ': ', put the whole value in quotes)"
    elif "found character '\\t'" in problem or "tab" in problem:
        hint = " (use spaces, not tabs)"
    return f"front matter is not valid YAML: {problem}{hint}"
