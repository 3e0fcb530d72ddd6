"""scripts/bootstrap builds the tool environments only with a Python the locks admit.

uv refuses an interpreter outside a lock's requires-python (the Astro Runtime 3.3 default image runs
3.14, the locks say <3.14), so bootstrap refuses it first, naming the Pythons it accepts.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _accepted_minors() -> list[str]:
    ranges = {tomllib.loads(p.read_text())["requires-python"] for p in (ROOT / "envs").glob("*/uv.lock")}
    assert len(ranges) == 1, ranges
    low, high = map(int, re.findall(r"3\.(\d+)", ranges.pop()))
    return [f"3.{minor}" for minor in range(low, high)]


def _bin_with(tmp_path: Path, programs: dict[str, str]) -> Path:
    """A PATH directory holding only `programs` (name -> shell script body) and dirname."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "dirname").symlink_to("/usr/bin/dirname")
    for name, body in programs.items():
        program = bin_dir / name
        program.write_text(f"#!/bin/sh\n{body}\n")
        program.chmod(0o755)
    return bin_dir


def _bootstrap(bin_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["/bin/bash", str(ROOT / "scripts" / "bootstrap"), "--only", "dbt"],
        env={"PATH": str(bin_dir), "HOME": str(bin_dir.parent), **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_a_python_the_locks_refuse_stops_bootstrap_naming_the_accepted_ones(tmp_path: Path) -> None:
    bin_dir = _bin_with(tmp_path, {"python3": "echo 3.14"})  # answers every question with 3.14
    result = _bootstrap(bin_dir)
    assert result.returncode != 0
    accepted = ", ".join(_accepted_minors())
    assert f"accept Python {accepted} only" in result.stderr
    assert "python3 is 3.14" in result.stderr
    assert not (tmp_path / ".venvs").exists()


def test_wms_python_outside_the_range_is_refused_not_skipped(tmp_path: Path) -> None:
    bin_dir = _bin_with(tmp_path, {"python3.14": "echo 3.14", "python3": "echo 3.14"})
    result = _bootstrap(bin_dir, WMS_PYTHON="python3.14")
    assert result.returncode != 0
    assert "python3.14 is 3.14" in result.stderr


def test_an_admitted_python_is_chosen_as_the_interpreter_itself(tmp_path: Path) -> None:
    """find_python resolves a launcher to the interpreter it starts (uv needs the real path)."""
    bin_dir = _bin_with(tmp_path, {"python3": "echo 3.14"})
    minor = f"{sys.version_info[0]}.{sys.version_info[1]}"
    assert minor in _accepted_minors()
    (bin_dir / f"python{minor}").symlink_to(sys.executable)
    result = subprocess.run(
        ["/bin/bash", "-c", f"source {ROOT}/scripts/lib/common.sh && find_python"],
        env={**os.environ, "PATH": str(bin_dir)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert Path(result.stdout.strip()).resolve() == Path(sys.executable).resolve()
