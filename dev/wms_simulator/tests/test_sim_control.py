"""Control endpoints, the CLI process, and the pytest plugin fixtures."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import datetime, timedelta

from sim_helpers import Api, basic, fetch

from wms_simulator import SimulatorConfig, SimulatorServer


def control(api: Api, path: str, method: str = "GET", body: dict[str, object] | None = None) -> object:
    data = json.dumps(body).encode() if body is not None else None
    answer = fetch(f"{api.server.root}/_sim/{path}", method, data=data)
    assert answer.status in (200, 201), answer.body
    return answer.json


def test_clock_advance_versions_deleted_and_reset_over_http(api: Api) -> None:
    assert control(api, "health")["status"] == "ok"  # type: ignore[index]
    start = datetime.fromisoformat(control(api, "clock")["now"])  # type: ignore[index]
    summary = control(api, "clock/advance", "POST", {"minutes": 60 * 36})
    assert summary["entities"]["order_hdr"]["created"] > 0  # type: ignore[index]
    now = datetime.fromisoformat(control(api, "clock")["now"])  # type: ignore[index]
    assert (now - start).total_seconds() == 36 * 3600
    versions = control(api, "versions/order_hdr")
    assert versions["versions"] == {str(k): v for k, v in api.sim.versions("order_hdr").items()}  # type: ignore[index]
    deleted = control(api, "deleted/order_hdr")["deleted"]  # type: ignore[index]
    assert set(deleted) == {str(k) for k in api.sim.deleted("order_hdr")}
    control(api, "reset", "POST")
    assert datetime.fromisoformat(control(api, "clock")["now"]) == start  # type: ignore[index]


def test_control_endpoints_are_not_logged_but_api_requests_are(api: Api) -> None:
    control(api, "health")
    api.get("facility/", page_size=2)
    assert [(r.method, r.path, r.query, r.status) for r in api.sim.requests] == [
        ("GET", "/lgf_test/wms/lgfapi/v10/entity/facility/", "page_size=2", 200)
    ]


def test_cli_serves_until_sigterm() -> None:
    env = {**os.environ, "WMS_SIMULATOR_PASSWORD": "from-env"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "wms_simulator",
            "serve",
            "--records",
            "30",
            "--port",
            "0",
            "--environment",
            "lgf_dev",
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        assert line.startswith("wms-simulator listening on http://127.0.0.1:")
        base_url = line.rsplit(" ", 1)[1]
        assert base_url.endswith("/lgf_dev")
        url = f"{base_url}/wms/lgfapi/v10/entity/company/"
        assert fetch(url, auth=basic(password="from-env")).status == 200
        assert fetch(url, auth=basic()).status == 401
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0


def test_plugin_fixture_is_reset_and_exposes_urls(wms_simulator: SimulatorServer) -> None:
    assert wms_simulator.base_url == f"http://127.0.0.1:{wms_simulator.port}/lgf_test"
    assert wms_simulator.token_url.endswith("/oauth2/v1/token")
    assert wms_simulator.config == SimulatorConfig()
    assert wms_simulator.sim.now() == wms_simulator.config.start_time
    wms_simulator.sim.advance(timedelta(hours=1))


def test_plugin_fixture_was_reset_after_the_previous_test(wms_simulator: SimulatorServer) -> None:
    assert wms_simulator.sim.now() == wms_simulator.config.start_time
    assert wms_simulator.sim.requests == []


def test_cli_rejects_bad_configuration_with_a_clear_message() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "wms_simulator", "serve", "--records", "0", "--port", "0"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert "records must be >= 1" in result.stderr
