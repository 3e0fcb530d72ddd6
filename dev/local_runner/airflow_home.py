"""A local Airflow home: metadata DB, pools and variables from airflow_settings.yaml, local connections."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from local_runner.settings_import import ImportedSettings, import_settings

REPO_ROOT = Path(__file__).resolve().parents[2]
AIRFLOW_BIN = Path(sys.executable).parent / "airflow"


@dataclass
class LocalAirflow:
    """One Airflow home and the environment every `airflow` command gets."""

    home: Path
    warehouse_conn: dict[str, Any]
    wms_conn: dict[str, Any]
    warehouse_kind: str = "duckdb"
    extra_env: dict[str, str] = field(default_factory=dict)
    # SQLAlchemy URL of the metadata database; None = SQLite in the home (enough for `dags test`;
    # a scheduler with LocalExecutor needs a server database such as PostgreSQL).
    metadata_db_url: str | None = None
    imported: ImportedSettings | None = field(default=None, init=False)

    def env(self) -> dict[str, str]:
        env = {
            **os.environ,
            "AIRFLOW_HOME": str(self.home),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO_ROOT / "dags"),
            "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
            "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
            "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(
                os.pathsep
            ),
            "WMS_WAREHOUSE_KIND": self.warehouse_kind,
            "WMS_MELTANO_ENVIRONMENT": "dev",
            # Connections as environment variables: nothing secret is written to the metadata DB.
            "AIRFLOW_CONN_ORACLE_WMS": json.dumps(self.wms_conn),
            "AIRFLOW_CONN_WMS_WAREHOUSE": json.dumps(self.warehouse_conn),
            **self.extra_env,
        }
        if self.metadata_db_url:
            env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = self.metadata_db_url
        return env

    def airflow(
        self, *args: str, check: bool = True, capture: bool = True
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [str(AIRFLOW_BIN), *args], env=self.env(), text=True, capture_output=capture, check=False
        )
        if check and result.returncode != 0:
            detail = (result.stderr or "")[-3000:] if capture else ""
            raise RuntimeError(f"`airflow {' '.join(args[:3])}` failed ({result.returncode}):\n{detail}")
        return result

    def prepare(self) -> None:
        """Create the metadata DB once, then import airflow_settings.yaml (pools, variables, and the
        placeholder connections this home does not override with an AIRFLOW_CONN_* variable)."""
        self.home.mkdir(parents=True, exist_ok=True)
        if self.metadata_db_url or not (self.home / "airflow.db").exists():
            self.airflow("db", "migrate")
        self.imported = import_settings(self.airflow, self.home, skip_connections=self.env_connections())

    def env_connections(self) -> set[str]:
        """Connection ids given as AIRFLOW_CONN_<ID> environment variables (they win at run time)."""
        prefix = "AIRFLOW_CONN_"
        return {name[len(prefix) :].lower() for name in self.env() if name.startswith(prefix)}

    def dags_test_env(self) -> dict[str, str]:
        """The environment of `airflow dags test`: without the DAG-level deadline alert.

        Airflow 3.3.2's `dags test` fails when it finishes a DagRun of a DAG with a deadline alert
        (it queries deadline_alert by a dict: "can't adapt type 'dict'" / "parameters [{}]"), so
        in-process runs turn it off (WMS_DEADLINE_MINUTES=0); scheduled and backfill runs keep it.
        """
        return {**self.env(), "WMS_DEADLINE_MINUTES": "0"}

    def dags_test(
        self,
        dag_id: str,
        logical_date: str,
        conf: dict[str, Any],
        log_file: Path,
        mark_success_pattern: str | None = None,
    ) -> bool:
        """Run one DAG run in-process; True when every task succeeded. Output goes to `log_file`.

        `mark_success_pattern`: tasks whose id matches it are marked successful without running.
        """
        extra = ["--mark-success-pattern", mark_success_pattern] if mark_success_pattern else []
        with log_file.open("w") as out:
            result = subprocess.run(
                [str(AIRFLOW_BIN), "dags", "test", dag_id, logical_date, "-c", json.dumps(conf), *extra],
                env=self.dags_test_env(),
                text=True,
                stdout=out,
                stderr=subprocess.STDOUT,
                check=False,
            )
        return result.returncode == 0 and "state=failed" not in _dagrun_line(log_file)


def _dagrun_line(log_file: Path) -> str:
    lines = [line for line in log_file.read_text(errors="replace").splitlines() if "DagRun Finished" in line]
    return lines[-1] if lines else "state=failed (no DagRun Finished line)"
