"""The Astro image, rehearsed without Docker (tests/e2e/image_build.py says how it is built).

Built once per session from the Dockerfile's own lines, then everything the image needs at run time
is taken from that copy: the DAGs parse from it (Astro's own integrity test, as `astro dev parse`
runs it), and a full sync — every extract-load task and the dbt stage — runs against the simulator
with the copy's DAG code, its Meltano and dbt environments, its Meltano plugin installs and its dbt
manifest, never the checkout's. Airflow itself is the suite's (the Runtime stand-in), on DuckDB: the
switch `astro dev start` takes from .env.example.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest

from include.wms_pipeline.settings import ENTITIES_ALL
from local_runner.airflow_home import LocalAirflow
from local_runner.warehouse import WarehouseReader, task_states
from wms_simulator import Simulator, SimulatorConfig, SimulatorServer

from .image_build import BuiltImage, build_image, image_python_version

START = datetime(2026, 1, 5, 6, 0, tzinfo=UTC)
PASSWORD = "rehearsal-wms-password-7731"
_CHECKOUT_STATE = ("WMS_", "MELTANO_", "DBT_")  # what scripts/test exports for the checkout


@pytest.fixture(scope="module")
def image() -> Iterator[BuiltImage]:
    built = build_image(image_python_version())
    yield built
    shutil.rmtree(built.root, ignore_errors=True)


@dataclass
class ImageAirflow(LocalAirflow):
    """A local Airflow whose DAGs, code and tools are the image's copy (not the checkout)."""

    image: BuiltImage | None = field(default=None, kw_only=True)

    def env(self) -> dict[str, str]:
        assert self.image is not None
        env = {key: value for key, value in super().env().items() if not key.startswith(_CHECKOUT_STATE)}
        env |= {
            **self.image.env,
            "WMS_WAREHOUSE_KIND": self.warehouse_kind,
            "AIRFLOW__CORE__DAGS_FOLDER": str(self.image.home / "dags"),
            "PYTHONPATH": str(self.image.home),
            **self.extra_env,
        }
        return env


def _python_version(python: Path) -> str:
    return subprocess.run(
        [str(python), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def test_the_tool_environments_run_the_runtimes_python(image: BuiltImage) -> None:
    venvs = Path(image.env["WMS_VENVS_DIR"])
    assert venvs.is_relative_to(image.home)
    for tool in ("dbt", "meltano"):
        assert _python_version(venvs / tool / "bin" / "python") == image_python_version(), tool
    assert not (venvs / "airflow").exists(), "the image's Airflow is the Runtime's, not a venv of ours"


def test_the_build_left_what_the_image_needs_at_run_time_inside_the_copy(image: BuiltImage) -> None:
    state = Path(image.env["WMS_STATE_DIR"])
    manifest = json.loads((state / "dbt" / "manifest" / "manifest.json").read_text())
    assert any(key.startswith("model.wms.") for key in manifest["nodes"])
    plugins = {path.parent.name for path in (state / "meltano").glob("*/*/venv")}
    assert plugins == {"tap-oracle-wms", "target-warehouse"}
    owners = {path.lstat().st_uid for path in [image.home, *(state / "meltano").rglob("*")]}
    assert owners == {image.home.stat().st_uid}, "everything the build wrote belongs to the build user"


def test_the_dags_parse_from_the_copy_with_astros_integrity_test(image: BuiltImage) -> None:
    env = {
        key: value for key, value in os.environ.items() if not key.startswith(("AIRFLOW", *_CHECKOUT_STATE))
    }
    env |= {**image.env, "AIRFLOW_HOME": str(image.home), "PYTHONPATH": str(image.home)}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            ".astro/test_dag_integrity_default.py",
            "-p",
            "no:cacheprovider",
            "-rA",
        ],
        cwd=image.home,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert (
        "PASSED .astro/test_dag_integrity_default.py::test_file_imports[dags/wms_full_sync.py]"
        in result.stdout
    )


def test_astro_dev_pytest_skips_what_needs_dev_with_a_reason(image: BuiltImage, tmp_path: Path) -> None:
    """`astro dev pytest` runs pytest on the mounted tests/ in the image, which holds no dev/."""
    home = tmp_path / "airflow"
    shutil.copytree(image.home, home, symlinks=True, ignore=shutil.ignore_patterns(".venvs", ".local"))
    shutil.copytree(
        Path(__file__).resolve().parents[1], home / "tests", ignore=shutil.ignore_patterns("__pycache__")
    )
    env = {
        key: value for key, value in os.environ.items() if not key.startswith(("AIRFLOW", *_CHECKOUT_STATE))
    }
    env |= {**image.env, "AIRFLOW_HOME": str(home), "PYTHONPATH": str(home)}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "tests", "--collect-only", "-q", "-p", "no:cacheprovider", "-rs"],
        cwd=home,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert "error" not in result.stdout.splitlines()[-1].lower(), result.stdout[-3000:]
    assert "needs dev/ (not in the Astro image): ModuleNotFoundError" in result.stdout, result.stdout[-3000:]


@pytest.fixture(scope="module")
def full_sync(image: BuiltImage) -> Iterator[tuple[ImageAirflow, SimulatorServer, Path]]:
    config = SimulatorConfig(
        records=60, seed=5, start_time=START, environment="lgf_test", username="wms_api", password=PASSWORD
    )
    with SimulatorServer(Simulator(config), host="127.0.0.1", port=0) as simulator:
        warehouse = image.root / "warehouse.duckdb"
        airflow = ImageAirflow(
            home=image.root / "airflow-home",
            warehouse_conn={"conn_type": "duckdb", "host": str(warehouse)},
            wms_conn={
                "conn_type": "http",
                "host": simulator.base_url,
                "login": "wms_api",
                "password": PASSWORD,
            },
            extra_env={"WMS_TASK_RETRIES": "0", "WMS_FULL_SYNC_PARTITIONS": "1"},
            image=image,
        )
        airflow.prepare()
        log = image.root / "full-sync.log"
        assert airflow.dags_test("wms_full_sync", START.isoformat(), {}, log), log.read_text()[-4000:]
        yield airflow, simulator, warehouse


def test_every_extract_load_task_and_the_dbt_stage_succeeded(
    full_sync: tuple[ImageAirflow, SimulatorServer, Path],
) -> None:
    airflow, _, _ = full_sync
    states = task_states(airflow.home, "wms_full_sync")
    assert {f"extract_load_{entity}" for entity in ENTITIES_ALL} <= {task.split("[")[0] for task in states}
    assert any(task.startswith("transform.") for task in states)
    assert {task: state for task, state in states.items() if state != "success"} == {}


def test_the_tasks_ran_the_copys_tools(
    full_sync: tuple[ImageAirflow, SimulatorServer, Path], image: BuiltImage
) -> None:
    airflow, _, _ = full_sync
    with sqlite3.connect(airflow.home / "airflow.db") as metadata:
        rendered = [
            str(value)
            for (value,) in metadata.execute("select rendered_fields from rendered_task_instance_fields")
        ]
    venvs = image.env["WMS_VENVS_DIR"]
    assert any(f"{venvs}/meltano/bin/meltano" in fields for fields in rendered), rendered[:3]
    assert not any(str(Path(__file__).resolve().parents[2] / ".venvs") in fields for fields in rendered)


@pytest.mark.parametrize("entity", ["order_hdr", "allocation"])
def test_the_warehouse_holds_every_version_the_wms_showed(
    full_sync: tuple[ImageAirflow, SimulatorServer, Path], entity: str
) -> None:
    _, simulator, warehouse = full_sync
    stored = WarehouseReader("duckdb", str(warehouse)).rows(f"select id, mod_ts from wms_raw.{entity}")
    expected = {(i, datetime.fromisoformat(ts)) for i, ts in simulator.sim.versions(entity).items()}
    assert expected
    assert {(int(i), ts) for i, ts in stored} == expected


def test_dbt_built_staging_from_the_copys_manifest(
    full_sync: tuple[ImageAirflow, SimulatorServer, Path],
) -> None:
    _, simulator, warehouse = full_sync
    rows = WarehouseReader("duckdb", str(warehouse)).rows(
        "select count(*) from wms.stg_oracle_wms__order_hdrs where is_deleted = 0"
    )
    assert rows[0][0] == len(list(simulator.sim.records("order_hdr")))
