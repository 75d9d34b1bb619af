"""Resolve a link written in a curriculum file to the URL it will have on the site.

The check and the renderer both use `LinkIndex.resolve`, so a link that passes
the check is exactly a link that renders.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from academy.content import urls
from academy.content.reader import IMAGES_DIR
from academy.content.tree import Curriculum

ALLOWED_SCHEMES = frozenset({"http", "https", "mailto"})
_SCHEME_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")


@dataclass(frozen=True, slots=True)
class Resolved:
    url: str | None  # None when the link is broken
    error: str | None = None


@dataclass(frozen=True, slots=True)
class LinkIndex:
    pages: dict[Path, str]  # lesson, quiz, course.md, module.md -> URL
    images: dict[Path, str]  # images/<file> -> URL

    @classmethod
    def build(cls, curriculum: Curriculum) -> LinkIndex:
        pages: dict[Path, str] = {}
        images: dict[Path, str] = {}
        for course in curriculum.courses:
            if course.file.is_file():
                pages[course.file] = urls.course_url(course.slug)
            for module in course.modules:
                if module.file.is_file():
                    pages[module.file] = urls.module_url(course.slug, module.slug)
                if module.quiz is not None:
                    pages[module.quiz.path] = urls.quiz_url(course.slug, module.slug)
                for lesson in module.lessons:
                    pages[lesson.path] = urls.lesson_url(course.slug, lesson.slug)
                for name in module.images:
                    images[module.path / IMAGES_DIR / name] = urls.media_url(
                        course.slug, module.slug, name
                    )
        return cls(pages, images)

    def resolve(self, source: Path, target: str, *, image: bool = False) -> Resolved:
        """The site URL for `target` as written in `source`, or why it is broken."""
        target = target.strip()
        if not target:
            return Resolved(None, "link has no address")
        scheme = _SCHEME_RE.match(target)
        if scheme:
            if scheme.group(1).lower() not in ALLOWED_SCHEMES:
                return Resolved(
                    None, f"links may only use http, https or mailto, not '{scheme.group(1)}:'"
                )
            if image:
                return Resolved(
                    None, "images must be in the module's images/ folder, not on another site"
                )
            return Resolved(target)
        if target.startswith("//"):
            return Resolved(None, "write the full address, starting with https://")
        if target.startswith("#") or target.startswith("/"):
            return Resolved(target)  # a section of this page, or a page of the site
        path_part, sep, fragment = target.partition("#")
        path_part = path_part.split("?", 1)[0]
        resolved = Path(os.path.normpath(source.parent / unquote(path_part)))
        suffix = f"#{fragment}" if sep else ""
        if image:
            url = self.images.get(resolved)
            if url is not None:
                return Resolved(url)
            if resolved.exists() and resolved.parent.name != IMAGES_DIR:
                return Resolved(None, f"image '{target}' must be in the module's images/ folder")
            return Resolved(None, f"missing image '{target}'")
        url = self.pages.get(resolved) or self.images.get(resolved)
        if url is not None:
            if "#" in url and suffix:  # a module is already a section of its course page
                return Resolved(url)
            return Resolved(url + suffix)
        if resolved.exists():
            return Resolved(
                None,
                f"'{target}' is not a lesson, quiz, course.md, module.md or image: "
                "links can only point to those",
            )
        return Resolved(None, f"broken link: '{target}' does not exist")
