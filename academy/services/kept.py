"""Figures kept for a while in the shared cache (Redis in production, so that every
worker sees the same; in memory per process otherwise).

A cache that is down must never take a page with it: reading then finds nothing
and the caller counts afresh, and writing or forgetting only logs. The figures
kept here are counts a page could always work out itself (`staff_counts`,
`cohorts.summaries`), so losing them costs time, not correctness.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from academy.database import after_commit
from academy.extensions import cache

log = logging.getLogger("academy.kept")


def read(key: str) -> Any | None:
    """The value kept under `key`, or None (never kept, expired, or the cache is down)."""
    try:
        return cache.get(key)
    except Exception:
        log.warning("%s: the cache could not be read", key, exc_info=True)
        return None


def write(key: str, value: Any, seconds: int) -> None:
    """Keep `value` under `key` for `seconds` (0 or less: not at all)."""
    if seconds <= 0:
        return
    try:
        cache.set(key, value, timeout=seconds)
    except Exception:
        log.warning("%s: the cache could not be written", key, exc_info=True)


def forget(*keys: str) -> None:
    """Drop what is kept under `keys` (the next reader works it out afresh)."""
    if not keys:
        return
    try:
        cache.delete_many(*keys)
    except Exception:
        log.warning("%s: the cache could not be cleared", ", ".join(keys), exc_info=True)


def in_words(seconds: int) -> str | None:
    """How old a kept figure may be, for the page that shows it ("a minute"); None when
    figures are not kept at all."""
    if seconds <= 0:
        return None
    if seconds < 60:
        return f"{seconds} seconds"
    minutes = round(seconds / 60)
    return "a minute" if minutes == 1 else f"{minutes} minutes"


def forget_after_commit(name: str, changed: Callable[[Session], Iterable[str]]) -> None:
    """Forget the keys `changed` finds in what each flush writes, once it is committed.

    Noted before the flush (while the changes can still be seen) and acted on after the
    commit, not before: a figure worked out between the two would see the old data and
    be kept. A rollback of the whole transaction forgets nothing. Changes made by bulk
    statements, outside the unit of work, are not seen: they show when the figure
    expires.
    """
    noted = f"academy.kept.{name}"

    @event.listens_for(Session, "before_flush")
    def _note(session: Session, _context, _instances) -> None:
        keys = set(changed(session))
        if keys:
            session.info.setdefault(noted, set()).update(keys)

    after_commit(noted, lambda keys: forget(*sorted(keys)))
