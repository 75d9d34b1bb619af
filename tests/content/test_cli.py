"""`flask academy curriculum check|sync`, and the app refusing a broken curriculum."""

from __future__ import annotations

import pytest

from academy import create_app
from academy.content import CurriculumError
from academy.content.cli import curriculum_cli
from tests.content.conftest import VALID, edit


def test_check_passes_on_the_configured_curriculum(runner):
    result = runner.invoke(curriculum_cli, ["check"])
    assert result.exit_code == 0, result.output
    assert "No problems: checked 2 courses, 4 modules, 8 lessons, 4 quizzes" in result.output


def test_check_prints_every_problem_as_path_line_message_and_fails(runner, curriculum, monkeypatch):
    edit(curriculum / "organising-basics/02-teams/01-one-to-ones.md", "minutes: 20", "minutes: x")
    edit(curriculum / "leading-campaigns/course.md", "[organising-basics]", "[nowhere]")
    monkeypatch.chdir(curriculum.parent)
    result = runner.invoke(curriculum_cli, ["check", str(curriculum)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[:2] == [
        "curriculum/leading-campaigns/course.md:7: prerequisite 'nowhere' is not a course "
        "(no folder of that name)",
        "curriculum/organising-basics/02-teams/01-one-to-ones.md:3: 'minutes' must be a whole "
        "number, not 'x'",
    ]
    assert lines[2].startswith("2 problems in 2 files; checked 2 courses")


def test_sync_reports_what_it_did(runner):
    result = runner.invoke(curriculum_cli, ["sync"])
    assert result.exit_code == 0, result.output
    assert "0 created, 0 updated, 0 restored, 0 retired, 33 unchanged" in result.output


def test_sync_refuses_a_broken_curriculum(app, runner, curriculum):
    edit(curriculum / "organising-basics/course.md", "level: foundation", "level: expert")
    app.config["ACADEMY_CURRICULUM_DIR"] = str(curriculum)
    result = runner.invoke(curriculum_cli, ["sync"])
    assert result.exit_code == 1
    assert "organising-basics/course.md:4: 'level' must be one of" in result.output
    assert "Not synced: 1 problem in the curriculum." in result.output


def test_the_app_refuses_to_start_on_a_broken_curriculum_and_says_why(app_config, curriculum):
    edit(curriculum / "organising-basics/01-listening/quiz.md", "- [x] Asking", "- [ ] Asking")
    with pytest.raises(CurriculumError) as caught:
        create_app({**app_config, "ACADEMY_CURRICULUM_DIR": str(curriculum)})
    message = str(caught.value)
    assert "has 1 problem" in message
    assert (
        "organising-basics/01-listening/quiz.md:10: question has no correct option: "
        "mark the right one with '[x]'"
    ) in message


def test_the_app_starts_on_a_valid_curriculum(app_config):
    assert create_app({**app_config, "ACADEMY_CURRICULUM_DIR": str(VALID)}) is not None
