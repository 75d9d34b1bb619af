#!/usr/bin/env python3
"""Check that requirements.lock and requirements-dev.lock agree with pyproject.toml.

pyproject.toml says which versions we accept; the locks say which exact files
we install. They drift apart when someone adds a dependency or moves a bound
and forgets `make lock`: the suite would then run against what the lock
happened to pin, not what pyproject.toml promises, and production would lack
the new package. This fails, naming every disagreement, when:

- a dependency of pyproject.toml is not pinned in the lock that should hold it
  (runtime dependencies in both locks, the `dev` extra in requirements-dev.lock);
- a pin lies outside pyproject.toml's range for it;
- a pin has no hash (pip's --require-hashes would refuse the whole lock);
- the two locks pin the same package at different versions (the tests would
  not run what production installs);
- a lock still holds a package only because pyproject.toml once asked for it.

Run by `make test`, `make run` and `make lock`; needs only `packaging`.
Exit status 0 when all is well, 1 with the problems on stderr otherwise.
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import NormalizedName, canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
# How the lock writer (uv) names pyproject.toml in a pin's "# via" list.
VIA_PYPROJECT = "(pyproject.toml)"


@dataclass
class Pin:
    name: NormalizedName
    version: str
    line: int
    hashes: int
    via: list[str] = field(default_factory=list)


@dataclass
class Lock:
    path: Path
    pins: dict[NormalizedName, list[Pin]]
    problems: list[str]


def read_lock(path: Path) -> Lock:
    """The pins of a requirements file in pip's format (as uv and pip-compile write it)."""
    pins: dict[NormalizedName, list[Pin]] = defaultdict(list)
    problems: list[str] = []
    if not path.exists():
        return Lock(path, pins, [f"{path.name} is missing"])
    current: Pin | None = None
    in_via = False
    statement, start = "", 0
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        line = raw.strip()
        if line.startswith("#"):
            comment = line.lstrip("#").strip()
            # "# via flask" or "# via" followed by "#   flask" lines.
            if comment.startswith("via"):
                rest = comment.removeprefix("via").strip()
                in_via = not rest
                if current is not None and rest:
                    current.via.append(rest)
            elif in_via and current is not None and comment:
                current.via.append(comment)
            continue
        in_via = False
        if not line:
            continue
        if not statement:
            start = number
        statement += " " + line.removesuffix("\\")
        if line.endswith("\\"):
            continue
        current = _parse_pin(statement.strip(), path, start, problems)
        if current is not None:
            pins[current.name].append(current)
        statement = ""
    return Lock(path, pins, problems)


def _parse_pin(statement: str, path: Path, line: int, problems: list[str]) -> Pin | None:
    words = statement.split()
    hashes = sum(word.startswith("--hash=") for word in words)
    text = " ".join(word for word in words if not word.startswith("--hash="))
    if text.startswith("-"):
        return None  # an option line (--index-url …): nothing pinned
    try:
        requirement = Requirement(text)
    except InvalidRequirement as error:
        problems.append(f"{path.name}:{line}: cannot read {text!r} ({error})")
        return None
    specs = list(requirement.specifier)
    if len(specs) != 1 or specs[0].operator != "==" or "*" in specs[0].version:
        problems.append(f"{path.name}:{line}: {requirement.name} is not pinned to one version")
        return None
    pin = Pin(canonicalize_name(requirement.name), specs[0].version, line, hashes)
    if not hashes:
        problems.append(f"{path.name}:{line}: {pin.name}=={pin.version} has no --hash")
    return pin


def read_pyproject(path: Path) -> tuple[list[Requirement], list[Requirement]]:
    """The runtime dependencies and the `dev` extra of pyproject.toml."""
    project = tomllib.loads(path.read_text())["project"]
    runtime = [Requirement(text) for text in project.get("dependencies", [])]
    dev = [Requirement(text) for text in project.get("optional-dependencies", {}).get("dev", [])]
    return runtime, dev


def check_against(lock: Lock, requirements: list[Requirement]) -> list[str]:
    """Every requirement pinned in `lock`, inside its range; nothing left over from pyproject."""
    problems = []
    wanted = {canonicalize_name(r.name) for r in requirements}
    for requirement in requirements:
        name = canonicalize_name(requirement.name)
        pins = lock.pins.get(name)
        if not pins:
            problems.append(f"{lock.path.name}: {requirement} is in pyproject.toml but not locked")
            continue
        for pin in pins:
            if not requirement.specifier.contains(pin.version, prereleases=True):
                problems.append(
                    f"{lock.path.name}:{pin.line}: {pin.name}=={pin.version} is outside "
                    f"pyproject.toml's range {requirement.name}{requirement.specifier}"
                )
    for name, pins in sorted(lock.pins.items()):
        for pin in pins:
            asked = [via for via in pin.via if not via.startswith("-c ")]
            if name not in wanted and asked and all(VIA_PYPROJECT in via for via in asked):
                problems.append(
                    f"{lock.path.name}:{pin.line}: {name}=={pin.version} is locked because "
                    "pyproject.toml asked for it, but it no longer does"
                )
    return problems


def check_same_pins(runtime: Lock, dev: Lock) -> list[str]:
    """Every package production installs is installed, at the same version, for the tests."""
    problems = []
    for name, pins in sorted(runtime.pins.items()):
        versions = {pin.version for pin in pins}
        dev_versions = {pin.version for pin in dev.pins.get(name, [])}
        if versions != dev_versions:
            problems.append(
                f"{dev.path.name}: {name} is "
                + (f"pinned to {', '.join(sorted(dev_versions))}" if dev_versions else "missing")
                + f" but {runtime.path.name} pins {', '.join(sorted(versions))}"
            )
    return problems


def check(pyproject: Path, runtime_lock: Path, dev_lock: Path) -> list[str]:
    """Every disagreement between pyproject.toml and the two locks, as readable lines."""
    runtime_requirements, dev_requirements = read_pyproject(pyproject)
    runtime = read_lock(runtime_lock)
    dev = read_lock(dev_lock)
    problems = runtime.problems + dev.problems
    if runtime.pins:
        problems += check_against(runtime, runtime_requirements)
    if dev.pins:
        problems += check_against(dev, runtime_requirements + dev_requirements)
    if runtime.pins and dev.pins:
        problems += check_same_pins(runtime, dev)
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pyproject", type=Path, default=ROOT / "pyproject.toml")
    parser.add_argument("--lock", type=Path, default=ROOT / "requirements.lock")
    parser.add_argument("--dev-lock", type=Path, default=ROOT / "requirements-dev.lock")
    args = parser.parse_args(argv)
    problems = check(args.pyproject, args.lock, args.dev_lock)
    if not problems:
        return 0
    print(
        f"The dependency locks do not match {args.pyproject.name}:",
        *(f"  - {problem}" for problem in problems),
        "Run `make lock` to bring requirements.lock and requirements-dev.lock in line "
        "with pyproject.toml, then commit all three.",
        sep="\n",
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())
