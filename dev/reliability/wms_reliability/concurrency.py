"""Several loaders writing overlapping windows into the same warehouse at the same moment.

The Singer input of each writer is extracted first (in-process), so the loaders start together and
really overlap: a backfill of past windows, the scheduled incremental window and the weekly full sync.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from wms_simulator import SimulatorServer

from .compare import difference, simulator_versions, warehouse_versions
from .pipeline import BIN, CORE, extract, tap_config, target_config, write_config


def writer_inputs(server: SimulatorServer, directory: Path, windows: int = 3) -> list[Path]:
    """Singer files: ``windows`` adjacent backfill windows, an incremental window overlapping the last
    of them (lookback), and a full sync; together they cover every current version several times."""
    stamps = sorted(ts for entity in CORE for _, ts in simulator_versions(server.sim, entity))
    start, end = stamps[0], stamps[-1] + timedelta(seconds=1)
    step = (end - start) / windows
    ranges: list[tuple[datetime, datetime] | None] = [
        (start + step * n, start + step * (n + 1)) for n in range(windows)
    ]
    ranges.append((start + step * (windows - 1) - step / 2, end))  # incremental with lookback
    ranges.append(None)  # full sync
    paths = []
    for number, window in enumerate(ranges):
        text, error = extract(tap_config(server, window=window))
        if error:
            raise AssertionError(error)
        path = directory / f"writer{number}.singer"
        path.write_text(text)
        paths.append(path)
    return paths


@dataclass
class WriterResult:
    codes: list[int]
    errors: list[str] = field(default_factory=list)


def load_concurrently(
    directory: Path, url: str, inputs: list[Path], tag: str, **settings: Any
) -> WriterResult:
    """Start one target process per input at once; wait for all."""
    processes = []
    for number, singer in enumerate(inputs):
        config = write_config(directory, f"{tag}-{number}", target_config(url, f"{tag}-{number}", **settings))
        processes.append(
            subprocess.Popen(
                [str(BIN / "target-warehouse"), "--config", str(config)],
                stdin=singer.open("rb"),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        )
    result = WriterResult(codes=[])
    for process in processes:
        _, stderr = process.communicate(timeout=300)
        result.codes.append(process.returncode)
        if process.returncode:
            lines = stderr.decode(errors="replace").strip().splitlines()
            result.errors.append(
                next(
                    (line for line in reversed(lines) if "Error" in line),
                    lines[-1] if lines else "(no message)",
                )
            )
    return result


def exactness(server: SimulatorServer, url: str) -> dict[str, Any]:
    """Empty when every entity's raw table holds exactly the simulator's current versions, once each."""
    problems = {}
    for entity in CORE:
        diff = difference(simulator_versions(server.sim, entity), warehouse_versions(url, entity))
        if diff:
            problems[entity] = diff
    return problems


def load_in_threads(url: str, inputs: list[Path], tag: str) -> WriterResult:
    """The same as ``load_concurrently`` with threads of this process: real concurrent transactions,
    without paying a process start-up per writer (the fast variant)."""
    import threading

    from .pipeline import load

    errors: dict[int, str] = {}

    def run(number: int, singer: Path) -> None:
        error = load(target_config(url, f"{tag}-{number}"), singer.read_text())
        if error:
            errors[number] = error.splitlines()[0]

    threads = [threading.Thread(target=run, args=(n, p)) for n, p in enumerate(inputs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return WriterResult(
        codes=[1 if n in errors else 0 for n in range(len(inputs))],
        errors=[errors[n] for n in sorted(errors)],
    )


def rerun_failed(url: str, inputs: list[Path], result: WriterResult, tag: str) -> list[str]:
    """What operations does after a failed task: rerun it (alone). Returns the errors of the reruns."""
    from .pipeline import load

    errors = []
    for number, code in enumerate(result.codes):
        if code:
            error = load(target_config(url, f"{tag}-rerun-{number}"), inputs[number].read_text())
            if error:
                errors.append(error)
    return errors
