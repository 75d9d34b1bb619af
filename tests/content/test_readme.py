"""The examples in curriculum/README.md (the writers' guide) pass the check as written."""

from __future__ import annotations

import re
from pathlib import Path

from academy.content import check, read_curriculum
from tests.content.conftest import formatted

README = Path(__file__).parents[2] / "curriculum" / "README.md"


def example(section: str) -> str:
    """The first ```markdown block after the `## <section>` heading."""
    text = README.read_text()
    start = text.index(f"\n## {section}\n")
    match = re.compile(r"```markdown\n(.*?)\n```", re.DOTALL).search(text, start)
    assert match is not None
    return match.group(1) + "\n"


def test_the_guide_examples_make_a_valid_course(tmp_path):
    course = tmp_path / "organising"
    module = course / "01-listening-campaigns"
    module.mkdir(parents=True)
    (course / "course.md").write_text(example("course.md"))
    (module / "module.md").write_text(example("module.md"))
    (module / "01-why-listen-first.md").write_text(example("Lessons"))
    (module / "quiz.md").write_text(example("quiz.md"))
    assert formatted(check(tmp_path), tmp_path) == []
    quiz = read_curriculum(tmp_path).courses[0].modules[0].quiz
    assert [q.kind for q in quiz.questions] == ["single", "multiple", "short"]
