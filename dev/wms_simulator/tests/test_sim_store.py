"""Data: determinism, relational and quantity consistency, and what advancing the clock does."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest
from sim_helpers import SMALL, Api

from wms_simulator import Simulator, SimulatorConfig

ENTITIES = ("company", "facility", "item", "location", "inventory", "order_hdr", "order_dtl", "allocation")


def test_same_seed_gives_identical_records_and_other_seed_differs() -> None:
    first, second = Simulator(SMALL), Simulator(SMALL)
    for entity in ENTITIES:
        assert list(first.records(entity)) == list(second.records(entity))
    other = Simulator(SimulatorConfig(records=SMALL.records, seed=SMALL.seed + 1))
    assert list(other.records("order_hdr")) != list(first.records("order_hdr"))


def test_same_advances_give_identical_state_and_split_advances_equal_one() -> None:
    one, two = Simulator(SMALL), Simulator(SMALL)
    one.advance(timedelta(hours=6))
    two.advance(timedelta(hours=2))
    two.advance(timedelta(hours=4))
    for entity in ENTITIES:
        assert one.versions(entity) == two.versions(entity)
        assert one.deleted(entity) == two.deleted(entity)


def test_relations_point_at_existing_records(api: Api) -> None:
    live = {entity: set(api.sim.versions(entity)) for entity in ENTITIES}
    for row in api.sim.records("order_hdr"):
        assert row["facility_id"]["id"] in live["facility"]
        assert row["company_id"]["id"] in live["company"]
    for row in api.sim.records("order_dtl"):
        assert row["order_id"]["id"] in live["order_hdr"]
        assert row["item_id"]["id"] in live["item"]
    items = {row["id"]: row for row in api.sim.records("item")}
    inventory = {row["id"]: row for row in api.sim.records("inventory")}
    lines = {row["id"]: row for row in api.sim.records("order_dtl")}
    headers = {row["id"]: row for row in api.sim.records("order_hdr")}
    for row in api.sim.records("allocation"):
        line = lines[row["order_dtl_id"]["id"]]
        source = inventory[row["from_inventory_id"]["id"]]
        assert source["item_id"]["id"] == line["item_id"]["id"]
        assert source["facility_id"]["id"] == headers[line["order_id"]["id"]]["facility_id"]["id"]
        assert source["location_id"]["id"] in live["location"]
    for row in api.sim.records("inventory"):
        assert row["item_id"]["id"] in items


def test_quantities_are_consistent(api: Api) -> None:
    api.sim.advance(timedelta(hours=30))
    allocated: dict[int, int] = defaultdict(int)
    for row in api.sim.records("allocation"):
        assert 0 <= int(row["packed_qty"]) <= int(row["alloc_qty"])
        if row["status_id"] != 99:
            allocated[row["order_dtl_id"]["id"]] += int(row["alloc_qty"])
        if row["status_id"] == 90:
            assert row["picked_ts"]
            assert row["pick_user"]
            assert row["packed_qty"] == row["alloc_qty"]
    for row in api.sim.records("order_dtl"):
        assert allocated[row["id"]] <= int(row["ord_qty"])
        assert int(row["alloc_qty"]) == allocated[row["id"]]


def test_lifecycle_covers_the_reference_status_codes(api: Api) -> None:
    sim = Simulator(SimulatorConfig(records=2000, seed=3))
    statuses = {row["status_id"] for row in sim.records("order_hdr")}
    statuses |= {
        row["status_id"] for row in Simulator(SimulatorConfig(records=2000, seed=4)).records("order_hdr")
    }
    assert {0, 20, 25, 27, 30, 40, 50, 90, 99} <= statuses


def test_advance_creates_changes_and_deletes_with_mod_ts_inside_the_interval(api: Api) -> None:
    sim = api.sim
    before = {entity: sim.versions(entity) for entity in ("order_hdr", "order_dtl", "allocation")}
    start = sim.now()
    summary = sim.advance(timedelta(hours=36))
    assert sim.now() == start + timedelta(hours=36)
    for entity in ("order_hdr", "order_dtl", "allocation"):
        changes = summary[entity]
        after = sim.versions(entity)
        assert changes.created, entity
        assert changes.changed, entity
        assert changes.deleted, entity
        assert min(changes.created) > max(before[entity])  # new records get higher ids
        assert set(changes.created) == set(after) - set(before[entity])
        assert set(before[entity]) - set(after) == set(changes.deleted) & set(before[entity])
        assert all(i > max(before[entity]) for i in set(changes.deleted) - set(before[entity]))
        assert set(changes.deleted).isdisjoint(after)
        for record_id in changes.changed + changes.created:
            stamp = datetime.fromisoformat(after[record_id])
            assert start <= stamp < sim.now(), (entity, record_id)
        unchanged = set(before[entity]) - set(changes.changed) - set(changes.deleted)
        assert all(after[i] == before[entity][i] for i in unchanged)
    tombstones = sim.deleted("order_hdr")
    assert all(start <= tombstones[i] < sim.now() for i in summary["order_hdr"].deleted)


def test_advance_progresses_allocations_through_picking(api: Api) -> None:
    sim = api.sim
    open_before = {r["id"] for r in sim.records("allocation") if r["status_id"] in (0, 10)}
    sim.advance(timedelta(hours=40))
    picked = {r["id"]: r for r in sim.records("allocation") if r["id"] in open_before}
    assert any(r["status_id"] in (30, 90) and r["picked_ts"] for r in picked.values())


def test_negative_advance_is_refused(api: Api) -> None:
    with pytest.raises(ValueError, match="backwards"):
        api.sim.advance(timedelta(minutes=-1))


def test_reset_restores_the_initial_state(api: Api) -> None:
    initial = api.sim.versions("allocation")
    api.sim.advance(timedelta(hours=5))
    assert api.sim.versions("allocation") != initial
    api.sim.reset()
    assert api.sim.versions("allocation") == initial
    assert api.sim.now() == SMALL.start_time.astimezone(UTC)


def test_config_rejects_naive_start_time() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        SimulatorConfig(start_time=datetime(2026, 1, 1))  # noqa: DTZ001 - the point of the test
