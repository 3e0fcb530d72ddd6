"""Late commits and clock skew (opt-in): what readers see when the WMS commits after stamping mod_ts,
and when its clock differs from the caller's. Default off (the other modules test that behaviour)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from sim_helpers import SMALL, Api, fetch

from wms_simulator import Simulator, SimulatorConfig, SimulatorServer
from wms_simulator.cli import _config, build_parser
from wms_simulator.tables import Table

ALL = {"page_size": 1250, "empty_response_http_code": 200}


def listed(api: Api, entity: str, query: str = "", **params: Any) -> dict[int, str]:
    """id -> mod_ts of every record a list request returns (one page holds them all here)."""
    answer = api.get(f"{entity}/", query, **{**ALL, **params})
    assert answer.status == 200, answer.body
    assert answer.json["next_page"] is None
    return {row["id"]: row["mod_ts"] for row in answer.json["results"]}


def window(low: datetime, high: datetime) -> str:
    return (
        f"mod_ts__gte={low.isoformat().replace('+', '%2B')}&mod_ts__lt={high.isoformat().replace('+', '%2B')}"
    )


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_a_delayed_change_shows_the_previous_version_until_it_commits(api: Api) -> None:
    probe = Simulator(SMALL)
    new_id = min(probe.advance(timedelta(days=1))["order_hdr"].created)
    created_at = ts(next(r for r in probe.records("order_hdr") if r["id"] == new_id)["create_ts"])
    sim = api.sim
    before = sim.versions("order_hdr")
    start = sim.now()
    # end 10 minutes after an order's creation: that creation is still uncommitted at the end
    summary = sim.advance(
        created_at + timedelta(minutes=10) - start, timedelta(minutes=45), entity="order_hdr"
    )
    end = sim.now()
    pending = sim.uncommitted("order_hdr")
    changed, created = set(summary["order_hdr"].changed), set(summary["order_hdr"].created)
    assert pending
    assert set(pending) <= changed | created
    for mod_ts, visible_at in pending.values():  # visible exactly mod_ts + delay, after this advance
        assert visible_at == ts(mod_ts) + timedelta(minutes=45) > end
    now_listed = listed(api, "order_hdr")
    assert now_listed == sim.versions("order_hdr")
    for record_id in changed:
        if record_id in pending:  # the version before the change, not the saved one
            assert now_listed[record_id] == before[record_id] != pending[record_id][0]
        else:  # committed within the advance: mod_ts + 45 min <= end
            assert ts(now_listed[record_id]) + timedelta(minutes=45) <= end
    hidden_new = created & set(pending)
    assert new_id in hidden_new
    for record_id in hidden_new:
        assert record_id not in now_listed
        assert api.get(f"order_hdr/{record_id}").status == 404
    # a mod_ts window lists the visible versions only: the pending new versions are not in [start, end)
    in_window = listed(api, "order_hdr", window(start, end))
    assert set(in_window) == {i for i, t in now_listed.items() if start <= ts(t) < end}
    assert not set(in_window) & set(pending)
    # other entities changed in the same advance are not delayed
    assert sim.uncommitted("order_dtl") == {}

    sim.advance(timedelta(minutes=45))  # every delay has elapsed: the state of a WMS without delays
    assert sim.uncommitted("order_hdr") == {}
    plain = Simulator(SMALL)
    plain.advance(end - start)
    plain.advance(timedelta(minutes=45))
    assert listed(api, "order_hdr") == plain.versions("order_hdr")
    assert new_id in listed(api, "order_hdr", window(start, end))


def test_a_change_to_a_record_waiting_for_its_commit_queues_behind_it() -> None:
    probe = Simulator(SMALL)
    hours = [set(probe.advance(timedelta(hours=1))["order_hdr"].changed) for _ in range(48)]
    hour = next(k for k in range(47) if hours[k] & hours[k + 1])  # an order changing in 2 hours in a row
    record_id = min(hours[hour] & hours[hour + 1])

    sim = Simulator(SMALL)
    sim.advance(timedelta(hours=hour))
    before = sim.versions("order_hdr")[record_id]
    sim.advance(timedelta(hours=1), timedelta(hours=3), entity="order_hdr", ids=[record_id])
    first_mod, first_visible = sim.uncommitted("order_hdr")[record_id]
    assert set(sim.uncommitted("order_hdr")) == {record_id}
    sim.advance(timedelta(hours=1))  # changes again, with no delay of its own: waits for the row lock
    second_mod, second_visible = sim.uncommitted("order_hdr")[record_id]
    assert ts(second_mod) > ts(first_mod)
    assert second_visible == first_visible == ts(first_mod) + timedelta(hours=3)
    assert sim.versions("order_hdr")[record_id] == before
    sim.advance(first_visible - sim.now())  # both commit together; then it is a WMS without delays
    assert sim.uncommitted("order_hdr") == {}
    plain = Simulator(SMALL)
    plain.advance(sim.now() - SMALL.start_time)
    assert sim.versions("order_hdr") == plain.versions("order_hdr")


def test_a_commit_delay_distribution_is_deterministic_and_near_its_share() -> None:
    config = SimulatorConfig(records=SMALL.records, seed=SMALL.seed, commit_delays=((0.25, 1800.0),))
    one, two = Simulator(config), Simulator(config)
    delayed: set[tuple[str, int, str]] = set()
    changed = 0
    for _ in range(24):
        summary = one.advance(timedelta(minutes=15))
        two.advance(timedelta(minutes=15))
        changed += sum(len(c.changed) + len(c.created) for c in summary.entities.values())
        for entity in ("order_hdr", "order_dtl", "allocation", "inventory"):
            pending = one.uncommitted(entity)
            assert pending == two.uncommitted(entity)
            assert one.versions(entity) == two.versions(entity)
            for record_id, (mod_ts, visible_at) in pending.items():
                # its own delay, or less if it was not drawn but waits behind a delayed version
                assert visible_at > ts(mod_ts)
                assert visible_at > one.now()
                delayed.add((entity, record_id, mod_ts))
    assert 0.1 < len(delayed) / changed < 0.45, (len(delayed), changed)
    with pytest.raises(ValueError, match="add up to more than 1"):
        SimulatorConfig(commit_delays=((0.6, 10.0), (0.5, 20.0)))
    with pytest.raises(ValueError, match="probability in"):
        SimulatorConfig(commit_delays=((0.1, -1.0),))


def test_clock_skew_stamps_mod_ts_with_the_wms_clock() -> None:
    plain = Simulator(SMALL)
    ahead = Simulator(SimulatorConfig(records=SMALL.records, seed=SMALL.seed, clock_skew_seconds=60))
    behind = Simulator(SimulatorConfig(records=SMALL.records, seed=SMALL.seed, clock_skew_seconds=-60))
    for sim in (plain, ahead, behind):
        assert sim.now() == SMALL.start_time
        sim.advance(timedelta(hours=3))
    assert ahead.now() == behind.now() == plain.now()
    assert ahead.wms_now() - ahead.now() == timedelta(seconds=60)
    assert behind.wms_now() - behind.now() == timedelta(seconds=-60)
    for entity in ("order_hdr", "allocation"):
        base = {i: ts(t) for i, t in plain.versions(entity).items()}
        assert {i: ts(t) - timedelta(seconds=60) for i, t in ahead.versions(entity).items()} == base
        assert {i: ts(t) + timedelta(seconds=60) for i, t in behind.versions(entity).items()} == base
    with pytest.raises(ValueError, match="clock_skew_seconds"):
        SimulatorConfig(clock_skew_seconds=10**6)


def test_deleting_a_record_waiting_for_its_commit_ends_the_wait() -> None:
    table = Table("thing", 1000)
    table.append(10, 10)
    table.build_index()
    table.capture = True
    table.touch(0, 20, 5)
    table.append(21, 21)
    table.flush_index(lambda pos, mod_us: 100)
    assert table.pending_commits() == {0: (20, 120), 1: (21, 121)}
    assert (table.visible_mod_ts(0), table.visible_status(0)) == (10, 0)
    assert table.pos_of(1001) is None
    assert list(table.live_positions()) == [0]
    assert table.positions_modified_between(0, 100) == [0]
    table.commit_due(120)
    assert table.pending_commits() == {1: (21, 121)}
    assert table.positions_modified_between(0, 15) == []
    assert table.positions_modified_between(15, 25) == [0]
    table.delete(1, 50)
    assert table.pending_commits() == {}
    assert table.shown == {}


def test_late_commits_over_http_and_the_cli(small_server: SimulatorServer) -> None:
    small_server.sim.reset()
    root = f"{small_server.root}/_sim"

    def post(body: dict[str, Any]) -> Any:
        return fetch(f"{root}/clock/advance", "POST", data=json.dumps(body).encode())

    answer = post({"minutes": 120, "commit_delay_seconds": 2700, "entity": "order_hdr"})
    assert answer.status == 200, answer.body
    pending = fetch(f"{root}/uncommitted/order_hdr").json["uncommitted"]
    assert pending == {
        str(k): {"mod_ts": m, "visible_at": v.isoformat()}
        for k, (m, v) in small_server.sim.uncommitted("order_hdr").items()
    }
    assert pending
    clock = fetch(f"{root}/clock").json
    assert clock["now"] == clock["wms_now"]
    for bad in (
        {"minutes": 1, "commit_delay_seconds": 5, "ids": "12"},
        {"minutes": 1, "entity": "order_hdr"},
        {"minutes": 1, "commit_delay_seconds": 5, "entity": "nope"},
        {"minutes": 1, "commit_delay_seconds": -5},
    ):
        assert post(bad).status == 400, bad
    assert fetch(f"{root}/uncommitted/nope").status == 404
    small_server.sim.reset()
    assert small_server.sim.uncommitted("order_hdr") == {}

    args = build_parser().parse_args(
        ["serve", "--commit-delay", "0.01:900", "--commit-delay", "0.001:7200", "--clock-skew-seconds", "-60"]
    )
    config = _config(args)
    assert config.commit_delays == ((0.01, 900.0), (0.001, 7200.0))
    assert config.clock_skew_seconds == -60.0
    with pytest.raises(SystemExit):
        build_parser().parse_args(["serve", "--commit-delay", "900"])
