"""Access control of the health page, against a real `airflow api-server` with SimpleAuthManager.

Airflow mounts a plugin's FastAPI app without its own authentication (a Starlette mount inherits none of
the core API's dependencies), so these requests show what the plugin itself enforces: anonymous and
forged callers get 401/403 and no data; a user without the right to read the DAGs gets 403; a viewer
gets the numbers the warehouse holds, by token or by the UI's session cookie.
"""

from __future__ import annotations

import json
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import jwt
import pytest

from local_runner.airflow_home import AIRFLOW_BIN, REPO_ROOT, LocalAirflow
from local_runner.services import HOST, service_env
from local_runner.simulator import free_port
from tests.plugins.wms_sync_health import warehouse_data

PAGE = "/wms-sync-health/"
JSON_PATH = "/wms-sync-health/api/health"
USERS = "admin:admin,viewer:viewer,outsider:"  # "outsider" has no role: it may read nothing
# Not the product's two-hourly default: the page's limit must come from the DAG as the scheduler has it.
SCHEDULE = "15 */3 * * *"


@dataclass
class ApiServer:
    url: str
    home: Path
    warehouse: Path

    def token(self, user: str) -> str:
        passwords = json.loads((self.home / "simple_auth_manager_passwords.json.generated").read_text())
        status, body = request(
            "POST",
            f"{self.url}/auth/token",
            body={"username": user, "password": passwords[user]},
        )
        assert status in {200, 201}, body
        return str(json.loads(body)["access_token"])


def request(
    method: str, url: str, *, headers: dict[str, str] | None = None, body: dict[str, Any] | None = None
) -> tuple[int, str]:
    data = json.dumps(body).encode() if body is not None else None
    sent = {"Content-Type": "application/json", **(headers or {})}
    req = urllib.request.Request(url, data=data, headers=sent, method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@pytest.fixture(scope="module")
def api_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    base = tmp_path_factory.mktemp("health-api")
    warehouse = base / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as conn:
        warehouse_data.fill(conn)
    port = free_port()
    airflow = LocalAirflow(
        home=base / "airflow",
        warehouse_conn={"conn_type": "duckdb", "host": str(warehouse)},
        wms_conn={"conn_type": "http", "host": "http://127.0.0.1:9", "login": "u", "password": "p"},
        extra_env={
            **service_env(api_port=port),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO_ROOT / "plugins"),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "False",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": USERS,
            # Numbers, not speed, are checked here (the benchmark times the page): room for a busy machine.
            "WMS_HEALTH_BUDGET_SECONDS": "30",
            "WMS_INCREMENTAL_SYNC_SCHEDULE": SCHEDULE,
        },
    )
    airflow.prepare()
    # The DAGs in the metadata DB, as the dag processor leaves them: the page reads the schedule there.
    airflow.airflow("dags", "reserialize")
    log = (base / "api-server.log").open("wb")
    process = subprocess.Popen(
        [str(AIRFLOW_BIN), "api-server", "--host", HOST, "--port", str(port), "--workers", "1"],
        env=airflow.env(),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://{HOST}:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            assert process.poll() is None, (base / "api-server.log").read_text()[-3000:]
            try:
                if request("GET", f"{url}/api/v2/monitor/health")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, (base / "api-server.log").read_text()[-3000:]
            time.sleep(1)
        yield ApiServer(url, airflow.home, warehouse)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.mark.parametrize("path", [PAGE, JSON_PATH])
def test_an_anonymous_request_gets_401_and_no_data(api_server: ApiServer, path: str) -> None:
    status, body = request("GET", api_server.url + path)
    assert status == 401
    assert "order_hdr" not in body


@pytest.mark.parametrize("path", [PAGE, JSON_PATH])
def test_a_forged_token_gets_403_and_no_data(api_server: ApiServer, path: str) -> None:
    forged = jwt.encode({"sub": "admin", "role": "admin"}, "not-the-deployments-secret", algorithm="HS512")
    status, body = request("GET", api_server.url + path, headers={"Authorization": f"Bearer {forged}"})
    assert status == 403
    assert "order_hdr" not in body


@pytest.mark.parametrize("path", [PAGE, JSON_PATH])
def test_a_user_who_may_not_read_the_dags_gets_403_and_no_data(api_server: ApiServer, path: str) -> None:
    token = api_server.token("outsider")
    status, body = request("GET", api_server.url + path, headers={"Authorization": f"Bearer {token}"})
    assert status == 403
    assert "order_hdr" not in body


def test_a_viewer_gets_the_numbers_the_warehouse_holds(api_server: ApiServer) -> None:
    token = api_server.token("viewer")
    # On a busy machine the whole-table numbers may not fit the request's budget: the page then says
    # they are being computed in the background, and a later request has them (plugins/README.md).
    deadline = time.monotonic() + 90
    while True:
        status, body = request(
            "GET", api_server.url + JSON_PATH, headers={"Authorization": f"Bearer {token}"}
        )
        assert status == 200, body
        answer = json.loads(body)
        entity = next(e for e in answer["entities"] if e["entity"] == "order_hdr")
        if entity["newest_mod_ts"] is not None or time.monotonic() > deadline:
            break
        time.sleep(2)
    with duckdb.connect(str(api_server.warehouse), read_only=True) as conn:
        [(newest,)] = conn.execute("select max(mod_ts) from wms_raw.order_hdr").fetchall()
        [last] = conn.execute(
            "select run_id, records_received, records_inserted, records_already_present, records_quarantined "
            "from wms_raw.etl_load_audit where stream_name = 'order_hdr' order by finished_at desc limit 1"
        ).fetchall()
    assert entity["newest_mod_ts"] == newest.isoformat()
    run = entity["runs"][0]
    assert (
        run["run_id"],
        run["extracted"],
        run["inserted"],
        run["already_present"],
        run["quarantined"],
    ) == last
    assert entity["marked_deleted"] == 1
    assert answer["error"] is None


def test_the_ui_session_cookie_opens_the_page(api_server: ApiServer) -> None:
    token = api_server.token("admin")
    status, body = request("GET", api_server.url + PAGE, headers={"Cookie": f"_token={token}"})
    assert status == 200
    assert "<h1>WMS sync health</h1>" in body
    assert "order_hdr" in body


def test_the_page_is_in_the_ui_navigation(api_server: ApiServer) -> None:
    token = api_server.token("viewer")
    status, body = request(
        "GET", f"{api_server.url}/api/v2/plugins", headers={"Authorization": f"Bearer {token}"}
    )
    assert status == 200, body
    [plugin] = [p for p in json.loads(body)["plugins"] if p["name"] == "wms_sync_health"]
    [view] = plugin["external_views"]
    assert (view["href"], view["url_route"], view["destination"]) == (
        "wms-sync-health/",
        "wms-sync-health",
        "nav",
    )


def test_the_window_due_follows_the_incremental_dags_schedule_and_timeout_in_the_metadata_db(
    api_server: ApiServer,
) -> None:
    token = api_server.token("viewer")
    status, body = request("GET", api_server.url + JSON_PATH, headers={"Authorization": f"Bearer {token}"})
    assert status == 200, body
    answer = json.loads(body)
    assert answer["schedule"] == SCHEDULE
    generated = datetime.fromisoformat(answer["generated_at"])
    # The newest "15 */3" slot at least the DAG's dagrun_timeout (2 h) before the request.
    latest = generated - timedelta(hours=2)
    expected = latest.replace(minute=15, second=0, microsecond=0, hour=latest.hour - latest.hour % 3)
    if expected > latest:
        expected -= timedelta(hours=3)
    assert datetime.fromisoformat(answer["window_due"]) == expected
