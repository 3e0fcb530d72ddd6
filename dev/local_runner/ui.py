"""`scripts/local-run --ui`: the product in a real local Airflow, with its web UI.

Starts the WMS simulator, local Slack/SMTP receivers for the alerts, and Airflow's api-server,
scheduler (LocalExecutor), dag-processor and triggerer; imports airflow_settings.yaml; then lets the
scheduler run the weekly full sync, advances the simulated WMS clock by one interval and lets it run
the two-hourly incremental sync, exactly as a deployment would. Both runs and their task logs stay
in the UI, which keeps running (the scheduler too) until Ctrl-C.

The simulated WMS clock starts two intervals before the current two-hour boundary, so that the
scheduler's own "latest interval" runs (catchup is off) are exactly the two stages: the full sync's
schedule is moved to a daily cron at that hour, the incremental keeps its production schedule.
"""

from __future__ import annotations

import json
import secrets
import signal
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from local_runner.airflow_home import REPO_ROOT, LocalAirflow
from local_runner.receivers import SmtpReceiver, WebhookReceiver
from local_runner.services import AirflowServices, service_env
from local_runner.simulator import SimulatorProcess, free_port

INTERVAL = timedelta(hours=2)
DAG_IDS = ("wms_full_sync", "wms_incremental_sync")
UI_USER = "admin"
TERMINAL = {"success", "failed", "skipped", "upstream_failed", "removed"}
RUN_TIMEOUT = 30 * 60


def ui_start_time(now: datetime | None = None) -> datetime:
    """The simulated WMS clock at start: one interval before the last two-hour boundary (UTC)."""
    now = now or datetime.now(UTC)
    boundary = now.replace(hour=now.hour - now.hour % 2, minute=0, second=0, microsecond=0)
    return boundary - INTERVAL


def ui_env(*, api_port: int, start: datetime, warehouse_kind: str) -> dict[str, str]:
    """The service configuration of `--ui`: a real login, and the schedules described above.

    On DuckDB one task at a time: the file takes one process with it open for writing, and the SQL
    check tasks (DuckDB hook, read-write) are not in the one-slot `wms_duckdb_writer` pool, so two
    checks running side by side fail with "Could not set lock on file". `dags test` runs tasks one by
    one as well; PostgreSQL runs them in parallel.
    """
    return {
        **service_env(api_port=api_port, parallelism=1 if warehouse_kind == "duckdb" else 4),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "False",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{UI_USER}:admin",
        # The project's plugins (the WMS sync health page), as the Astro image has them in AIRFLOW_HOME.
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO_ROOT / "plugins"),
        "WMS_FULL_SYNC_SCHEDULE": f"0 {start.hour} * * *",
        "WMS_TASK_RETRIES": "0",
        # Parse more often than the test default: the UI user may edit DAG files.
        "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "120",
    }


def local_alert_connections(stack: ExitStack) -> dict[str, str]:
    """Alert connections to receivers in this process, instead of airflow_settings.yaml's placeholders.

    The receivers stop with `stack`; what they got stays in memory (nothing is sent anywhere).
    """
    smtp = stack.enter_context(SmtpReceiver())
    slack = stack.enter_context(WebhookReceiver())
    return {
        "AIRFLOW_CONN_WMS_ALERTS_SMTP": json.dumps(smtp.connection()),
        "AIRFLOW_CONN_WMS_ALERTS_SLACK": json.dumps(slack.connection(secrets.token_hex(8))),
    }


def pick_port(preferred: int) -> int:
    """`preferred` when it is free, else any free port (0 = any)."""
    if not preferred:
        return free_port()
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", preferred))
        except OSError:
            return free_port()
    return preferred


class Metadata:
    """Read-only queries on the metadata DB of a LocalAirflow (SQLite file or server URL)."""

    def __init__(self, airflow: LocalAirflow) -> None:
        url = airflow.metadata_db_url or f"sqlite:///{airflow.home / 'airflow.db'}"
        self.engine = sa.create_engine(url)

    def rows(self, sql: str, **params: Any) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(sa.text(sql), params)]

    def serialized(self, dag_ids: tuple[str, ...]) -> bool:
        found = {row["dag_id"] for row in self.rows("select distinct dag_id from serialized_dag")}
        return set(dag_ids) <= found

    def latest_run(self, dag_id: str) -> dict[str, Any] | None:
        rows = self.rows(
            "select run_id, state, run_type from dag_run where dag_id = :d order by id desc limit 1", d=dag_id
        )
        return rows[0] if rows else None

    def tasks(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        return self.rows(
            "select task_id, map_index, state, start_date, end_date, try_number from task_instance "
            "where dag_id = :d and run_id = :r",
            d=dag_id,
            r=run_id,
        )


@dataclass
class UiRun:
    dag_id: str
    run_id: str
    seconds: float
    states: dict[str, str]


def task_label(row: dict[str, Any]) -> str:
    return str(row["task_id"]) + (f"[{row['map_index']}]" if row["map_index"] >= 0 else "")


def _seconds_between(start: object, end: object) -> float:
    """Seconds between two metadata timestamps (SQLite hands them back as strings)."""
    if not start or not end:
        return 0.0
    begin, finish = (
        value if isinstance(value, datetime) else datetime.fromisoformat(str(value)) for value in (start, end)
    )
    return (finish - begin).total_seconds()


def task_log_path(home: Path, dag_id: str, run_id: str, task: dict[str, Any]) -> Path:
    """Where Airflow's default log template puts a task attempt's log."""
    folder = home / "logs" / f"dag_id={dag_id}" / f"run_id={run_id}" / f"task_id={task['task_id']}"
    if task["map_index"] >= 0:
        folder /= f"map_index={task['map_index']}"
    return folder / f"attempt={max(int(task['try_number'] or 1), 1)}.log"


def wait_for_run(
    airflow: LocalAirflow,
    services: AirflowServices,
    metadata: Metadata,
    dag_id: str,
    say: Callable[[str], None],
) -> UiRun:
    """Unpause `dag_id`, wait for the run the scheduler starts, report tasks as they finish."""
    started = time.monotonic()
    airflow.airflow("dags", "unpause", dag_id)
    services.wait_until(
        lambda: metadata.latest_run(dag_id) is not None, 300, f"the scheduler to start {dag_id}"
    )
    run = metadata.latest_run(dag_id)
    assert run is not None
    say(f"{dag_id}: run {run['run_id']} started by the scheduler")
    reported: set[str] = set()

    def finished() -> bool:
        for task in metadata.tasks(dag_id, run["run_id"]):
            label = task_label(task)
            if task["state"] in TERMINAL and label not in reported:
                reported.add(label)
                took = _seconds_between(task["start_date"], task["end_date"])
                print(f"           {task['state']:<8} {label:<60} {took:5.0f} s", flush=True)
        state = (metadata.latest_run(dag_id) or {}).get("state")
        return state in {"success", "failed"}

    services.wait_until(finished, RUN_TIMEOUT, f"{dag_id} run {run['run_id']} to finish", poll=3)
    tasks = metadata.tasks(dag_id, run["run_id"])
    states = {task_label(task): str(task["state"]) for task in tasks}
    failed = [task for task in tasks if task["state"] == "failed"]
    final = (metadata.latest_run(dag_id) or {}).get("state")
    if final != "success" or failed:
        lines = [f"FAILED: {dag_id} run {run['run_id']} ended {final}"]
        lines += [
            f"  {task_label(t)}: log {task_log_path(airflow.home, dag_id, run['run_id'], t)}" for t in failed
        ]
        lines.append(f"  service logs: {services.log_dir}")
        raise RunFailedError("\n".join(lines))
    return UiRun(dag_id, run["run_id"], time.monotonic() - started, states)


class RunFailedError(RuntimeError):
    """A DAG run of the local UI session failed; the message names the tasks and their logs."""


@dataclass
class UiSession:
    """Everything `--ui` started; `stop()` ends it all."""

    airflow: LocalAirflow
    services: AirflowServices
    simulator: SimulatorProcess
    metadata: Metadata
    start: datetime
    stack: ExitStack

    @property
    def url(self) -> str:
        return self.services.api_url

    def password(self) -> str:
        """The generated local admin password (the api-server writes it at its first start)."""
        file = self.airflow.home / "simple_auth_manager_passwords.json.generated"
        return str(json.loads(file.read_text())[UI_USER])


@contextmanager
def ui_session(
    *,
    home: Path,
    run_dir: Path,
    records: int,
    seed: int,
    warehouse_conn: dict[str, Any],
    warehouse_kind: str,
    port: int,
    say: Callable[[str], None],
    start: datetime | None = None,
    extra_env: dict[str, str] | None = None,
    metadata_db_url: str | None = None,
) -> Iterator[UiSession]:
    """Simulator, alert receivers and the four Airflow services with imported settings, healthy.

    The DAGs stay paused until `run_stages` (or the UI's "unpause on trigger") unpauses them.
    """
    start = start or ui_start_time()
    run_dir.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        say(f"starting the WMS simulator ({records} orders, seed {seed}, clock {start.isoformat()})")
        simulator = SimulatorProcess.start(
            records=records,
            seed=seed,
            start_time=start.isoformat(),
            log_file=run_dir / "simulator.log",
            password=secrets.token_urlsafe(12),
        )
        stack.callback(simulator.stop)
        airflow = LocalAirflow(
            home=home,
            warehouse_conn=warehouse_conn,
            wms_conn=simulator.connection(),
            warehouse_kind=warehouse_kind,
            # SQLite by default; a server database copes better with four services writing at once.
            metadata_db_url=metadata_db_url,
            extra_env={
                **ui_env(api_port=pick_port(port), start=start, warehouse_kind=warehouse_kind),
                **local_alert_connections(stack),
                **(extra_env or {}),
            },
        )
        say("preparing Airflow: metadata DB, then airflow_settings.yaml (connections, pools, variables)")
        airflow.prepare()
        if airflow.imported:
            say(
                f"  imported pools {', '.join(airflow.imported.pools)}; variables "
                f"{', '.join(airflow.imported.variables)}; placeholder connections "
                f"{', '.join(airflow.imported.connections) or 'none'} (local ones: "
                f"{', '.join(sorted(airflow.env_connections()))})"
            )
        services = AirflowServices(airflow, run_dir / "services").start()
        stack.callback(services.stop)
        say(f"starting api-server, scheduler, dag-processor, triggerer (logs: {services.log_dir})")
        services.wait_healthy()
        metadata = Metadata(airflow)
        say("waiting for the dag-processor to parse both DAGs")
        services.wait_until(lambda: metadata.serialized(DAG_IDS), 300, "both DAGs to be parsed")
        yield UiSession(airflow, services, simulator, metadata, start, stack)


def run_stages(session: UiSession, say: Callable[[str], None]) -> tuple[list[UiRun], object]:
    """The weekly full sync, one interval of WMS activity, then the incremental sync.

    Returns both runs and what the simulated WMS changed in the interval.
    """
    runs = [wait_for_run(session.airflow, session.services, session.metadata, "wms_full_sync", say)]
    say(f"advancing the simulated WMS clock by {INTERVAL}")
    changes = session.simulator.control(
        "POST", "clock/advance", {"minutes": int(INTERVAL.total_seconds() // 60)}
    )
    runs.append(
        wait_for_run(session.airflow, session.services, session.metadata, "wms_incremental_sync", say)
    )
    return runs, changes


def raise_on_sigterm() -> None:
    """Make SIGTERM behave like Ctrl-C, so that everything started is stopped on the way out."""

    def interrupt(*_: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


def wait_for_interrupt(session: UiSession) -> None:
    """Keep everything running until Ctrl-C (or SIGTERM, see raise_on_sigterm); fail if a service dies."""
    try:
        while True:
            session.services.check_running()
            time.sleep(2)
    except KeyboardInterrupt:
        pass
