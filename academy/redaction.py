"""Secrets in URLs stay out of the logs: access lines, the app's log, the job log.

Which URLs carry a secret is declared by route, next to the access rules
(`academy.access.SECRET_URL_ARGUMENTS`: confirmation, reset and e-mail-change
tokens, invitation and join links, certificate verification codes), whatever
the secret's length. `install(app)` turns those routes into patterns once per
process, and puts a filter on every logger that may write a URL:

- `academy` (the app's own log, e-mails written to the log included),
- `gunicorn.access` and `gunicorn.error` (access lines, JSON or plain),
- `werkzeug` (the development server's request lines),
- `rq.worker` and `rq.job` (the job log: RQ logs each job with its arguments).

The filter rewrites the finished message (and any traceback), so it does not
matter how a line was built. Besides the declared routes it redacts query
parameters that are secrets by name (`?token=…`, see
`academy.access.SECRET_QUERY_PARAMETERS`), a secret route inside another
parameter (`/login?next=%2Fjoin%2F…`), and, for paths no route knows, any
segment over 40 characters (a signed link of a route added without a
declaration).
"""

from __future__ import annotations

import logging
import re
from urllib.parse import quote, unquote

from flask import Flask

from academy.access import SECRET_QUERY_PARAMETERS, SECRET_URL_ARGUMENTS

REDACTED = "[redacted]"
_LONG_SEGMENT = re.compile(r"(?<=/)[^/?#\s\"']{41,}")
# A value in a path may be percent-encoded; it ends at the next separator or quote.
_VALUE = r"[^/?#&\s\"'<>\\\[\]]+"
_QUERY_PARAMETER = re.compile(
    r"(?P<lead>[?&](?:" + "|".join(sorted(SECRET_QUERY_PARAMETERS)) + r")=)(?P<value>[^&#\s\"']*)",
    re.IGNORECASE,
)
_NEXT_PARAMETER = re.compile(r"(?P<lead>[?&][A-Za-z_]+=)(?P<value>%2F[^&#\s\"']*)", re.IGNORECASE)
_patterns: list[re.Pattern] = []

LOGGERS = ("academy", "gunicorn.access", "gunicorn.error", "werkzeug", "rq.worker", "rq.job")


def _pattern_for(rule: str, secret: tuple[str, ...], siblings: list[str]) -> re.Pattern:
    """A pattern for one route, e.g. /verify/<path:code> -> /verify/(?!issuer\\.json)([^/?#…]+).

    `siblings` are other routes' static texts at the same place, which are not secrets
    (/verify/issuer.json beside /verify/<code>).
    """
    parts = re.split(r"<(?:[^:<>]+:)?([^<>]+)>", rule)
    regex = ""
    for index, part in enumerate(parts):
        if index % 2 == 0:
            regex += re.escape(part)
        elif part in secret:
            prefix = "".join(parts[:index])
            others = [
                _sibling(s[len(prefix) :])
                for s in siblings
                if s.startswith(prefix) and s[len(prefix) :][:1] not in ("", "<")
            ]
            guard = f"(?!{'|'.join(others)})" if others else ""
            regex += f"{guard}(?P<s{index}>{_VALUE})"
        else:
            regex += _VALUE
    return re.compile(regex)


def _sibling(rest: str) -> str:
    """What another route has where this one has its secret: a leaf (issuer.json), which
    must end there, or the start of a longer path (status/<number>)."""
    static = rest.split("<", 1)[0]
    if "<" in rest:
        return re.escape(static)
    return re.escape(static) + r"(?:[?#\s\"']|$)"


def patterns_for(app: Flask) -> list[re.Pattern]:
    rules = [rule for rule in app.url_map.iter_rules()]
    static = [rule.rule for rule in rules]
    found = []
    for rule in rules:
        secret = SECRET_URL_ARGUMENTS.get(rule.endpoint)
        if secret:
            siblings = [s for s in static if s != rule.rule]
            found.append(_pattern_for(rule.rule, secret, siblings))
    # Longer routes first, so /verify/<code>.json is matched before /verify/<code>.
    return sorted(found, key=lambda p: len(p.pattern), reverse=True)


def _redact_match(match: re.Match) -> str:
    text = match.group(0)
    start = match.start()
    for name, value in match.groupdict().items():
        if name.startswith("s") and value is not None:
            a, b = match.span(name)
            text = text[: a - start] + REDACTED + text[b - start :]
    return text


def redact(text: str) -> str:
    """`text` with every secret in a URL replaced by [redacted]."""
    if not text or "/" not in text and "=" not in text:
        return text
    for pattern in _patterns:
        text = pattern.sub(_redact_match, text)
    text = _QUERY_PARAMETER.sub(lambda m: m.group("lead") + REDACTED, text)
    text = _NEXT_PARAMETER.sub(_redact_encoded, text)
    return _LONG_SEGMENT.sub(REDACTED, text)


def _redact_encoded(match: re.Match) -> str:
    """A path of this site given as a parameter (?next=%2Fjoin%2F…): redacted as a path."""
    value = unquote(match.group("value"))
    cleaned = redact(value)
    if cleaned == value:
        return match.group(0)
    return match.group("lead") + quote(cleaned, safe="[]")


class RedactingFilter(logging.Filter):
    """Rewrites each record's message (and traceback) with secrets redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken record is logged as it is
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


_FILTER = RedactingFilter()


def install(app: Flask) -> None:
    """Learn this app's secret routes and filter every logger that may write a URL.

    The routes are the same for every app built from this code, so the patterns
    are kept per process (gunicorn's loggers have no app to ask).
    """
    global _patterns
    _patterns = patterns_for(app)
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
        for handler in logger.handlers:
            if _FILTER not in handler.filters:
                handler.addFilter(_FILTER)
