"""Helpers every section shares: timed processes with peak memory, load average, medians, the simulator."""

from __future__ import annotations

import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parents[2]
VENVS = Path(os.environ.get("WMS_VENVS_DIR", ROOT / ".venvs"))
STATE = Path(os.environ.get("WMS_STATE_DIR", ROOT / ".local"))
WORK = STATE / "bench"
SIM_PASSWORD = "bench-secret"  # noqa: S105 - a local simulator's dev password
SIM_USER = "wms_api"


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def load_average() -> float:
    return round(os.getloadavg()[0], 2)


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "python": sys.version.split()[0],
        "uptime": subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip(),
    }


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Sample:
    """One timed process: wall seconds, peak RSS (whole process tree and its largest process), load."""

    wall_s: float
    peak_tree_mb: float
    peak_process_mb: dict[str, float]
    cpu_s: float
    load_before: float
    returncode: int
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def timed(
    command: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    stdin: Path | None = None,
    log: Path | None = None,
    interval: float = 0.1,
) -> Sample:
    """Run `command`, sampling the RSS of it and every descendant every `interval` seconds.

    peak_process_mb maps each executable name seen (e.g. target-warehouse) to its own peak RSS;
    peak_tree_mb is the peak of the sum over the tree. CPU seconds are the tree's user + system.
    """
    load = load_average()
    out = log.open("w") if log else subprocess.DEVNULL
    source = stdin.open("rb") if stdin else subprocess.DEVNULL
    started = time.perf_counter()
    process = subprocess.Popen(
        list(command),
        env=dict(env) if env else None,
        cwd=cwd,
        stdin=source,
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    peaks: dict[str, float] = {}
    cpu: dict[int, float] = {}
    peak_tree = 0.0
    root = psutil.Process(process.pid)
    while process.poll() is None:
        total = 0.0
        try:
            members = [root, *root.children(recursive=True)]
        except psutil.Error:
            members = []
        for member in members:
            try:
                rss = member.memory_info().rss / 2**20
                times = member.cpu_times()
                name = _name(member)
            except psutil.Error:
                continue
            total += rss
            # Own times only: every descendant is sampled itself, and a reaped child's times would
            # land in its parent's children_* as well.
            cpu[member.pid] = times.user + times.system
            peaks[name] = max(peaks.get(name, 0.0), rss)
        peak_tree = max(peak_tree, total)
        time.sleep(interval)
    wall = time.perf_counter() - started
    if log and hasattr(out, "close"):
        out.close()  # type: ignore[union-attr]
    if stdin and hasattr(source, "close"):
        source.close()  # type: ignore[union-attr]
    return Sample(
        round(wall, 3),
        round(peak_tree, 1),
        {name: round(mb, 1) for name, mb in sorted(peaks.items())},
        round(sum(cpu.values()), 2),
        load,
        process.returncode,
    )


def _name(process: psutil.Process) -> str:
    """The script a Python process runs (target-warehouse, meltano, ...) rather than `python`."""
    cmdline = process.cmdline()
    for part in cmdline[:3]:
        base = Path(part).name
        if base and not base.startswith("python") and not base.startswith("-"):
            return base
    return process.name()


class SimulatorHost:
    """A WMS simulator in a child process (bench/suite/sim_host.py), counting requests in flight."""

    def __init__(
        self,
        *,
        records: int,
        latency_scale: float | None,
        stats: Path,
        log: Path,
        projection_cost: float | None = None,
    ) -> None:
        self.port = free_port()
        self.stats = stats
        command = [
            str(VENVS / "airflow" / "bin" / "python"),
            str(Path(__file__).with_name("sim_host.py")),
            "--records",
            str(records),
            "--port",
            str(self.port),
            "--stats",
            str(stats),
        ]
        if latency_scale is not None:
            command += ["--latency-scale", str(latency_scale)]
        if projection_cost is not None:
            command += ["--projection-cost", str(projection_cost)]
        self._log = log.open("w")
        self.process = subprocess.Popen(
            command,
            env={**os.environ, "WMS_SIMULATOR_PASSWORD": SIM_PASSWORD},
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 1800
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the simulator exited early; see {log}")
            try:
                with urllib.request.urlopen(f"{self.control}/_sim/health", timeout=2):
                    break
            except OSError:
                time.sleep(0.5)
        self.base_url = f"{self.control}/lgf_test"

    @property
    def control(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def get(self, path: str) -> Any:
        with urllib.request.urlopen(f"{self.control}/_sim/{path}", timeout=600) as response:
            return json.loads(response.read())

    def reset_counters(self) -> None:
        with urllib.request.urlopen(f"{self.control}/_bench/reset", timeout=30):
            pass

    def counters(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"{self.control}/_bench/stats", timeout=30) as response:
            return dict(json.loads(response.read()))

    def auth(self) -> dict[str, str]:
        return {"type": "basic", "username": SIM_USER, "password": SIM_PASSWORD}

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self._log.close()


def write_json(path: Path, data: Any) -> None:
    """Results are committed: paths inside them (logs, error texts) are made relative to the repo."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, indent=2, sort_keys=False).replace(f"{ROOT}/", "")
    path.write_text(text + "\n")


def background(target: Any) -> threading.Thread:
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread
