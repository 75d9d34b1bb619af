"""The settings each kind of file accepts, their types and defaults.

`apply()` turns raw front matter into checked values: it reports every missing,
unknown or mistyped setting and falls back to the default, so that reading can
carry on and the check can report everything wrong at once.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
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
    kind: str  # text | int | number | bool | slugs | choice | texts | sources
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
    # "By the end of this lesson you will be able to …": shown above the lesson.
    Field("outcomes", "texts", required=True, default=(), minimum=2, maximum=5),
    # Where the lesson's facts come from and when each was last checked.
    Field("sources", "sources", default=()),
)
GUIDE = (
    Field("title", "text", default=None, nullable=True),
    Field("minutes", "int", required=True, default=0, minimum=90, maximum=120),
    Field("aims", "texts", required=True, default=(), minimum=2, maximum=5),
    Field("materials", "texts", required=True, default=(), minimum=1, maximum=30),
)
GLOSSARY = (Field("title", "text", default="Glossary"),)
RUBRIC = (
    Field("title", "text", required=True),
    Field("summary", "text", default="", allow_empty=True),
    Field("levels", "keys", required=True, default=(), minimum=2, maximum=6),
    Field("pass_level", "text", required=True, default=""),
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
                article = "an" if f.name[0] in "aeiou" else "a"
                problems.append(Problem(path, 1, f"{what} needs {article} '{f.name}' setting"))
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


def _texts(f: Field, raw: Any) -> tuple[Any, str | None]:
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list):
        return None, f"must be a list, one '- item' per line, not {_describe(raw)}"
    items = []
    for item in raw:
        if not isinstance(item, str) or not item.strip():
            return None, f"must list text items, not {_describe(item)} (put it in quotes)"
        items.append(" ".join(item.split()))
    error = _count_error(f, len(items))
    return tuple(items), error


def _count_error(f: Field, count: int) -> str | None:
    if f.minimum is not None and count < f.minimum:
        return f"needs at least {_num(f.minimum)} items, not {count}"
    if f.maximum is not None and count > f.maximum:
        return f"takes at most {_num(f.maximum)} items, not {count}"
    return None


@dataclass(frozen=True, slots=True)
class Source:
    """A source a lesson's facts were checked against, and when."""

    title: str
    url: str
    checked: date


SOURCE_KEYS = ("title", "url", "checked")


def _sources(f: Field, raw: Any) -> tuple[Any, str | None]:  # noqa: ARG001
    if not isinstance(raw, list):
        return None, f"must be a list of sources (title, url, checked), not {_describe(raw)}"
    found: list[Source] = []
    for number, item in enumerate(raw, start=1):
        if not isinstance(item, dict):
            return None, f"item {number} must have title, url and checked, not {_describe(item)}"
        unknown = sorted(set(map(str, item)) - set(SOURCE_KEYS))
        if unknown:
            return None, f"item {number} has an unknown setting '{unknown[0]}' (allowed: " + (
                ", ".join(SOURCE_KEYS) + ")"
            )
        title, url, checked = (item.get(key) for key in SOURCE_KEYS)
        if not isinstance(title, str) or not title.strip():
            return None, f"item {number} needs a 'title' (text, in quotes if it has a colon)"
        if not isinstance(url, str) or not url.startswith("https://") or " " in url:
            return None, f"item {number} needs a 'url' starting with https://"
        if not isinstance(checked, date) or isinstance(checked, datetime):
            return None, f"item {number} needs 'checked', the date it was checked (YYYY-MM-DD)"
        if checked > date.today():
            return None, f"item {number} was 'checked' on {checked.isoformat()}, in the future"
        found.append(Source(" ".join(title.split()), url, checked))
    return tuple(found), None


def _keys(f: Field, raw: Any) -> tuple[Any, str | None]:
    if not isinstance(raw, list):
        return None, f"must be a list like [not-yet, secure, strong], not {_describe(raw)}"
    for item in raw:
        if not isinstance(item, str) or not SLUG_RE.match(item):
            return None, (
                f"must list keys of lower-case letters, digits and hyphens, not {_describe(item)}"
            )
    if len(set(raw)) != len(raw):
        return None, "lists a key twice"
    return tuple(raw), _count_error(f, len(raw))


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
    "texts": _texts,
    "sources": _sources,
    "keys": _keys,
}
