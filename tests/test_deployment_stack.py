"""The image the Dockerfile builds runs the stack the suite tested.

Astro Runtime tags (`runtime:<minor>-<build>[-python-3.X]`) name one build of one Airflow series; each
build carries one Airflow patch release, ships several Pythons (the default one when the tag names
none) and bundles some providers. docs/deploy/astro-runtime-builds.json records them, with its sources.
Against that table: the tag's Airflow must be the Airflow of envs/airflow/uv.lock, its Python one all
three locks admit (and the one the Dockerfile's bootstrap asks for), and requirements.txt must pin, at
the lock's versions, what it adds and every bundled provider the lock also holds (a bundled provider
left unpinned runs at the Runtime's version, not the tested one).
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
BUILDS_FILE = ROOT / "docs" / "deploy" / "astro-runtime-builds.json"
_TAG = re.compile(
    r"^FROM\s+astrocrpublic\.azurecr\.io/runtime:(?P<build>\d+\.\d+-\d+)(?:-python-(?P<python>3\.\d+))?\s*$",
    re.M,
)
_BOOTSTRAP = re.compile(r"^RUN\s+(?:WMS_PYTHON=(?P<python>\S+)\s+)?scripts/bootstrap\b", re.M)


@dataclass(frozen=True)
class Stack:
    dockerfile: str
    requirements: str
    lock: dict[str, Any]
    builds: dict[str, Any]


def _lock(env: str) -> dict[str, Any]:
    return tomllib.loads((ROOT / "envs" / env / "uv.lock").read_text())


def committed_stack() -> Stack:
    return Stack(
        dockerfile=(ROOT / "Dockerfile").read_text(),
        requirements=(ROOT / "requirements.txt").read_text(),
        lock=_lock("airflow"),
        builds=json.loads(BUILDS_FILE.read_text())["builds"],
    )


def runtime_image(dockerfile: str) -> tuple[str, str | None]:
    """(build, python flavour or None) of the Dockerfile's Astro Runtime base."""
    found = _TAG.findall(dockerfile)
    assert len(found) == 1, (
        "the Dockerfile must have exactly one FROM astrocrpublic.azurecr.io/runtime:<build>"
    )
    build, python = found[0]
    return build, python or None


def image_python(stack: Stack) -> str:
    """The Python the image runs: the tag's flavour, else the build's default."""
    build, python = runtime_image(stack.dockerfile)
    return python or str(stack.builds[build]["default_python"])


def _admitted(requires_python: str) -> tuple[int, int]:
    match = re.fullmatch(r">=3\.(\d+), ?<3\.(\d+)", requires_python)
    assert match, f"unexpected requires-python {requires_python!r}"
    return int(match[1]), int(match[2])


def stack_disagreements(stack: Stack) -> list[str]:
    """Every way the Dockerfile's image would not be the tested stack, in words."""
    problems: list[str] = []
    locked = {package["name"]: package.get("version") for package in stack.lock["package"]}
    build, _ = runtime_image(stack.dockerfile)
    spec = stack.builds.get(build)
    if spec is None:
        return [f"runtime {build} is not in {BUILDS_FILE.name}: add it with its source first"]
    if spec["airflow"] != locked["apache-airflow"]:
        problems.append(
            f"runtime {build} carries Airflow {spec['airflow']}, the lock {locked['apache-airflow']}"
        )
    python = image_python(stack)
    if python not in spec["pythons"]:
        problems.append(f"runtime {build} ships no Python {python} (it ships {', '.join(spec['pythons'])})")
    low, high = _admitted(stack.lock["requires-python"])
    if not low <= int(python.split(".")[1]) < high:
        problems.append(f"the image's Python {python} is outside the locks' {stack.lock['requires-python']}")
    bootstrap = _BOOTSTRAP.search(stack.dockerfile)
    if bootstrap is None:
        problems.append("the Dockerfile does not RUN scripts/bootstrap")
    elif bootstrap["python"] != f"python{python}":
        problems.append(
            f"the bootstrap builds the tool environments with {bootstrap['python'] or 'any Python'}, "
            f"not the image's python{python}"
        )
    pins: dict[str, str] = {}
    for raw in stack.requirements.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        name, sep, version = line.partition("==")
        if not sep:
            problems.append(f"requirements.txt: {line!r} is not pinned with ==")
            continue
        pins[name.strip().lower()] = version.strip()
    for name, version in pins.items():
        if locked.get(name) != version:
            problems.append(f"requirements.txt pins {name}=={version}, the lock has {locked.get(name)}")
    for name, bundled in (spec.get("bundled_providers") or {}).items():
        if name in locked and name not in pins and bundled != locked[name]:
            problems.append(
                f"runtime {build} bundles {name} {bundled or '(version unknown)'}, the lock has "
                f"{locked[name]}: pin it in requirements.txt"
            )
    if spec.get("bundled_providers") is None:
        problems.append(f"{BUILDS_FILE.name} lists no bundled providers for runtime {build}")
    return problems


def test_the_dockerfiles_image_is_the_tested_stack() -> None:
    assert stack_disagreements(committed_stack()) == []


def test_all_three_locks_admit_the_same_pythons() -> None:
    assert len({_lock(env)["requires-python"] for env in ("airflow", "dbt", "meltano")}) == 1


def test_the_table_names_its_sources_and_the_day_they_were_read() -> None:
    table = json.loads(BUILDS_FILE.read_text())
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", table["read_on"])
    urls = [url for entries in table["sources"].values() for url in entries]
    assert any("astronomer.io/docs/runtime/runtime-provider-reference" in url for url in urls)
    assert any("astro-cli" in url for url in urls)


def _replaced(stack: Stack, field: str, old: str, new: str) -> Stack:
    text = getattr(stack, field)
    assert old in text, f"{old!r} is not in the committed {field}"
    return Stack(**{**stack.__dict__, field: text.replace(old, new)})


def _from_line(stack: Stack) -> str:
    match = _TAG.search(stack.dockerfile)
    assert match
    return match[0]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        # The audit's finding: 3.3-2 runs an older Airflow, on Python 3.14 (its default).
        (("dockerfile", "FROM", "runtime:3.3-2"), "carries Airflow 3.3.0, the lock 3.3.2"),
        (("dockerfile", "FROM", "runtime:3.3-2"), "Python 3.14 is outside the locks'"),
        (("dockerfile", "FROM", "runtime:3.3-8"), "Python 3.14 is outside the locks'"),
        (("dockerfile", "FROM", "runtime:3.3-7-python-3.12"), "carries Airflow 3.3.1"),
        (("dockerfile", "FROM", "runtime:3.3-9-python-3.12"), "not in astro-runtime-builds.json"),
        (("dockerfile", "FROM", "runtime:3.3-8-python-3.13"), "not the image's python3.13"),
        (("dockerfile", "WMS_PYTHON=python3.12 ", ""), "with any Python"),
        (
            ("requirements", "apache-airflow-providers-common-compat==1.23.0\n", ""),
            "bundles apache-airflow-providers-common-compat",
        ),
        (
            ("requirements", "apache-airflow-providers-smtp==3.2.0", "apache-airflow-providers-smtp==3.0.1"),
            "pins apache-airflow-providers-smtp==3.0.1, the lock has 3.2.0",
        ),
        (("requirements", "duckdb==1.4.4", "duckdb"), "'duckdb' is not pinned"),
    ],
    ids=lambda value: value if isinstance(value, str) else " -> ".join(value[1:]),
)
def test_a_disagreement_is_named(change: tuple[str, str, str], expected: str) -> None:
    field, old, new = change
    stack = committed_stack()
    if old == "FROM":  # replace the whole tag
        line = _from_line(stack)
        stack = _replaced(stack, "dockerfile", line, f"FROM astrocrpublic.azurecr.io/{new}")
    else:
        stack = _replaced(stack, field, old, new)
    problems = stack_disagreements(stack)
    assert any(expected in problem for problem in problems), problems
