"""The full sync's plan, asked of the simulator; the bind markers and bound times of its completion rows."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import oracledb
import pytest

from include.wms_pipeline import full_sync, settings
from include.wms_pipeline.full_sync import placeholders, plan_partitions
from include.wms_pipeline.load_evidence import WmsSource
from include.wms_pipeline.partitions import share_partitions

SOURCE = WmsSource("https://tenant.wms.example.com/prod_env", "etl_reader")

LARGE = ("allocation", "order_dtl", "order_hdr")


@pytest.fixture
def wms(wms_server: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The simulator, reached through the WMS connection as the plan task reaches it."""
    wms_server.sim.reset()
    config = wms_server.sim.config
    connection = {
        "conn_type": "http",
        "login": config.username,
        "password": config.password,
        "extra": {"base_url": wms_server.base_url},
    }
    monkeypatch.setenv(f"AIRFLOW_CONN_{settings.WMS_CONN_ID.upper()}", json.dumps(connection))
    return wms_server


def test_each_large_entity_gets_its_share_of_the_partitions_by_record_count(wms: Any) -> None:
    counts = {entity: len(wms.sim.versions(entity)) for entity in LARGE}
    shares = share_partitions(counts, 6)
    assert len(set(shares.values())) > 1, "the scenario needs entities of different sizes"
    for entity in LARGE:
        planned = plan_partitions(entity, sharing=LARGE, total_partitions=6, min_ids=1)
        ids = sorted(wms.sim.versions(entity))
        partitions = planned["partitions"]
        assert planned["wms_count"] == counts[entity]
        assert len(partitions) == shares[entity]
        assert (partitions[0]["id_min"], partitions[-1]["id_max"]) == (ids[0], ids[-1])


def test_an_entity_planned_alone_takes_every_partition(wms: Any) -> None:
    planned = plan_partitions("order_hdr", sharing=("order_hdr",), total_partitions=3, min_ids=1)
    assert len(planned["partitions"]) == 3


def test_with_a_facility_code_the_plan_counts_what_the_tap_reads(
    wms: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The tap filters facility_id__code where the entity has a facility_id (order_hdr, not order_dtl);
    the plan's count, compared with the ids the sync saw, must be asked under the same filter."""
    orders = list(wms.sim.records("order_hdr"))
    code = orders[0]["facility_id"]["key"]
    connection = json.loads(os.environ[f"AIRFLOW_CONN_{settings.WMS_CONN_ID.upper()}"])
    connection["extra"]["facility_code"] = code
    monkeypatch.setenv(f"AIRFLOW_CONN_{settings.WMS_CONN_ID.upper()}", json.dumps(connection))

    planned = plan_partitions("order_hdr", sharing=("order_hdr", "order_dtl"), total_partitions=4, min_ids=1)

    assert planned["wms_count"] == sum(1 for order in orders if order["facility_id"]["key"] == code)
    assert planned["wms_count"] < len(orders)
    assert full_sync.scope_filters("order_dtl", {"facility_code": code}) == {}
    assert full_sync.scope_filters("item", {"company_code": "C1"}) == {"company_id__code": "C1"}


def test_the_plan_records_when_it_asked_the_wms(wms: Any) -> None:
    before = datetime.now(UTC)
    planned = plan_partitions("order_hdr", sharing=("order_hdr",), total_partitions=1, min_ids=1)
    assert before <= datetime.fromisoformat(planned["planned_at"]) <= datetime.now(UTC)


@pytest.mark.parametrize(
    ("kind", "expected"),
    [("duckdb", ["?", "?", "?"]), ("postgres", ["%s", "%s", "%s"]), ("oracle", [":1", ":2", ":3"])],
)
def test_placeholders_follow_each_driver(kind: str, expected: list[str]) -> None:
    assert placeholders(kind, 3) == expected


class OracledbBindingCursor:
    """Stores what a TIMESTAMP(6) column gets from python-oracledb's binds, as its source documents them.

    A datetime bound by value is DB_TYPE_DATE (impl/base/metadata.pyx `from_value`): whole seconds.
    A position typed DB_TYPE_TIMESTAMP by `setinputsizes()` before the execute keeps microseconds.
    Neither sends tzinfo: the column receives the datetime's wall-clock fields.
    """

    def __init__(self, inserted: list[tuple[Any, ...]]) -> None:
        self.inserted = inserted
        self._input_types: tuple[Any, ...] = ()

    def setinputsizes(self, *types: Any) -> None:
        self._input_types = types

    def execute(self, statement: str, parameters: tuple[Any, ...]) -> None:
        input_types, self._input_types = self._input_types, ()
        if statement.startswith("insert"):
            typed = input_types + (None,) * (len(parameters) - len(input_types))
            self.inserted.append(tuple(map(self._stored, parameters, typed)))

    @staticmethod
    def _stored(value: Any, input_type: Any) -> Any:
        if not isinstance(value, datetime):
            return value
        wall_clock = value.replace(tzinfo=None)
        if input_type is oracledb.DB_TYPE_TIMESTAMP:
            return wall_clock
        return wall_clock.replace(microsecond=0)


class OracleConnection:
    def __init__(self) -> None:
        self.inserted: list[tuple[Any, ...]] = []
        self.committed = False

    def cursor(self) -> OracledbBindingCursor:
        return OracledbBindingCursor(self.inserted)

    def commit(self) -> None:
        self.committed = True

    def close(self) -> None:
        pass


@pytest.fixture
def oracle_warehouse(monkeypatch: pytest.MonkeyPatch) -> OracleConnection:
    """The warehouse connection's hook hands out a python-oracledb-like connection."""
    connection = OracleConnection()
    hook = SimpleNamespace(get_conn=lambda: connection)
    monkeypatch.setattr(
        full_sync.BaseHook, "get_connection", lambda conn_id: SimpleNamespace(get_hook=lambda: hook)
    )
    monkeypatch.setenv("WMS_WAREHOUSE_KIND", "oracle")
    return connection


def test_on_oracle_the_window_end_is_stored_as_its_utc_instant_with_microseconds(
    oracle_warehouse: OracleConnection,
) -> None:
    # 21:00 in São Paulo is midnight UTC: a window end in any zone is stored as its UTC wall clock.
    window_end = datetime(2026, 12, 6, 21, 0, 0, 123456, tzinfo=ZoneInfo("America/Sao_Paulo"))
    before = datetime.now(UTC).replace(tzinfo=None)

    full_sync.record_complete("sync-1", ["order_hdr", "allocation"], window_end, SOURCE)

    after = datetime.now(UTC).replace(tzinfo=None)
    assert oracle_warehouse.committed
    utc_wall_clock = datetime(2026, 12, 7, 0, 0, 0, 123456, tzinfo=UTC).replace(tzinfo=None)
    assert [row[:3] for row in oracle_warehouse.inserted] == [
        ("sync-1", "order_hdr", utc_wall_clock),
        ("sync-1", "allocation", utc_wall_clock),
    ]
    completed_at = oracle_warehouse.inserted[0][3]
    assert before <= completed_at <= after  # UTC, to the microsecond


def test_each_completion_row_records_the_wms_the_sync_read(oracle_warehouse: OracleConnection) -> None:
    window_end = datetime(2026, 12, 7, tzinfo=UTC)

    full_sync.record_complete("sync-1", ["order_hdr", "allocation"], window_end, SOURCE)

    assert [(row[0], row[1], row[4], row[5]) for row in oracle_warehouse.inserted] == [
        ("sync-1", "order_hdr", "https://tenant.wms.example.com/prod_env", "etl_reader"),
        ("sync-1", "allocation", "https://tenant.wms.example.com/prod_env", "etl_reader"),
    ]


def test_a_window_end_without_a_time_zone_is_refused(oracle_warehouse: OracleConnection) -> None:
    with pytest.raises(ValueError, match="no time zone"):
        full_sync.record_complete(
            "sync-1", ["order_hdr"], datetime.fromisoformat("2026-12-07T00:00:00"), SOURCE
        )
    assert oracle_warehouse.inserted == []
