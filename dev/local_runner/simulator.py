"""The WMS simulator as a child process (what `scripts/local-run` talks to over HTTP)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SIMULATOR_BIN = Path(sys.executable).parent / "wms-simulator"
USERNAME = "wms_api"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class SimulatorProcess:
    """A running `wms-simulator serve`; stop() ends it."""

    process: subprocess.Popen[str]
    base_url: str
    control_url: str
    password: str

    @classmethod
    def start(
        cls, *, records: int, seed: int, start_time: str, log_file: Path, password: str
    ) -> SimulatorProcess:
        port = free_port()
        log = log_file.open("w")
        process = subprocess.Popen(
            [
                str(SIMULATOR_BIN),
                "serve",
                "--records",
                str(records),
                "--seed",
                str(seed),
                "--port",
                str(port),
                "--host",
                "127.0.0.1",
                "--start-time",
                start_time,
                "--username",
                USERNAME,
            ],
            env={**os.environ, "WMS_SIMULATOR_PASSWORD": password},
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        control = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"the WMS simulator exited early; see {log_file}")
            try:
                with urllib.request.urlopen(f"{control}/_sim/health", timeout=2):
                    break
            except OSError:
                time.sleep(0.3)
        else:
            process.send_signal(signal.SIGTERM)
            raise RuntimeError(f"the WMS simulator did not answer within 120 s; see {log_file}")
        return cls(process, f"{control}/lgf_test", control, password)

    def control(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            f"{self.control_url}/_sim/{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=120) as response:
            return json.loads(response.read() or b"null")

    def versions(self, entity: str) -> dict[int, str]:
        answer = self.control("GET", f"versions/{entity}")
        return {int(key): value for key, value in answer["versions"].items()}

    def connection(self) -> dict[str, Any]:
        """The Airflow connection `oracle_wms` pointing at this simulator."""
        return {"conn_type": "http", "host": self.base_url, "login": USERNAME, "password": self.password}

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
