"""What the warehouse recorded about each load, and the decisions that must rest on it (issue 35).

Task states are what an operator can change in the UI ("Mark success", "Clear"); the warehouse's
records are not. So:

- each extract-load, once its `meltano run` exited 0, marks its row of `etl_load_source` committed
  (the loader wrote the row, with the WMS it read, before its first batch);
- the checks and `finalize_full_sync` count a load only when that row is committed, and fail naming
  every selected entity (and full-sync partition) that has none;
- a full sync older (by window end) than the newest complete one is never recorded complete;
- a run whose WMS (base URL with environment, API user) differs from the one the warehouse last
  loaded from fails before loading, naming both, until `confirm_wms_source` names the new one;
- the full sync is never backfilled: it always reads the WMS as it is now, so a backfill run would
  only record today's data under an old window end.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from airflow.sdk import BaseHook

from include.wms_pipeline import settings
from include.wms_pipeline.checks.binds import Binds
from include.wms_pipeline.warehouse import ConnectionLike

log = logging.getLogger(__name__)

LOAD_SOURCE_TABLE = "etl_load_source"
CONFIRM_PARAM = "confirm_wms_source"


class OperatorActionRefused(Exception):
    """A run would record something the warehouse's evidence does not support; the message says why."""


@dataclass(frozen=True)
class WmsSource:
    """The WMS a load reads: base URL (scheme, host, port, environment path) and the API user."""

    base_url: str
    user: str

    def describe(self) -> str:
        return f"{self.base_url} as {self.user or '(no user)'}"


def source_of(conn: ConnectionLike, base_url: str) -> WmsSource:
    """The source of the `oracle_wms` connection: the base URL without credentials, query or fragment,
    and the Basic user or the OAuth2 client id (never a password or secret)."""
    parts = urlsplit(base_url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    clean = urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))
    extra = conn.extra_dejson
    oauth2 = str(extra.get("auth_type", "basic")).lower() == "oauth2"
    user = str(extra.get("client_id") or "") if oauth2 else str(conn.login or "")
    return WmsSource(clean, user)


def source_change(recorded: WmsSource | None, current: WmsSource, confirmed: Any) -> str | None:
    """Why a run must not load (None: it may): the WMS differs from the one the warehouse last loaded
    from and `confirm_wms_source` does not name the current one exactly."""
    if recorded is None or recorded == current:
        return None
    if isinstance(confirmed, str) and confirmed.strip() == current.describe():
        return None
    return (
        f"The oracle_wms connection now reads {current.describe()!r}, but the warehouse's last loads came "
        f"from {recorded.describe()!r}. Loading from another WMS (a test environment, another user) mixes "
        "its records into the history for good. If the change is intended, trigger the run with the "
        f"param {CONFIRM_PARAM} set to exactly {current.describe()!r}; otherwise put the connection back."
    )


def backfill_refusal(full_sync: bool, run_type: Any) -> str | None:
    """Why a run must not start (None: it may): a backfill run of the full sync."""
    if full_sync and str(getattr(run_type, "value", run_type)) == "backfill":
        return (
            "Backfills of the full sync are refused: a full sync reads the WMS as it is now, whatever "
            "the run's date, so a backfill run would record today's ids under an old window end. "
            "Trigger one manual run of wms_full_sync instead (docs/runbook.md)."
        )
    return None


# The warehouse ----------------------------------------------------------------------------------


def _table(name: str) -> str:
    return f"{settings.RAW_SCHEMA}.{name}"


def _as_utc(value: Any) -> datetime:
    """A timestamp as read back: aware (DuckDB, PostgreSQL) or naive UTC (Oracle)."""
    moment: datetime = value
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _bind_time(kind: str, moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None) if kind == "oracle" else moment.astimezone(UTC)


class Warehouse:
    """The bookkeeping tables, through the warehouse connection's DB-API connection (bind values only)."""

    def __init__(self, conn_id: str = settings.WAREHOUSE_CONN_ID, kind: str | None = None) -> None:
        self.conn_id = conn_id
        self.kind = kind or settings.warehouse_kind()

    def _connect(self) -> Any:
        hook: Any = BaseHook.get_connection(self.conn_id).get_hook()  # type: ignore[no-untyped-call]
        return hook.get_conn()

    def _query(self, sql: str, binds: Binds, timestamps: Sequence[int] = ()) -> list[tuple[Any, ...]]:
        """Rows of `sql`; on Oracle the binds at `timestamps` go as TIMESTAMP (not DATE: microseconds)."""
        conn = self._connect()
        try:
            cursor = conn.cursor()
            if self.kind == "oracle" and timestamps:
                _timestamps(cursor, len(binds.values), timestamps)
            cursor.execute(sql, tuple(binds.values))
            return [tuple(row) for row in cursor.fetchall()]
        finally:
            conn.close()

    def has_table(self, name: str) -> bool:
        binds = Binds(self.kind)
        if self.kind == "oracle":
            sql = (
                f"select count(*) from all_tables where owner = {binds.add(settings.RAW_SCHEMA.upper())} "
                f"and table_name = {binds.add(name.upper())}"
            )
        else:
            sql = (
                "select count(*) from information_schema.tables "
                f"where table_schema = {binds.add(settings.RAW_SCHEMA)} and table_name = {binds.add(name)}"
            )
        return bool(self._query(sql, binds)[0][0])

    def last_source(self) -> WmsSource | None:
        """The WMS of the newest load the warehouse recorded (None: no load recorded yet)."""
        if not self.has_table(LOAD_SOURCE_TABLE):
            return None
        table = _table(LOAD_SOURCE_TABLE)
        rows = self._query(
            f"select wms_base_url, wms_user from {table}\n"
            f"where started_at = (select max(started_at) from {table})",
            Binds(self.kind),
        )
        return WmsSource(str(rows[0][0]), str(rows[0][1] or "")) if rows else None

    def mark_committed(self, load_run_id: str, entity: str, records_read: int, source: WmsSource) -> None:
        """The load `load_run_id` of `entity` finished: every batch committed and the process exited 0."""
        table = _table(LOAD_SOURCE_TABLE)
        now = _bind_time(self.kind, datetime.now(UTC))
        insert, update = Binds(self.kind), Binds(self.kind)
        # The loader wrote the row when the stream started; a load that never reached it (no SCHEMA
        # message) gets one here, so the mark is never lost.
        insert_sql = (
            f"insert into {table} (run_id, stream_name, wms_base_url, wms_user, started_at)\n"
            f"select {insert.add(load_run_id)}, {insert.add(entity)}, {insert.add(source.base_url)}, "
            f"{insert.add(source.user)}, {insert.add(now)}{' from dual' if self.kind == 'oracle' else ''}\n"
            f"where not exists (select 1 from {table} t\n"
            f"    where t.run_id = {insert.add(load_run_id)} and t.stream_name = {insert.add(entity)})"
        )
        update_sql = (
            f"update {table} set committed_at = {update.add(now)}, records_read = {update.add(records_read)}\n"
            f"where run_id = {update.add(load_run_id)} and stream_name = {update.add(entity)}"
        )
        conn = self._connect()
        try:
            cursor = conn.cursor()
            if self.kind == "oracle":
                _timestamps(cursor, 7, (4,))
            cursor.execute(insert_sql, tuple(insert.values))
            if self.kind == "oracle":
                _timestamps(cursor, 4, (0,))
            cursor.execute(update_sql, tuple(update.values))
            conn.commit()
        finally:
            conn.close()

    def committed_loads(self, dag_id: str, run_id: str) -> list[tuple[str, str, int]]:
        """(load_run_id, entity, records_read) of every committed load of this DAG run."""
        binds = Binds(self.kind)
        prefix = f"{dag_id}/{run_id}/"
        sql = (
            f"select run_id, stream_name, records_read from {_table(LOAD_SOURCE_TABLE)}\n"
            f"where committed_at is not null and substr(run_id, 1, {binds.add(len(prefix))}) = "
            f"{binds.add(prefix)}"
        )
        return [(str(r[0]), str(r[1]), int(r[2] or 0)) for r in self._query(sql, binds)]

    def sources_of(self, dag_id: str, run_id: str) -> list[WmsSource]:
        """The distinct WMS sources of this DAG run's loads."""
        binds = Binds(self.kind)
        prefix = f"{dag_id}/{run_id}/"
        sql = (
            f"select distinct wms_base_url, wms_user from {_table(LOAD_SOURCE_TABLE)}\n"
            f"where substr(run_id, 1, {binds.add(len(prefix))}) = {binds.add(prefix)}"
        )
        return [WmsSource(str(r[0]), str(r[1] or "")) for r in self._query(sql, binds)]

    def newer_complete_syncs(
        self, entity: str, sync_id: str, window_end: datetime
    ) -> list[tuple[str, datetime]]:
        """Other complete full syncs of `entity` whose window ends after `window_end`."""
        binds = Binds(self.kind)
        sql = (
            f"select sync_id, window_end from {_table('etl_full_sync_complete')}\n"
            f"where stream_name = {binds.add(entity)} and sync_id <> {binds.add(sync_id)}\n"
            f"    and window_end > {binds.add(_bind_time(self.kind, window_end))}"
        )
        return [(str(r[0]), _as_utc(r[1])) for r in self._query(sql, binds, timestamps=(2,))]

    def reset_seen(self, sync_id: str, entities: Iterable[str]) -> None:
        """Forget the ids an earlier attempt of this full sync saw, for the entities it reads again."""
        if not self.has_table("etl_full_sync_seen"):
            return
        conn = self._connect()
        try:
            cursor = conn.cursor()
            for entity in entities:
                binds = Binds(self.kind)
                cursor.execute(
                    f"delete from {_table('etl_full_sync_seen')} "
                    f"where sync_id = {binds.add(sync_id)} and stream_name = {binds.add(entity)}",
                    tuple(binds.values),
                )
            conn.commit()
        finally:
            conn.close()


def _timestamps(cursor: Any, count: int, positions: Sequence[int]) -> None:
    import oracledb  # only the Oracle path needs the driver

    cursor.setinputsizes(*(oracledb.DB_TYPE_TIMESTAMP if i in positions else None for i in range(count)))


# Finalize -----------------------------------------------------------------------------------------


def partition_of(load_run_id: str) -> int | None:
    """The partition index in a load run id (`dag/run/entity/p3/try1` -> 3); None when unpartitioned."""
    parts = load_run_id.split("/")
    if len(parts) >= 3 and parts[-2].startswith("p") and parts[-2][1:].isdigit():
        return int(parts[-2][1:])
    return None


def missing_loads(
    planned: Mapping[str, Sequence[int] | None], committed: Iterable[tuple[str, str, int]]
) -> list[str]:
    """What `planned` (entity -> partition indexes; None: the plan recorded nothing) lacks a committed
    load for, as readable names (`order_dtl partition 3`, `item (no plan recorded)`)."""
    done: dict[str, set[int | None]] = {}
    for load_run_id, entity, _ in committed:
        done.setdefault(entity, set()).add(partition_of(load_run_id))
    missing: list[str] = []
    for entity, partitions in planned.items():
        if partitions is None:
            missing.append(f"{entity} (plan_{entity} recorded no partitions)")
            continue
        missing += [f"{entity} partition {i}" for i in partitions if i not in done.get(entity, set())]
    return missing


def verify_before_complete(
    warehouse: Warehouse,
    *,
    dag_id: str,
    sync_id: str,
    window_end: datetime,
    planned: Mapping[str, Sequence[int] | None],
    source: WmsSource,
) -> None:
    """Refuse to record the full sync complete unless the warehouse shows that every planned partition
    of every selected entity committed, from the current WMS, and no newer full sync is complete."""
    missing = missing_loads(planned, warehouse.committed_loads(dag_id, sync_id))
    if missing:
        raise OperatorActionRefused(
            f"Full sync {sync_id} is not recorded complete: no committed load in "
            f"{settings.RAW_SCHEMA}.{LOAD_SOURCE_TABLE} for {', '.join(missing)}. A task marked success "
            "does not load anything; clear the failed extract (with downstream) instead (docs/runbook.md)."
        )
    others = [s for s in warehouse.sources_of(dag_id, sync_id) if s != source]
    if others:
        raise OperatorActionRefused(
            f"Full sync {sync_id} read from {', '.join(s.describe() for s in others)} as well as "
            f"{source.describe()}: its ids do not describe one WMS, so it is not recorded complete."
        )
    newer = {
        f"{entity}: {other} (window end {end.isoformat()})"
        for entity in planned
        for other, end in warehouse.newer_complete_syncs(entity, sync_id, window_end)
    }
    if newer:
        raise OperatorActionRefused(
            f"Full sync {sync_id} (window end {window_end.isoformat()}) is older than a complete full "
            f"sync: {'; '.join(sorted(newer))}. Recording it would make an old set of ids the newest and "
            "bring deleted records back. To redo a week on purpose, trigger a new manual full sync."
        )
    log.info("full sync %s: every planned partition committed (%s)", sync_id, dict(planned))


# The tasks' bodies ------------------------------------------------------------------------------------


def current_source() -> WmsSource:
    """The WMS the `oracle_wms` connection points at now."""
    from include.wms_pipeline.meltano import wms_base_url  # meltano.py imports this module

    conn = BaseHook.get_connection(settings.WMS_CONN_ID)
    return source_of(conn, wms_base_url(conn))


def guard_run(context: Mapping[str, Any], *, full_sync: bool, selected: Sequence[str]) -> str:
    """Before anything is read or loaded: refuse a backfill of the full sync and a changed WMS (unless
    confirmed); a full sync then forgets the ids an earlier attempt of it saw, for what it re-reads."""
    refusal = backfill_refusal(full_sync, getattr(context["dag_run"], "run_type", None))
    warehouse = Warehouse()
    source = current_source()
    if refusal is None:
        params = context.get("params") or {}
        refusal = source_change(warehouse.last_source(), source, params.get(CONFIRM_PARAM))
    if refusal is not None:
        raise OperatorActionRefused(refusal)
    if full_sync:
        warehouse.reset_seen(str(context["run_id"]), selected)
    log.info("reading %s", source.describe())
    return source.describe()


def planned_partitions(context: Mapping[str, Any], entities: Sequence[str]) -> dict[str, list[int] | None]:
    """Each entity's partition indexes as its plan task returned them (None: it returned nothing)."""
    ti = context["ti"]
    planned: dict[str, list[int] | None] = {}
    for entity in entities:
        partitions = ti.xcom_pull(task_ids=f"plan_{entity}")
        planned[entity] = None if partitions is None else [int(p["index"]) for p in partitions]
    return planned
