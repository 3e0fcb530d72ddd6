"""A real Airflow deployment on this machine: api-server, scheduler (LocalExecutor), dag-processor
and triggerer (it runs the DAGs' deadline-alert callbacks).

Used by tests that need what `airflow dags test` does not exercise (scheduling, backfills, pools
across processes) and by `scripts/local-run --ui`. Every service runs in its own process group, so
`stop()` ends it together with the executor workers and task processes it started, also when the
caller failed half-way.

    env = service_env(api_port=free_port())
    airflow = LocalAirflow(..., metadata_db_url=postgres_url, extra_env=env)
    airflow.prepare()
    with AirflowServices(airflow, log_dir) as services:
        services.wait_healthy()
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import subprocess
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Self

from local_runner.airflow_home import AIRFLOW_BIN, LocalAirflow

HOST = "127.0.0.1"
SERVICES = ("api-server", "scheduler", "dag-processor", "triggerer")
LOG_TAIL_LINES = 40


def service_env(*, api_port: int, parallelism: int = 4) -> dict[str, str]:
    """Configuration the services and every `airflow` CLI call of the same deployment must share.

    Pass it as `LocalAirflow(extra_env=...)`. The JWT secret is generated here because the scheduler
    signs the tokens that the api-server's Execution API verifies: both must hold the same one.
    """
    return {
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__PARALLELISM": str(parallelism),
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://{HOST}:{api_port}/execution/",
        "AIRFLOW__API__BASE_URL": f"http://{HOST}:{api_port}",
        "AIRFLOW__API__HOST": HOST,
        "AIRFLOW__API__PORT": str(api_port),
        "AIRFLOW__API__WORKERS": "1",
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(32),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
        # Workers call the api-server before a task starts; on a busy shared machine the default 5 s
        # timeout (five tries in ~31 s) failed tasks before they ran ("httpx.ReadTimeout").
        "AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT": "60",
        # Parse once at start and rarely after: the DAG files do not change during a run, and each
        # parse renders the Cosmos task group (seconds of CPU on a shared machine).
        "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "600",
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "600",
        "AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES": "1",
    }


def api_port_of(airflow: LocalAirflow) -> int:
    port = airflow.env().get("AIRFLOW__API__PORT")
    if not port:
        raise ValueError("LocalAirflow.extra_env lacks the service configuration: pass service_env(...)")
    return int(port)


@dataclass
class _Service:
    name: str
    process: subprocess.Popen[bytes]
    log_file: Path
    log: IO[bytes]


@dataclass
class AirflowServices:
    """The long-running Airflow processes of one LocalAirflow home."""

    airflow: LocalAirflow
    log_dir: Path
    services: list[_Service] = field(default_factory=list)

    @property
    def api_url(self) -> str:
        return f"http://{HOST}:{api_port_of(self.airflow)}"

    def start(self) -> Self:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        env = self.airflow.env()
        for name in SERVICES:
            args = [str(AIRFLOW_BIN), name]
            if name == "api-server":
                args += ["--host", HOST, "--port", str(api_port_of(self.airflow)), "--workers", "1"]
            log_file = self.log_dir / f"{name}.log"
            log = log_file.open("wb")
            process = subprocess.Popen(
                args, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
            self.services.append(_Service(name, process, log_file, log))
        return self

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def health(self) -> dict[str, Any]:
        """The api-server's /api/v2/monitor/health answer (no authentication needed)."""
        with urllib.request.urlopen(f"{self.api_url}/api/v2/monitor/health", timeout=5) as response:
            answer: dict[str, Any] = json.loads(response.read())
        return answer

    def wait_healthy(self, timeout: float = 240.0) -> None:
        """Until the metadata DB, the scheduler, the dag-processor and the triggerer report healthy."""

        def healthy() -> bool:
            try:
                answer = self.health()
            except OSError:
                return False
            components = ("metadatabase", "scheduler", "dag_processor", "triggerer")
            return all((answer.get(part) or {}).get("status") == "healthy" for part in components)

        self.wait_until(healthy, timeout, "the Airflow services to report healthy")

    def wait_until(self, condition: Callable[[], bool], timeout: float, what: str, poll: float = 2.0) -> None:
        """Poll `condition`; fail with every service's log tail on timeout or when a service died."""
        deadline = time.monotonic() + timeout
        while True:
            self.check_running()
            if condition():
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}\n{self.log_tails()}")
            time.sleep(poll)

    def check_running(self) -> None:
        dead = [service for service in self.services if service.process.poll() is not None]
        if dead:
            names = ", ".join(f"{s.name} (exit {s.process.returncode})" for s in dead)
            raise RuntimeError(f"Airflow service stopped: {names}\n{self.log_tails()}")

    def log_tails(self, lines: int = LOG_TAIL_LINES) -> str:
        parts = []
        for service in self.services:
            service.log.flush()
            text = service.log_file.read_text(errors="replace").splitlines()[-lines:]
            parts.append(f"--- last {len(text)} lines of {service.log_file} ---\n" + "\n".join(text))
        return "\n".join(parts)

    def stop(self, grace: float = 20.0) -> None:
        """End every service with its process group, and any descendant that left the group."""
        for service in self.services:
            pids = _descendants(service.process.pid)
            _signal_group(service.process.pid, signal.SIGTERM)
            try:
                service.process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                _signal_group(service.process.pid, signal.SIGKILL)
                service.process.wait(timeout=grace)
            for pid in pids:  # task processes may run in a session of their own
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            service.log.close()
        self.services.clear()


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _descendants(root: int) -> list[int]:
    """Every live descendant of `root`, from /proc (Linux)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name (field 2) may contain spaces; the fields after its closing ")" do not.
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found: list[int] = []
    pending = [root]
    while pending:
        for child in children.get(pending.pop(), []):
            found.append(child)
            pending.append(child)
    return found
