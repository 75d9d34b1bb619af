"""Finding a lesson image on disk for the media route.

Rendered lessons link images as /courses/<course>/media/<module>/<filename>
(see urls.media_url). The route looks up the current Module by its slugs and
sends `image_path(root, module.source_path, filename)`, or 404s on None.
"""

from __future__ import annotations

from pathlib import Path

from academy.content.reader import IMAGE_EXTENSIONS, IMAGE_NAME_CHARS, IMAGES_DIR


def image_path(root: Path, module_source_path: str, filename: str) -> Path | None:
    """The image file to send, or None if the name is not a plain image name or is missing.

    Only plain names the check accepts are served, so no `..`, no folders, no hidden files.
    """
    if (
        not filename
        or filename.startswith(".")
        or not set(filename) <= IMAGE_NAME_CHARS
        or Path(filename).suffix.lower() not in IMAGE_EXTENSIONS
    ):
        return None
    folder = Path(root) / module_source_path / IMAGES_DIR
    path = folder / filename
    return path if path.is_file() else None
