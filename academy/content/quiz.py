"""Parse the body of a quiz.md: `##` questions with task-list options or `=` answers.

    ## Question text {#optional-stable-key}
    A scenario paragraph (optional).
    - [ ] wrong option
      > feedback on this option
    - [x] correct option
      > feedback on this option
    > feedback on the whole question (optional)

A short-answer question has `= answer` lines instead of options. A question
with several correct options must say "all that apply": the member has to be
told, and a widget that changed with the number of correct options would give
the answer away.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from academy.answers import normalise_answer
from academy.content.problems import Problem
from academy.content.slugs import SLUG_RE, slugify
from academy.content.tree import Option, Question, QuestionKind

_QUESTION_RE = re.compile(r"^(#{1,6})(?:[ \t]+(.*?))?[ \t]*$")
_KEY_RE = re.compile(r"[ \t]*\{#([^}\s]*)\}$")
_OPTION_RE = re.compile(r"^[-*+][ \t]+\[([ xX])\](?:[ \t]+(.*))?$")
_BAD_BOX_RE = re.compile(r"^[-*+][ \t]*\[([^\]]{0,3})\]")
_BULLET_RE = re.compile(r"^[-*+][ \t]+\S")
_ANSWER_RE = re.compile(r"^=[ \t]*(.*?)[ \t]*$")
_QUOTE_RE = re.compile(r"^>[ \t]?(.*)$")
_FENCE_RE = re.compile(r"^[ \t]*(`{3,}|~{3,})")
ALL_THAT_APPLY_RE = re.compile(r"\ball\s+that\s+apply\b", re.IGNORECASE)
OPTION_KEYS = "abcdefghijklmnopqrstuvwxyz"


@dataclass
class _Option:
    text: list[str]
    correct: bool
    line: int
    feedback: list[str] = field(default_factory=list)
    feedback_line: int = 0


@dataclass
class _Question:
    line: int
    prompt: str
    explicit_key: str | None
    body: list[str] = field(default_factory=list)
    options: list[_Option] = field(default_factory=list)
    answers: list[tuple[str, int]] = field(default_factory=list)
    feedback: list[str] = field(default_factory=list)
    feedback_line: int = 0
    source: list[str] = field(default_factory=list)
    started: bool = False  # past the scenario: options, answers or feedback seen


@dataclass(frozen=True, slots=True)
class ParsedQuiz:
    intro: str
    intro_line: int
    questions: tuple[Question, ...]
    problems: tuple[Problem, ...]


def parse_quiz(path: Path, body: str, body_line: int) -> ParsedQuiz:
    """Questions and every problem with them; a broken question is reported and skipped."""
    problems: list[Problem] = []
    intro: list[str] = []
    raw: list[_Question] = []
    fence: str | None = None
    for offset, line in enumerate(body.split("\n")):
        number = body_line + offset
        fence_match = _FENCE_RE.match(line)
        if fence is not None or fence_match:
            if fence is None:
                fence = fence_match.group(1)[0]
            elif fence_match and fence_match.group(1)[0] == fence:
                fence = None
            _add_text(raw, intro, line)
            continue
        heading = _QUESTION_RE.match(line)
        if heading:
            level = len(heading.group(1))
            if level == 2:
                raw.append(_start_question(path, number, heading.group(2) or "", problems))
                continue
            if level == 1:
                problems.append(
                    Problem(path, number, "use '##' for each question ('#' is not used in a quiz)")
                )
                continue
        if not raw:
            intro.append(line)
            continue
        _question_line(path, raw[-1], line, number, problems)
    questions = _finish(path, raw, problems)
    if not questions and not any(p.path == path for p in problems):
        problems.append(
            Problem(path, body_line, "the quiz has no questions: start each one with '## '")
        )
    return ParsedQuiz("\n".join(intro).strip("\n"), body_line, questions, tuple(problems))


def _add_text(raw: list[_Question], intro: list[str], line: str) -> None:
    """A line inside a fenced code block: part of the intro, the scenario or the feedback."""
    if not raw:
        intro.append(line)
        return
    q = raw[-1]
    q.source.append(line)
    if not q.started:
        q.body.append(line)
    elif q.options:
        q.options[-1].feedback.append(line)
    else:
        q.feedback.append(line)


def _start_question(path: Path, number: int, text: str, problems: list[Problem]) -> _Question:
    key = None
    match = _KEY_RE.search(text)
    if match:
        key = match.group(1)
        text = text[: match.start()]
        if not SLUG_RE.match(key):
            problems.append(
                Problem(
                    path,
                    number,
                    f"question key '{{#{key}}}' must use lower-case letters, digits and hyphens",
                )
            )
            key = None
    text = text.strip()
    if not text:
        problems.append(Problem(path, number, "question has no text after '##'"))
    return _Question(line=number, prompt=text, explicit_key=key, source=[f"## {text}"])


def _question_line(
    path: Path, q: _Question, line: str, number: int, problems: list[Problem]
) -> None:
    q.source.append(line)
    stripped = line.strip()
    indented = line[:1] in (" ", "\t")
    option = _OPTION_RE.match(line)
    if option:
        q.started = True
        text = (option.group(2) or "").strip()
        if not text:
            problems.append(Problem(path, number, "option has no text"))
        q.options.append(_Option([text], option.group(1) in "xX", number))
        return
    bad_box = _BAD_BOX_RE.match(line)
    if bad_box and not indented:
        problems.append(
            Problem(
                path,
                number,
                f"option box '[{bad_box.group(1)}]' is not understood: write '[ ]' for a wrong "
                "option or '[x]' for a correct one, with a space after the '-'",
            )
        )
        q.started = True
        return
    answer = _ANSWER_RE.match(line)
    if answer:
        q.started = True
        if not answer.group(1):
            problems.append(Problem(path, number, "accepted answer after '=' is empty"))
        else:
            q.answers.append((answer.group(1), number))
        return
    if indented and q.options and stripped:
        current = q.options[-1]
        quote = _QUOTE_RE.match(stripped)
        if quote:
            if not current.feedback:
                current.feedback_line = number
            current.feedback.append(quote.group(1))
        elif current.feedback:  # a lazy continuation of the feedback
            current.feedback.append(stripped)
        else:  # the option's text wraps onto this line
            current.text.append(stripped)
        return
    quote = _QUOTE_RE.match(line)
    if quote and q.started:
        if not q.feedback:
            q.feedback_line = number
        q.feedback.append(quote.group(1))
        return
    if not stripped:
        if q.started and q.options and q.options[-1].feedback:
            q.options[-1].feedback.append("")
        elif not q.started:
            q.body.append(line)
        return
    if q.started:
        if _BULLET_RE.match(line):
            message = (
                "option needs a box: write '- [ ] text' for a wrong option, "
                "'- [x] text' for a correct one"
            )
        else:
            message = (
                "unexpected text after the options: indent feedback under an option "
                "('  > …'), or start a new question with '## '"
            )
        problems.append(Problem(path, number, message))
        return
    q.body.append(line)


def _finish(path: Path, raw: list[_Question], problems: list[Problem]) -> tuple[Question, ...]:
    questions: list[Question] = []
    used: dict[str, int] = {}
    for q in raw:
        key = q.explicit_key or slugify(q.prompt) or f"question-{len(questions) + 1}"
        if q.explicit_key and key in used:
            problems.append(
                Problem(path, q.line, f"question key '{key}' is also used on line {used[key]}")
            )
            continue
        if not q.explicit_key:
            base, n = key, 2
            while key in used:
                key, n = f"{base}-{n}", n + 1
        used[key] = q.line
        kind = _kind(path, q, problems)
        if kind is None:
            continue
        options = tuple(
            Option(
                key=OPTION_KEYS[i] if i < len(OPTION_KEYS) else str(i),
                text=" ".join(o.text),
                correct=o.correct,
                feedback="\n".join(o.feedback).strip("\n"),
                line=o.line,
                feedback_line=o.feedback_line or o.line,
            )
            for i, o in enumerate(q.options)
        )
        body_start = next((i for i, text in enumerate(q.body) if text.strip()), 0)
        questions.append(
            Question(
                key=key,
                line=q.line,
                prompt=q.prompt,
                body="\n".join(q.body[body_start:]).strip("\n"),
                body_line=q.line + 1 + body_start,
                kind=kind,
                options=options,
                answers=tuple(text for text, _ in q.answers),
                answer_lines=tuple(line for _, line in q.answers),
                feedback="\n".join(q.feedback).strip("\n"),
                feedback_line=q.feedback_line or q.line,
                source="\n".join(q.source).strip("\n"),
            )
        )
    return tuple(questions)


def _kind(path: Path, q: _Question, problems: list[Problem]) -> QuestionKind | None:
    """The question's kind, or None (with problems) if it cannot be marked."""
    before = len(problems)
    if q.options and q.answers:
        problems.append(
            Problem(
                path,
                q.answers[0][1],
                "a question has either options ('- [ ]') or accepted answers ('= '), not both",
            )
        )
        return None
    if q.answers:
        seen: dict[str, int] = {}
        for text, line in q.answers:
            norm = normalise_answer(text)
            if norm in seen:
                problems.append(
                    Problem(path, line, f"accepted answer '{text}' repeats line {seen[norm]}")
                )
            seen.setdefault(norm, line)
        return "short" if len(problems) == before else None
    if not q.options:
        problems.append(
            Problem(
                path,
                q.line,
                "question has no options ('- [ ] text', '- [x] text') "
                "and no accepted answers ('= answer')",
            )
        )
        return None
    correct = [o for o in q.options if o.correct]
    multiple = bool(ALL_THAT_APPLY_RE.search(q.prompt + "\n" + "\n".join(q.body)))
    if len(q.options) < 2:
        problems.append(Problem(path, q.line, "question needs at least two options"))
    if len(q.options) > len(OPTION_KEYS):
        problems.append(Problem(path, q.line, f"question has more than {len(OPTION_KEYS)} options"))
    if not correct:
        problems.append(
            Problem(path, q.line, "question has no correct option: mark the right one with '[x]'")
        )
    elif len(correct) > 1 and not multiple:
        lines = ", ".join(str(o.line) for o in correct)
        problems.append(
            Problem(
                path,
                q.line,
                f"single-choice question has {len(correct)} correct options (lines {lines}): "
                "mark only one with '[x]', or add 'Choose all that apply.' to the question",
            )
        )
    seen_text: dict[str, int] = {}
    for o in q.options:
        norm = normalise_answer(" ".join(o.text))
        if norm and norm in seen_text:
            problems.append(Problem(path, o.line, f"option repeats line {seen_text[norm]}"))
        seen_text.setdefault(norm, o.line)
    if len(problems) != before:
        return None
    # Feedback is how a retry becomes learning rather than guessing; its absence does not
    # stop the question being marked, so it is reported without dropping the question.
    for o in q.options:
        if not any(line.strip() for line in o.feedback):
            problems.append(
                Problem(
                    path,
                    o.line,
                    "option has no feedback: add an indented '  > ' line under it "
                    "saying why it is right or wrong",
                )
            )
    return "multiple" if multiple else "single"
