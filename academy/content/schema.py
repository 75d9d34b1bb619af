"""The settings each kind of file accepts, their types and defaults.

`apply()` turns raw front matter into checked values: it reports every missing,
unknown or mistyped setting and falls back to the default, so that reading can
carry on and the check can report everything wrong at once.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from academy.content.frontmatter import FrontMatter
from academy.content.problems import Problem
from academy.content.slugs import SLUG_RE

LEVELS = ("foundation", "intermediate", "advanced")
REVIEW_MODES = ("after-pass", "always", "never")


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    kind: str  # text | int | number | bool | slugs | choice
    required: bool = False
    default: Any = None
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    allow_empty: bool = False
    nullable: bool = False


COURSE = (
    Field("title", "text", required=True),
    Field("summary", "text", required=True),
    Field("level", "choice", required=True, default="foundation", choices=LEVELS),
    Field("credit_hours", "number", required=True, default=0, minimum=0.5, maximum=1000),
    Field("pass_mark", "int", default=70, minimum=1, maximum=100),
    Field("prerequisites", "slugs", default=()),
    Field("accredited", "bool", default=False),
    Field("audience", "text", default="", allow_empty=True),
    Field("validity_months", "int", default=None, minimum=1, maximum=240, nullable=True),
)
MODULE = (
    Field("title", "text", required=True),
    Field("summary", "text", default="", allow_empty=True),
)
LESSON = (
    Field("title", "text", required=True),
    Field("minutes", "int", required=True, default=0, minimum=1, maximum=600),
)
QUIZ = (
    Field("title", "text", default=None, nullable=True),
    Field("pass_mark", "int", default=None, minimum=1, maximum=100, nullable=True),
    Field("max_attempts", "int", default=3, minimum=0, maximum=100),
    Field("shuffle", "bool", default=False),
    Field("draw", "int", default=None, minimum=1, maximum=1000, nullable=True),
    Field("review", "choice", default="after-pass", choices=REVIEW_MODES),
)


def apply(
    fields: tuple[Field, ...], front: FrontMatter, path: Path, what: str
) -> tuple[dict[str, Any], list[Problem]]:
    """Checked values for every field (defaults where missing or wrong) and the problems."""
    problems: list[Problem] = []
    values: dict[str, Any] = {}
    known = {f.name: f for f in fields}
    for key, line in front.key_lines.items():
        if key not in known:
            problems.append(Problem(path, line, _unknown_message(key, known, what)))
    for f in fields:
        line = front.line(f.name)
        if f.name not in front.data:
            if f.required and front.readable:
                problems.append(Problem(path, 1, f"{what} needs a '{f.name}' setting"))
            values[f.name] = f.default
            continue
        raw = front.data[f.name]
        if raw is None and f.nullable:
            values[f.name] = None
            continue
        value, error = _CHECKS[f.kind](f, raw)
        if error is None and f.kind == "slugs":
            error, line = _check_slug_items(value, front.item_lines.get(f.name), line)
        if error is not None:
            problems.append(Problem(path, line, f"'{f.name}' {error}"))
            value = f.default
        values[f.name] = value
    return values, problems


def _unknown_message(key: str, known: dict[str, Field], what: str) -> str:
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    if close:
        return f"unknown setting '{key}': did you mean '{close[0]}'?"
    return f"unknown setting '{key}' for a {what} (allowed: {', '.join(known)})"


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"yes/no ({str(value).lower()})"
    if isinstance(value, str):
        return f"'{value}'"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a group of settings"
    if isinstance(value, date):
        return f"the date {value.isoformat()}"
    if value is None:
        return "empty"
    return type(value).__name__  # pragma: no cover


def _text(f: Field, raw: Any) -> tuple[Any, str | None]:
    if not isinstance(raw, str):
        return None, f"must be text, not {_describe(raw)} (put it in quotes)"
    value = " ".join(raw.split())
    if not value and not f.allow_empty:
        return None, "is empty"
    return value, None


def _in_range(f: Field, value: float) -> str | None:
    if f.minimum is not None and value < f.minimum:
        return f"must be at least {_num(f.minimum)}, not {_num(value)}"
    if f.maximum is not None and value > f.maximum:
        return f"must be at most {_num(f.maximum)}, not {_num(value)}"
    return None


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _int(f: Field, raw: Any) -> tuple[Any, str | None]:
    if isinstance(raw, bool) or not isinstance(raw, int):
        return None, f"must be a whole number, not {_describe(raw)}"
    return raw, _in_range(f, raw)


def _number(f: Field, raw: Any) -> tuple[Any, str | None]:
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        return None, f"must be a number, not {_describe(raw)}"
    return raw, _in_range(f, raw)


def _bool(f: Field, raw: Any) -> tuple[Any, str | None]:  # noqa: ARG001
    if not isinstance(raw, bool):
        return None, f"must be true or false, not {_describe(raw)}"
    return raw, None


def _choice(f: Field, raw: Any) -> tuple[Any, str | None]:
    if not isinstance(raw, str) or raw not in f.choices:
        return None, f"must be one of {', '.join(f.choices)}, not {_describe(raw)}"
    return raw, None


def _slugs(f: Field, raw: Any) -> tuple[Any, str | None]:  # noqa: ARG001
    if isinstance(raw, str):  # `prerequisites: organising` means a list of one
        raw = [raw]
    if not isinstance(raw, list):
        return None, f"must be a list of course slugs like [organising], not {_describe(raw)}"
    return tuple(raw), None


def _check_slug_items(
    items: tuple[Any, ...], lines: tuple[int, ...] | None, key_line: int
) -> tuple[str | None, int]:
    for index, item in enumerate(items):
        if not isinstance(item, str) or not SLUG_RE.match(item):
            line = lines[index] if lines and index < len(lines) else key_line
            return f"must list course slugs (folder names), not {_describe(item)}", line
    return None, key_line


_CHECKS: dict[str, Callable[[Field, Any], tuple[Any, str | None]]] = {
    "text": _text,
    "int": _int,
    "number": _number,
    "bool": _bool,
    "choice": _choice,
    "slugs": _slugs,
}
