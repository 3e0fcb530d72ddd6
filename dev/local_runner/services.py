"""A real Airflow deployment on this machine: api-server, scheduler (LocalExecutor), dag-processor
and triggerer (it runs the DAGs' deadline-alert callbacks); or, with `celery_env` and `CeleryWorker`s,
a CeleryExecutor deployment whose workers each act as a machine of their own.

Used by tests that need what `airflow dags test` does not exercise (scheduling, backfills, pools
across processes) and by `scripts/local-run --ui`. Every service runs in its own process group, so
`stop()` ends it together with the executor workers and task processes it started, also when the
caller failed half-way.

    env = service_env(api_port=free_port())
    airflow = LocalAirflow(..., metadata_db_url=postgres_url, extra_env=env)
    airflow.prepare()
    with AirflowServices(airflow, log_dir) as services:
        services.wait_healthy()

Distributed (tests/e2e/test_distributed_celery.py): add `celery_env(broker_url=...)` to the
environment and pass `workers=[CeleryWorker("worker_a", dir_a), CeleryWorker("worker_b", dir_b)]`.
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

from local_runner.airflow_home import AIRFLOW_BIN, REPO_ROOT, LocalAirflow

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


def celery_env(*, broker_url: str, heartbeat_timeout: int = 300) -> dict[str, str]:
    """Configuration of a CeleryExecutor deployment (add it after `service_env`).

    The result backend is the metadata database (the provider's default, `db+` + sql_alchemy_conn).
    `heartbeat_timeout`: seconds without a heartbeat after which the scheduler fails a running task
    instance (a worker that died) so that it is retried; Airflow's default is 300.
    """
    return {
        "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
        "AIRFLOW__CELERY__BROKER_URL": broker_url,
        "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": str(heartbeat_timeout),
        "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "5",
    }


WORKER_HOSTNAME_VARIABLE = "WMS_LOCAL_WORKER_HOSTNAME"


def worker_hostname() -> str:
    """`[core] hostname_callable` of a CeleryWorker: the name task instances record as their hostname."""
    return os.environ[WORKER_HOSTNAME_VARIABLE]


@dataclass(frozen=True)
class CeleryWorker:
    """One `airflow celery worker`, as if on a machine of its own.

    Its working directory, temporary directory, HOME, Airflow home (task logs), dbt log path and
    log-server port are its own, under `root`; it shares only what every worker of a real deployment
    shares: the installed image (this checkout's code, tool venvs, Meltano plugins, dbt manifest), the
    metadata database, the broker, the warehouse and the connections. Task instances record `name`
    as their hostname.
    """

    name: str
    root: Path
    concurrency: int = 2
    log_server_port: int = 0

    @property
    def celery_hostname(self) -> str:
        return f"{self.name}@wms-local"

    def directories(self) -> dict[str, Path]:
        return {name: self.root / name for name in ("work", "tmp", "home", "airflow", "dbt-logs")}

    def env(self, deployment: dict[str, str]) -> dict[str, str]:
        dirs = self.directories()
        for path in dirs.values():
            path.mkdir(parents=True, exist_ok=True)
        python_path = [str(REPO_ROOT / "dev"), deployment.get("PYTHONPATH", "")]
        env = {
            **deployment,
            "AIRFLOW_HOME": str(dirs["airflow"]),
            "HOME": str(dirs["home"]),
            "TMPDIR": str(dirs["tmp"]),
            "DBT_LOG_PATH": str(dirs["dbt-logs"]),
            "PYTHONPATH": os.pathsep.join(python_path).rstrip(os.pathsep),
            "AIRFLOW__CORE__HOSTNAME_CALLABLE": f"{__name__}.worker_hostname",
            WORKER_HOSTNAME_VARIABLE: self.name,
            "AIRFLOW__CELERY__WORKER_CONCURRENCY": str(self.concurrency),
        }
        if self.log_server_port:
            env["AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT"] = str(self.log_server_port)
        return env

    def args(self) -> list[str]:
        args = ["celery", "worker", "--celery-hostname", self.celery_hostname]
        args += ["--concurrency", str(self.concurrency)]
        return args if self.log_server_port else [*args, "--skip-serve-logs"]


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
    workers: list[CeleryWorker] = field(default_factory=list)
    services: list[_Service] = field(default_factory=list)
    killed: set[str] = field(default_factory=set)

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
            self._spawn(name, args, env)
        for worker in self.workers:
            self._spawn_worker(worker)
        return self

    def start_worker(self, worker: CeleryWorker) -> None:
        """Add a worker to the running deployment (e.g. one replacing a worker that died)."""
        self.workers.append(worker)
        self._spawn_worker(worker)

    def _spawn_worker(self, worker: CeleryWorker) -> None:
        env = worker.env(self.airflow.env())
        self._spawn(worker.name, [str(AIRFLOW_BIN), *worker.args()], env, worker.directories()["work"])

    def pids(self, name: str) -> list[int]:
        """The process of a service or worker and every live descendant of it."""
        [service] = [service for service in self.services if service.name == name]
        return [service.process.pid, *_descendants(service.process.pid)]

    def _spawn(self, name: str, args: list[str], env: dict[str, str], cwd: Path | None = None) -> None:
        log_file = self.log_dir / f"{name}.log"
        log = log_file.open("wb")
        process = subprocess.Popen(
            args, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.services.append(_Service(name, process, log_file, log))

    def kill(self, name: str) -> None:
        """SIGKILL a service or worker with every process it started, as if its machine died."""
        [service] = [service for service in self.services if service.name == name]
        pids = _descendants(service.process.pid)
        _signal_group(service.process.pid, signal.SIGKILL)
        for pid in pids:  # task processes may run in a session of their own
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        service.process.wait(timeout=30)
        self.killed.add(name)

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
        dead = [s for s in self.services if s.name not in self.killed and s.process.poll() is not None]
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
