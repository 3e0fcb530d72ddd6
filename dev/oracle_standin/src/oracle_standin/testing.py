"""Test helpers usable from every environment (standard library only): start the server, ask it
for its report, reset it, and the environment that makes a subprocess use the shim.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from oracle_standin import wire

PACKAGE_ROOT = Path(__file__).resolve().parents[2]  # dev/oracle_standin
REPO_ROOT = PACKAGE_ROOT.parents[1]
SHIM = PACKAGE_ROOT / "shim"
SRC = PACKAGE_ROOT / "src"
SERVER_PYTHON = REPO_ROOT / ".venvs" / "dbt" / "bin" / "python"


@dataclasses.dataclass
class Report:
    statements: list[dict[str, Any]]
    violations: list[dict[str, Any]]
    catalog: list[dict[str, Any]]

    def table(self, owner: str, name: str) -> dict[str, Any] | None:
        return next((t for t in self.catalog if t["owner"] == owner and t["name"] == name), None)

    def unanalysed(self) -> list[dict[str, Any]]:
        return [s for s in self.statements if not s["analysed"]]

    def errors(self) -> list[dict[str, Any]]:
        return [s for s in self.statements if s["outcome"].startswith(("ORA-", "DPY-"))]

    def rules_broken(self) -> set[str]:
        return {v["rule"] for v in self.violations}


class StandIn:
    """A running stand-in server and how to reach it."""

    def __init__(self, address: str, process: subprocess.Popen[str]) -> None:
        self.address = address
        self.process = process

    def _control(self, message: dict[str, Any]) -> dict[str, Any]:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as channel:
            channel.connect(self.address)
            channel.sendall(wire.dumps({"op": "control", **message}))
            with channel.makefile("rb") as reader:
                return wire.loads(reader.readline())

    def report(self) -> Report:
        answer = self._control({"action": "report"})
        return Report(answer["statements"], answer["violations"], answer["catalog"])

    def reset(self, **settings: Any) -> None:
        self._control({"action": "reset", "settings": settings})

    def configure(self, **settings: Any) -> None:
        """Change settings (version, compatible, db_name) and keep the catalog."""
        self._control({"action": "configure", "settings": settings})

    def reset_log(self) -> None:
        """Forget the statements and violations so far; keep the catalog."""
        self._control({"action": "clear_log"})

    def environment(self, label: str, base: dict[str, str] | None = None) -> dict[str, str]:
        """A subprocess environment whose ``import oracledb`` is the shim, talking to this server."""
        env = dict(os.environ if base is None else base)
        env["PYTHONPATH"] = os.pathsep.join(
            [str(SHIM), *[p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]]
        )
        env[wire.ADDRESS_ENV] = self.address
        env[wire.LABEL_ENV] = label
        return env


@contextmanager
def running_standin(version: str = "19.0.0.0.0", db_name: str = "WMSCDB") -> Iterator[StandIn]:
    """Start ``python -m oracle_standin.server`` in the dbt environment (sqlglot, duckdb)."""
    directory = tempfile.mkdtemp(prefix="ora-standin-")
    address = str(Path(directory) / "standin.sock")
    env = dict(os.environ, PYTHONPATH=str(SRC))
    process = subprocess.Popen(
        [
            str(SERVER_PYTHON),
            "-m",
            "oracle_standin.server",
            "--socket",
            address,
            "--version",
            version,
            "--db-name",
            db_name,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line.startswith("listening on"):
            raise RuntimeError(
                f"the Oracle stand-in did not start: {line}{process.stderr.read() if process.stderr else ''}"
            )
        yield StandIn(address, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(directory, ignore_errors=True)


LOADER_PYTHON = REPO_ROOT / ".venvs" / "meltano" / "bin" / "python"


def run_loader(
    standin: StandIn,
    singer: str,
    config: dict[str, Any],
    *,
    work_dir: Path,
    label: str = "loader",
    before: str = "",
) -> subprocess.CompletedProcess[str]:
    """The real loader CLI (``target-warehouse`` of the Meltano environment) reading ``singer``,
    its ``oracledb`` the shim. ``before`` is Python run first in that process (to revert a fix in a
    test); empty for the loader as it is.
    """
    config_file = work_dir / f"target-config-{label}.json"
    config_file.write_text(json.dumps(config))
    program = f"{before}\nfrom target_warehouse.target import TargetWarehouse\nTargetWarehouse.cli()\n"
    return subprocess.run(
        [str(LOADER_PYTHON), "-c", program, "--config", str(config_file)],
        input=singer,
        text=True,
        capture_output=True,
        env=standin.environment(label),
        timeout=600,
        check=False,
    )


# The tap's stream schemas, and how the loader and an Airflow task reach the stand-in (its listener
# answers any service name; the password is a placeholder the stand-in never checks).
TAP_SCHEMAS = REPO_ROOT / "include" / "meltano" / "packages" / "tap-oracle-wms" / "tap_oracle_wms" / "schemas"
LOADER_URL = "oracle+oracledb://loader:secret@127.0.0.1:1521/?service_name=WMSPDB_SERVICE"
AIRFLOW_CONNECTION: dict[str, Any] = {
    "conn_type": "oracle",
    "host": "127.0.0.1",
    "port": 1521,
    "login": "loader",
    "password": "secret",
    "extra": {"service_name": "WMSPDB_SERVICE"},
}


def create_raw_tables(standin: StandIn, entities: Iterable[str], schema: str, *, work_dir: Path) -> None:
    """The raw tables of ``entities`` in ``schema``, created by the real loader from the tap's SCHEMA
    messages (no record), as the first extract-load creates them."""
    singer = "\n".join(
        singer_schema(entity, json.loads((TAP_SCHEMAS / f"{entity}.json").read_text())["properties"])
        for entity in entities
    )
    config = {"sqlalchemy_url": LOADER_URL, "default_target_schema": schema}
    loaded = run_loader(standin, singer + "\n", config, work_dir=work_dir)
    if loaded.returncode != 0:
        raise AssertionError(f"the loader could not create the raw tables: {loaded.stderr[-3000:]}")


def singer_schema(stream: str, properties: dict[str, Any], key: str = "id") -> str:
    message = {
        "type": "SCHEMA",
        "stream": stream,
        "key_properties": [key],
        "schema": {"type": "object", "properties": properties},
    }
    return json.dumps(message)


def singer_record(stream: str, record: dict[str, Any]) -> str:
    return json.dumps({"type": "RECORD", "stream": stream, "record": record})
