"""The curriculum check: every rule that reading alone cannot apply.

`check(root)` reads and validates a curriculum folder and returns every
problem, sorted by path and line. It does not render (that is slow); instead
it scans the Markdown for the things that would render wrongly: broken links,
missing images, raw HTML, unknown call-outs and skipped heading levels.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from academy.content import assessment
from academy.content.guide import check_guide
from academy.content.links import LinkIndex
from academy.content.problems import Problem
from academy.content.reader import read_curriculum
from academy.content.scan import ADMONITION_KINDS, scan
from academy.content.tree import Course, Curriculum, Lesson, Module, Quiz

SUMMARY_HEADING = "Summary"
TASK_HEADING = "Your turn"
GUIDANCE_KIND = "guidance"


def check(root: Path) -> list[Problem]:
    """Read and validate the curriculum under `root`: every problem, sorted."""
    return validate(read_curriculum(root))


def validate(curriculum: Curriculum) -> list[Problem]:
    problems: list[Problem] = list(curriculum.problems)
    index = LinkIndex.build(curriculum)
    slugs = {course.slug for course in curriculum.courses}
    # Files that could not be read cleanly get no quality rules until they can: a writer
    # fixes the broken question first, and the draw it changed is right again.
    unread = frozenset(problem.path for problem in curriculum.problems)
    for course in curriculum.courses:
        _check_course(course, slugs, index, problems, unread)
    _check_prerequisite_loops(curriculum.courses, problems)
    return sorted(set(problems))


def _check_course(
    course: Course,
    slugs: set[str],
    index: LinkIndex,
    problems: list[Problem],
    unread: frozenset[Path],
) -> None:
    _check_markdown(course.file, course.body, course.body_line, index, problems, headings=True)
    if not course.modules:
        problems.append(
            Problem(
                course.file,
                1,
                "course has no modules: add a folder such as 01-first-module/ with a module.md",
            )
        )
    seen_prerequisites: set[str] = set()
    for slug, line in zip(course.prerequisites, course.prerequisite_lines, strict=False):
        if slug == course.slug:
            problems.append(Problem(course.file, line, "a course cannot be its own prerequisite"))
        elif slug not in slugs:
            problems.append(
                Problem(
                    course.file,
                    line,
                    f"prerequisite '{slug}' is not a course (no folder of that name)",
                )
            )
        elif slug in seen_prerequisites:
            problems.append(Problem(course.file, line, f"prerequisite '{slug}' is listed twice"))
        seen_prerequisites.add(slug)

    _check_unique(
        course.modules,
        key=lambda m: m.slug,
        where=lambda m: (m.path, 1),
        message=lambda m, first: f"module slug '{m.slug}' is also used by {first.path.name}/",
        problems=problems,
    )
    _check_unique(
        course.modules,
        key=lambda m: m.number,
        where=lambda m: (m.path, 1),
        message=lambda m, first: (
            f"module number {m.number:02d} is also used by {first.path.name}/: "
            "number the modules in order"
        ),
        problems=problems,
    )
    # Lesson URLs are /courses/<course>/lessons/<lesson>, so slugs are unique per course.
    _check_unique(
        list(course.lessons),
        key=lambda lesson: lesson.slug,
        where=lambda lesson: (lesson.path, 1),
        message=lambda lesson, first: (
            f"lesson slug '{lesson.slug}' is also used by "
            f"{first.path.parent.name}/{first.path.name}: "
            "lesson slugs must be unique within a course"
        ),
        problems=problems,
    )
    for module in course.modules:
        _check_module(module, index, problems, unread)
    files = {course.file, *(lesson.path for lesson in course.lessons)}
    files |= {module.quiz.path for module in course.modules if module.quiz is not None}
    if course.modules and not files & unread:
        problems.extend(assessment.check_credit_hours(course))
    if course.glossary is not None:
        for term in course.glossary.terms:
            _check_markdown(
                course.glossary.path, term.definition, term.definition_line, index, problems
            )
    if course.rubric is not None:
        rubric = course.rubric
        _check_markdown(rubric.path, rubric.intro, rubric.intro_line, index, problems)
        for criterion in rubric.criteria:
            _check_markdown(rubric.path, criterion.description, criterion.line + 1, index, problems)


def _check_module(
    module: Module, index: LinkIndex, problems: list[Problem], unread: frozenset[Path]
) -> None:
    _check_markdown(module.file, module.body, module.body_line, index, problems, headings=True)
    if not module.lessons:
        problems.append(
            Problem(
                module.file,
                1,
                "module has no lessons: add a file such as 01-first-lesson.md",
            )
        )
    _check_unique(
        module.lessons,
        key=lambda lesson: lesson.number,
        where=lambda lesson: (lesson.path, 1),
        message=lambda lesson, first: (
            f"lesson number {lesson.number:02d} is also used by {first.path.name}: "
            "number the lessons in order"
        ),
        problems=problems,
    )
    for lesson in module.lessons:
        if not lesson.body.strip():
            problems.append(Problem(lesson.path, lesson.body_line, "lesson has no text"))
            continue
        _check_markdown(lesson.path, lesson.body, lesson.body_line, index, problems, headings=True)
        if lesson.path not in unread:
            _check_lesson_shape(lesson, problems)
    if module.quiz is not None:
        _check_quiz(module.quiz, index, problems)
        if module.quiz.path not in unread:
            problems.extend(assessment.check_quiz(module.quiz))
    if module.guide is not None:
        guide = module.guide
        _check_markdown(guide.path, guide.body, guide.body_line, index, problems, headings=True)
        problems.extend(check_guide(guide, module))


def _check_lesson_shape(lesson: Lesson, problems: list[Problem]) -> None:
    """A lesson ends with a summary, and every task comes with guidance to check it against."""
    found = scan(lesson.body, lesson.body_line)
    sections = [h for h in found.headings if h.level == 2]
    if not sections or sections[-1].text != SUMMARY_HEADING:
        line = sections[-1].line if sections else lesson.body_line
        problems.append(
            Problem(
                lesson.path,
                line,
                f"a lesson ends with a '## {SUMMARY_HEADING}' section: the key points in a "
                "few bullets",
            )
        )
    for number, heading in enumerate(sections):
        if heading.text != TASK_HEADING:
            continue
        end = sections[number + 1].line if number + 1 < len(sections) else None
        if not any(
            a.kind == GUIDANCE_KIND and a.line > heading.line and (end is None or a.line < end)
            for a in found.admonitions
        ):
            problems.append(
                Problem(
                    lesson.path,
                    heading.line,
                    f"'## {TASK_HEADING}' needs a '!!! {GUIDANCE_KIND} \"Guidance\"' box after "
                    "the task: a model answer or what a good answer includes",
                )
            )


def _check_quiz(quiz: Quiz, index: LinkIndex, problems: list[Problem]) -> None:
    path = quiz.path
    _check_markdown(path, quiz.intro, quiz.intro_line, index, problems)
    if quiz.draw is not None and quiz.questions and quiz.draw > len(quiz.questions):
        problems.append(
            Problem(
                path,
                quiz.key_lines.get("draw", 1),
                f"'draw' is {quiz.draw} but the quiz has only {len(quiz.questions)} questions",
            )
        )
    for question in quiz.questions:
        _check_markdown(path, question.prompt, question.line, index, problems)
        _check_markdown(path, question.body, question.body_line, index, problems)
        _check_markdown(path, question.feedback, question.feedback_line, index, problems)
        for option in question.options:
            _check_markdown(path, option.text, option.line, index, problems)
            _check_markdown(path, option.feedback, option.feedback_line, index, problems)


def _check_markdown(
    path: Path,
    text: str,
    first_line: int,
    index: LinkIndex,
    problems: list[Problem],
    *,
    headings: bool = False,
) -> None:
    if not text:
        return
    found = scan(text, first_line)
    for link in found.links:
        resolved = index.resolve(path, link.target, image=link.image)
        if resolved.error is not None:
            problems.append(Problem(path, link.line, resolved.error))
        if link.image and not link.text.strip():
            problems.append(
                Problem(
                    path,
                    link.line,
                    "image has no description: write what it shows between the brackets, "
                    "e.g. ![A map of the ward](images/map.png)",
                )
            )
    for tag in found.tags:
        problems.append(
            Problem(
                path,
                tag.line,
                f"raw HTML '<{tag.name}>' is not allowed (it is removed when published): "
                "write Markdown",
            )
        )
    for admonition in found.admonitions:
        if admonition.kind not in ADMONITION_KINDS:
            problems.append(
                Problem(
                    path,
                    admonition.line,
                    f"unknown call-out '{admonition.kind}': use one of "
                    f"{', '.join(ADMONITION_KINDS)}",
                )
            )
    if headings:
        previous = 1  # the page title
        for heading in found.headings:
            if heading.level == 1:
                problems.append(
                    Problem(
                        path,
                        heading.line,
                        "use '##' for headings: the title is the page's only '#' heading",
                    )
                )
            elif heading.level > previous + 1:
                problems.append(
                    Problem(
                        path,
                        heading.line,
                        f"heading skips a level ({'#' * previous} to {'#' * heading.level}): "
                        f"use {'#' * (previous + 1)}",
                    )
                )
            if not heading.text:
                problems.append(Problem(path, heading.line, "heading has no text"))
            previous = max(heading.level, 2)  # after a wrong '#', carry on as if it were '##'


def _check_unique(items, *, key, where, message, problems: list[Problem]) -> None:  # noqa: ANN001
    first: dict[object, object] = {}
    for item in items:
        k = key(item)
        if k in first:
            path, line = where(item)
            problems.append(Problem(path, line, message(item, first[k])))
        else:
            first[k] = item


def _check_prerequisite_loops(courses: Iterable[Course], problems: list[Problem]) -> None:
    """Report every cycle once, at the prerequisite line of each course in it."""
    by_slug = {course.slug: course for course in courses}
    edges = {
        slug: [p for p in course.prerequisites if p in by_slug and p != slug]
        for slug, course in by_slug.items()
    }
    reported: set[tuple[str, ...]] = set()
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []

    def visit(slug: str) -> None:
        state[slug] = 1
        path.append(slug)
        for nxt in edges[slug]:
            if state.get(nxt) == 1:
                cycle = path[path.index(nxt) :]
                start = cycle.index(min(cycle))
                canonical = tuple(cycle[start:] + cycle[:start])
                if canonical not in reported:
                    reported.add(canonical)
                    _report_cycle(canonical, by_slug, problems)
            elif nxt not in state:
                visit(nxt)
        path.pop()
        state[slug] = 2

    for slug in sorted(by_slug):
        if slug not in state:
            visit(slug)


def _report_cycle(cycle: tuple[str, ...], by_slug: dict[str, Course], problems) -> None:  # noqa: ANN001
    shown = " → ".join((*cycle, cycle[0]))
    for i, slug in enumerate(cycle):
        course = by_slug[slug]
        target = cycle[(i + 1) % len(cycle)]
        line = next(
            (
                ln
                for p, ln in zip(course.prerequisites, course.prerequisite_lines, strict=False)
                if p == target
            ),
            course.key_lines.get("prerequisites", 1),
        )
        problems.append(Problem(course.file, line, f"prerequisites form a loop: {shown}"))
