"""The dependency locks: scripts/check_lock.py fails `make test` when they and
pyproject.toml disagree, and passes the locks we ship."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "check_lock.py"

_spec = importlib.util.spec_from_file_location("check_lock", SCRIPT)
check_lock = importlib.util.module_from_spec(_spec)
sys.modules["check_lock"] = check_lock  # dataclasses look their module up there
_spec.loader.exec_module(check_lock)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the real pyproject.toml and locks, to break one way at a time."""
    for name in ("pyproject.toml", "requirements.lock", "requirements-dev.lock"):
        shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path


def run_checker(folder: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--pyproject",
            str(folder / "pyproject.toml"),
            "--lock",
            str(folder / "requirements.lock"),
            "--dev-lock",
            str(folder / "requirements-dev.lock"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1))


def test_the_shipped_locks_match_pyproject():
    result = run_checker(ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def test_the_shipped_locks_pin_every_package_with_hashes():
    for name in ("requirements.lock", "requirements-dev.lock"):
        lock = check_lock.read_lock(ROOT / name)
        assert lock.problems == []
        assert {"flask", "babel"} <= lock.pins.keys()
        assert all(pin.hashes for pins in lock.pins.values() for pin in pins)
    dev = check_lock.read_lock(ROOT / "requirements-dev.lock")
    assert {"pytest", "ruff", "uv", "packaging"} <= dev.pins.keys()


def test_a_dependency_added_to_pyproject_but_not_locked_fails(project):
    edit(
        project / "pyproject.toml", '"gunicorn>=22,<28",', '"gunicorn>=22,<28",\n    "humanize>=4",'
    )

    result = run_checker(project)

    assert result.returncode == 1
    assert "requirements.lock: humanize>=4 is in pyproject.toml but not locked" in result.stderr
    assert "requirements-dev.lock: humanize>=4 is in pyproject.toml but not locked" in (
        result.stderr
    )
    assert "make lock" in result.stderr


def test_a_dev_dependency_not_locked_fails_for_the_dev_lock_only(project):
    edit(project / "pyproject.toml", '"ruff>=0.5,<0.18",', '"ruff>=0.5,<0.18",\n    "mypy>=1",')

    problems = check_lock.check(
        project / "pyproject.toml", project / "requirements.lock", project / "requirements-dev.lock"
    )

    assert problems == ["requirements-dev.lock: mypy>=1 is in pyproject.toml but not locked"]


def test_a_pin_outside_the_range_fails(project):
    pinned = re.search(r"^flask==(\S+)", (ROOT / "requirements.lock").read_text(), re.M)[1]
    major = int(pinned.split(".")[0])
    # pyproject.toml moves on to the next major, the locks do not.
    edit(project / "pyproject.toml", '"flask>=3.0,<4",', f'"flask>={major + 1}",')

    result = run_checker(project)

    assert result.returncode == 1
    assert re.search(
        rf"requirements\.lock:\d+: flask=={re.escape(pinned)} is outside pyproject\.toml's "
        rf"range flask>={major + 1}",
        result.stderr,
    ), result.stderr
    assert "requirements-dev.lock" in result.stderr
    assert "Run `make lock`" in result.stderr


def test_a_pin_without_a_hash_fails(project):
    lock = project / "requirements.lock"
    text = lock.read_text()
    # Drop the hash lines of the first pin, keeping the pin itself.
    start = text.index("alembic==")
    end = text.index("\n    # via", start)
    block = text[start:end]
    lock.write_text(text.replace(block, block.split(" \\")[0], 1))

    problems = check_lock.check(project / "pyproject.toml", lock, project / "requirements-dev.lock")

    assert any(
        re.fullmatch(r"requirements\.lock:\d+: alembic==\S+ has no --hash", p) for p in problems
    )


def test_locks_that_pin_different_versions_fail(project):
    dev = project / "requirements-dev.lock"
    pinned = re.search(r"^segno==(\S+) ", dev.read_text(), re.M)[1]
    edit(dev, f"segno=={pinned} ", "segno==1.6.0 ")

    problems = check_lock.check(project / "pyproject.toml", project / "requirements.lock", dev)

    assert problems == [
        f"requirements-dev.lock: segno is pinned to 1.6.0 but requirements.lock pins {pinned}"
    ]


def test_a_package_pyproject_no_longer_asks_for_fails(project):
    edit(project / "pyproject.toml", '    "segno>=1.6,<2",\n', "")

    problems = check_lock.check(
        project / "pyproject.toml", project / "requirements.lock", project / "requirements-dev.lock"
    )

    assert len(problems) == 2
    assert all(
        "segno==" in p and "pyproject.toml asked for it, but it no longer does" in p
        for p in problems
    )


def test_a_missing_lock_fails(project):
    (project / "requirements-dev.lock").unlink()

    result = run_checker(project)

    assert result.returncode == 1
    assert "requirements-dev.lock is missing" in result.stderr
