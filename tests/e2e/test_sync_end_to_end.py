"""Both DAGs, through Airflow, against the simulator, on DuckDB and on PostgreSQL (and on a real Oracle
when the opt-in lane is configured: WMS_TEST_ORACLE_URL, WMS_TEST_ORACLE_DBT_URL; docs/oracle.md).

The scenario is the product's week in miniature: the weekly full sync loads everything, the simulated
WMS clock moves on by one interval (orders are created, progress, get cancelled or deleted), and the
incremental sync loads that interval. After each run the warehouse is compared with the simulator's own
records: the raw history holds exactly every (id, mod_ts) version the WMS showed, once.

The full syncs are key scans (the default, WMS_FULL_SYNC_MODE=keys). The first one meets a WMS that ignores
`fields` and an allocation partition that fails once (HTTP 401) and is retried; after a day more of WMS
activity a second one (allocation only, dbt not run) meets deletions and records that change between its
key scan and its fetch of the missing versions; the incremental run after it (allocation, dbt not run)
reads the changes the key scan left to it.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeAlias
from urllib.parse import parse_qs

import pytest
from oracle_lane import OracleLane, OracleLogin, warehouse_kinds

from include.wms_pipeline.settings import ENTITIES_ALL
from local_runner.airflow_home import LocalAirflow
from local_runner.warehouse import WarehouseReader, task_states
from throwaway_postgres.pytest_plugin import PostgresHandle
from wms_simulator import FaultRule, Simulator, SimulatorConfig, SimulatorServer

START = datetime(2026, 1, 5, 6, 0, tzinfo=UTC)
INTERVAL = timedelta(hours=2)
PASSWORD = "e2e-wms-password-0193"


@dataclass
class Scenario:
    airflow: LocalAirflow
    reader: Reader
    simulator: SimulatorServer
    after_full_sync: dict[str, set[tuple[int, datetime]]]
    after_incremental: dict[str, set[tuple[int, datetime]]]
    outputs: list[Path]
    secrets: list[str]
    states: dict[str, dict[str, str]]
    orders_after_incremental: dict[int, str]
    key_scan: KeyScanRun


@dataclass
class KeyScanRun:
    """What the first full sync met, and the second (key-scan) full sync of allocation."""

    first_sync_id_in_requests: int  # id__in requests of the first full sync (the WMS ignored `fields`)
    first_sync_retried: list[str]  # extract tasks that failed once and succeeded on their retry
    faults_injected: int
    before: set[tuple[int, datetime]]  # allocation versions when the second full sync started
    after: set[tuple[int, datetime]]  # ... and when it ended (the clock moved on during it)
    id_in_ids: set[int]  # ids the second full sync fetched whole, by id__in
    sync_id: str
    stored: set[tuple[int, datetime]]  # allocation's raw history right after the second full sync
    stored_after_next_incremental: set[tuple[int, datetime]]  # ... and after the incremental run after it


def _versions(simulator: SimulatorServer) -> dict[str, set[tuple[int, datetime]]]:
    return {
        entity: {
            (record_id, datetime.fromisoformat(ts))
            for record_id, ts in simulator.sim.versions(entity).items()
        }
        for entity in ENTITIES_ALL
    }


class OracleReader:
    """WarehouseReader's `rows` on the Oracle lane, as dbt's user (WMS reads every raw table)."""

    kind = "oracle"

    def __init__(self, lane: OracleLane) -> None:
        self.lane = lane

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        return [tuple(row.values()) for row in self.lane.query(self.lane.dbt, sql)]


Reader: TypeAlias = WarehouseReader | OracleReader


def _oracle_conn(login: OracleLogin, database: str) -> dict[str, Any]:
    """An Airflow connection as docs/oracle.md describes it: extra service_name and database (DB_NAME)."""
    return {
        "conn_type": "oracle",
        "host": login.host,
        "port": login.port,
        "login": login.user,
        "password": login.password,
        "extra": {"service_name": login.service_name, "database": database},
    }


def _warehouse(
    kind: str, base: Path, request: pytest.FixtureRequest
) -> tuple[dict[str, Any], WarehouseReader]:
    if kind == "duckdb":
        path = base / "warehouse.duckdb"
        return {"conn_type": "duckdb", "host": str(path)}, WarehouseReader("duckdb", str(path))
    postgres: PostgresHandle = request.getfixturevalue("postgres_server")
    dbname = f"e2e_{base.name.replace('-', '_')}"
    postgres.create_database(dbname)
    info = postgres.info
    conn = {
        "conn_type": "postgres",
        "host": info.host,
        "port": info.port,
        "login": info.user,
        "password": info.password,
        "schema": dbname,
    }
    return conn, WarehouseReader("postgres", info.url(dbname, driver="postgresql"))


@pytest.fixture(scope="module", params=warehouse_kinds())
def scenario(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    kind: str = request.param
    if kind == "oracle":
        yield from _oracle_scenario(tmp_path_factory)
    else:
        yield from _scenario(kind, tmp_path_factory, request)


def _oracle_scenario(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    """The lane's Oracle: the loader's connection `wms_warehouse` logs in as WMS_RAW, dbt's
    `wms_warehouse_dbt` as WMS (docs/oracle.md, the connection model); both schemas emptied before
    and after."""
    lane = OracleLane.from_environ()
    assert lane is not None, "the oracle parameter exists only when WMS_TEST_ORACLE_URL is set"
    lane.clean()
    try:
        database = lane.db_name()
        dbt_conn = {"AIRFLOW_CONN_WMS_WAREHOUSE_DBT": json.dumps(_oracle_conn(lane.dbt, database))}
        yield from _scenario(
            "oracle",
            tmp_path_factory,
            warehouse=(_oracle_conn(lane.loader, database), OracleReader(lane)),
            extra_env={**dbt_conn, "WMS_DBT_CONN_ID": "wms_warehouse_dbt"},
            secrets=[lane.loader.password, lane.dbt.password],
        )
    finally:
        lane.clean()


def _scenario(
    kind: str,
    tmp_path_factory: pytest.TempPathFactory,
    request: pytest.FixtureRequest | None = None,
    *,
    warehouse: tuple[dict[str, Any], Reader] | None = None,
    extra_env: dict[str, str] | None = None,
    secrets: list[str] | None = None,
) -> Iterator[Scenario]:
    base = tmp_path_factory.mktemp(f"e2e-{kind}")
    config = SimulatorConfig(
        records=120,
        seed=11,
        start_time=START,
        environment="lgf_test",
        username="wms_api",
        password=PASSWORD,
        ignore_fields=True,  # the first full sync meets a WMS that answers whole records to fields=
    )
    with SimulatorServer(Simulator(config), host="127.0.0.1", port=0) as simulator:
        if warehouse is None:
            assert request is not None
            warehouse = _warehouse(kind, base, request)
        conn, reader = warehouse
        airflow = LocalAirflow(
            home=base / "airflow",
            warehouse_conn=conn,
            warehouse_kind=kind,
            wms_conn={
                "conn_type": "http",
                "host": simulator.base_url,
                "login": "wms_api",
                "password": PASSWORD,
            },
            # Small partitions so the full sync really maps over several id ranges.
            # One retry, a second later: the partition that fails once below must be retried.
            extra_env={
                "WMS_TASK_RETRIES": "1",
                "WMS_TASK_RETRY_DELAY_SECONDS": "1",
                "WMS_MIN_IDS_PER_PARTITION": "40",
                **(extra_env or {}),
            },
        )
        airflow.prepare()
        outputs = [
            base / "full-sync.log",
            base / "incremental.log",
            base / "key-scan.log",
            base / "incremental-after-key-scan.log",
        ]
        sim = simulator.sim
        # The first key page of allocation is refused once: that partition fails and is retried.
        refused = sim.faults.add(
            FaultRule(kind="401", entity="allocation", query_regex="fields=id(%2C|,)mod_ts", max_count=1)
        )
        # `dags test` takes the date as run_after: the interval inferred from it ends there.
        assert airflow.dags_test("wms_full_sync", START.isoformat(), {}, outputs[0]), outputs[0].read_text()[
            -4000:
        ]
        states = {"wms_full_sync": task_states(airflow.home, "wms_full_sync")}
        first_id_in = len([r for r in sim.requests if "id__in" in r.query])
        retried = _retried_tasks(airflow.home, "wms_full_sync")
        sim.faults.clear()
        sim.config = replace(config, ignore_fields=False)
        after_full_sync = _versions(simulator)
        sim.advance(INTERVAL)
        ok = airflow.dags_test("wms_incremental_sync", (START + INTERVAL).isoformat(), {}, outputs[1])
        assert ok, outputs[1].read_text()[-4000:]
        states["wms_incremental_sync"] = task_states(airflow.home, "wms_incremental_sync")
        after_incremental = _versions(simulator)
        orders = {record["id"]: record["order_nbr"] for record in sim.records("order_hdr")}
        key_scan = _second_full_sync(airflow, simulator, reader, outputs[2], outputs[3])
        key_scan.first_sync_id_in_requests, key_scan.first_sync_retried = first_id_in, retried
        key_scan.faults_injected = refused.injected
        secrets = [PASSWORD, *(secrets or ([conn["password"]] if conn.get("password") else []))]
        yield Scenario(
            airflow,
            reader,
            simulator,
            after_full_sync,
            after_incremental,
            outputs,
            secrets,
            states,
            orders,
            key_scan,
        )


def _retried_tasks(home: Path, dag_id: str) -> list[str]:
    with sqlite3.connect(home / "airflow.db") as metadata:
        rows = metadata.execute(
            "select task_id, map_index from task_instance where dag_id = ? and try_number > 1 and state = 'success'",
            (dag_id,),
        ).fetchall()
    return [f"{task}[{index}]" for task, index in rows]


UNRUN_DBT = r"transform\..*|check_current_state_keys_unique|check_referential_integrity"


def _second_full_sync(
    airflow: LocalAirflow, simulator: SimulatorServer, reader: Reader, log: Path, next_log: Path
) -> KeyScanRun:
    """A day of WMS activity later, a key-scan full sync of allocation, started (as in production) when
    the WMS's clock reaches its run_after; the clock moves on two hours when it first fetches missing
    versions (records change between its two phases). Then the next incremental run of allocation, two
    hours later. dbt and the model checks are marked successful unrun: the warehouse checked here is the
    raw history and its bookkeeping."""
    sim = simulator.sim
    run_after = START + INTERVAL + timedelta(days=1, hours=3)
    sim.advance(run_after - sim.now())
    before = _versions(simulator)["allocation"]
    served_before = len(sim.requests)
    sim.faults.add(
        FaultRule(kind="advance", entity="allocation", query_regex="id__in", first_n=1, advance_minutes=120)
    )
    ok = airflow.dags_test(
        "wms_full_sync",
        run_after.isoformat(),
        {"entities": ["allocation"]},
        log,
        mark_success_pattern=UNRUN_DBT,
    )
    assert ok, log.read_text()[-4000:]
    sim.faults.clear()
    stored = set(_raw(reader, "allocation"))
    after = _versions(simulator)["allocation"]
    # The WMS's clock stands at run_after + 2 h (the fault moved it): the next interval ends there.
    assert sim.now() == run_after + INTERVAL
    ok = airflow.dags_test(
        "wms_incremental_sync",
        (run_after + INTERVAL).isoformat(),
        {"entities": ["allocation"]},
        next_log,
        mark_success_pattern=UNRUN_DBT,
    )
    assert ok, next_log.read_text()[-4000:]
    id_in_ids = {
        int(i)
        for request in sim.requests[served_before:]
        if "/allocation" in request.path and "id__in=" in request.query
        for i in parse_qs(request.query)["id__in"][0].split(",")
    }
    with sqlite3.connect(airflow.home / "airflow.db") as metadata:
        (sync_id,) = metadata.execute(
            "select run_id from dag_run where dag_id = 'wms_full_sync' order by id desc limit 1"
        ).fetchone()
    return KeyScanRun(
        0, [], 0, before, after, id_in_ids, str(sync_id), stored, set(_raw(reader, "allocation"))
    )


def _raw(reader: Reader, entity: str) -> list[tuple[int, datetime]]:
    return [(int(i), ts) for i, ts in reader.rows(f"select id, mod_ts from wms_raw.{entity}")]


@pytest.mark.parametrize("dag_id", ["wms_full_sync", "wms_incremental_sync"])
def test_every_task_succeeded(scenario: Scenario, dag_id: str) -> None:
    states = scenario.states[dag_id]
    assert any(task.startswith("transform.") for task in states)
    assert {task for task in states if task.startswith("check_")}
    assert {task: state for task, state in states.items() if state != "success"} == {}


def test_full_sync_mapped_large_entities_over_several_partitions(scenario: Scenario) -> None:
    states = scenario.states["wms_full_sync"]
    assert len([task for task in states if task.startswith("extract_load_allocation[")]) > 1


@pytest.mark.parametrize("entity", ENTITIES_ALL)
def test_raw_history_holds_every_version_the_wms_showed_exactly_once(scenario: Scenario, entity: str) -> None:
    stored = _raw(scenario.reader, entity)
    if entity == "allocation":  # the second full sync added the day after (tests below)
        stored = [(i, ts) for i, ts in stored if ts < START + INTERVAL]
    assert len(stored) == len(set(stored)), "no (id, mod_ts) version is stored twice"
    expected = scenario.after_full_sync[entity] | scenario.after_incremental[entity]
    assert scenario.after_full_sync[entity], f"the simulator has no {entity} records to compare"
    assert set(stored) == expected


def test_the_incremental_interval_really_changed_records(scenario: Scenario) -> None:
    changed = scenario.after_incremental["order_hdr"] - scenario.after_full_sync["order_hdr"]
    assert changed, "the scenario must exercise the incremental window"


def test_staging_shows_the_current_version_of_every_order(scenario: Scenario) -> None:
    rows = scenario.reader.rows(
        "select order_id, order_nbr from wms.stg_oracle_wms__order_hdrs where is_deleted = 0"
    )
    current = scenario.orders_after_incremental
    deleted_since_full_sync = {i for i, _ in scenario.after_full_sync["order_hdr"]} - set(current)
    # Deletions become visible at the next full sync; until then the last known version stands.
    assert {i for i, _ in rows} == set(current) | deleted_since_full_sync
    assert {i: n for i, n in rows if i in current} == current


def test_no_secret_reaches_the_airflow_output(scenario: Scenario) -> None:
    """Neither the WMS password nor the warehouse's: not in logs, XComs (dbt's results and events
    included), Variables or rendered templates."""
    texts = [path.read_text(errors="replace") for path in scenario.outputs]
    texts += [
        p.read_text(errors="replace") for p in (scenario.airflow.home / "logs").rglob("*") if p.is_file()
    ]
    with sqlite3.connect(scenario.airflow.home / "airflow.db") as metadata:
        stored = [
            metadata.execute(f"select {column} from {table}").fetchall()
            for table, column in (
                ("xcom", "value"),
                ("variable", "val"),
                ("rendered_task_instance_fields", "rendered_fields"),
            )
        ]
    assert stored[0], "no XCom to search: the metadata DB is not the one the runs used"
    texts += [str(value) for rows in stored for (value,) in rows]
    # The WMS password, and each warehouse login's: PostgreSQL one, Oracle two (loader and dbt).
    assert len(scenario.secrets) == {"duckdb": 1, "postgres": 2, "oracle": 3}[scenario.reader.kind]
    assert [secret for secret in scenario.secrets if any(secret in text for text in texts)] == []


def test_a_wms_ignoring_fields_still_gave_an_exact_full_sync(scenario: Scenario) -> None:
    """The first full sync's WMS answered whole records to fields=: they were used as they came
    (no id__in fetch), and the raw history equals the simulator's records (the test above)."""
    assert scenario.key_scan.first_sync_id_in_requests == 0


def test_the_refused_partition_was_retried_and_the_sync_is_exact(scenario: Scenario) -> None:
    assert scenario.key_scan.faults_injected == 1
    assert [
        task for task in scenario.key_scan.first_sync_retried if task.startswith("extract_load_allocation[")
    ]
    assert set(_raw(scenario.reader, "allocation")) >= scenario.after_full_sync["allocation"]


def test_the_key_scan_fetched_whole_records_only_for_versions_the_warehouse_lacked(
    scenario: Scenario,
) -> None:
    run = scenario.key_scan
    held = scenario.after_full_sync["allocation"] | scenario.after_incremental["allocation"]
    lacking = {i for i, _ in (run.before | run.after) - held}
    assert run.id_in_ids, "the day of activity must have left versions to fetch"
    assert run.id_in_ids <= lacking


def test_after_the_key_scan_the_raw_history_holds_every_version_once(scenario: Scenario) -> None:
    """Every version held before stays; every record has the version the key scan saw or the newer one
    it fetched; nothing but versions the WMS showed."""
    run = scenario.key_scan
    stored = run.stored
    held = scenario.after_full_sync["allocation"] | scenario.after_incremental["allocation"]
    assert held <= stored <= held | run.before | run.after
    for record_id, mod_ts in run.after:
        seen_version = {ts for i, ts in run.before if i == record_id}
        if not seen_version:
            continue  # created after the sync was planned: the next incremental run reads it
        assert (record_id, mod_ts) in stored or seen_version & {ts for i, ts in stored if i == record_id}


def test_a_record_changed_between_the_phases_is_stored_in_its_newer_version_now(scenario: Scenario) -> None:
    """Changed after the key scan and fetched by id__in: the version after the change is stored by the
    full sync. Unchanged at the key scan and changed after: left to the next incremental run (the test
    below), and still seen (not deleted)."""
    run = scenario.key_scan
    stored = run.stored
    changed_mid_sync = run.after - run.before
    fetched_newer = {(i, ts) for i, ts in changed_mid_sync if i in run.id_in_ids}
    assert fetched_newer, "some record must change between the key scan and its fetch"
    assert fetched_newer <= stored
    # the rest are still seen (never marked deleted) or were created after the key scan
    seen = _seen(scenario, run.sync_id)
    left = {i for i, ts in run.after if (i, ts) not in stored}
    assert left <= seen | ({i for i, _ in run.after} - {i for i, _ in run.before})


def test_the_incremental_run_after_the_key_scan_stores_the_versions_it_left(scenario: Scenario) -> None:
    """What changed between the phases and was not fetched by id__in (its version at the key scan was
    already held) is read by the next incremental run: its window starts at the full sync's cut-off,
    before the change. Afterwards the raw history holds every version the WMS shows, once. (Whether
    any change is left to it depends on which partitions ran before the clock moved: on DuckDB they run
    one at a time, and a partition that scans after the move fetches the change itself.)"""
    run = scenario.key_scan
    assert run.after - run.before, "records must change while the full sync runs"
    left = run.after - run.stored
    assert left <= run.stored_after_next_incremental
    assert run.after <= run.stored_after_next_incremental
    assert run.stored_after_next_incremental - run.stored <= run.after
    stored = _raw(scenario.reader, "allocation")
    assert len(stored) == len(set(stored)), "no (id, mod_ts) version is stored twice"


def test_the_key_scan_saw_every_record_that_lived_through_it_and_no_deleted_one(scenario: Scenario) -> None:
    run = scenario.key_scan
    seen = _seen(scenario, run.sync_id)
    deleted = {i for i, _ in scenario.after_incremental["allocation"]} - {i for i, _ in run.before}
    assert deleted, "the day of activity must delete allocations"
    assert not deleted & seen
    assert {i for i, _ in run.before} & {i for i, _ in run.after} <= seen
    complete = scenario.reader.rows(
        f"select stream_name from wms_raw.etl_full_sync_complete where sync_id = '{run.sync_id}'"
    )
    assert complete == [("allocation",)]


def _seen(scenario: Scenario, sync_id: str) -> set[int]:
    rows = scenario.reader.rows(
        "select record_id from wms_raw.etl_full_sync_seen "
        f"where sync_id = '{sync_id}' and stream_name = 'allocation'"
    )
    return {int(i) for (i,) in rows}


HEALTH_REPORT = """
import json
from wms_sync_health import app
report = app.collect_report(budget=120)
print(json.dumps({**report.as_json(), "red": report.red}))
"""


@pytest.fixture(scope="module")
def health_page(scenario: Scenario) -> dict[str, Any]:
    """The sync-health page's numbers after the runs, computed as the api-server does (its metadata DB,
    the `wms_warehouse` connection), in a process of its own."""
    import subprocess
    import sys

    env = scenario.airflow.env()
    plugins = Path(__file__).resolve().parents[2] / "plugins"
    env["PYTHONPATH"] = f"{env['PYTHONPATH']}{':' if env['PYTHONPATH'] else ''}{plugins}"
    result = subprocess.run(
        [sys.executable, "-c", HEALTH_REPORT],
        env=env,
        text=True,
        capture_output=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    answer: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return answer


def test_the_health_page_shows_the_numbers_the_warehouse_holds_after_the_runs(
    scenario: Scenario, health_page: dict[str, Any]
) -> None:
    reader = scenario.reader
    assert health_page["error"] is None
    assert health_page["warehouse_kind"] == reader.kind
    assert health_page["notes"] == []
    entities = {e["entity"]: e for e in health_page["entities"]}
    with sqlite3.connect(scenario.airflow.home / "airflow.db") as metadata:
        (newest_end,) = metadata.execute(
            "select max(data_interval_end) from dag_run where dag_id = 'wms_incremental_sync'"
        ).fetchone()
    newest_incremental_end = datetime.fromisoformat(str(newest_end)).replace(tzinfo=UTC)
    windows = {
        str(s): end
        for s, end in reader.rows(
            "select stream_name, max(window_end) from wms_raw.etl_loaded_windows group by stream_name"
        )
    }
    for entity in ENTITIES_ALL:
        shown = entities[entity]
        assert shown["problems"] == [], entity
        audit = reader.rows(
            "select run_id, finished_at, records_received, records_inserted, records_already_present, "
            f"records_quarantined from wms_raw.etl_load_audit where stream_name = '{entity}'"
        )
        run_id, _at, *counts = max(audit, key=lambda row: row[1])
        last = shown["runs"][0]
        assert [
            last["run_id"],
            last["extracted"],
            last["inserted"],
            last["already_present"],
            last["quarantined"],
        ] == [
            run_id,
            *counts,
        ], entity
        [(newest,)] = reader.rows(f"select max(mod_ts) from wms_raw.{entity}")
        assert datetime.fromisoformat(shown["newest_mod_ts"]) == newest.astimezone(UTC), entity
        # The incremental run loaded every entity through its interval's end; the run after the
        # key-scan sync read allocation alone, through the end of the interval Airflow gave it.
        assert datetime.fromisoformat(shown["window_end"]) == windows[entity].astimezone(UTC)
        expected_end = newest_incremental_end if entity == "allocation" else START + INTERVAL
        assert windows[entity].astimezone(UTC) == expected_end, entity
    # The schedule the DAG was parsed with, from the metadata DB.
    assert health_page["schedule"] == "0 */2 * * *"


def test_the_health_page_names_the_wms_the_loads_read(
    scenario: Scenario, health_page: dict[str, Any]
) -> None:
    direct = scenario.reader.rows(
        "select wms_base_url, wms_user, count(*) from wms_raw.etl_load_source group by wms_base_url, wms_user"
    )
    shown = [(s["base_url"], s["user"], s["loads"]) for s in health_page["sources"]]
    assert shown == [(str(u), str(n), int(c)) for u, n, c in direct]
    assert [(u, n) for u, n, _c in shown] == [(scenario.simulator.base_url.rstrip("/"), "wms_api")]
    assert PASSWORD not in json.dumps(health_page)


def test_the_health_page_shows_each_dags_newest_check_results(
    scenario: Scenario, health_page: dict[str, Any]
) -> None:
    for dag_id in ("wms_full_sync", "wms_incremental_sync"):
        states = task_states(scenario.airflow.home, dag_id)
        expected = {task: state for task, state in states.items() if task.startswith("check_")}
        shown = {v["task_id"]: v["state"] for v in health_page["validations"] if v["dag_id"] == dag_id}
        assert expected
        assert shown == expected, dag_id
