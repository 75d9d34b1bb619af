"""Load a checked curriculum into the database, keyed by slug.

Each row carries a content hash (the source text, where it sits, and
RENDER_VERSION); HTML is rendered only when the hash changes, and a field is
written only when its value changes, so re-running with nothing changed
writes nothing. Rows are never deleted: an item that has left the curriculum
is retired (`retired_at`) so that progress and attempts keep their history,
and comes back to life, with the same id, if it returns.

The caller owns the transaction: this flushes, and the caller commits (or rolls
back on `CurriculumError`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy import select, update
from sqlalchemy.orm import Session, raiseload

from academy.answers import normalise_answer
from academy.content.links import LinkIndex
from academy.content.pages import glossary_page, guide_page, lesson_page
from academy.content.problems import CurriculumError, Problem
from academy.content.reader import read_curriculum
from academy.content.render import RENDER_VERSION, Rendered, render_markdown, unwrap_paragraph
from academy.content.tree import (
    Course,
    Curriculum,
    Glossary,
    Guide,
    Module,
    Question,
    Quiz,
    Rubric,
)
from academy.content.validate import validate
from academy.models import content as models
from academy.models import guides as guide_models
from academy.timeutil import utcnow


@dataclass
class SyncReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    restored: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    unchanged: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.restored or self.retired)

    def summary(self) -> str:
        return (
            f"{len(self.created)} created, {len(self.updated)} updated, "
            f"{len(self.restored)} restored, {len(self.retired)} retired, "
            f"{self.unchanged} unchanged"
        )


def content_hash(*parts: str) -> str:
    digest = hashlib.sha256(RENDER_VERSION.encode())
    for part in parts:
        digest.update(b"\0")
        digest.update(part.encode())
    return digest.hexdigest()


def sync_app_curriculum(app: Flask) -> SyncReport:
    """Check and sync the app's configured curriculum in its session (the caller commits).

    Reuses the current app context if it is this app's: a second context would mean a
    second session, which on SQLite waits for the first one's write lock.
    """
    from academy.extensions import db

    root = Path(app.config["ACADEMY_CURRICULUM_DIR"])
    if has_app_context() and current_app._get_current_object() is app:  # type: ignore[attr-defined]
        return sync_path(root, db.session)
    with app.app_context():
        return sync_path(root, db.session)


def sync_path(root: Path, session: Session, *, now: datetime | None = None) -> SyncReport:
    """Check the curriculum under `root` and sync it; `CurriculumError` if the check fails."""
    curriculum = read_curriculum(root)
    problems = validate(curriculum)
    if problems:
        raise CurriculumError(problems, root=curriculum.root)
    return sync_curriculum(curriculum, session, now=now)


def sync_curriculum(
    curriculum: Curriculum, session: Session, *, now: datetime | None = None
) -> SyncReport:
    """Bring the database in line with `curriculum` (which must pass the check)."""
    return _Sync(curriculum, session, now or utcnow()).run()


# Set on the session by a sync that changed the curriculum: when it commits, this
# process forgets its course outlines (services/learning/outline.py).
SYNCED = "academy.curriculum.synced"


def _bump_version(session: Session, now: datetime) -> None:
    """Tell every process that its in-memory course outlines are out of date."""
    bumped = session.execute(
        update(models.CurriculumVersion)
        .where(models.CurriculumVersion.id == 1)
        .values(version=models.CurriculumVersion.version + 1, changed_at=now)
    ).rowcount
    if not bumped:
        session.add(models.CurriculumVersion(id=1, version=1, changed_at=now))
    session.flush()
    # This process's own outlines go once the sync commits; other processes see the
    # new version within CURRICULUM_CHECK_SECONDS.
    session.info[SYNCED] = True


class _Sync:
    def __init__(self, curriculum: Curriculum, session: Session, now: datetime) -> None:
        self.curriculum = curriculum
        self.session = session
        self.now = now
        self.index = LinkIndex.build(curriculum)
        self.report = SyncReport()
        self.unresolved: list[Problem] = []

        def load(model: type) -> list[Any]:
            return list(session.scalars(select(model).options(raiseload("*"))))

        # The whole curriculum is a few hundred rows: load it once rather than per item.
        self.courses = {c.slug: c for c in load(models.Course)}
        self.modules = {(m.course_id, m.slug): m for m in load(models.Module)}
        self.lessons = {(lesson.course_id, lesson.slug): lesson for lesson in load(models.Lesson)}
        self.quizzes = {q.module_id: q for q in load(models.Quiz)}
        self.questions = {(q.quiz_id, q.key): q for q in load(models.Question)}
        self.guides = {g.module_id: g for g in load(guide_models.Guide)}
        self.rubrics = {r.course_id: r for r in load(guide_models.Rubric)}
        self.seen: set[int] = set()  # id() of every row still in the curriculum

    def run(self) -> SyncReport:
        for position, course in enumerate(_in_prerequisite_order(self.curriculum.courses), 1):
            self._course(course, position)
        if self.unresolved:  # the check should have caught these: refuse to store them
            raise CurriculumError(self.unresolved, root=self.curriculum.root)
        for rows in (
            self.courses,
            self.modules,
            self.lessons,
            self.quizzes,
            self.questions,
            self.guides,
            self.rubrics,
        ):
            for row in rows.values():
                if id(row) not in self.seen and row.retired_at is None:
                    row.retired_at = self.now
                    self.report.retired.append(self._retired_label(row))
        self.session.flush()
        if self.report.changed:
            _bump_version(self.session, self.now)
        return self.report

    # -- one method per kind of row ------------------------------------------------------

    def _course(self, course: Course, position: int) -> None:
        row = self.courses.get(course.slug)
        values: dict[str, Any] = {
            "title": course.title,
            "summary": course.summary,
            "level": course.level,
            "credit_hours": course.credit_hours,
            "pass_mark": course.pass_mark,
            "accredited": course.accredited,
            "audience": course.audience,
            "validity_months": course.validity_months,
            "prerequisites": list(course.prerequisites),
            "position": position,
            "total_minutes": course.total_minutes,
        }
        glossary = course.glossary
        digest = content_hash(
            "course", course.slug, course.source, glossary.source if glossary else ""
        )
        if row is None or row.content_hash != digest:
            values["intro_html"] = self._render(course.file, course.body)
            values["glossary_html"] = (
                self._glossary_html(glossary) if glossary is not None and glossary.terms else ""
            )
            values["content_hash"] = digest
        row, changed = self._upsert(
            models.Course, self.courses, course.slug, {"slug": course.slug}, values, course.slug
        )
        if row.id is None:
            row.synced_at = self.now
            self.session.flush()  # its id is needed by the modules
        for module_position, module in enumerate(course.modules, 1):
            changed |= self._module(course, row, module, module_position)
        if course.rubric is not None:
            changed |= self._rubric(course, row, course.rubric)
        if changed:
            row.synced_at = self.now

    def _module(
        self, course: Course, course_row: models.Course, module: Module, position: int
    ) -> bool:
        digest = content_hash("module", course.slug, module.slug, module.source)
        key = (course_row.id, module.slug)
        row = self.modules.get(key)
        values: dict[str, Any] = {
            "title": module.title,
            "summary": module.summary,
            "position": position,
            "source_path": self._relative(module.path),
        }
        if row is None or row.content_hash != digest:
            values["intro_html"] = self._render(module.file, module.body)
            values["content_hash"] = digest
        row, changed = self._upsert(
            models.Module,
            self.modules,
            key,
            {"course_id": course_row.id, "slug": module.slug},
            values,
            f"{course.slug}/{module.slug}",
        )
        if row.id is None:
            self.session.flush()
        for lesson_position, lesson in enumerate(module.lessons, 1):
            digest = content_hash("lesson", course.slug, module.slug, lesson.source)
            lesson_key = (course_row.id, lesson.slug)
            lesson_row = self.lessons.get(lesson_key)
            values = {
                "module_id": row.id,
                "title": lesson.title,
                "minutes": lesson.minutes,
                "position": lesson_position,
                "source_path": self._relative(lesson.path),
            }
            if lesson_row is None or lesson_row.content_hash != digest:
                rendered = lesson_page(lesson, self._rendered(lesson.path, lesson.body))
                values.update(body_html=rendered.html, toc=rendered.toc, content_hash=digest)
            _, lesson_changed = self._upsert(
                models.Lesson,
                self.lessons,
                lesson_key,
                {"course_id": course_row.id, "slug": lesson.slug},
                values,
                f"{course.slug}/{lesson.slug}",
            )
            changed |= lesson_changed
        if module.quiz is not None:
            changed |= self._quiz(course, course_row, module, row, module.quiz)
        if module.guide is not None:
            changed |= self._guide(course, course_row, module, row, module.guide)
        return changed

    def _guide(
        self,
        course: Course,
        course_row: models.Course,
        module: Module,
        module_row: models.Module,
        guide: Guide,
    ) -> bool:
        digest = content_hash("guide", course.slug, module.slug, guide.source)
        row = self.guides.get(module_row.id)
        values: dict[str, Any] = {
            "course_id": course_row.id,
            "title": guide.title or f"Facilitator's guide: {module.title}",
            "minutes": guide.minutes,
            "source_path": self._relative(guide.path),
        }
        if row is None or row.content_hash != digest:
            rendered = guide_page(self._rendered(guide.path, guide.body))
            values.update(
                aims=[self._render(guide.path, aim, inline=True) for aim in guide.aims],
                materials=[self._render(guide.path, item, inline=True) for item in guide.materials],
                body_html=rendered.html,
                toc=rendered.toc,
                content_hash=digest,
            )
        _, changed = self._upsert(
            guide_models.Guide,
            self.guides,
            module_row.id,
            {"module_id": module_row.id},
            values,
            f"{course.slug}/{module.slug}",
        )
        return changed

    def _rubric(self, course: Course, course_row: models.Course, rubric: Rubric) -> bool:
        digest = content_hash("rubric", course.slug, rubric.source)
        row = self.rubrics.get(course_row.id)
        values: dict[str, Any] = {
            "title": rubric.title,
            "summary": rubric.summary,
            "levels": list(rubric.levels),
            "pass_level": rubric.pass_level,
            "source_path": self._relative(rubric.path),
        }
        if row is None or row.content_hash != digest:
            path = rubric.path
            values.update(
                intro_html=self._render(path, rubric.intro),
                criteria=[
                    {
                        "key": criterion.key,
                        "title": criterion.title,
                        "description_html": self._render(path, criterion.description),
                        "descriptors": [
                            {
                                "level": d.level,
                                "html": self._render(path, d.text, inline=True),
                            }
                            for d in criterion.descriptors
                        ],
                    }
                    for criterion in rubric.criteria
                ],
                content_hash=digest,
            )
        _, changed = self._upsert(
            guide_models.Rubric,
            self.rubrics,
            course_row.id,
            {"course_id": course_row.id},
            values,
            course.slug,
        )
        return changed

    def _quiz(
        self,
        course: Course,
        course_row: models.Course,
        module: Module,
        module_row: models.Module,
        quiz: Quiz,
    ) -> bool:
        digest = content_hash("quiz", course.slug, module.slug, quiz.source)
        row = self.quizzes.get(module_row.id)
        values: dict[str, Any] = {
            "course_id": course_row.id,
            "title": quiz.title or module.title,
            "pass_mark": quiz.pass_mark if quiz.pass_mark is not None else course.pass_mark,
            "max_attempts": quiz.max_attempts,
            "shuffle": quiz.shuffle,
            "draw": quiz.draw,
            "review": quiz.review,
            "source_path": self._relative(quiz.path),
        }
        if row is None or row.content_hash != digest:
            values["intro_html"] = self._render(quiz.path, quiz.intro)
            values["content_hash"] = digest
        row, changed = self._upsert(
            models.Quiz,
            self.quizzes,
            module_row.id,
            {"module_id": module_row.id},
            values,
            f"{course.slug}/{module.slug}",
        )
        if row.id is None:
            self.session.flush()
        for position, question in enumerate(quiz.questions, 1):
            changed |= self._question(course, module, quiz, row, question, position)
        return changed

    def _question(
        self,
        course: Course,
        module: Module,
        quiz: Quiz,
        quiz_row: models.Quiz,
        question: Question,
        position: int,
    ) -> bool:
        digest = content_hash("question", course.slug, module.slug, question.source)
        key = (quiz_row.id, question.key)
        row = self.questions.get(key)
        values: dict[str, Any] = {"position": position, "kind": question.kind}
        if row is None or row.content_hash != digest:
            path = quiz.path
            values.update(
                prompt_html=self._render(path, question.prompt, inline=True),
                body_html=self._render(path, question.body),
                options=[
                    {
                        "key": option.key,
                        "html": self._render(path, option.text, inline=True),
                        "correct": option.correct,
                        "feedback_html": self._render(path, option.feedback),
                    }
                    for option in question.options
                ],
                accepted_answers=list(dict.fromkeys(normalise_answer(a) for a in question.answers)),
                feedback_html=self._render(path, question.feedback),
                content_hash=digest,
            )
        _, changed = self._upsert(
            models.Question,
            self.questions,
            key,
            {"quiz_id": quiz_row.id, "key": question.key},
            values,
            f"{course.slug}/{module.slug}#{question.key}",
        )
        return changed

    # -- helpers ---------------------------------------------------------------------------

    def _upsert(
        self,
        model: type,
        rows: dict[Any, Any],
        key: Any,
        identity: dict[str, Any],
        values: dict[str, Any],
        label: str,
    ) -> tuple[Any, bool]:
        """Create, update or restore one row; True if anything was written."""
        label = f"{model.__name__.lower()} {label}"
        row = rows.get(key)
        if row is None:
            row = model(**identity, **values)
            self.session.add(row)
            rows[key] = row
            self.seen.add(id(row))
            self.report.created.append(label)
            return row, True
        self.seen.add(id(row))
        restored = row.retired_at is not None
        if restored:
            row.retired_at = None
        # A new content hash comes with freshly rendered HTML: write it without comparing
        # (which would load the deferred lesson body just to find it differs).
        rendered = "content_hash" in values
        changed = rendered
        for name, value in values.items():
            if rendered or getattr(row, name) != value:
                setattr(row, name, value)
                changed = True
        if restored:
            self.report.restored.append(label)
        elif changed:
            self.report.updated.append(label)
        else:
            self.report.unchanged += 1
        return row, changed or restored

    def _rendered(self, path: Path, text: str) -> Rendered:
        """Render `text` from `path`, resolving its links as the check did."""
        if not text.strip():
            return Rendered("")
        resolve = self.index.resolve

        rendered = render_markdown(text, lambda t, image: resolve(path, t, image=image).url)
        self.unresolved += [
            Problem(path, 1, f"link '{target}' could not be resolved")
            for target in rendered.unresolved
        ]
        return rendered

    def _glossary_html(self, glossary: Glossary) -> str:
        return glossary_page(glossary, lambda text: self._rendered(glossary.path, text)).html

    def _render(self, path: Path, text: str, *, inline: bool = False) -> str:
        html = self._rendered(path, text).html
        return unwrap_paragraph(html) if inline else html

    def _retired_label(self, row: Any) -> str:
        """The same label the row had when it was created: course/module#question."""
        courses = {c.id: c.slug for c in self.courses.values()}
        modules = {m.id: m.slug for m in self.modules.values()}
        quizzes = {q.id: q for q in self.quizzes.values()}
        kind = type(row).__name__.lower()
        if isinstance(row, guide_models.Guide):
            return f"{kind} {courses.get(row.course_id)}/{modules.get(row.module_id)}"
        if isinstance(row, guide_models.Rubric):
            return f"{kind} {courses.get(row.course_id)}"
        if isinstance(row, models.Course):
            return f"{kind} {row.slug}"
        if isinstance(row, models.Module | models.Lesson):
            return f"{kind} {courses.get(row.course_id)}/{row.slug}"
        quiz = row if isinstance(row, models.Quiz) else quizzes[row.quiz_id]
        label = f"{kind} {courses.get(quiz.course_id)}/{modules.get(quiz.module_id)}"
        return f"{label}#{row.key}" if isinstance(row, models.Question) else label

    def _relative(self, path: Path) -> str:
        return path.relative_to(self.curriculum.root).as_posix()


def _in_prerequisite_order(courses: tuple[Course, ...]) -> list[Course]:
    """Courses with their prerequisites first (then by slug): the catalogue's order."""
    by_slug = {course.slug: course for course in courses}
    ordered: list[Course] = []
    done: set[str] = set()

    def visit(course: Course) -> None:
        if course.slug in done:
            return
        done.add(course.slug)  # before recursing: the check has ruled out loops anyway
        for slug in sorted(course.prerequisites):
            if slug in by_slug:
                visit(by_slug[slug])
        ordered.append(course)

    for course in sorted(courses, key=lambda c: c.slug):
        visit(course)
    return ordered
