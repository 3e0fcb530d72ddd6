"""The full sync's plan, asked of the simulator, and the bind markers for its completion rows."""

from __future__ import annotations

import json
from typing import Any

import pytest

from include.wms_pipeline import settings
from include.wms_pipeline.full_sync import placeholders, plan_partitions
from include.wms_pipeline.partitions import share_partitions

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


@pytest.mark.parametrize(
    ("kind", "expected"),
    [("duckdb", ["?", "?", "?"]), ("postgres", ["%s", "%s", "%s"]), ("oracle", [":1", ":2", ":3"])],
)
def test_placeholders_follow_each_driver(kind: str, expected: list[str]) -> None:
    assert placeholders(kind, 3) == expected
