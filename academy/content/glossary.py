"""Parse a course's glossary.md: each `##` heading is a term, the text under it defines it."""

from __future__ import annotations

import re
from pathlib import Path

from academy.content.problems import Problem
from academy.content.scan import blank_code
from academy.content.slugs import SLUG_RE, slugify
from academy.content.tree import Term

_HEADING_RE = re.compile(r"^(#{1,6})[ \t]+(.*?)[ \t]*$")
_KEY_RE = re.compile(r"[ \t]*\{#([^}\s]*)\}$")


def parse_terms(path: Path, body: str, body_line: int) -> tuple[tuple[Term, ...], list[Problem]]:
    """The terms in the order written, and what is wrong with them.

    Terms are kept in alphabetical order by the writer, so that a member scanning
    the printed page finds one as in any dictionary; the check says where not.
    """
    problems: list[Problem] = []
    lines = blank_code(body).split("\n")
    raw = body.split("\n")
    starts: list[tuple[int, str, str]] = []  # (index, term, key)
    for index, line in enumerate(lines):
        match = _HEADING_RE.match(line)
        if not match:
            continue
        number = body_line + index
        if len(match.group(1)) != 2:
            problems.append(
                Problem(path, number, "a glossary uses '##' for each term, nothing else")
            )
            continue
        text = match.group(2)
        key_match = _KEY_RE.search(text)
        if key_match:
            key, text = key_match.group(1), text[: key_match.start()].strip()
            if not SLUG_RE.match(key):
                problems.append(
                    Problem(
                        path,
                        number,
                        f"term key '{key}' must use lower-case letters, digits and hyphens",
                    )
                )
        else:
            key = slugify(text)
        starts.append((index, text, key))
    if not starts and body.strip():
        problems.append(
            Problem(path, body_line, "the glossary has no terms: start each with '## '")
        )
    elif not starts:
        problems.append(Problem(path, body_line, "the glossary is empty: add '## Term' headings"))
    terms: list[Term] = []
    for position, (index, text, key) in enumerate(starts):
        end = starts[position + 1][0] if position + 1 < len(starts) else len(raw)
        definition = "\n".join(raw[index + 1 : end]).strip("\n")
        number = body_line + index
        if not text:
            problems.append(Problem(path, number, "term has no text"))
        if not definition.strip():
            problems.append(Problem(path, number, f"'{text}' has no definition under it"))
        terms.append(Term(key, text, number, definition, number + 1))
    seen: dict[str, Term] = {}
    for term in terms:
        if term.key in seen:
            problems.append(
                Problem(
                    path, term.line, f"'{term.term}' is also defined on line {seen[term.key].line}"
                )
            )
        seen.setdefault(term.key, term)
    for before, after in zip(terms, terms[1:], strict=False):
        if after.term.casefold() < before.term.casefold():
            problems.append(
                Problem(
                    path,
                    after.line,
                    f"'{after.term}' is out of alphabetical order: it comes before '{before.term}'",
                )
            )
    return tuple(terms), problems
