"""Reading, checking, rendering and syncing the Markdown curriculum (curriculum/README.md).

read_curriculum(root) -> Curriculum           reader.py: the tree, as frozen dataclasses
check(root) -> list[Problem]                  validate.py: every problem, sorted
render_markdown(text, resolve) -> Rendered    render.py: the one Markdown -> safe HTML
sync_path(root, session) -> SyncReport        sync.py: check, then load into the database
verify_curriculum(app)                        startup.py: refuse to start on a broken one
urls.lesson_url(course, lesson) …             urls.py: the URLs rendered HTML links to
image_path(root, module.source_path, name)    media.py: the file behind a media URL
"""

from academy.content.problems import CurriculumError, Problem
from academy.content.reader import read_curriculum
from academy.content.validate import check, validate

__all__ = ["CurriculumError", "Problem", "check", "read_curriculum", "validate"]
