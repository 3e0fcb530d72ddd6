"""The SQL checks: portable to Oracle, one row whatever the run pushed, and meaning what each says —
run for real on DuckDB and on PostgreSQL (psycopg 3, the driver Airflow's PostgresHook uses), with
their bind values."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import duckdb
import pendulum
import psycopg
import pytest

from include.wms_pipeline.checks import Load, RenderedCheck, RunFacts, rendered_checks
from include.wms_pipeline.checks.facts import run_facts
from include.wms_pipeline.checks.specs import CheckSettings

ENTITIES = ("order_hdr", "allocation")
RUN_ID = "scheduled__2026-01-05T04:00:00+00:00"
PREFIX = f"wms_full_sync/{RUN_ID}/"
WINDOW_END = datetime(2026, 1, 5, 6, tzinfo=UTC)
FACTS = RunFacts(
    run_id=RUN_ID,
    window_end=WINDOW_END,
    loads={
        "order_hdr": (Load(3, PREFIX + "order_hdr/try1"),),
        "allocation": (Load(2, PREFIX + "allocation/p0/try1"), Load(1, PREFIX + "allocation/p1/try1")),
    },
    wms_counts={"order_hdr": 3, "allocation": 3},
)
NOTHING_PUSHED = RunFacts(run_id=RUN_ID, window_end=WINDOW_END)


def _checks(kind: str, facts: RunFacts = FACTS) -> list[RenderedCheck]:
    return rendered_checks(kind, facts, entities=ENTITIES, full_sync=True)


def _table_aliases_with_as(sql: str) -> list[str]:
    """Table expressions after FROM/JOIN that are followed by AS (Oracle rejects `AS` before a table alias)."""
    tokens = re.findall(r"\(|\)|[\w.]+|[^\s\w()]", sql.lower())
    offending = []
    for position, token in enumerate(tokens):
        if token not in {"from", "join"} or position + 1 >= len(tokens):
            continue
        cursor = position + 1
        if tokens[cursor] == "(":
            depth = 0
            while cursor < len(tokens):
                depth += {"(": 1, ")": -1}.get(tokens[cursor], 0)
                if depth == 0:
                    break
                cursor += 1
        if cursor + 1 < len(tokens) and tokens[cursor + 1] == "as":
            offending.append(" ".join(tokens[position : cursor + 3]))
    return offending


def test_the_alias_rule_detects_as_before_table_aliases() -> None:
    assert _table_aliases_with_as("select 1 from (select a from (select 1 a from t) x) as sq") != []
    assert _table_aliases_with_as("select 1 from wms.t as x where 1 = 1") != []
    assert _table_aliases_with_as("select (select 1 from t) as col from (select 1 from t) sq") == []


@pytest.mark.parametrize("facts", [FACTS, NOTHING_PUSHED], ids=["loads", "nothing-pushed"])
@pytest.mark.parametrize("kind", ["oracle", "postgres", "duckdb"])
def test_rendered_checks_are_oracle_portable(kind: str, facts: RunFacts) -> None:
    for check in _checks(kind, facts):
        sql = check.sql
        assert "--" not in sql, check.task_id
        assert ";" not in sql, check.task_id
        assert _table_aliases_with_as(sql) == [], check.task_id
        assert not re.search(r"\b(true|false)\b", sql, re.I), check.task_id
        assert not re.search(r"\b(limit|group by \d)\b", sql, re.I), check.task_id
        assert all(len(alias) <= 30 for alias in re.findall(r"\bas (\w+)", sql, re.I)), check.task_id
        selects, froms = len(re.findall(r"\bselect\b", sql, re.I)), len(re.findall(r"\bfrom\b", sql, re.I))
        assert froms >= selects, f"{check.task_id}: every select has a FROM"


@pytest.mark.parametrize("kind", ["oracle", "postgres", "duckdb"])
def test_every_bind_value_has_one_marker_in_the_drivers_style(kind: str) -> None:
    for check in _checks(kind):
        if kind == "oracle":
            markers = re.findall(r":(\d+)\b", check.sql)
            assert markers == [str(n) for n in range(1, len(check.binds) + 1)], check.task_id
        else:
            assert check.sql.count("?" if kind == "duckdb" else "%s") == len(check.binds), check.task_id


def test_the_freshness_limit_is_a_naive_utc_datetime_on_oracle_and_aware_elsewhere() -> None:
    """Oracle's raw mod_ts is TIMESTAMP holding UTC; an aware datetime must never be bound there."""
    limits = {
        kind: next(c for c in _checks(kind) if c.task_id == "check_raw_history_is_fresh").binds
        for kind in ("oracle", "duckdb", "postgres")
    }
    assert limits["oracle"] == [datetime(2026, 1, 3, 6, tzinfo=UTC).replace(tzinfo=None)]
    assert limits["duckdb"] == limits["postgres"] == [datetime(2026, 1, 3, 6, tzinfo=UTC)]


class _Warehouse:
    """A tiny warehouse in the shapes the loader and dbt produce, on DuckDB or PostgreSQL."""

    SETUP = (
        "create schema wms_raw",
        "create schema wms",
        "create table wms_raw.etl_load_audit (run_id varchar(200), stream_name varchar(50),"
        " records_received int, records_inserted int, records_already_present int, records_quarantined int)",
        "create table wms_raw.etl_full_sync_seen (sync_id varchar(200), stream_name varchar(50), record_id bigint)",
        "create table wms_raw.order_hdr (id bigint, mod_ts timestamptz)",
        "create table wms_raw.etl_full_sync_decision (sync_id varchar(200), stream_name varchar(50),"
        " status varchar(16))",
        f"insert into wms_raw.etl_full_sync_decision values ('{RUN_ID}', 'order_hdr', 'complete'),"
        f" ('{RUN_ID}', 'allocation', 'released'), ('an_earlier_sync', 'order_hdr', 'held')",
        "create table wms.fct_orders (order_id bigint)",
        "create table wms.fct_order_lines (order_dtl_id bigint, order_id bigint)",
        "create table wms.fct_allocations (allocation_id bigint, order_dtl_id bigint)",
        f"insert into wms_raw.etl_load_audit values ('{PREFIX}order_hdr/try1', 'order_hdr', 3, 2, 1, 0),"
        f" ('{PREFIX}allocation/p0/try1', 'allocation', 2, 2, 0, 0),"
        f" ('{PREFIX}allocation/p1/try1', 'allocation', 1, 1, 0, 0),"
        # An earlier, failed attempt of the same load: it must not count.
        f" ('{PREFIX}order_hdr/try0', 'order_hdr', 3, 3, 0, 0)",
        f"insert into wms_raw.etl_full_sync_seen values ('{RUN_ID}', 'order_hdr', 1), ('{RUN_ID}', 'order_hdr', 2),"
        f" ('{RUN_ID}', 'order_hdr', 3), ('{RUN_ID}', 'allocation', 7), ('{RUN_ID}', 'allocation', 8),"
        f" ('{RUN_ID}', 'allocation', 9)",
        "insert into wms_raw.order_hdr values (1, '2026-01-05 05:00:00+00'), (2, '2026-01-02 01:00:00+00')",
        "insert into wms.fct_orders values (1), (2)",
        "insert into wms.fct_order_lines values (10, 1), (11, 2)",
        "insert into wms.fct_allocations values (100, 10), (101, 11)",
    )

    def __init__(self, kind: str, conn: Any) -> None:
        self.kind, self.conn = kind, conn
        for statement in self.SETUP:
            self.execute(statement)

    def execute(self, sql: str, binds: list[Any] | None = None) -> list[tuple[Any, ...]]:
        if self.kind == "duckdb":
            return self.conn.execute(sql, binds or None).fetchall()  # type: ignore[no-any-return]
        with self.conn.cursor() as cursor:
            cursor.execute(sql, tuple(binds) if binds else None)
            return cursor.fetchall() if cursor.description else []

    def verdict(self, task_id: str, facts: RunFacts = FACTS) -> bool:
        [check] = [c for c in _checks(self.kind, facts) if c.task_id == task_id]
        rows = self.execute(check.sql, check.binds)
        assert len(rows) == 1, f"{task_id} must return exactly one row, got {len(rows)}"
        return all(bool(value) for value in rows[0])


@pytest.fixture(params=["duckdb", "postgres"])
def warehouse(request: pytest.FixtureRequest) -> Iterator[_Warehouse]:
    if request.param == "duckdb":
        conn = duckdb.connect()
        yield _Warehouse("duckdb", conn)
        conn.close()
        return
    server = request.getfixturevalue("postgres_server")
    name = f"checks_{request.node.name.split('[')[0][-30:]}_{abs(hash(request.node.name)) % 10**6}"
    url = server.create_database(name.lower())
    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql"), autocommit=True) as conn:
        yield _Warehouse("postgres", conn)


def test_every_check_passes_on_a_consistent_warehouse(warehouse: _Warehouse) -> None:
    verdicts = {check.task_id: warehouse.verdict(check.task_id) for check in _checks(warehouse.kind)}
    assert verdicts == dict.fromkeys(verdicts, True)


@pytest.mark.parametrize(
    ("task_id", "breakage"),
    [
        (
            "check_tap_read_matches_audit",
            "update wms_raw.etl_load_audit set records_received = 2 where stream_name = 'order_hdr'",
        ),
        (
            "check_load_audit_reconciles",
            "update wms_raw.etl_load_audit set records_inserted = 1 where stream_name = 'order_hdr'",
        ),
        ("check_quarantine_within_threshold", "update wms_raw.etl_load_audit set records_quarantined = 1"),
        ("check_raw_history_is_fresh", "delete from wms_raw.order_hdr where id = 1"),
        ("check_current_state_keys_unique", "insert into wms.fct_order_lines values (10, 1)"),
        ("check_referential_integrity", "insert into wms.fct_allocations values (102, 999)"),
        (
            "check_full_sync_counts_match_wms",
            "delete from wms_raw.etl_full_sync_seen where record_id in (7, 8, 9)",
        ),
        (
            "check_full_sync_deletions_plausible",
            "update wms_raw.etl_full_sync_decision set status = 'held' where stream_name = 'allocation'",
        ),
    ],
)
def test_each_check_fails_when_its_rule_is_broken(warehouse: _Warehouse, task_id: str, breakage: str) -> None:
    assert warehouse.verdict(task_id) is True
    warehouse.execute(breakage)
    assert warehouse.verdict(task_id) is False


def test_entities_skipped_in_a_manual_subset_pass_the_per_entity_checks(warehouse: _Warehouse) -> None:
    warehouse.execute("delete from wms_raw.etl_load_audit where stream_name = 'allocation'")
    warehouse.execute("delete from wms_raw.etl_full_sync_seen where stream_name = 'allocation'")
    only_orders = RunFacts(RUN_ID, WINDOW_END, {"order_hdr": FACTS.loads["order_hdr"]}, {"order_hdr": 3})
    assert warehouse.verdict("check_tap_read_matches_audit", only_orders)
    assert warehouse.verdict("check_full_sync_counts_match_wms", only_orders)


def test_audit_checks_read_only_this_runs_successful_load_attempts(warehouse: _Warehouse) -> None:
    # The failed first attempt of order_hdr quarantined records and never reconciled; another run's
    # load did the same. Neither is one of the attempts this run's extract tasks pushed.
    warehouse.execute(
        "update wms_raw.etl_load_audit set records_inserted = 0, records_quarantined = 5"
        " where run_id like '%/order_hdr/try0'"
    )
    warehouse.execute(
        "insert into wms_raw.etl_load_audit values"
        " ('wms_full_sync/manual__other/order_hdr/try1', 'order_hdr', 9, 0, 0, 9)"
    )
    assert warehouse.verdict("check_load_audit_reconciles")
    assert warehouse.verdict("check_quarantine_within_threshold")


@pytest.mark.parametrize(
    "task_id",
    [
        "check_tap_read_matches_audit",
        "check_load_audit_reconciles",
        "check_quarantine_within_threshold",
        "check_full_sync_counts_match_wms",
    ],
)
def test_a_run_that_pushed_nothing_gets_one_passing_row(warehouse: _Warehouse, task_id: str) -> None:
    """SQLCheckOperator fails on zero rows: with no load and no WMS count to compare, the per-run
    checks still answer one row, and it passes (nothing of this run is inconsistent)."""
    assert warehouse.verdict(task_id, NOTHING_PUSHED) is True


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("raw_schema", "wms_raw.order_hdr; drop table wms_raw.order_hdr; select 1 from wms_raw"),
        ("raw_schema", "wms_raw --"),
        ("marts_schema", 'wms" union select password from users'),
        ("marts_schema", "WMS"),
        ("marts_schema", "a_schema_name_longer_than_thirty_c"),
    ],
)
def test_a_schema_name_that_is_not_a_plain_identifier_is_refused(field: str, value: str) -> None:
    names = {"raw_schema": "wms_raw", "marts_schema": "wms", field: value}
    with pytest.raises(ValueError, match="must be a plain lowercase schema name") as refused:
        CheckSettings(names["raw_schema"], names["marts_schema"], "duckdb", ENTITIES)
    assert repr(value) in str(refused.value)


def test_an_entity_outside_the_products_list_is_refused() -> None:
    hostile = "x from wms_raw.etl_load_audit; drop table wms_raw.order_hdr; select 1 as y"
    with pytest.raises(ValueError, match=r"checked entities has entities .* not in") as refused:
        CheckSettings("wms_raw", "wms", "duckdb", (*ENTITIES, hostile))
    assert hostile in str(refused.value)


def test_values_from_the_run_reach_the_driver_only_as_bind_values() -> None:
    """A run id or load id with quotes and statements stays out of the SQL text on every warehouse."""
    hostile = "manual__x'; drop table wms_raw.order_hdr; --"
    facts = RunFacts(hostile, WINDOW_END, {"order_hdr": (Load(1, hostile),)}, {"order_hdr": 1})
    for kind in ("oracle", "postgres", "duckdb"):
        for check in _checks(kind, facts):
            assert "drop" not in check.sql, check.task_id
    binds = [b for c in _checks("duckdb", facts) for b in c.binds]
    # tap read, reconcile, quarantine (load id); full sync counts, deletion guard (run id)
    assert binds.count(hostile) == 5


class _PushedXComs:
    def __init__(self, pushed: dict[tuple[str, str], Any]) -> None:
        self.pushed = pushed

    def xcom_pull(self, task_ids: str, key: str = "return_value") -> Any:
        return self.pushed.get((task_ids, key))


class _Committed:
    def __init__(self, rows: list[tuple[str, str, int]]) -> None:
        self.rows = rows

    def has_table(self, name: str) -> bool:
        return True

    def committed_loads(self, dag_id: str, run_id: str) -> list[tuple[str, str, int]]:
        return self.rows


def test_run_facts_reads_the_loads_the_warehouse_recorded_committed() -> None:
    """Loads come from etl_load_source (committed rows of this run), not from the extract tasks'
    XComs; WMS counts from the plan tasks; the entities asked for from the `entities` param; and the
    window end to the second as a plain UTC datetime."""
    pushed = {
        # A stale push is ignored: only what the warehouse recorded committed counts.
        ("extract_load_order_hdr", "return_value"): {"records_read": 9, "load_run_id": "x/try1"},
        ("plan_allocation", "wms_count"): 7,
    }
    context = {
        "ti": _PushedXComs(pushed),
        "run_id": RUN_ID,
        "dag": SimpleNamespace(dag_id="wms_full_sync"),
        "params": {"entities": []},
        "data_interval_end": pendulum.datetime(2026, 1, 5, 6, 0, 0, 500_000, tz="UTC"),
        "dag_run": SimpleNamespace(run_after=None),
    }
    committed = _Committed([("a/try1", "order_hdr", 3), ("b/p0/try1", "allocation", 2)])
    facts = run_facts(context, ENTITIES, full_sync=True, warehouse=committed)
    assert facts.loads == {"order_hdr": (Load(3, "a/try1"),), "allocation": (Load(2, "b/p0/try1"),)}
    assert facts.wms_counts == {"allocation": 7}
    assert facts.selected == ENTITIES
    assert facts.window_end == WINDOW_END
    assert type(facts.window_end) is datetime
