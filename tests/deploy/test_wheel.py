"""The wheel is the whole application: installed on its own (no checkout beside it)
it migrates a database, syncs a curriculum, serves pages and renders certificates."""

from __future__ import annotations

import filecmp
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import TEST_CURRICULUM

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = "academy/_shipped"
# What a build must not pick up from a working checkout.
NOT_SOURCE = shutil.ignore_patterns(
    ".git",
    ".venv",
    "instance",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    "*.py[co]",
    ".pytest_cache",
    ".ruff_cache",
    "out",
    "node_modules",
)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel `make wheel` builds, made from a clean copy of the source (as CI would)."""
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "source"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCE)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--wheel-dir",
            str(tmp / "dist"),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (built,) = (tmp / "dist").glob("organising_academy-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """The wheel installed into a folder of its own (its dependencies are this venv's)."""
    site = tmp_path_factory.mktemp("installed") / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site)]
        + [str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return site


def files_under(folder: Path) -> list[str]:
    return sorted(
        path.relative_to(folder).as_posix()
        for path in folder.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    )


def test_the_wheel_holds_migrations_curriculum_certificates_and_static_files(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())

    assert f"{SHIPPED}/migrations/env.py" in names
    assert f"{SHIPPED}/migrations/alembic.ini" in names
    assert f"{SHIPPED}/migrations/script.py.mako" in names
    migrations = files_under(ROOT / "migrations" / "versions")
    assert migrations, "no migration in the repository"
    for name in migrations:
        assert f"{SHIPPED}/migrations/versions/{name}" in names
    courses = sorted(ROOT.glob("curriculum/*/course.md"))
    assert courses, "no course in the repository"
    for course in courses:
        assert f"{SHIPPED}/curriculum/{course.parent.name}/course.md" in names
    for name in files_under(ROOT / "curriculum"):
        assert f"{SHIPPED}/curriculum/{name}" in names
    assert f"{SHIPPED}/certificates/default/certificate.html" in names
    for name in files_under(ROOT / "certificates"):
        assert f"{SHIPPED}/certificates/{name}" in names
    static = files_under(ROOT / "academy" / "static")
    assert static
    for name in static:
        assert f"academy/static/{name}" in names
    for template in ROOT.glob("academy/**/templates/**/*.html"):
        assert template.relative_to(ROOT).as_posix() in names
    assert "academy/data/common-passwords.txt" in names


def test_the_wheel_leaves_out_what_is_not_the_application(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/")[0] for name in names}
    assert tops == {"academy", "organising_academy-0.1.0.dist-info"}
    assert not [name for name in names if "__pycache__" in name or name.endswith(".pyc")]


def run_installed(site: Path, tmp: Path, *args: str, **env: str) -> str:
    """Run Python from this venv with the installed wheel, not the checkout, on its path."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("FLASK_", "ACADEMY_", "DATABASE_", "REDIS_", "PYTHON"))
    }
    environment.update(
        PYTHONPATH=str(site),
        ACADEMY_INSTANCE_PATH=str(tmp / "instance"),
        DATABASE_URL=f"sqlite:///{tmp / 'academy.sqlite3'}",
        **env,
    )
    result = subprocess.run(
        [sys.executable, *args],
        cwd=tmp,  # not the checkout: nothing may be found there
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_the_installed_wheel_finds_its_own_folders(installed, tmp_path):
    out = run_installed(
        installed,
        tmp_path,
        "-c",
        "import academy, academy.paths as p, academy.config as c;"
        "from academy.certificates.render import DEFAULT_TEMPLATE_DIR as t;"
        "print(academy.__file__, p.MIGRATIONS_DIR, c.defaults('/i')['ACADEMY_CURRICULUM_DIR'], t,"
        " sep='\\n')",
    )
    package, migrations, curriculum, template = out.split()
    assert Path(package) == installed / "academy" / "__init__.py"
    assert Path(migrations) == installed / SHIPPED / "migrations"
    assert Path(curriculum) == installed / SHIPPED / "curriculum"
    assert Path(template) == installed / SHIPPED / "certificates" / "default"
    # The shipped courses are the repository's, file for file.
    comparison = filecmp.dircmp(ROOT / "curriculum", installed / SHIPPED / "curriculum")
    assert files_under(ROOT / "curriculum") == files_under(installed / SHIPPED / "curriculum")
    assert not comparison.diff_files


def test_the_installed_wheel_migrates_syncs_serves_and_renders(installed, tmp_path):
    # The courses come from the test curriculum (the shipped one is the same code path,
    # above, and its content is checked by tests/content); migrations, templates, static
    # files and the certificate template all come from the wheel.
    flask = ["-m", "flask", "--app", "academy"]
    courses = {"ACADEMY_CURRICULUM_DIR": str(TEST_CURRICULUM)}
    out = run_installed(installed, tmp_path, *flask, "db", "upgrade", **courses)
    out += run_installed(installed, tmp_path, *flask, "academy", "seed-academies", **courses)
    out += run_installed(installed, tmp_path, *flask, "academy", "curriculum", "sync", **courses)
    assert "11 academies" in out
    assert re.search(r"synced from \S+: [1-9]\d* created", out), out

    script = """
import datetime as dt, io, pypdf
from academy import create_app
from academy.certificates.render import CertificateContent, CertificateRenderer
app = create_app({"RATELIMIT_ENABLED": False})
client = app.test_client()
assert client.get("/healthz").status_code == 200
page = client.get("/courses")
assert page.status_code == 200 and b"Organising basics" in page.data, page.data[:500]
css = [l for l in page.data.decode().split('"') if l.startswith("/static/") and ".css" in l]
assert css and client.get(css[0]).status_code == 200, css
pdf = CertificateRenderer().render(CertificateContent(
    number="OA-2026-000001", holder_name="Ada Installed", course_title="Organising basics",
    level="introductory", credit_hours=3, academy_name="North West Organising Academy",
    issued_on=dt.date(2026, 11, 21), expires_on=None, issuer_name="Sam Staff",
    verify_url="https://academy.example.org/verify/abc"))
text = " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)
print("PDF", len(pdf), " ".join(text.split()))
"""
    out = run_installed(installed, tmp_path, "-c", script, **courses)
    assert "Ada Installed" in out
    assert "Organising basics" in out
    # Written where ACADEMY_INSTANCE_PATH says, never inside the installation.
    assert (tmp_path / "instance").is_dir()
    assert not list(installed.rglob("*.sqlite3"))
