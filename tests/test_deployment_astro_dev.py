"""`astro dev start` against the simulator on DuckDB: what can be checked without Docker.

The Astro CLI generates a compose project (services on the network `airflow`, tasks run by the
scheduler under LocalExecutor, the project's image with dags/, plugins/, include/ and tests/ mounted;
astro-cli airflow/include/airflow3/composeyml.go.tmpl), merges docker-compose.override.yml into it,
and gives each Airflow container the variables of .env. Checked here: the override's simulator
service starts the simulator's own CLI with arguments that CLI accepts, from files that exist; and
.env.example's settings are ones the product accepts and point at that service.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import yaml
from airflow.models.connection import Connection
from deployment_image import dockerfile_env, ignore_rules, is_excluded

from include.wms_pipeline import settings
from include.wms_pipeline.meltano import extract_load_environment, wms_base_url
from include.wms_pipeline.windows import ExtractionWindow
from wms_simulator.cli import build_parser
from wms_simulator.config import DEV_PASSWORD

ROOT = Path(__file__).resolve().parents[1]
IMAGE_HOME = "/usr/local/airflow"
BIND_MOUNTED = ("dags", "plugins", "include", "tests")  # by the Astro CLI's compose template


def _env_example() -> dict[str, str]:
    values = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, sep, value = line.partition("=")
            assert sep, f".env.example: {line!r} is not KEY=value"
            values[key.strip()] = value
    return values


def _simulator_service() -> dict[str, object]:
    compose = yaml.safe_load((ROOT / "docker-compose.override.yml").read_text())
    service: dict[str, object] = compose["services"]["wms-simulator"]
    return service


def _simulator_args() -> object:
    command = _simulator_service()["command"]
    assert isinstance(command, list)
    assert command[:3] == ["python", "-m", "wms_simulator"]
    return build_parser().parse_args(command[3:])  # the simulator's own CLI: exits on a bad argument


def test_the_override_runs_the_simulator_from_the_mounted_dev_folder() -> None:
    service = _simulator_service()
    # LocalExecutor runs the tasks in the scheduler container: the simulator shares its loopback.
    assert service["network_mode"] == "service:scheduler"
    volumes = service["volumes"]
    assert isinstance(volumes, list)
    source, target, *_ = volumes[0].split(":")
    assert (ROOT / source).is_dir()
    environment = service["environment"]
    assert isinstance(environment, dict)
    src = Path(environment["PYTHONPATH"]).relative_to(target)
    assert (ROOT / source / src / "wms_simulator" / "__main__.py").is_file()
    assert _simulator_args().command == "serve"  # type: ignore[attr-defined]


def test_env_example_points_the_wms_connection_at_the_simulator_service() -> None:
    args = _simulator_args()
    wms = Connection.from_json(_env_example()["AIRFLOW_CONN_ORACLE_WMS"], conn_id=settings.WMS_CONN_ID)
    assert wms.host == f"http://{args.host}:{args.port}/{args.environment}"  # type: ignore[attr-defined]
    assert (wms.login, wms.password) == (args.username, DEV_PASSWORD)  # type: ignore[attr-defined]


def test_the_product_accepts_env_examples_wms_connection_as_the_extract_load_tasks_build_it() -> None:
    """Plain http is accepted on loopback only: the connection must pass the tasks' own checks."""
    env = _env_example()
    wms = Connection.from_json(env["AIRFLOW_CONN_ORACLE_WMS"], conn_id=settings.WMS_CONN_ID)
    warehouse = Connection.from_json(env["AIRFLOW_CONN_WMS_WAREHOUSE"], conn_id=settings.WAREHOUSE_CONN_ID)
    window = ExtractionWindow(datetime(2026, 1, 5, 4, tzinfo=UTC), datetime(2026, 1, 5, 6, tzinfo=UTC))

    run_env = extract_load_environment(
        entity="order_hdr", window=window, lookback_minutes=0, wms=wms, warehouse=warehouse, load_run_id="r"
    )

    assert run_env["TAP_ORACLE_WMS_BASE_URL"] == wms_base_url(wms)


def test_env_example_selects_duckdb_in_the_image_outside_the_bind_mounts() -> None:
    env = _env_example()
    assert settings.warehouse_kind(env) == "duckdb"
    warehouse = Connection.from_json(env["AIRFLOW_CONN_WMS_WAREHOUSE"], conn_id=settings.WAREHOUSE_CONN_ID)
    assert warehouse.conn_type == "duckdb"
    path = Path(warehouse.host)
    state_dir = dockerfile_env((ROOT / "Dockerfile").read_text())["WMS_STATE_DIR"]
    assert path.is_relative_to(state_dir)
    assert not any(path.is_relative_to(f"{IMAGE_HOME}/{folder}") for folder in BIND_MOUNTED)


def test_env_example_only_sets_what_the_product_reads() -> None:
    for key, value in _env_example().items():
        if key.startswith("AIRFLOW_CONN_"):
            json.loads(value)  # Airflow reads JSON connections; compose passes the value verbatim
            assert key.removeprefix("AIRFLOW_CONN_").lower() in {
                settings.WMS_CONN_ID,
                settings.WAREHOUSE_CONN_ID,
            }
        else:
            assert key.startswith("WMS_"), key
            assert (
                key
                in (ROOT / "include" / "wms_pipeline").joinpath("settings.py").read_text()
                + (ROOT / "include" / "wms_pipeline" / "dag_factory.py").read_text()
            ), f"{key} is read nowhere"


def test_a_real_env_file_stays_out_of_the_image_and_git() -> None:
    assert is_excluded(".env", ignore_rules((ROOT / ".dockerignore").read_text()))
    assert ".env" in (ROOT / ".gitignore").read_text().splitlines()
