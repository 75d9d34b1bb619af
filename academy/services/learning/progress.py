"""Lessons completed, quiz results and what they add up to.

A course is complete when every current lesson is done and every current quiz
passed; `Enrolment.completed_at` is then set once, with its date, and never
moved (a lesson added to the course later does not take a completion away).
What a cohort adds (a trainer's sign-off) is checked where it matters, by the
certificates, on top of this.

Every function here runs a fixed number of queries whatever the member's
history or the number of members: the course outline is loaded once (its
relationships are select-in loaded), and everything per member is fetched
with one grouped query per table.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from academy.extensions import db
from academy.models import (
    Course,
    Enrolment,
    Lesson,
    LessonCompletion,
    Module,
    Quiz,
    QuizAttempt,
    User,
)
from academy.services import ServiceError
from academy.services.audit import record
from academy.services.id_lists import id_in
from academy.services.learning import outline
from academy.services.learning.enrolment import NotEnrolled, is_taking, require_enrolment
from academy.services.learning.outline import CourseOutline
from academy.timeutil import utcnow

# The course tree ----------------------------------------------------------------------


def course_trees(course_ids: Iterable[int]) -> dict[int, CourseOutline | Course]:
    """Each course's tree by id: the in-memory outline for a current course, the ORM row
    (one query for all of them) for a course no longer offered, which has no outline."""
    ids = list(dict.fromkeys(course_ids))
    current = outline.outlines().by_id
    trees: dict[int, CourseOutline | Course] = {i: current[i] for i in ids if i in current}
    retired = [i for i in ids if i not in trees]
    if retired:
        trees.update(
            (course.id, course)
            for course in db.session.scalars(select(Course).where(Course.id.in_(retired)))
        )
    return trees


def course_tree(course_id: int) -> CourseOutline | Course | None:
    return course_trees([course_id]).get(course_id)


# Progress of one member ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QuizStatus:
    quiz: Quiz
    attempts_used: int  # submitted attempts
    best_score: int | None
    passed: bool
    open_attempt_id: int | None  # started and not yet submitted

    @property
    def attempts_left(self) -> int | None:
        """None when the quiz allows unlimited attempts."""
        if not self.quiz.max_attempts:
            return None
        return max(self.quiz.max_attempts - self.attempts_used, 0)

    @property
    def out_of_attempts(self) -> bool:
        return self.attempts_left == 0


@dataclass(frozen=True, slots=True)
class ModuleProgress:
    module: Module
    lessons_total: int
    lessons_done: int
    quiz: QuizStatus | None

    @property
    def complete(self) -> bool:
        return self.lessons_done >= self.lessons_total and (self.quiz is None or self.quiz.passed)


class _PercentDone:
    """How far through a course: lessons done and quizzes passed out of all of them.

    One rule for the member's own pages and for cohort and report tables, so
    that the two never disagree. A completed course is 100% even if lessons
    were added after completion.
    """

    __slots__ = ()

    @property
    def percent(self) -> int:
        if self.completed_at is not None:
            return 100
        return _percent(
            self.lessons_done + self.quizzes_passed, self.lessons_total + self.quizzes_total
        )


@dataclass(frozen=True, slots=True)
class CourseProgress(_PercentDone):
    """One member's progress through one course (enrolment None if never enrolled)."""

    course: Course | CourseOutline
    enrolment: Enrolment | EnrolmentFacts | None
    modules: list[ModuleProgress]
    done_lesson_ids: frozenset[int]
    quizzes: dict[int, QuizStatus]  # by quiz id

    @property
    def enrolled(self) -> bool:
        return is_taking(self.enrolment)

    @property
    def completed_at(self) -> datetime | None:
        return self.enrolment.completed_at if self.enrolment else None

    @property
    def lessons_total(self) -> int:
        return sum(m.lessons_total for m in self.modules)

    @property
    def lessons_done(self) -> int:
        return sum(m.lessons_done for m in self.modules)

    @property
    def quizzes_total(self) -> int:
        return len(self.quizzes)

    @property
    def quizzes_passed(self) -> int:
        return sum(1 for status in self.quizzes.values() if status.passed)

    def is_done(self, lesson: Lesson) -> bool:
        return lesson.id in self.done_lesson_ids

    @property
    def next_lesson(self) -> Lesson | None:
        """The first lesson, in reading order, not yet marked complete."""
        for module in self.course.modules:
            for lesson in module.lessons:
                if lesson.id not in self.done_lesson_ids:
                    return lesson
        return None

    @property
    def next_url(self) -> str | None:
        """Where to continue reading (a course still offered: its outline has the links)."""
        step = self.next_step
        return step.url if step is not None else None

    @property
    def next_step(self) -> Lesson | Quiz | None:
        """Where to continue: the first unfinished lesson, else the first quiz not passed."""
        for module in self.modules:
            for lesson in module.module.lessons:
                if lesson.id not in self.done_lesson_ids:
                    return lesson
            if module.quiz is not None and not module.quiz.passed:
                return module.quiz.quiz
        return None


def _percent(done: int, total: int) -> int:
    return (100 * done) // total if total else 0


# Statements built once: a page asks them with its member and courses as parameters,
# so nothing is constructed per request (bench/findings.md).
_COURSES = sa.bindparam("course_ids", expanding=True)
_QUIZ_STATUSES = (
    select(
        QuizAttempt.user_id,
        QuizAttempt.quiz_id,
        func.count(QuizAttempt.submitted_at),
        func.max(QuizAttempt.score),
        func.max(
            sa.case(
                (sa.and_(QuizAttempt.submitted_at.is_not(None), QuizAttempt.passed), 1), else_=0
            )
        ),
        func.max(sa.case((QuizAttempt.submitted_at.is_(None), QuizAttempt.id), else_=None)),
    )
    .where(QuizAttempt.course_id.in_(_COURSES), id_in(QuizAttempt.user_id, "user_ids"))
    .group_by(QuizAttempt.user_id, QuizAttempt.quiz_id)
)
# The member's enrolments with the lessons completed in each: one row per lesson
# done (or one with no lesson), so one query answers both.
_ENROLMENTS_AND_LESSONS = (
    select(
        Enrolment.course_id,
        Enrolment.id,
        Enrolment.enrolled_at,
        Enrolment.left_at,
        Enrolment.completed_at,
        Enrolment.last_activity_at,
        LessonCompletion.lesson_id,
    )
    .outerjoin(
        LessonCompletion,
        sa.and_(
            LessonCompletion.user_id == Enrolment.user_id,
            LessonCompletion.course_id == Enrolment.course_id,
        ),
    )
    .where(Enrolment.user_id == sa.bindparam("user_id"), Enrolment.course_id.in_(_COURSES))
)
_LESSONS_DONE = select(LessonCompletion.lesson_id, LessonCompletion.course_id).where(
    LessonCompletion.user_id == sa.bindparam("user_id"), LessonCompletion.course_id.in_(_COURSES)
)


@dataclass(frozen=True, slots=True)
class EnrolmentFacts:
    """What progress needs of an enrolment, read without loading the ORM row."""

    id: int
    user_id: int
    course_id: int
    enrolled_at: datetime
    left_at: datetime | None
    completed_at: datetime | None
    last_activity_at: datetime | None


def _quiz_statuses(
    user_ids: Iterable[int], course_ids: Iterable[int]
) -> dict[tuple[int, int], dict]:
    """(user id, quiz id) -> {attempts, best, passed, open} from one grouped query."""
    users = list(user_ids)
    courses = list(course_ids)
    if not users or not courses:
        return {}
    rows = db.session.execute(_QUIZ_STATUSES, {"user_ids": users, "course_ids": courses})
    return {
        (user_id, quiz_id): {
            "attempts": attempts,
            "best": best,
            "passed": bool(passed),
            "open": open_id,
        }
        for user_id, quiz_id, attempts, best, passed, open_id in rows
    }


def _status(quiz, found: dict | None) -> QuizStatus:
    found = found or {}
    return QuizStatus(
        quiz=quiz,
        attempts_used=found.get("attempts", 0),
        best_score=found.get("best"),
        passed=found.get("passed", False),
        open_attempt_id=found.get("open"),
    )


def progress_in_courses(
    user: User,
    courses: Iterable[Course | CourseOutline],
    enrolments: Iterable[Enrolment] | None = None,
) -> dict[int, CourseProgress]:
    """This member's progress in each course (by course id), in two queries.

    Pass `enrolments` when the caller has loaded them already (the dashboard does).
    """
    courses = list(courses)
    ids = [course.id for course in courses]
    if not ids:
        return {}
    params = {"user_id": user.id, "course_ids": ids}
    done: dict[int, set[int]] = defaultdict(set)
    if enrolments is None:
        by_course: dict[int, Enrolment | EnrolmentFacts] = {}
        for (
            course_id,
            enrolment_id,
            enrolled,
            left,
            completed,
            active,
            lesson_id,
        ) in db.session.execute(_ENROLMENTS_AND_LESSONS, params):
            if course_id not in by_course:
                by_course[course_id] = EnrolmentFacts(
                    enrolment_id, user.id, course_id, enrolled, left, completed, active
                )
            if lesson_id is not None:
                done[course_id].add(lesson_id)
    else:
        by_course = {enrolment.course_id: enrolment for enrolment in enrolments}
        for lesson_id, course_id in db.session.execute(_LESSONS_DONE, params):
            done[course_id].add(lesson_id)
    found = _quiz_statuses([user.id], ids)
    result = {}
    for course in courses:
        course_done = frozenset(done.get(course.id, ()))
        modules = []
        quizzes = {}
        for module in course.modules:
            status = None
            if module.quiz is not None:
                status = _status(module.quiz, found.get((user.id, module.quiz.id)))
                quizzes[module.quiz.id] = status
            modules.append(
                ModuleProgress(
                    module=module,
                    lessons_total=len(module.lessons),
                    lessons_done=sum(1 for lesson in module.lessons if lesson.id in course_done),
                    quiz=status,
                )
            )
        result[course.id] = CourseProgress(
            course, by_course.get(course.id), modules, course_done, quizzes
        )
    return result


def course_progress(user: User, course: Course) -> CourseProgress:
    """This member's progress in `course`: three queries beyond the course outline."""
    return progress_in_courses(user, [course])[course.id]


def reading_progress(user: User, course: Course | CourseOutline) -> CourseProgress:
    """The member's progress, for reading a lesson of `course`: NotEnrolled unless they
    are taking it (the enrolment rule, read from the progress already loaded)."""
    progress = course_progress(user, course)
    if not progress.enrolled:
        raise NotEnrolled("Enrol in this course to read its lessons.")
    return progress


# Recording progress ----------------------------------------------------------------------


def complete_lesson(user: User, lesson: Lesson | outline.LessonOutline) -> LessonCompletion:
    """Mark a lesson complete. Repeating it changes nothing (the first date is kept)."""
    if lesson.retired:
        raise ServiceError("This lesson is no longer part of the course.")
    enrolment = require_enrolment(
        user, lesson.course_id, "Enrol in this course to record your progress."
    )
    existing = db.session.get(LessonCompletion, (user.id, lesson.id))
    if existing is not None:
        return existing
    now = utcnow()
    completion = LessonCompletion(
        user_id=user.id, lesson_id=lesson.id, course_id=lesson.course_id, completed_at=now
    )
    try:
        # Two clicks racing: the second meets the primary key and keeps the first.
        with db.session.begin_nested():
            db.session.add(completion)
    except IntegrityError:
        found = db.session.get(LessonCompletion, (user.id, lesson.id), populate_existing=True)
        if found is None:  # pragma: no cover - some other constraint
            raise
        return found
    enrolment.last_activity_at = now
    refresh_completion(enrolment, course_tree(lesson.course_id))
    return completion


# Asked after every lesson completed and quiz passed (inside SQLite's write lock): built
# once.
_LESSONS_DONE_OF = select(func.count()).where(
    LessonCompletion.user_id == sa.bindparam("user_id"),
    LessonCompletion.lesson_id.in_(sa.bindparam("lesson_ids", expanding=True)),
)
_QUIZZES_PASSED_OF = select(func.count(sa.distinct(QuizAttempt.quiz_id))).where(
    QuizAttempt.user_id == sa.bindparam("user_id"),
    QuizAttempt.quiz_id.in_(sa.bindparam("quiz_ids", expanding=True)),
    QuizAttempt.passed.is_(True),
)


def refresh_completion(enrolment: Enrolment, course: Course | CourseOutline) -> bool:
    """Record the course as complete if it now is. True only the one time it happens."""
    if enrolment.completed_at is not None or enrolment.left_at is not None:
        return False
    lesson_ids = [lesson.id for lesson in course.lessons]
    quiz_ids = [module.quiz.id for module in course.modules if module.quiz is not None]
    if not lesson_ids:
        return False
    done = db.session.scalar(
        _LESSONS_DONE_OF, {"user_id": enrolment.user_id, "lesson_ids": lesson_ids}
    )
    if done < len(lesson_ids):
        return False
    if quiz_ids:
        passed = db.session.scalar(
            _QUIZZES_PASSED_OF, {"user_id": enrolment.user_id, "quiz_ids": quiz_ids}
        )
        if passed < len(quiz_ids):
            return False
    now = utcnow()
    # Conditional: of two requests completing the course at once, one records it.
    result = db.session.execute(
        sa.update(Enrolment)
        .where(Enrolment.id == enrolment.id, Enrolment.completed_at.is_(None))
        .values(completed_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(enrolment)
    if result.rowcount != 1:
        return False
    record(
        "learning.completed",
        actor=None,
        subject=db.session.get(User, enrolment.user_id),
        target=f"course:{course.slug}",
    )
    return True


# Progress of many members (cohorts, reports) ------------------------------------------


# Many members' enrolments in one course, and their current lessons done per module
# (the cohort page runs them on every request: built once).
_COURSE = sa.bindparam("course_id", type_=sa.Integer)
ENROLMENT_FACTS = (
    Enrolment.id,
    Enrolment.user_id,
    Enrolment.course_id,
    Enrolment.enrolled_at,
    Enrolment.left_at,
    Enrolment.completed_at,
    Enrolment.last_activity_at,
)
_MEMBERS_ENROLMENTS = select(*ENROLMENT_FACTS).where(
    Enrolment.course_id == _COURSE, id_in(Enrolment.user_id, "user_ids")
)
_MEMBERS_LESSONS_BY_MODULE = (
    select(LessonCompletion.user_id, Lesson.module_id, func.count())
    .join(Lesson, Lesson.id == LessonCompletion.lesson_id)
    .where(
        LessonCompletion.course_id == _COURSE,
        id_in(LessonCompletion.user_id, "user_ids"),
        Lesson.retired_at.is_(None),
    )
    .group_by(LessonCompletion.user_id, Lesson.module_id)
)


@dataclass(slots=True)
class MemberProgress(_PercentDone):
    """One member's progress in a course, as a cohort or a report shows it."""

    user_id: int
    enrolled_at: datetime | None = None
    left_at: datetime | None = None
    completed_at: datetime | None = None
    last_activity_at: datetime | None = None
    lessons_done_by_module: dict[int, int] = field(default_factory=dict)  # module id -> n
    best_score_by_module: dict[int, int | None] = field(default_factory=dict)
    passed_by_module: dict[int, bool] = field(default_factory=dict)
    attempts_by_module: dict[int, int] = field(default_factory=dict)
    lessons_total: int = 0
    quizzes_total: int = 0

    @property
    def enrolled(self) -> bool:
        return self.enrolled_at is not None and self.left_at is None

    @property
    def completed(self) -> bool:
        return self.completed_at is not None

    @property
    def lessons_done(self) -> int:
        return sum(self.lessons_done_by_module.values())

    @property
    def quizzes_passed(self) -> int:
        return sum(1 for passed in self.passed_by_module.values() if passed)


def progress_for_members(
    course_id: int,
    user_ids: Iterable[int],
    enrolments: Iterable[EnrolmentFacts] | None = None,
) -> dict[int, MemberProgress]:
    """Progress of each of `user_ids` in the course, in a fixed number of queries.

    Every requested id gets an entry (enrolled_at None if never enrolled). Modules are
    the course's current modules; a module without a quiz has no entry in the quiz maps.
    Pass `enrolments` (theirs in this course) when the caller has read them already:
    the cohort page reads them with its page of members, saving a round trip.
    """
    ids = sorted(set(user_ids))
    course = course_tree(course_id)
    if course is None:
        raise ServiceError("No such course.")
    lessons_total = len(course.lessons)
    quiz_modules = {m.quiz.id: m.id for m in course.modules if m.quiz is not None}
    result = {
        user_id: MemberProgress(
            user_id,
            lessons_total=lessons_total,
            quizzes_total=len(quiz_modules),
            lessons_done_by_module={m.id: 0 for m in course.modules},
            best_score_by_module=dict.fromkeys(quiz_modules.values()),
            passed_by_module=dict.fromkeys(quiz_modules.values(), False),
            attempts_by_module=dict.fromkeys(quiz_modules.values(), 0),
        )
        for user_id in ids
    }
    if not ids:
        return result
    params = {"course_id": course_id, "user_ids": ids}
    if enrolments is None:
        enrolments = (
            EnrolmentFacts(*row) for row in db.session.execute(_MEMBERS_ENROLMENTS, params)
        )
    for enrolment in enrolments:
        member = result.get(enrolment.user_id)
        if member is None:  # pragma: no cover - a caller passing someone else's
            continue
        member.enrolled_at = enrolment.enrolled_at
        member.left_at = enrolment.left_at
        member.completed_at = enrolment.completed_at
        member.last_activity_at = enrolment.last_activity_at
    rows = db.session.execute(_MEMBERS_LESSONS_BY_MODULE, params)
    counts: dict[int, dict[int, int]] = defaultdict(dict)
    for user_id, module_id, count in rows:
        counts[user_id][module_id] = count
    for user_id, by_module in counts.items():
        member = result[user_id]
        for module_id, count in by_module.items():
            if module_id in member.lessons_done_by_module:
                member.lessons_done_by_module[module_id] = count
    for (user_id, quiz_id), found in _quiz_statuses(ids, [course.id]).items():
        module_id = quiz_modules.get(quiz_id)
        if module_id is None:  # a retired quiz
            continue
        member = result[user_id]
        member.best_score_by_module[module_id] = found["best"]
        member.passed_by_module[module_id] = found["passed"]
        member.attempts_by_module[module_id] = found["attempts"]
    return result
