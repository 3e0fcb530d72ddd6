"""The deletion guard and the deletion cut-off through the real full-sync DAG (`airflow dags test`),
against the simulator, on DuckDB and PostgreSQL (issue 29 item 5, issue 34 item 1).

One simulator and one warehouse per warehouse kind go through a sequence of full syncs; after each the
warehouse is compared with what the simulator showed: the marts equal the independent recomputation
over every record as last seen (include/dbt/tests: LoadedHistory, ExpectedFigures), which knows the
rules from docs/architecture.md and nothing of the SQL. Thresholds are scaled to the 120-order
simulator through the `wms_deletion_guard` Variable (more than 2 % and more than 3 records). A Slack
receiver takes the run alerts: a held run sends exactly one. The held
30 % deletion is listed by the runbook's own query (docs/runbook.md, "A full sync is held"), run as
printed there.

scripts/test runs the straddling record and the hidden facility on DuckDB and the straddle on
PostgreSQL (five DAG runs); WMS_RELIABILITY_FULL=1
(`scripts/reliability --only deletion-guard`) runs all of issue 29's six scenarios on both. Each
scenario prints one line: `would-mark: N / marked: N / problems: 0`. WMS_GUARD_SCENARIOS=<names>
runs only the named scenarios after one first full sync, so that independent chains can run as
separate processes.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from expected_from_records import ExpectedFigures
from expected_mart_rows import daily_fulfillment, order_backlog, pick_productivity
from loaded_history import LoadedHistory, timestamp
from table_comparison import table_differences
from test_marts_match_simulator import COMPARED
from warehouses import query_duckdb, query_postgres

from include.wms_pipeline.dag_factory import SyncDagConfig
from local_runner.airflow_home import LocalAirflow
from local_runner.receivers import WebhookReceiver
from local_runner.warehouse import task_states
from throwaway_postgres.pytest_plugin import PostgresHandle
from wms_simulator import Simulator, SimulatorConfig, SimulatorServer
from wms_simulator.visibility import delete_records, hide_facility, unhide

START = datetime(2026, 1, 5, 6, 0, tzinfo=UTC)
# The deletion margin's default: the incremental lookback of the DAGs' definition (no DAG sets another).
MARGIN = timedelta(minutes=SyncDagConfig.__dataclass_fields__["lookback_minutes"].default)
COMMIT_DELAY = timedelta(minutes=20)  # the late order's commit: after the full sync planned
PASSWORD = "e2e-wms-password-0193"
GUARD = {"*": {"max_percent": 2, "min_records": 3}}
PURGE_DAYS = 3
FULL = os.environ.get("WMS_RELIABILITY_FULL") == "1"
ORDER_ENTITIES = ("order_hdr", "order_dtl", "allocation")


@dataclass
class Outcome:
    """One scenario: what the guard counted, what dbt marked, and every difference found."""

    name: str
    would_mark: dict[str, int] = field(default_factory=dict)
    marked: set[int] = field(default_factory=set)
    held: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)

    def line(self, kind: str) -> str:
        return (
            f"{kind} {self.name}: would-mark: {sum(self.would_mark.values())} / "
            f"marked: {len(self.marked)} / held: {','.join(sorted(self.held)) or '-'} / "
            f"problems: {len(self.problems)}"
        )


@dataclass
class World:
    kind: str
    base: Path
    airflow: LocalAirflow
    sim: Simulator
    query: Callable[[str], list[dict[str, Any]]]
    slack: WebhookReceiver
    history: LoadedHistory = field(default_factory=LoadedHistory)
    runs: int = 0
    outcomes: dict[str, Outcome] = field(default_factory=dict)

    # -- running the DAGs --------------------------------------------------------------------------
    def full_sync(self, conf: dict[str, Any] | None = None) -> tuple[bool, str, str]:
        """One run of wms_full_sync whose window ends at the simulator's now; (ok, log, run id)."""
        self.runs += 1
        logical = START + timedelta(minutes=self.runs)
        log = self.base / f"full-sync-{self.runs}.log"
        window_end = self.sim.now()
        ok = self.airflow.dags_test(
            "wms_full_sync", logical.isoformat(), {"window_end": window_end.isoformat(), **(conf or {})}, log
        )
        with sqlite3.connect(self.airflow.home / "airflow.db") as metadata:
            [(run_id,)] = metadata.execute(
                "select run_id from dag_run where dag_id = 'wms_full_sync' order by id desc limit 1"
            ).fetchall()
        return ok, log.read_text(errors="replace"), str(run_id)

    def incremental(self, start: datetime, end: datetime) -> bool:
        self.runs += 1
        log = self.base / f"incremental-{self.runs}.log"
        conf = {"window_start": start.isoformat(), "window_end": end.isoformat()}
        return self.airflow.dags_test(
            "wms_incremental_sync", (end + timedelta(hours=2)).isoformat(), conf, log
        )

    # -- reading the warehouse ---------------------------------------------------------------------
    def decisions(self, run_id: str) -> dict[str, dict[str, Any]]:
        rows = self.query(
            "select stream_name, status, would_mark, purged, scope, previous_scope, reason "
            f"from wms_raw.etl_full_sync_decision where sync_id = '{run_id}'"
        )
        return {row["stream_name"]: row for row in rows}

    def deleted_ids(self, entity: str) -> set[int]:
        table = {"order_hdr": "order_hdrs", "order_dtl": "order_dtls", "allocation": "allocations"}[entity]
        key = {"order_hdr": "order_id", "order_dtl": "order_dtl_id", "allocation": "allocation_id"}[entity]
        return {
            int(row["k"])
            for row in self.query(f"select {key} k from wms.stg_oracle_wms__{table} where is_deleted = 1")
        }

    def purged_ids(self) -> set[int]:
        rows = self.query("select order_id from wms.fct_orders where purged_in_wms_at is not null")
        return {int(row["order_id"]) for row in rows}

    def mart_differences(self) -> list[str]:
        figures = ExpectedFigures(self.history)
        expected: dict[str, Any] = {
            "fct_orders": figures.orders_fact(),
            "fct_order_lines": figures.order_lines(),
            "fct_allocations": figures.allocations_fact(),
            "mart_daily_fulfillment": daily_fulfillment(figures),
            "mart_order_backlog": order_backlog(figures),
            "mart_pick_productivity": pick_productivity(figures),
        }
        problems = []
        for relation, (keys, columns) in COMPARED.items():
            problems += table_differences(self.query, f"wms.{relation}", keys, expected[relation], columns)
        return problems

    # -- the recomputation's view of the guard -----------------------------------------------------
    def expected_would_mark(self, cutoff: datetime, purge_before: datetime | None = None) -> dict[str, int]:
        """Per order entity: records live in the warehouse now, unseen by a sync of the simulator as it
        is, older than `cutoff` (and not older than `purge_before`)."""
        counts = {}
        for entity in ORDER_ENTITIES:
            visible = set(self.sim.versions(entity))
            counts[entity] = sum(
                1
                for record_id, record in self.history.live(entity).items()
                if record_id not in visible
                and timestamp(record["mod_ts"]) < cutoff
                and (purge_before is None or timestamp(record["mod_ts"]) >= purge_before)
            )
        return counts

    def guard_holds(self, would_mark: dict[str, int]) -> set[str]:
        return {
            entity
            for entity, count in would_mark.items()
            if count > GUARD["*"]["min_records"]
            and count * 100 > GUARD["*"]["max_percent"] * len(self.history.live(entity))
        }


RUNBOOK = Path(__file__).resolve().parents[2] / "docs" / "runbook.md"
RUNBOOK_SYNC_ID = "scheduled__2026-01-04T03:00:00+00:00"


def runbook_would_mark_query(run_id: str) -> str:
    """The runbook's query listing the ids a held sync would mark (section "A full sync is held", step
    2), as printed there, with the held run's id in place of the example's: the test runs what on-call
    copies."""
    text = RUNBOOK.read_text()
    section = text[text.index("List the records that would be marked") :]
    match = re.search(r"```sql\n(.*?)```", section, re.S)
    assert match, "the runbook's query of the ids a held sync would mark moved"
    assert RUNBOOK_SYNC_ID in match.group(1), "the runbook's example run id changed"
    return match.group(1).replace(RUNBOOK_SYNC_ID, run_id.replace("'", "''"))


def _the_biggest_facility(sim: Simulator) -> int:
    facilities = [int(record["facility_id"]["id"]) for record in sim.records("order_hdr")]
    return max(set(facilities), key=facilities.count)


def _older_orders(world: World, cutoff: datetime) -> list[int]:
    return sorted(
        i for i, ts in world.sim.versions("order_hdr").items() if datetime.fromisoformat(ts) < cutoff
    )


# -- the scenarios --------------------------------------------------------------------------------------


def straddle(world: World) -> Outcome:
    """Issue 34.1: an order stamped just before the full sync's cut-off whose commit becomes visible
    only after the sync planned (the simulator's commit delay) arrives by the next incremental run and
    is not marked deleted."""
    outcome = Outcome("straddling-record")
    for _ in range(200):  # on to the first new order: saved less than 5 minutes before now, committed later
        created = world.sim.advance(timedelta(minutes=5), COMMIT_DELAY, entity="order_hdr")[
            "order_hdr"
        ].created
        if created:
            break
    late_id = created[0]
    stamped_text, visible_at = world.sim.uncommitted("order_hdr")[late_id]
    stamped = datetime.fromisoformat(stamped_text)
    assert world.sim.now() - MARGIN < stamped < world.sim.now() < visible_at, "the order must straddle"
    ok, log, run_id = world.full_sync()
    if not ok:
        outcome.problems.append(f"the first full sync failed: {log[-3000:]}")
    world.history.full_sync(world.sim, world.sim.now() - MARGIN)
    start = world.sim.now() - MARGIN
    world.sim.advance(COMMIT_DELAY)  # the order's commit is visible now
    if late_id not in world.sim.versions("order_hdr"):
        outcome.problems.append(f"order {late_id} is still not visible after its commit delay")
    end = world.sim.now()
    if not world.incremental(start, end):
        outcome.problems.append("the incremental run failed")
    world.history.incremental(world.sim, start, end)
    outcome.would_mark = {
        k: v["would_mark"] for k, v in world.decisions(run_id).items() if k in ORDER_ENTITIES
    }
    outcome.marked = world.deleted_ids("order_hdr")
    if late_id in outcome.marked:
        outcome.problems.append(f"order {late_id}, stamped {stamped_text}, committed late, is marked deleted")
    facts = {int(row["order_id"]) for row in world.query("select order_id from wms.fct_orders")}
    if late_id not in facts:
        outcome.problems.append(f"order {late_id} is missing from fct_orders")
    outcome.problems += world.mart_differences()
    return outcome


def hidden_facility(world: World) -> Outcome:
    """29.5 (1): the API user loses a facility; its lists and counts agree. Loaded, held, 0 marked,
    the marts keep the facility's records, the check fails naming the entity and the count."""
    outcome = Outcome("hidden-facility")
    before = {entity: world.deleted_ids(entity) for entity in ORDER_ENTITIES}
    hide_facility(world.sim, _the_biggest_facility(world.sim))
    expected = world.expected_would_mark(world.sim.now() - MARGIN)
    posts = len(world.slack.posts)
    ok, log, run_id = world.full_sync()
    # One alert for the held run. Its text is not checked here: under `airflow dags test` the DAG's
    # callback runs in the test's own process, where the Task SDK cannot list the run's failed tasks
    # or read their recorded errors (no supervisor), so the alert falls back to "see the run's grid".
    # In a deployment the dag-processor runs it: tests/e2e/test_alerts_delivered.py shows, through a
    # real scheduler, that the alert carries each failed task's first error line, and
    # tests/include/test_full_sync_guard.py that the held check's first line names each held entity
    # with its count.
    alerts = [post.json()["text"] for post in world.slack.posts[posts:]]
    if len(alerts) != 1:
        outcome.problems.append(f"{len(alerts)} Slack alerts for the held run, not one")
    decisions = world.decisions(run_id)
    outcome.would_mark = {k: v["would_mark"] for k, v in decisions.items() if k in ORDER_ENTITIES}
    outcome.held = {k for k, v in decisions.items() if v["status"] == "held"}
    world.history.full_sync(world.sim, world.sim.now() - MARGIN, held=outcome.held)
    unhide(world.sim)
    outcome.marked = set().union(*(world.deleted_ids(e) - before[e] for e in ORDER_ENTITIES))
    _expect_held(outcome, ok, log, run_id, expected, world.guard_holds(expected), world)
    if outcome.marked:
        outcome.problems.append(f"{len(outcome.marked)} records were marked deleted by a held sync")
    outcome.problems += world.mart_differences()
    return outcome


def _expect_held(
    outcome: Outcome, ok: bool, log: str, run_id: str, expected: dict[str, int], holds: set[str], world: World
) -> None:
    if ok:
        outcome.problems.append("the held full sync's run succeeded: no check failed")
    states = task_states(world.airflow.home, "wms_full_sync")
    if states.get("check_full_sync_deletions_plausible") != "failed":
        outcome.problems.append(
            f"check_full_sync_deletions_plausible is {states.get('check_full_sync_deletions_plausible')}"
        )
    if states.get("finalize_full_sync") != "success":
        outcome.problems.append("finalize_full_sync did not succeed")
    if outcome.would_mark != expected:
        outcome.problems.append(f"the guard counted {outcome.would_mark}, the recomputation {expected}")
    if not holds or outcome.held & set(ORDER_ENTITIES) != holds:
        outcome.problems.append(f"held {sorted(outcome.held)}, expected {sorted(holds)}")
    for entity in holds:
        named = f"- {entity}: would mark {expected[entity]} of "
        if (
            named not in log
            or "more than 2 % and more than 3 records" not in log
            or "filters in force" not in log
        ):
            outcome.problems.append(
                f"the failed check does not name {entity}, its count, the threshold and filters"
            )


def scope_change(world: World) -> Outcome:
    """29.5 (2): the connection's facility_code changes between two full syncs: held, 0 marked, the
    message names both scopes."""
    outcome = Outcome("facility-code-changed")
    before = {entity: world.deleted_ids(entity) for entity in ORDER_ENTITIES}
    code = next(r["facility_id"]["key"] for r in world.sim.records("order_hdr"))
    world.airflow.wms_conn["extra"] = {"facility_code": code}
    try:
        ok, log, run_id = world.full_sync()
    finally:
        world.airflow.wms_conn.pop("extra")
    decisions = world.decisions(run_id)
    outcome.would_mark = {k: v["would_mark"] for k, v in decisions.items() if k in ORDER_ENTITIES}
    outcome.held = {k for k, v in decisions.items() if v["status"] == "held"}
    order = decisions.get("order_hdr", {})
    if order.get("status") != "held":
        outcome.problems.append(f"order_hdr is {order.get('status')}, not held")
    old, new = order.get("previous_scope") or "", order.get("scope") or ""
    if json.loads(new or "{}").get("facility_code") != code or json.loads(old or "{}").get("facility_code"):
        outcome.problems.append(f"the recorded scopes are {old!r} -> {new!r}")
    if f"the scope changed from {old} to {new}" not in log:
        outcome.problems.append("the failed check does not name the old and the new scope")
    if ok:
        outcome.problems.append("the held full sync's run succeeded")
    # Every record of the other facilities was seen again; versions load, marks stay.
    world.history.full_sync(_FilteredView(world.sim, code), world.sim.now() - MARGIN, held=outcome.held)
    outcome.marked = set().union(*(world.deleted_ids(e) - before[e] for e in ORDER_ENTITIES))
    if outcome.marked:
        outcome.problems.append(f"{len(outcome.marked)} records were marked deleted by a held sync")
    outcome.problems += world.mart_differences()
    return outcome


class _FilteredView:
    """The records a tap with facility_code reads: only the facility's, where the entity has one."""

    def __init__(self, sim: Simulator, code: str) -> None:
        self.sim, self.code = sim, code

    def records(self, entity: str) -> Iterator[dict[str, Any]]:
        for record in self.sim.records(entity):
            facility = record.get("facility_id")
            if entity in ("order_hdr", "inventory", "location") and facility and facility["key"] != self.code:
                continue
            yield record


def small_deletion(world: World) -> Outcome:
    """29.5 (3): 1 % of the orders deleted in the WMS: marked, as before."""
    outcome = Outcome("deletion-1-percent")
    cutoff = world.sim.now() - MARGIN
    victims = _older_orders(world, cutoff)[: max(1, len(world.sim.versions("order_hdr")) // 100)]
    delete_records(world.sim, "order_hdr", victims)
    before = world.deleted_ids("order_hdr")
    ok, log, run_id = world.full_sync()
    world.history.full_sync(world.sim, cutoff)
    outcome.would_mark = {
        k: v["would_mark"] for k, v in world.decisions(run_id).items() if k in ORDER_ENTITIES
    }
    outcome.marked = world.deleted_ids("order_hdr") - before
    if not ok:
        outcome.problems.append(f"the full sync failed: {log[-2000:]}")
    if outcome.marked != set(victims):
        outcome.problems.append(f"marked {sorted(outcome.marked)}, deleted {victims}")
    outcome.problems += world.mart_differences()
    return outcome


def large_deletion_released(world: World) -> Outcome:
    """29.5 (4): a facility closed and its orders were removed (about 30 %): held, then released with
    confirm_deletions: exactly those ids marked, nothing else."""
    outcome = Outcome("deletion-30-percent-released")
    facility = _the_biggest_facility(world.sim)
    cutoff = world.sim.now() - MARGIN
    victims = [
        int(r["id"])
        for r in world.sim.records("order_hdr")
        if int(r["facility_id"]["id"]) == facility and timestamp(r["mod_ts"]) < cutoff
    ]
    delete_records(world.sim, "order_hdr", victims)
    before = world.deleted_ids("order_hdr")
    expected = world.expected_would_mark(cutoff)
    ok, log, run_id = world.full_sync()
    decisions = world.decisions(run_id)
    outcome.would_mark = {k: v["would_mark"] for k, v in decisions.items() if k in ORDER_ENTITIES}
    outcome.held = {k for k, v in decisions.items() if v["status"] == "held"}
    _expect_held(outcome, ok, log, run_id, expected, world.guard_holds(expected), world)
    world.history.full_sync(world.sim, cutoff, held=outcome.held)
    if world.deleted_ids("order_hdr") != before:
        outcome.problems.append("the held sync marked orders deleted")
    try:
        listed = {int(row["id"]) for row in world.query(runbook_would_mark_query(run_id))}
    except Exception as error:  # a query that fails is the finding
        outcome.problems.append(f"the runbook's query of the ids to be marked fails: {error}")
    else:
        if listed != set(victims):
            outcome.problems.append(
                f"the runbook's query lists {sorted(listed)}, the orders deleted are {sorted(victims)}"
            )
    ok, log, released_id = world.full_sync({"confirm_deletions": True})
    world.history.full_sync(world.sim, cutoff)
    if not ok:
        outcome.problems.append(f"the released full sync failed: {log[-2000:]}")
    statuses = {k: v["status"] for k, v in world.decisions(released_id).items()}
    if statuses.get("order_hdr") != "released":
        outcome.problems.append(f"the release recorded order_hdr as {statuses.get('order_hdr')}")
    outcome.marked = world.deleted_ids("order_hdr") - before
    if outcome.marked != set(victims):
        outcome.problems.append(f"released: marked {len(outcome.marked)} orders, deleted {len(victims)}")
    outcome.problems += world.mart_differences()
    return outcome


def hidden_released_then_back(world: World) -> Outcome:
    """29.5 (5): a facility hidden again after a release, released by mistake, then unhidden: its
    records come back to live on the next complete sync."""
    outcome = Outcome("hidden-released-unhidden")
    cutoff = world.sim.now() - MARGIN
    hidden = hide_facility(world.sim, _the_biggest_facility(world.sim))
    ok, _, run_id = world.full_sync({"confirm_deletions": True})
    world.history.full_sync(world.sim, cutoff)
    marked = world.deleted_ids("order_hdr")
    unhide(world.sim)
    ok_again, log, _ = world.full_sync()
    world.history.full_sync(world.sim, cutoff)
    outcome.would_mark = {
        k: v["would_mark"] for k, v in world.decisions(run_id).items() if k in ORDER_ENTITIES
    }
    back = marked - world.deleted_ids("order_hdr")
    outcome.marked = marked
    if not (ok and ok_again):
        outcome.problems.append(f"a full sync failed: {log[-2000:]}")
    if hidden["order_hdr"] and not back:
        outcome.problems.append("no hidden order came back to live")
    if world.deleted_ids("order_hdr") & set(world.sim.versions("order_hdr")):
        outcome.problems.append("an order the WMS shows is still marked deleted")
    outcome.problems += world.mart_differences()
    return outcome


def purge(world: World) -> Outcome:
    """29.5 (6): with a purge horizon, orders the WMS purges by retention (newest version older than
    the horizon) are kept, flagged purged, not counted by the guard; a younger order that disappears is
    still marked deleted."""
    outcome = Outcome("purged-by-retention")
    world.airflow.extra_env["AIRFLOW_VAR_WMS_PURGE_HORIZON_DAYS"] = json.dumps({"*": PURGE_DAYS})
    before = world.deleted_ids("order_hdr")
    try:
        world.sim.advance(timedelta(days=PURGE_DAYS + 2))  # the simulator's retention purges old orders
        purged = set(world.sim.deleted("order_hdr")) & set(world.history.live("order_hdr"))
        cutoff = world.sim.now() - MARGIN
        young = [
            i
            for i in _older_orders(world, cutoff)
            if datetime.fromisoformat(world.sim.versions("order_hdr")[i]) > cutoff - timedelta(days=1)
        ][:1]
        delete_records(world.sim, "order_hdr", young)
        purge_before = cutoff - timedelta(days=PURGE_DAYS)
        expected = world.expected_would_mark(cutoff, purge_before)
        ok, log, run_id = world.full_sync()
        world.history.full_sync(world.sim, cutoff, purge_before=purge_before)
    finally:
        world.airflow.extra_env.pop("AIRFLOW_VAR_WMS_PURGE_HORIZON_DAYS")
    decisions = world.decisions(run_id)
    outcome.would_mark = {k: v["would_mark"] for k, v in decisions.items() if k in ORDER_ENTITIES}
    outcome.held = {k for k, v in decisions.items() if v["status"] == "held"}
    outcome.marked = world.deleted_ids("order_hdr") - before
    if not purged:
        outcome.problems.append("the simulator purged no order: the scenario tests nothing")
    if not ok or outcome.held:
        outcome.problems.append(f"the full sync failed or was held ({sorted(outcome.held)}): {log[-2000:]}")
    if outcome.would_mark != expected:
        outcome.problems.append(f"the guard counted {outcome.would_mark}, the recomputation {expected}")
    if purged & outcome.marked:
        outcome.problems.append(f"{len(purged & outcome.marked)} purged orders were marked deleted")
    if not purged <= world.purged_ids():
        outcome.problems.append("purged orders are missing from fct_orders or not flagged purged_in_wms_at")
    if outcome.marked != set(young):
        outcome.problems.append(
            f"the young deleted order {young} was not marked exactly ({sorted(outcome.marked)})"
        )
    if int(decisions["order_hdr"]["purged"]) != len(purged):
        outcome.problems.append(
            f"the decision counts {decisions['order_hdr']['purged']} purged, not {len(purged)}"
        )
    outcome.problems += world.mart_differences()
    return outcome


def first_full_sync(world: World) -> Outcome:
    """The starting point of a chain that skips the straddle: one complete full sync of the simulator
    as it is; nothing is live yet, so nothing is marked."""
    outcome = Outcome("first-full-sync")
    ok, log, _ = world.full_sync()
    world.history.full_sync(world.sim, world.sim.now() - MARGIN)
    if not ok:
        outcome.problems.append(f"the first full sync failed: {log[-2000:]}")
    outcome.problems += world.mart_differences()
    return outcome


FAST = {
    "duckdb": (straddle, hidden_facility),
    "postgres": (straddle,),
}
ALL = (
    straddle,
    hidden_facility,
    scope_change,
    small_deletion,
    large_deletion_released,
    hidden_released_then_back,
    purge,
)


def _chain(kind: str) -> tuple[Callable[[World], Outcome], ...]:
    """The scenarios this run goes through, in order. WMS_GUARD_SCENARIOS (scenario function names,
    comma-separated) runs only those, after one first full sync: independent chains can then run as
    separate processes."""
    chosen = [name.strip() for name in os.environ.get("WMS_GUARD_SCENARIOS", "").split(",") if name.strip()]
    if not chosen:
        return ALL if FULL else FAST[kind]
    by_name = {scenario.__name__: scenario for scenario in ALL}
    unknown = sorted(set(chosen) - set(by_name))
    if unknown:
        raise ValueError(f"WMS_GUARD_SCENARIOS names {unknown}; choose from {sorted(by_name)}")
    return (first_full_sync, *(by_name[name] for name in chosen))


def _warehouse(
    kind: str, base: Path, request: pytest.FixtureRequest
) -> tuple[dict[str, Any], Callable[..., Any]]:
    if kind == "duckdb":
        path = base / "warehouse.duckdb"
        return {"conn_type": "duckdb", "host": str(path)}, lambda sql: query_duckdb(path, sql)
    postgres: PostgresHandle = request.getfixturevalue("postgres_server")
    dbname = f"guard_{base.name.replace('-', '_')}"
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
    url = info.url(dbname, driver="postgresql")
    return conn, lambda sql: query_postgres(url, sql)


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def outcomes(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Outcome]]:
    kind: str = request.param
    base = tmp_path_factory.mktemp(f"guard-{kind}")
    config = SimulatorConfig(
        records=120,
        seed=11,
        start_time=START,
        environment="lgf_test",
        username="wms_api",
        password=PASSWORD,
        history_days=PURGE_DAYS + 3,
    )
    with SimulatorServer(Simulator(config), host="127.0.0.1", port=0) as server, WebhookReceiver() as slack:
        conn, query = _warehouse(kind, base, request)
        airflow = LocalAirflow(
            home=base / "airflow",
            warehouse_conn=conn,
            warehouse_kind=kind,
            wms_conn={"conn_type": "http", "host": server.base_url, "login": "wms_api", "password": PASSWORD},
            extra_env={
                "WMS_TASK_RETRIES": "0",
                "WMS_MIN_IDS_PER_PARTITION": "1000000",
                "AIRFLOW_VAR_WMS_DELETION_GUARD": json.dumps(GUARD),
                "AIRFLOW_CONN_WMS_ALERTS_SLACK": json.dumps(slack.connection("T000/B000/guard-e2e")),
            },
        )
        airflow.prepare()
        world = World(kind, base, airflow, server.sim, query, slack)
        for scenario in _chain(kind):
            outcome = scenario(world)
            world.outcomes[outcome.name] = outcome
            print(outcome.line(kind), flush=True)
        yield world.outcomes


def _outcome(outcomes: dict[str, Outcome], name: str) -> Outcome:
    if name not in outcomes:
        pytest.skip(f"{name} runs with WMS_RELIABILITY_FULL=1 (scripts/reliability --only deletion-guard)")
    return outcomes[name]


def test_a_chain_starts_from_a_full_sync_the_marts_match(outcomes: dict[str, Outcome]) -> None:
    assert _outcome(outcomes, "first-full-sync").problems == []


def test_a_record_that_commits_after_the_plan_is_not_marked_deleted(outcomes: dict[str, Outcome]) -> None:
    assert _outcome(outcomes, "straddling-record").problems == []


def test_a_facility_hidden_from_the_api_user_holds_the_sync_and_marks_nothing(
    outcomes: dict[str, Outcome],
) -> None:
    outcome = _outcome(outcomes, "hidden-facility")
    assert outcome.problems == []
    assert outcome.held >= {"order_hdr"}
    assert outcome.marked == set()


def test_a_changed_facility_code_holds_the_sync_naming_both_scopes(outcomes: dict[str, Outcome]) -> None:
    assert _outcome(outcomes, "facility-code-changed").problems == []


def test_a_deletion_under_the_threshold_is_marked_as_before(outcomes: dict[str, Outcome]) -> None:
    outcome = _outcome(outcomes, "deletion-1-percent")
    assert outcome.problems == []
    assert outcome.marked


def test_a_large_deletion_is_held_then_released_marking_exactly_those_ids(
    outcomes: dict[str, Outcome],
) -> None:
    outcome = _outcome(outcomes, "deletion-30-percent-released")
    assert outcome.problems == []
    assert outcome.held >= {"order_hdr"}


def test_released_records_come_back_to_live_when_the_wms_shows_them_again(
    outcomes: dict[str, Outcome],
) -> None:
    assert _outcome(outcomes, "hidden-released-unhidden").problems == []


def test_records_purged_by_retention_are_kept_flagged_and_not_counted(outcomes: dict[str, Outcome]) -> None:
    assert _outcome(outcomes, "purged-by-retention").problems == []
