"""Follow `airflow dags test` output: one progress line per finished task, and per-task log files."""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

_START = re.compile(r"\[DAG TEST\] starting task_id=(?P<task>\S+) map_index=(?P<index>-?\d+)")
_END = re.compile(r"\[DAG TEST\] end task task_id=(?P<task>\S+) map_index=(?P<index>-?\d+)")


def run_following(
    command: list[str], env: dict[str, str], output: Path, on_task_end: Callable[[str, float], None]
) -> int:
    """Run `command`, writing its output to `output`; call `on_task_end(task, seconds)` as tasks finish."""
    started: dict[str, float] = {}
    with output.open("w") as sink:
        process = subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        assert process.stdout is not None
        for line in process.stdout:
            sink.write(line)
            if match := _START.search(line):
                started[_label(match)] = time.monotonic()
            elif match := _END.search(line):
                label = _label(match)
                on_task_end(label, time.monotonic() - started.get(label, time.monotonic()))
        return process.wait()


def _label(match: re.Match[str]) -> str:
    index = int(match.group("index"))
    return match.group("task") + (f"[{index}]" if index >= 0 else "")


def split_task_logs(output: Path, directory: Path) -> dict[str, Path]:
    """Cut the run's output into one file per task (dags test writes no task log files of its own)."""
    directory.mkdir(parents=True, exist_ok=True)
    logs: dict[str, Path] = {}
    current: list[str] | None = None
    label = ""
    for line in output.read_text(errors="replace").splitlines(keepends=True):
        if match := _START.search(line):
            label, current = _label(match), [line]
        elif current is not None:
            current.append(line)
            if _END.search(line):
                path = directory / f"{label.replace('/', '_')}.log"
                path.write_text("".join(current))
                logs[label] = path
                current = None
    return logs
