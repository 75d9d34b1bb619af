"""Read a curriculum folder into frozen dataclasses, collecting problems as it goes.

Reading never stops at the first problem: a file that cannot be read is
reported and replaced by defaults, so that the check can list everything wrong
in one run. Cross-file rules (links, prerequisites, duplicates) are in
`validate.py`.
"""

from __future__ import annotations

from pathlib import Path

from academy.content import schema
from academy.content.frontmatter import FrontMatter, parse
from academy.content.glossary import parse_terms
from academy.content.problems import Problem
from academy.content.quiz import parse_quiz
from academy.content.rubric import parse_criteria
from academy.content.slugs import SLUG_RE, split_numbered
from academy.content.tree import Course, Curriculum, Glossary, Guide, Lesson, Module, Quiz, Rubric

COURSE_FILE = "course.md"
MODULE_FILE = "module.md"
QUIZ_FILE = "quiz.md"
GUIDE_FILE = "guide.md"  # the facilitator's guide of a module
GLOSSARY_FILE = "glossary.md"  # a course's glossary
RUBRIC_FILE = "rubric.md"  # how a candidate trainer's practice session is judged
IMAGES_DIR = "images"
IMAGE_EXTENSIONS = frozenset({".png", ".jpg", ".jpeg", ".gif", ".webp"})
IMAGE_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")


def _ignored(path: Path) -> bool:
    """Hidden files and `_drafts`-style folders are not part of the curriculum."""
    return path.name.startswith((".", "_"))


def read_curriculum(root: Path) -> Curriculum:
    """Every course under `root`, and the problems met while reading them."""
    root = Path(root).absolute()
    problems: list[Problem] = []
    if not root.is_dir():
        return Curriculum(root, (), (Problem(root, 1, "the curriculum folder does not exist"),))
    if (root / COURSE_FILE).exists():
        problems.append(
            Problem(
                root / COURSE_FILE,
                1,
                "this is a course folder: check the curriculum folder that holds the courses",
            )
        )
    courses = tuple(
        _read_course(entry, problems)
        for entry in sorted(root.iterdir())
        if entry.is_dir() and not _ignored(entry)
    )
    return Curriculum(root, courses, tuple(problems))


def _read_text(path: Path, problems: list[Problem]) -> str | None:
    try:
        return path.read_text(encoding="utf-8").replace("\r\n", "\n")
    except FileNotFoundError:
        return None
    except UnicodeDecodeError as error:
        problems.append(Problem(path, 1, f"not UTF-8 text ({error.reason}): save it as UTF-8"))
        return ""


def _front(path: Path, what: str, problems: list[Problem]) -> tuple[FrontMatter, str]:
    text = _read_text(path, problems)
    if text is None:
        problems.append(Problem(path, 1, f"missing {path.name}: every {what} folder needs one"))
        return FrontMatter({}, {}, {}, "", 1, readable=False), ""
    front = parse(path, text)
    problems.extend(front.problems)
    return front, text


def _read_course(folder: Path, problems: list[Problem]) -> Course:
    slug = folder.name
    if not SLUG_RE.match(slug):
        problems.append(
            Problem(
                folder,
                1,
                f"course folder '{slug}' is not a valid slug: "
                "use lower-case letters, digits and hyphens",
            )
        )
    file = folder / COURSE_FILE
    front, text = _front(file, "course", problems)
    values, found = schema.apply(schema.COURSE, front, file, "course")
    problems.extend(found)
    modules: list[Module] = []
    glossary: Glossary | None = None
    rubric: Rubric | None = None
    for entry in sorted(folder.iterdir()):
        if _ignored(entry) or entry.name == COURSE_FILE:
            continue
        if entry.name == GLOSSARY_FILE and entry.is_file():
            glossary = _read_glossary(entry, problems)
        elif entry.name == RUBRIC_FILE and entry.is_file():
            rubric = _read_rubric(entry, problems)
        elif entry.is_dir():
            numbered = split_numbered(entry.name)
            if numbered is None:
                problems.append(
                    Problem(
                        entry,
                        1,
                        f"module folder names start with a number, e.g. 01-{entry.name}",
                    )
                )
                continue
            modules.append(_read_module(entry, *numbered, problems))
        else:
            problems.append(
                Problem(
                    entry,
                    1,
                    "unexpected file in a course folder: lessons go in a module folder "
                    f"(a course folder holds {COURSE_FILE}, {GLOSSARY_FILE} and {RUBRIC_FILE})",
                )
            )
    modules.sort(key=lambda m: (m.number, m.slug))
    return Course(
        path=folder,
        file=file,
        slug=slug,
        title=values["title"] or "",
        summary=values["summary"] or "",
        level=values["level"],
        credit_hours=values["credit_hours"],
        pass_mark=values["pass_mark"],
        prerequisites=values["prerequisites"],
        prerequisite_lines=front.item_lines.get("prerequisites", ())
        or (front.line("prerequisites"),) * len(values["prerequisites"]),
        accredited=values["accredited"],
        audience=values["audience"],
        validity_months=values["validity_months"],
        body=front.body,
        body_line=front.body_line,
        modules=tuple(modules),
        key_lines=front.key_lines,
        source=text,
        glossary=glossary,
        rubric=rubric,
    )


def _read_glossary(path: Path, problems: list[Problem]) -> Glossary:
    front, text = _front(path, "glossary", problems)
    values, found = schema.apply(schema.GLOSSARY, front, path, "glossary")
    problems.extend(found)
    terms, found = parse_terms(path, front.body, front.body_line)
    problems.extend(found)
    return Glossary(path, values["title"], terms, text)


def _read_rubric(path: Path, problems: list[Problem]) -> Rubric:
    front, text = _front(path, "rubric", problems)
    values, found = schema.apply(schema.RUBRIC, front, path, "rubric")
    problems.extend(found)
    levels = values["levels"]
    if levels and values["pass_level"] and values["pass_level"] not in levels:
        problems.append(
            Problem(
                path,
                front.line("pass_level"),
                f"'pass_level' must be one of the levels ({', '.join(levels)}), "
                f"not '{values['pass_level']}'",
            )
        )
    intro, criteria, found = parse_criteria(path, front.body, front.body_line, levels)
    problems.extend(found)
    return Rubric(
        path=path,
        title=values["title"] or "",
        summary=values["summary"],
        levels=levels,
        pass_level=values["pass_level"],
        intro=intro,
        intro_line=front.body_line,
        criteria=criteria,
        key_lines=front.key_lines,
        source=text,
    )


def _read_module(folder: Path, number: int, slug: str, problems: list[Problem]) -> Module:
    if not SLUG_RE.match(slug):
        problems.append(
            Problem(
                folder,
                1,
                f"module slug '{slug}' (the folder name after the number) must use "
                "lower-case letters, digits and hyphens",
            )
        )
    file = folder / MODULE_FILE
    front, text = _front(file, "module", problems)
    values, found = schema.apply(schema.MODULE, front, file, "module")
    problems.extend(found)
    lessons: list[Lesson] = []
    quiz: Quiz | None = None
    guide: Guide | None = None
    images: frozenset[str] = frozenset()
    for entry in sorted(folder.iterdir()):
        if _ignored(entry) or entry.name == MODULE_FILE:
            continue
        if entry.is_dir():
            if entry.name == IMAGES_DIR:
                images = _read_images(entry, problems)
            else:
                problems.append(
                    Problem(entry, 1, "unexpected folder: a module holds lessons and images/")
                )
        elif entry.name == QUIZ_FILE:
            quiz = _read_quiz(entry, problems)
        elif entry.name == GUIDE_FILE:
            guide = _read_guide(entry, problems)
        elif entry.suffix == ".md":
            numbered = split_numbered(entry.stem)
            if numbered is None:
                problems.append(
                    Problem(
                        entry,
                        1,
                        f"lesson file names start with a number, e.g. 01-{entry.name}",
                    )
                )
                continue
            lessons.append(_read_lesson(entry, *numbered, problems))
        else:
            problems.append(
                Problem(
                    entry,
                    1,
                    "unexpected file in a module: lessons are .md files, images go in images/",
                )
            )
    lessons.sort(key=lambda lesson: (lesson.number, lesson.slug))
    return Module(
        path=folder,
        file=file,
        slug=slug,
        number=number,
        title=values["title"] or "",
        summary=values["summary"],
        body=front.body,
        body_line=front.body_line,
        lessons=tuple(lessons),
        quiz=quiz,
        images=images,
        key_lines=front.key_lines,
        source=text,
        guide=guide,
    )


def _read_guide(path: Path, problems: list[Problem]) -> Guide:
    front, text = _front(path, "facilitator's guide", problems)
    values, found = schema.apply(schema.GUIDE, front, path, "facilitator's guide")
    problems.extend(found)
    return Guide(
        path=path,
        title=values["title"],
        minutes=values["minutes"],
        aims=values["aims"],
        materials=values["materials"],
        body=front.body,
        body_line=front.body_line,
        key_lines=front.key_lines,
        source=text,
    )


def _read_images(folder: Path, problems: list[Problem]) -> frozenset[str]:
    names: set[str] = set()
    for entry in sorted(folder.iterdir()):
        if _ignored(entry):
            continue
        if entry.is_dir():
            problems.append(Problem(entry, 1, "images/ cannot hold folders"))
        elif entry.suffix.lower() not in IMAGE_EXTENSIONS:
            problems.append(
                Problem(
                    entry,
                    1,
                    f"images must be {', '.join(sorted(e[1:] for e in IMAGE_EXTENSIONS))} "
                    "files (SVG can carry scripts: export it as PNG)",
                )
            )
        elif not set(entry.name) <= IMAGE_NAME_CHARS:
            problems.append(
                Problem(
                    entry,
                    1,
                    "image file names may only use letters, digits, '-', '_' and '.'",
                )
            )
        else:
            names.add(entry.name)
    return frozenset(names)


def _read_lesson(path: Path, number: int, slug: str, problems: list[Problem]) -> Lesson:
    if not SLUG_RE.match(slug):
        problems.append(
            Problem(
                path,
                1,
                f"lesson slug '{slug}' (the file name after the number) must use "
                "lower-case letters, digits and hyphens",
            )
        )
    front, text = _front(path, "lesson", problems)
    values, found = schema.apply(schema.LESSON, front, path, "lesson")
    problems.extend(found)
    return Lesson(
        path=path,
        slug=slug,
        number=number,
        title=values["title"] or "",
        minutes=values["minutes"],
        body=front.body,
        body_line=front.body_line,
        key_lines=front.key_lines,
        source=text,
        outcomes=values["outcomes"],
        sources=values["sources"],
    )


def _read_quiz(path: Path, problems: list[Problem]) -> Quiz:
    front, text = _front(path, "quiz", problems)
    values, found = schema.apply(schema.QUIZ, front, path, "quiz")
    problems.extend(found)
    parsed = parse_quiz(path, front.body, front.body_line)
    problems.extend(parsed.problems)
    return Quiz(
        path=path,
        title=values["title"],
        pass_mark=values["pass_mark"],
        max_attempts=values["max_attempts"],
        shuffle=values["shuffle"],
        draw=values["draw"],
        review=values["review"],
        intro=parsed.intro,
        intro_line=parsed.intro_line,
        questions=parsed.questions,
        key_lines=front.key_lines,
        source=text,
    )
