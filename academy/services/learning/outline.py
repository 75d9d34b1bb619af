"""The current curriculum as plain, immutable data, kept in memory per process.

The course tree (courses, modules, lessons, quizzes) changes only when
`flask academy curriculum sync` changes something, and every such sync bumps
`CurriculumVersion`. Pages used to load the tree from the database on every
request (four queries and a hundred ORM objects per course, about a third of
a lesson page's time: bench/findings.md). Now each process builds it once per
version, with every link already made (the fixed scheme of academy.content.urls,
which the stored lesson HTML links to as well). A process asks the database
which version is current (one primary-key read) at most every
CURRICULUM_CHECK_SECONDS, and at once after a sync it made itself; a request
asks only for the member's own progress.

Outline objects carry the same attribute names as the ORM rows they mirror
(`course.modules`, `module.lessons`, `module.quiz`, `lesson.title`…), so the
progress services and templates accept either. What they do not carry is the
lessons' bodies: those are read on demand and kept per version as well
(`Outlines.body`). Anything that writes still loads the ORM row by id.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from math import inf
from typing import Any

from flask import current_app, g, has_request_context
from sqlalchemy import func, select

from academy.content import urls
from academy.content.sync import SYNCED
from academy.database import after_commit
from academy.extensions import db
from academy.models import Course, CurriculumVersion, Lesson, Module, Question, Quiz

# Where a new member should start: foundation courses first.
LEVEL_ORDER = {"foundation": 0, "intermediate": 1, "advanced": 2}


@dataclass(frozen=True, slots=True)
class LessonOutline:
    id: int
    course_id: int
    module_id: int
    slug: str
    title: str
    minutes: int
    position: int  # within its module, from 1
    source_path: str
    url: str
    retired: bool = False  # outlines hold current lessons only


@dataclass(frozen=True, slots=True)
class QuizOutline:
    id: int
    course_id: int
    module_id: int
    title: str
    pass_mark: int
    max_attempts: int
    shuffle: bool
    draw: int | None
    review: str
    intro_html: str
    url: str
    retired: bool = False
    pool: int = 0  # questions in the quiz's pool

    @property
    def asked(self) -> int:
        """How many questions an attempt asks."""
        return min(self.draw, self.pool) if self.draw else self.pool

    @property
    def to_pass(self) -> int:
        """Right answers needed to pass, as marking counts them (score x 100 >= mark x asked)."""
        return -(-self.pass_mark * self.asked // 100)


@dataclass(frozen=True, slots=True)
class ModuleOutline:
    id: int
    course_id: int
    slug: str
    title: str
    summary: str
    position: int
    number: int  # 1-based, as members read it ("Module 2")
    intro_html: str
    source_path: str
    lessons: tuple[LessonOutline, ...]
    quiz: QuizOutline | None
    url: str  # its place on the course page


@dataclass(frozen=True, slots=True)
class Step:
    """One stop in a course's reading order: every lesson, each module's quiz after them."""

    kind: str  # "lesson" | "quiz"
    title: str
    url: str
    item: LessonOutline | QuizOutline
    module: ModuleOutline


@dataclass(frozen=True, slots=True)
class CourseOutline:
    id: int
    slug: str
    title: str
    summary: str
    level: str
    credit_hours: float
    pass_mark: int
    accredited: bool
    audience: str
    validity_months: int | None
    prerequisites: tuple[str, ...]
    position: int
    intro_html: str
    total_minutes: int
    url: str
    modules: tuple[ModuleOutline, ...]
    lessons: tuple[LessonOutline, ...]  # in reading order
    steps: tuple[Step, ...]
    retired: bool = False
    has_glossary: bool = False
    _lessons_by_slug: dict[str, LessonOutline] = field(default_factory=dict, repr=False)
    _modules_by_slug: dict[str, ModuleOutline] = field(default_factory=dict, repr=False)
    _step_index: dict[tuple[str, int], int] = field(default_factory=dict, repr=False)

    def lesson(self, slug: str) -> LessonOutline | None:
        return self._lessons_by_slug.get(slug)

    def module(self, slug: str) -> ModuleOutline | None:
        return self._modules_by_slug.get(slug)

    def module_of(self, item: LessonOutline | QuizOutline) -> ModuleOutline:
        return self.steps[self.step_index(item)].module

    def step_index(self, item: LessonOutline | QuizOutline) -> int:
        kind = "quiz" if isinstance(item, QuizOutline) else "lesson"
        return self._step_index[(kind, item.id)]

    def neighbours(self, item: LessonOutline | QuizOutline) -> tuple[Step | None, Step | None]:
        """The steps before and after `item` in reading order."""
        here = self.step_index(item)
        before = self.steps[here - 1] if here > 0 else None
        after = self.steps[here + 1] if here + 1 < len(self.steps) else None
        return before, after


@dataclass(frozen=True)
class Outlines:
    """Every current course of one curriculum version."""

    version: int
    courses: tuple[CourseOutline, ...]  # catalogue order: foundation first
    by_slug: dict[str, CourseOutline]
    by_id: dict[int, CourseOutline]
    _bodies: dict[int, tuple[str, list[dict[str, Any]]]] = field(default_factory=dict)
    _glossaries: dict[int, str] = field(default_factory=dict)

    def course(self, slug: str) -> CourseOutline | None:
        return self.by_slug.get(slug)

    def body(self, lesson: LessonOutline) -> tuple[str, list[dict[str, Any]]]:
        """The lesson's sanitised HTML and table of contents, read once per version."""
        found = self._bodies.get(lesson.id)
        if found is None:
            html, toc = db.session.execute(
                select(Lesson.body_html, Lesson.toc).where(Lesson.id == lesson.id)
            ).one()
            found = self._bodies[lesson.id] = (html, list(toc or ()))
        return found

    def glossary(self, course: CourseOutline) -> str:
        """The course's glossary as HTML ("" if it has none), read once per version."""
        found = self._glossaries.get(course.id)
        if found is None:
            found = self._glossaries[course.id] = (
                db.session.scalar(select(Course.glossary_html).where(Course.id == course.id)) or ""
            )
        return found


# Building -------------------------------------------------------------------------------------


def _build(version: int) -> Outlines:
    session = db.session
    courses = session.scalars(select(Course).where(Course.retired_at.is_(None))).all()
    modules = session.scalars(
        select(Module).where(Module.retired_at.is_(None)).order_by(Module.position)
    ).all()
    lessons = session.execute(
        select(
            Lesson.id,
            Lesson.course_id,
            Lesson.module_id,
            Lesson.slug,
            Lesson.title,
            Lesson.minutes,
            Lesson.position,
            Lesson.source_path,
        )
        .where(Lesson.retired_at.is_(None))
        .order_by(Lesson.module_id, Lesson.position)
    ).all()
    quizzes = session.scalars(select(Quiz).where(Quiz.retired_at.is_(None))).all()
    with_glossary = set(
        session.scalars(
            select(Course.id).where(Course.retired_at.is_(None), Course.glossary_html != "")
        )
    )
    pools = dict(
        session.execute(
            select(Question.quiz_id, func.count())
            .where(Question.retired_at.is_(None))
            .group_by(Question.quiz_id)
        ).all()
    )
    course_slugs = {course.id: course.slug for course in courses}
    module_slugs = {module.id: module.slug for module in modules}

    lessons_of: dict[int, list[LessonOutline]] = {}
    for row in lessons:
        if row.course_id not in course_slugs or row.module_id not in module_slugs:
            continue
        lessons_of.setdefault(row.module_id, []).append(
            LessonOutline(
                id=row.id,
                course_id=row.course_id,
                module_id=row.module_id,
                slug=row.slug,
                title=row.title,
                minutes=row.minutes,
                position=row.position,
                source_path=row.source_path,
                url=urls.lesson_url(course_slugs[row.course_id], row.slug),
            )
        )
    quiz_of = {
        quiz.module_id: QuizOutline(
            id=quiz.id,
            course_id=quiz.course_id,
            module_id=quiz.module_id,
            title=quiz.title,
            pass_mark=quiz.pass_mark,
            max_attempts=quiz.max_attempts,
            shuffle=quiz.shuffle,
            draw=quiz.draw,
            review=quiz.review,
            intro_html=quiz.intro_html,
            url=urls.quiz_url(course_slugs[quiz.course_id], module_slugs[quiz.module_id]),
            pool=pools.get(quiz.id, 0),
        )
        for quiz in quizzes
        if quiz.module_id in module_slugs and quiz.course_id in course_slugs
    }
    modules_of: dict[int, list[Module]] = {}
    for module in modules:
        modules_of.setdefault(module.course_id, []).append(module)

    outlines = []
    for course in courses:
        course_url = urls.course_url(course.slug)
        course_modules = tuple(
            ModuleOutline(
                id=module.id,
                course_id=module.course_id,
                slug=module.slug,
                title=module.title,
                summary=module.summary,
                position=module.position,
                number=number,
                intro_html=module.intro_html,
                source_path=module.source_path,
                lessons=tuple(lessons_of.get(module.id, ())),
                quiz=quiz_of.get(module.id),
                url=urls.module_url(course.slug, module.slug),
            )
            for number, module in enumerate(modules_of.get(course.id, ()), 1)
        )
        steps = []
        for module in course_modules:
            steps.extend(Step("lesson", les.title, les.url, les, module) for les in module.lessons)
            if module.quiz is not None:
                steps.append(
                    Step("quiz", f"Quiz: {module.quiz.title}", module.quiz.url, module.quiz, module)
                )
        outlines.append(
            CourseOutline(
                id=course.id,
                slug=course.slug,
                title=course.title,
                summary=course.summary,
                level=course.level,
                credit_hours=course.credit_hours,
                pass_mark=course.pass_mark,
                accredited=course.accredited,
                audience=course.audience,
                validity_months=course.validity_months,
                prerequisites=tuple(course.prerequisites or ()),
                position=course.position,
                intro_html=course.intro_html,
                total_minutes=course.total_minutes,
                url=course_url,
                modules=course_modules,
                lessons=tuple(les for module in course_modules for les in module.lessons),
                steps=tuple(steps),
                _lessons_by_slug={les.slug: les for m in course_modules for les in m.lessons},
                _modules_by_slug={module.slug: module for module in course_modules},
                _step_index={(s.kind, s.item.id): i for i, s in enumerate(steps)},
                has_glossary=course.id in with_glossary,
            )
        )
    outlines.sort(key=lambda c: (LEVEL_ORDER.get(c.level, len(LEVEL_ORDER)), c.position))
    return Outlines(
        version=version,
        courses=tuple(outlines),
        by_slug={course.slug: course for course in outlines},
        by_id={course.id: course for course in outlines},
    )


# The per-process cache ------------------------------------------------------------------------

_lock = threading.Lock()
# (app id, database URL) -> Outlines: tests run several apps and databases in one process.
_cache: dict[tuple[int, str], Outlines] = {}
# The same keys -> when the database's version was last read (time.monotonic()).
_checked: dict[tuple[int, str], float] = {}


# Asked on every course page: built once.
_VERSION = select(CurriculumVersion.version).where(CurriculumVersion.id == 1)


def current_version() -> int:
    """The curriculum version in the database (0 before the first sync that changed it)."""
    return db.session.scalar(_VERSION) or 0


def outlines() -> Outlines:
    """The current curriculum's outlines, built at most once per version in this process.

    Within a request the version is asked for once: the request's pages then see
    one curriculum throughout.
    """
    if has_request_context():
        found = g.get("_academy_outlines")
        if found is None:
            found = g._academy_outlines = _current_outlines()
        return found
    return _current_outlines()


def _current_outlines() -> Outlines:
    key = (id(current_app._get_current_object()), str(db.engine.url))  # type: ignore[attr-defined]
    found = _cache.get(key)
    now = time.monotonic()
    # A release made by another process is seen within CURRICULUM_CHECK_SECONDS: the
    # version is a round trip that every course page paid, for a change made a few
    # times a year. One made in this process is seen at once (after_commit below).
    if found is not None and now - _checked.get(key, -inf) < _check_interval():
        return found
    version = current_version()
    if found is None or found.version != version:
        found = _build(version)
    with _lock:
        _cache[key] = found
        _checked[key] = now
    return found


def _check_interval() -> float:
    return float(current_app.config.get("CURRICULUM_CHECK_SECONDS", 0))


def clear() -> None:
    """Forget every process-local outline (tests, whose curriculum edits are rolled back)."""
    with _lock:
        _cache.clear()
        _checked.clear()


# A sync made in this process: forget its outlines once the sync commits.
after_commit(SYNCED, lambda _synced: clear())
