"""The validation statements, built in Python: identifiers from the checked settings, values as binds.

Every statement returns exactly one row, whatever the run pushed, and is portable to Oracle: no
trailing semicolon, no `AS` before a table alias, no boolean literals, a FROM clause on every select,
column aliases of at most 30 characters.

Schema names and entities are the only text that varies, and `CheckSettings` has checked both (plain
lowercase names; entities of the product's list). Counts, thresholds, run ids and timestamps are bind
values.
"""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from include.wms_pipeline.checks.binds import Binds
    from include.wms_pipeline.checks.facts import RunFacts
    from include.wms_pipeline.checks.specs import CheckSettings


def _one_row(table: str) -> str:
    """A source of exactly one row on every warehouse (an aggregate reads no row: `where 1 = 0`)."""
    return f"(select count(*) no_rows from {table} where 1 = 0) one_row"


def _audit_of_this_run(cfg: CheckSettings, facts: RunFacts, binds: Binds) -> str:
    """FROM/WHERE over the load audit rows of this run's successful attempts (none: no rows)."""
    run_ids = [load.load_run_id for load in facts.all_loads()]
    where = f"run_id in {binds.in_list(run_ids)}" if run_ids else "1 = 0"
    return f"from {cfg.raw_schema}.etl_load_audit\nwhere {where}"


def tap_read_matches_audit(cfg: CheckSettings, facts: RunFacts, binds: Binds) -> str:
    """Per entity: the records the tap read (summed over its partitions) = the records the loader's
    audit says it received for exactly those attempts. An entity the run did not select (a manual
    subset) passes; a selected one without a committed load fails naming it (`RunFacts.require`)."""
    columns = []
    for entity in cfg.entities:
        loads = facts.loads.get(entity)
        if not loads:
            facts.require(entity, f"no committed load of it is recorded in {cfg.raw_schema}.etl_load_source")
            columns.append(f"    1 as {entity}_ok")
            continue
        received = binds.add(sum(load.records_read for load in loads))
        stream = binds.add(entity)
        run_ids = binds.in_list([load.load_run_id for load in loads])
        columns.append(
            f"    (select case when coalesce(sum(records_received), 0) = {received} then 1 else 0 end\n"
            f"        from {cfg.raw_schema}.etl_load_audit\n"
            f"        where stream_name = {stream} and run_id in {run_ids}) as {entity}_ok"
        )
    return "select\n" + ",\n".join(columns) + f"\nfrom {_one_row(cfg.raw_schema + '.etl_load_audit')}"


def load_audit_reconciles(cfg: CheckSettings, facts: RunFacts, binds: Binds) -> str:
    """Every stream this run loaded reconciles: received = inserted + already present + quarantined."""
    return (
        "select\n"
        "    case when coalesce(sum(case\n"
        "        when records_received = records_inserted + records_already_present + records_quarantined\n"
        "        then 0 else 1 end), 0) = 0\n"
        "    then 1 else 0 end as every_stream_reconciles\n" + _audit_of_this_run(cfg, facts, binds)
    )


def quarantine_within_threshold(cfg: CheckSettings, facts: RunFacts, binds: Binds) -> str:
    """Records this run's successful loads quarantined stay within the threshold."""
    threshold = binds.add(cfg.quarantine_threshold)
    return (
        f"select\n    case when coalesce(sum(records_quarantined), 0) <= {threshold} then 1 else 0 end\n"
        "        as quarantined_within_threshold\n" + _audit_of_this_run(cfg, facts, binds)
    )


def raw_history_is_fresh(cfg: CheckSettings, facts: RunFacts, binds: Binds) -> str:
    """The newest order change is at most `freshness_hours` before the end of this run's window.

    Oracle's raw timestamps are TIMESTAMP holding UTC: the bound limit is a naive UTC datetime cut to
    the second, since python-oracledb binds a datetime as DATE (no fractional seconds; a manual run's
    window end may carry microseconds). DuckDB and PostgreSQL compare timestamptz with an aware datetime.
    """
    limit = facts.window_end - timedelta(hours=cfg.freshness_hours)
    if binds.kind == "oracle":
        limit = limit.astimezone(UTC).replace(tzinfo=None, microsecond=0)
    return (
        f"select\n    case when max(mod_ts) >= {binds.add(limit)} then 1 else 0 end as order_changes_are_fresh\n"
        f"from {cfg.raw_schema}.order_hdr"
    )


def current_state_keys_unique(cfg: CheckSettings, facts: RunFacts, binds: Binds) -> str:
    """One row per WMS record in fct_orders, fct_order_lines and fct_allocations."""
    marts = cfg.marts_schema
    return (
        "select\n"
        "    case when count(*) = count(distinct order_id) then 1 else 0 end as fct_orders_key_unique,\n"
        "    (select case when count(*) = count(distinct order_dtl_id) then 1 else 0 end\n"
        f"        from {marts}.fct_order_lines) as fct_order_lines_key_unique,\n"
        "    (select case when count(*) = count(distinct allocation_id) then 1 else 0 end\n"
        f"        from {marts}.fct_allocations) as fct_allocations_key_unique\n"
        f"from {marts}.fct_orders"
    )


def referential_integrity(cfg: CheckSettings, facts: RunFacts, binds: Binds) -> str:
    """Lines point at known orders and allocations at known lines, within the orphan tolerance (a
    child can arrive one window before its parent)."""
    marts = cfg.marts_schema
    lines_ratio = binds.add(cfg.orphan_tolerance_ratio)
    allocations_ratio = binds.add(cfg.orphan_tolerance_ratio)
    return (
        "select\n"
        f"    (select case when count(*) <= {lines_ratio} * (select count(*) + 1\n"
        f"            from {marts}.fct_order_lines) then 1 else 0 end\n"
        f"        from {marts}.fct_order_lines l\n"
        f"        where not exists (select 1 from {marts}.fct_orders o where o.order_id = l.order_id)\n"
        "    ) as lines_have_orders,\n"
        f"    (select case when count(*) <= {allocations_ratio} * (select count(*) + 1\n"
        f"            from {marts}.fct_allocations) then 1 else 0 end\n"
        f"        from {marts}.fct_allocations a\n"
        "        where not exists (\n"
        f"            select 1 from {marts}.fct_order_lines l where l.order_dtl_id = a.order_dtl_id)\n"
        "    ) as allocations_have_lines\n"
        f"from (select count(*) order_rows from {marts}.fct_orders) one_row"
    )


def full_sync_counts_match_wms(cfg: CheckSettings, facts: RunFacts, binds: Binds) -> str:
    """Per entity: the ids this full sync saw = the WMS's result_count (asked when the sync was
    planned), within a tolerance for records created or deleted while it ran. An entity without a
    count (not selected in a manual subset) passes; the row comes from an aggregate, so it exists
    even then."""
    columns = []
    for entity in cfg.entities:
        wms_count = facts.wms_counts.get(entity)
        if wms_count is None:
            facts.require(entity, f"plan_{entity} recorded no WMS count")
            columns.append(f"    1 as {entity}_ok")
            continue
        # Markers in the order they appear in the text (python-oracledb binds by position).
        expected, absolute = binds.add(wms_count), binds.add(cfg.count_tolerance_abs)
        relative = binds.add(wms_count * cfg.count_tolerance_ratio)
        sync_id, stream = binds.add(facts.run_id), binds.add(entity)
        columns.append(
            "    (select case when abs(count(distinct record_id) - "
            f"{expected}) <= {absolute} + {relative} then 1 else 0 end\n"
            f"        from {cfg.raw_schema}.etl_full_sync_seen\n"
            f"        where sync_id = {sync_id} and stream_name = {stream}) as {entity}_ok"
        )
    return "select\n" + ",\n".join(columns) + f"\nfrom {_one_row(cfg.raw_schema + '.etl_full_sync_seen')}"


def loaded_windows_table_exists(cfg: CheckSettings, binds: Binds) -> str:
    """One row, one count: 1 when etl_loaded_windows exists (the loader creates it on its first run)."""
    if binds.kind == "oracle":
        owner, table = binds.add(cfg.raw_schema.upper()), binds.add("ETL_LOADED_WINDOWS")
        return f"select count(*) from all_tables where owner = {owner} and table_name = {table}"
    schema, table = binds.add(cfg.raw_schema), binds.add("etl_loaded_windows")
    return (
        "select count(*) from information_schema.tables\n"
        f"where table_schema = {schema} and table_name = {table}"
    )


def loaded_windows(cfg: CheckSettings, binds: Binds) -> str:
    """Rows (kind, stream_name, window_start, window_end) for the checked entities: kind 'w' for each
    incremental window loaded successfully that ends at or after its stream's last complete full sync,
    kind 'f' for that full sync (its window end twice). What continuity and the contiguity check read.
    """
    raw = cfg.raw_schema
    windows_in = binds.in_list(list(cfg.entities))
    syncs_in = binds.in_list(list(cfg.entities))
    return (
        "select 'w' kind, l.stream_name, l.window_start, l.window_end\n"
        f"from {raw}.etl_loaded_windows l\n"
        f"where l.stream_name in {windows_in}\n"
        "    and l.window_end >= coalesce((select max(c.window_end)\n"
        f"        from {raw}.etl_full_sync_complete c where c.stream_name = l.stream_name), l.window_end)\n"
        "union all\n"
        "select 'f' kind, stream_name, max(window_end) window_start, max(window_end) window_end\n"
        f"from {raw}.etl_full_sync_complete\n"
        f"where stream_name in {syncs_in}\n"
        "group by stream_name"
    )


def full_sync_deletions_plausible(cfg: CheckSettings, facts: RunFacts, binds: Binds) -> str:
    """No entity of this full sync was held by the deletion guard (full_sync.decide wrote one row per
    entity to etl_full_sync_decision before dbt ran)."""
    sync_id, held = binds.add(facts.run_id), binds.add("held")
    return (
        "select\n    case when count(*) = 0 then 1 else 0 end as no_entity_held\n"
        f"from {cfg.raw_schema}.etl_full_sync_decision\n"
        f"where sync_id = {sync_id} and status = {held}"
    )
