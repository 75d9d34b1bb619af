"""Slugs: the permanent, URL-safe names of courses, modules, lessons and questions."""

from __future__ import annotations

import re
import unicodedata

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
NUMBERED_RE = re.compile(r"^(\d+)-(.*)$")
MAX_KEY_LENGTH = 60


def slugify(text: str, max_length: int = MAX_KEY_LENGTH) -> str:
    """Lower-case ASCII words joined by hyphens, cut at a word boundary."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > max_length:
            break
        slug = candidate
    return slug or (words[0][:max_length] if words else "")


def split_numbered(name: str) -> tuple[int, str] | None:
    """`"02-phone-banking"` -> `(2, "phone-banking")`; None without a number in front."""
    match = NUMBERED_RE.match(name)
    if match is None:
        return None
    return int(match.group(1)), match.group(2)
