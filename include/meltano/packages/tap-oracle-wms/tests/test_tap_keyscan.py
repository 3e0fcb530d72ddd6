"""The key-scan full sync against dev/wms_simulator: every id reported seen, whole records only for
the versions the warehouse lacks (reference §3 `fields`, §4 `__in`)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from singer_run import run_tap
from test_tap_simulator import simulator_set, tap_config

from tap_oracle_wms.keyscan import ID_IN_MAX_CHARS, id_batches, mod_ts_micros
from wms_simulator import FaultRule, Simulator, SimulatorConfig, SimulatorServer

ENTITY = "allocation"


def write_known(path: Path, versions: set[tuple[int, str]]) -> str:
    path.write_text("".join(f"{i}\t{mod_ts_micros(ts)}\n" for i, ts in sorted(versions)))
    return str(path)


def key_scan_config(handle: Any, known_file: str | None, **overrides: Any) -> dict[str, Any]:
    return tap_config(
        handle, entities=[ENTITY], full_sync_mode="keys", known_versions_file=known_file, **overrides
    )


def served(sim: Simulator, parameter: str) -> list[dict[str, list[str]]]:
    return [
        parse_qs(r.query) for r in sim.requests if r.path.endswith(f"/{ENTITY}/") and parameter in r.query
    ]


def whole_rows_served(sim: Simulator) -> int:
    return sum(len(q["id__in"][0].split(",")) for q in served(sim, "id__in"))


def test_only_missing_versions_are_fetched_whole_and_every_id_is_seen(
    wms_simulator: Any, tmp_path: Path
) -> None:
    sim = wms_simulator.sim
    before = simulator_set(sim, ENTITY)
    known = write_known(tmp_path / "known.tsv", before)
    sim.advance(timedelta(hours=6))
    now = simulator_set(sim, ENTITY)
    new_versions = now - before
    assert new_versions, "the advance must change or create allocations"

    output = run_tap(key_scan_config(wms_simulator, known))

    assert set(output.versions(ENTITY)) == new_versions
    assert {r["id"] for r in output.records[f"{ENTITY}__seen"]} == {i for i, _ in now}
    # phase one asked for keys only; phase two for exactly the missing ids, whole records
    assert all(q["fields"] == ["id,mod_ts"] for q in served(sim, "fields"))
    assert "fields" not in str(served(sim, "id__in"))
    assert whole_rows_served(sim) == len(new_versions)


def test_without_known_versions_every_record_is_fetched_once(wms_simulator: Any) -> None:
    output = run_tap(key_scan_config(wms_simulator, None))

    assert set(output.versions(ENTITY)) == simulator_set(wms_simulator.sim, ENTITY)
    assert len(output.versions(ENTITY)) == len(set(output.versions(ENTITY)))


def test_id_in_urls_stay_inside_the_gateway_budget(wms_simulator: Any) -> None:
    run_tap(key_scan_config(wms_simulator, None))

    values = [q["id__in"][0] for q in served(wms_simulator.sim, "id__in")]
    assert len(values) > 1, "the sync must need several id__in requests"
    assert max(len(v) for v in values) <= ID_IN_MAX_CHARS


def test_id_batches_respect_characters_and_page_size() -> None:
    ids = list(range(1_000_000, 1_003_000))
    batches = list(id_batches(ids, max_chars=100, max_ids=5))
    assert [i for b in batches for i in b] == ids
    assert all(len(",".join(map(str, b))) <= 100 and len(b) <= 5 for b in batches)


def test_a_record_changed_between_the_phases_is_stored_in_its_newer_version(
    wms_simulator: Any, tmp_path: Path
) -> None:
    sim = wms_simulator.sim
    known = write_known(tmp_path / "known.tsv", set())
    at_key_scan = simulator_set(sim, ENTITY)
    # The clock moves on just before the first id__in request: phase two sees newer versions.
    sim.faults.add(FaultRule(kind="advance", query_regex="id__in", first_n=1, advance_minutes=360))

    output = run_tap(key_scan_config(wms_simulator, known))

    emitted = set(output.versions(ENTITY))
    current = simulator_set(sim, ENTITY)
    # every version emitted is one the WMS shows now (fetched after the change), none twice
    assert emitted <= current
    assert emitted - at_key_scan, "some records must have changed after the key scan"
    assert len(output.versions(ENTITY)) == len(emitted)
    # records created after the key scan are not seen now: the next incremental run reads them
    seen = {r["id"] for r in output.records[f"{ENTITY}__seen"]}
    assert {i for i, _ in current} - seen == {i for i, _ in current} - {i for i, _ in emitted}


def test_a_wms_that_ignores_fields_gives_the_same_versions_without_a_second_fetch(tmp_path: Path) -> None:
    config = SimulatorConfig(records=60, seed=5, ignore_fields=True)
    with SimulatorServer(Simulator(config), host="127.0.0.1", port=0) as server:
        before = simulator_set(server.sim, ENTITY)
        partial = set(sorted(before)[::2])
        known = write_known(tmp_path / "known.tsv", partial)

        output = run_tap(key_scan_config(server, known))

        assert set(output.versions(ENTITY)) == before - partial
        assert served(server.sim, "id__in") == []


def test_an_unreadable_known_versions_file_names_the_setting(wms_simulator: Any, tmp_path: Path) -> None:
    bad = tmp_path / "known.tsv"
    bad.write_text("12\tnot-a-number\n")
    with pytest.raises(ValueError, match="known_versions_file"):
        run_tap(key_scan_config(wms_simulator, str(bad)))
