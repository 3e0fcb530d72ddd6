"""One extract-load of simulator → tap-oracle-wms → target-warehouse, in-process or as a real pipe."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from contextlib import redirect_stdout
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from wms_simulator import SimulatorServer

CORE = ("allocation", "order_hdr", "order_dtl")
# Fast retries: the faults under test are transient and the suite must stay quick.
FAST_RETRIES = {"retry_backoff_seconds": 0.01, "max_retries": 6, "progress_interval_seconds": 30}
BIN = Path(sys.executable).parent


def tap_config(
    server: SimulatorServer,
    entities: tuple[str, ...] = CORE,
    window: tuple[datetime, datetime] | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    """Basic-auth tap settings for a running simulator; a window makes it incremental."""
    config = server.sim.config
    settings: dict[str, Any] = {
        "base_url": server.base_url,
        "auth": {"type": "basic", "username": config.username, "password": config.password},
        "entities": list(entities),
        "page_size": 200,
        **FAST_RETRIES,
    }
    if window is not None:
        settings["start_date"] = window[0].isoformat()
        settings["end_date"] = window[1].isoformat()
    return {**settings, **overrides}


def oauth_tap_config(server: SimulatorServer, **overrides: Any) -> dict[str, Any]:
    config = server.sim.config
    auth = {
        "type": "oauth2",
        "token_url": server.token_url,
        "client_id": config.oauth_client_id,
        "client_secret": config.oauth_client_secret,
    }
    return {**tap_config(server, **overrides), "auth": auth}


def target_config(url: str, run_id: str, **overrides: Any) -> dict[str, Any]:
    return {"sqlalchemy_url": url, "run_id": run_id, "batch_size_rows": 500, **overrides}


@dataclass(frozen=True)
class Outcome:
    """How one extract-load ended: ``error`` is None when both sides succeeded."""

    error: str | None
    records: int

    @property
    def ok(self) -> bool:
        return self.error is None


def extract(config: dict[str, Any]) -> tuple[str, str | None]:
    """Run the tap in-process: its Singer output (as a pipe would have carried it) and its error."""
    from tap_oracle_wms.tap import TapOracleWMS

    buffer = io.StringIO()
    error: str | None = None
    try:
        with redirect_stdout(buffer):
            TapOracleWMS(config=config, parse_env_config=False).sync_all()
    except Exception as exc:
        error = f"tap: {type(exc).__name__}: {exc}"
    return buffer.getvalue(), error


def load(config: dict[str, Any], singer_text: str) -> str | None:
    """Run the loader in-process on Singer text; its error message, if any."""
    from target_warehouse.target import TargetWarehouse

    try:
        TargetWarehouse(config=config, validate_config=True).listen(io.StringIO(singer_text))
    except Exception as exc:
        return f"target: {type(exc).__name__}: {exc}"
    return None


def extract_load(tap: dict[str, Any], target: dict[str, Any]) -> Outcome:
    """In-process tap | target. Like a real pipe, the loader gets whatever the tap emitted before failing."""
    text, tap_error = extract(tap)
    records = sum(1 for line in text.splitlines() if line.startswith('{"type":"RECORD"'))
    with redirect_stdout(io.StringIO()):  # the target's STATE lines are not test output
        target_error = load(target, text)
    return Outcome(tap_error or target_error, records)


def write_config(directory: Path, name: str, config: dict[str, Any]) -> Path:
    path = directory / f"{name}.json"
    path.write_text(json.dumps(config))
    path.chmod(0o600)
    return path


@dataclass
class Pipe:
    """A real `tap-oracle-wms | target-warehouse` pipe of two processes."""

    tap: subprocess.Popen[bytes]
    target: subprocess.Popen[bytes]

    def kill(self) -> None:
        for process in (self.tap, self.target):
            if process.poll() is None:
                process.kill()
        self.wait()

    def wait(self, timeout: float = 300) -> tuple[int, int]:
        return self.tap.wait(timeout), self.target.wait(timeout)


def start_pipe(directory: Path, tap: dict[str, Any], target: dict[str, Any], log_name: str = "pipe") -> Pipe:
    """Start the two console scripts connected by an OS pipe; stderr goes to files in ``directory``."""
    tap_path = write_config(directory, f"{log_name}-tap", tap)
    target_path = write_config(directory, f"{log_name}-target", target)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    tap_process = subprocess.Popen(
        [str(BIN / "tap-oracle-wms"), "--config", str(tap_path)],
        stdout=subprocess.PIPE,
        stderr=(directory / f"{log_name}-tap.log").open("wb"),
        env=env,
    )
    target_process = subprocess.Popen(
        [str(BIN / "target-warehouse"), "--config", str(target_path)],
        stdin=tap_process.stdout,
        stdout=subprocess.DEVNULL,
        stderr=(directory / f"{log_name}-target.log").open("wb"),
        env=env,
    )
    assert tap_process.stdout is not None
    tap_process.stdout.close()  # the target owns the read end: the tap gets SIGPIPE if it dies
    return Pipe(tap_process, target_process)
