"""Printable packs, cached in the database by content version.

A session pack (a module's guide with its handouts, for the trainer) and a member
workbook (a course's lessons with room for each task) are rendered on first
request and kept in `print_packs`, keyed by a hash of everything printed in them
(the content hashes, which change with the curriculum and RENDER_VERSION, and
PACK_VERSION). Any web process then serves the same bytes without rendering;
a changed guide or lesson makes a new version, rendered once.

The cache is written in a transaction of its own (`_keep`), the one write a GET
of a pack makes: it changes nothing anyone sees, only how fast the next one is.
"""

from __future__ import annotations

import hashlib
import logging

import sqlalchemy as sa
from markupsafe import escape
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Load, undefer_group

from academy.extensions import db
from academy.models import Course, Lesson, Module
from academy.models.guides import Guide, PackKind, PrintPack
from academy.packs.render import PACK_VERSION, Pack, Part, pack_renderer
from academy.timeutil import utcnow

log = logging.getLogger(__name__)


def _version(*parts: str) -> str:
    digest = hashlib.sha256(PACK_VERSION.encode())
    for part in parts:
        digest.update(b"\0" + part.encode())
    return digest.hexdigest()


def _cached(kind: PackKind, subject_id: int, version: str) -> bytes | None:
    return db.session.scalar(
        sa.select(PrintPack.pdf).where(
            PrintPack.kind == kind, PrintPack.subject_id == subject_id, PrintPack.version == version
        )
    )


def _keep(kind: PackKind, subject_id: int, version: str, pdf: bytes) -> None:
    """Store a rendered pack in a transaction of its own (what the request read so far
    is dropped: nothing of it is written). The cache is best effort: a twin stored by
    a racing request, or a busy database, leaves the pack to be rendered again."""
    try:
        db.session.rollback()
        db.session.execute(
            sa.insert(PrintPack).values(
                kind=kind.value,
                subject_id=subject_id,
                version=version,
                pdf=pdf,
                size=len(pdf),
                created_at=utcnow(),
            )
        )
        db.session.commit()
    except (IntegrityError, OperationalError):
        db.session.rollback()
        log.info("%s pack %s v%s not stored: kept already or busy", kind, subject_id, version[:8])


def _get_or_render(kind: PackKind, subject_id: int, version: str, build) -> bytes:
    pdf = _cached(kind, subject_id, version)
    if pdf is None:
        pdf = pack_renderer().render(build())
        _keep(kind, subject_id, version, pdf)
    return pdf


def session_pack(course: Course, module: Module, guide: Guide) -> bytes:
    """The trainer's pack for one module's session: aims, materials, the guide, handouts."""
    version = _version(guide.content_hash, module.title, course.title)

    def build() -> Pack:
        aims = "".join(f"<li>{aim}</li>" for aim in guide.aims)
        materials = "".join(f"<li>{item}</li>" for item in guide.materials)
        overview = (
            f"<p>A live session of {guide.minutes} minutes for the module "
            f"<strong>{escape(module.title)}</strong> of {escape(course.title)}.</p>"
            f"<h2 id='aims'>Aims</h2><ul>{aims}</ul>"
            + (f"<h2 id='materials'>Materials</h2><ul>{materials}</ul>" if materials else "")
        )
        contents = [(entry["id"], entry["name"]) for entry in guide.toc if entry.get("level") == 2]
        return Pack(
            kind=PackKind.SESSION.value,
            title=module.title,
            subtitle=f"Session pack: {course.title}",
            audience="For trainers. Not for members: the guide includes the answers.",
            parts=[
                Part("overview", "The session at a glance", overview),
                Part("guide", guide.title, guide.body_html),
            ],
            extra_contents=contents,
        )

    return _get_or_render(PackKind.SESSION, module.id, version, build)


def workbook(course: Course) -> bytes:
    """The members' workbook: every lesson of the course, with room for each task."""
    lessons = list(
        db.session.scalars(
            sa.select(Lesson)
            .join(Module, Module.id == Lesson.module_id)
            .options(undefer_group("body"))
            .where(Lesson.course_id == course.id, Lesson.retired_at.is_(None))
            .order_by(Module.position, Lesson.position)
        )
    )
    titles = {module.id: module.title for module in course.modules}
    version = _version(
        course.content_hash,
        *(f"{lesson.content_hash}:{titles.get(lesson.module_id, '')}" for lesson in lessons),
    )

    def build() -> Pack:
        return Pack(
            kind=PackKind.WORKBOOK.value,
            title=course.title,
            subtitle="Workbook",
            audience=(
                "For members taking the course in person or offline. Write your answers to "
                "each \u201cYour turn\u201d task in the space after it."
            ),
            parts=[
                Part(
                    f"lesson-{lesson.slug}",
                    lesson.title,
                    lesson.body_html,
                    kicker=titles.get(lesson.module_id, ""),
                )
                for lesson in lessons
            ],
        )

    return _get_or_render(PackKind.WORKBOOK, course.id, version, build)


def warm_session_packs() -> tuple[int, int]:
    """Render every current guide's session pack that is not cached yet (after a
    curriculum release, so that no trainer waits for the first render).
    Returns (rendered, already cached)."""
    rows = db.session.execute(
        sa.select(Course, Module, Guide)
        .join(Module, Module.course_id == Course.id)
        .join(Guide, Guide.module_id == Module.id)
        .options(Load(Guide).undefer_group("body"))
        .where(Course.retired_at.is_(None), Module.retired_at.is_(None), Guide.retired_at.is_(None))
        .order_by(Course.position, Module.position)
    ).all()
    work = [(course.id, module.id, guide.id) for course, module, guide in rows]
    rendered = cached = 0
    for course_id, module_id, guide_id in work:
        # Reloaded each time: storing a pack commits, which expires what was loaded.
        course = db.session.get(Course, course_id)
        module = db.session.get(Module, module_id)
        guide = db.session.get(Guide, guide_id, options=[undefer_group("body")])
        version = _version(guide.content_hash, module.title, course.title)
        if _cached(PackKind.SESSION, module_id, version) is not None:
            cached += 1
            continue
        session_pack(course, module, guide)
        rendered += 1
    return rendered, cached
