"""One sink per stream: convert records to rows, and hand each full batch to ``write_batch``."""

from __future__ import annotations

import datetime as dt
import functools
import re
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from singer_sdk.sql import SQLSink
from typing_extensions import override

from target_warehouse.arrow_batch import arrow_plan
from target_warehouse.batch import BatchCounts, BatchTarget, write_batch
from target_warehouse.columns import ColumnSpec, Kind, columns_from_schema
from target_warehouse.connector import WarehouseConnector
from target_warehouse.dialects import WarehouseDialect
from target_warehouse.errors import ConcurrentSchemaChange, WarehouseConfigError
from target_warehouse.evolution import plan_evolution
from target_warehouse.pending import ArrowStaging, AssembledBatch, PendingBatch, TextLengths
from target_warehouse.tables import LOAD_SOURCE, ensure_load_source_row, raw_table
from target_warehouse.typed import TypedStream, typed_stream

# A key-scan full sync sends the ids it saw as `<entity>__seen` (tap-oracle-wms keyscan.py).
SEEN_SUFFIX = "__seen"

if TYPE_CHECKING:
    from singer_sdk.target_base import Target

# 25,000 rows: 51,706 rows/s into DuckDB, peak 405 MB at 1M rows and 413 MB at 3M; 50,000 crossed
# 500 MB.
DEFAULT_BATCH_SIZE_ROWS = 25_000
# Rows x columns per batch: a wide stream gets fewer rows, so a batch's memory does not grow with the
# stream's width. order_hdr (131 fields) in 25,000-row batches ran DuckDB out of its 128MB on the
# second batch; 15,000 loaded, and this budget gives it 7,575 (allocation keeps its 25,000).
DEFAULT_BATCH_SIZE_VALUES = 1_000_000
# Stream names become (quoted) table names: the SDK conforms other characters to "_", but needs each
# hyphen-separated part ("schema-table") to start with a letter; refuse the rest with a clear message.
_STREAM_NAME = re.compile(r"[A-Za-z][^-]*(-[A-Za-z][^-]*)?")
_EXTRACTED_AT = "_sdc_extracted_at"
# Plans of a schema change, each from a fresh read of the table, before the run gives up (another
# loader changing the same table at the same time makes a plan fail; the next one sees its change).
EVOLUTION_ATTEMPTS = 6


def batch_rows(*, rows: int, values: int, columns: int) -> int:
    """Rows per batch: ``rows``, fewer when rows x columns would pass ``values``; at least one."""
    return max(1, min(rows, values // max(columns, 1)))


class WarehouseSink(SQLSink[WarehouseConnector]):
    """Keeps every (id, mod_ts) version once; see docs/architecture.md "The warehouse tables"."""

    connector_class = WarehouseConnector

    def __init__(
        self,
        target: Target,
        stream_name: str,
        schema: dict[str, Any],
        key_properties: list[str] | None,
        connector: WarehouseConnector | None = None,
    ) -> None:
        if not _STREAM_NAME.fullmatch(stream_name):
            raise WarehouseConfigError(
                f"stream name {stream_name!r} cannot become a table name: use letters, digits and "
                "underscores, starting with a letter (at most one hyphen, as in 'schema-table')"
            )
        self._run = target  # the TargetWarehouse: run id, full sync id and the run's quarantine tally
        super().__init__(target, stream_name, schema, key_properties, connector)

    # The SDK's per-record validation would stop the run; we quarantine instead (msgspec or
    # RowBuilder checks every value), so both hooks are switched off. Only time_extracted is taken from the metadata.

    @override
    def get_validator(self) -> None:
        return None

    @override
    def _validate_and_parse(self, record: dict[str, Any]) -> dict[str, Any]:
        return record

    @override
    def _singer_validate_message(self, record: dict[str, Any]) -> None:
        """Missing keys are quarantined rather than raised here."""

    @property
    @override
    def include_sdc_metadata_properties(self) -> bool:
        return True

    @override
    def _add_sdc_metadata_to_schema(self) -> None:
        """The raw tables carry etl_* columns, not the SDK's _sdc_* ones."""

    @override
    def _add_sdc_metadata_to_record(
        self, record: dict[str, Any], message: dict[str, Any], context: dict[str, Any]
    ) -> None:
        record[_EXTRACTED_AT] = message.get("time_extracted")

    @functools.cached_property
    @override
    def max_size(self) -> int:
        """Fixed for the sink's life (a new SCHEMA makes a new sink); the SDK reads it per record."""
        return batch_rows(
            rows=int(self.config.get("batch_size_rows") or DEFAULT_BATCH_SIZE_ROWS),
            values=int(self.config.get("batch_size_values") or DEFAULT_BATCH_SIZE_VALUES),
            columns=len(self.columns),
        )

    # Setup --------------------------------------------------------------------------------------

    @functools.cached_property
    def columns(self) -> list[ColumnSpec]:
        properties = self.schema.get("properties") or {}
        return columns_from_schema(properties, lambda name: self.conform_name(name, "column"))

    @property
    def seen_of(self) -> str | None:
        """The entity whose seen ids this stream carries (`<entity>__seen`), or None."""
        if self.stream_name.endswith(SEEN_SUFFIX):
            return self.stream_name.removesuffix(SEEN_SUFFIX)
        return None

    @functools.cached_property
    def batch_target(self) -> BatchTarget:
        return BatchTarget(
            stream_name=self.seen_of or self.stream_name,
            table_name=self.table_name,
            run_id=self._run.run_id,  # type: ignore[attr-defined]
            full_sync_id=self.config.get("full_sync_id") or None,
            seen_only=self.seen_of is not None,
        )

    @functools.cached_property
    def typed(self) -> TypedStream:
        """This stream's RECORD message type for the typed reader (reader.py)."""
        return typed_stream(self.stream_name, self.columns, self.connector.dialect.typed_kinds())

    @override
    def setup(self) -> None:
        """Create the schema, the etl_* tables and this stream's table, or evolve it to the schema."""
        self.connector.ensure_ready()
        self._record_source()
        dialect = self.connector.dialect
        self._pending = PendingBatch(
            self.columns,
            dialect.converters(),
            self.typed,
            arrow_staging(dialect, self.columns, self.typed),
            track_lengths=dialect.bounded_strings,
            byte_limit=dialect.max_varchar_bytes,
        )
        self.add_typed = self._pending.add_typed  # the reader calls this once per record
        if self.seen_of is not None:
            if not self.config.get("full_sync_id"):
                raise WarehouseConfigError(
                    f"stream {self.stream_name!r} carries the ids a key-scan full sync saw; "
                    "set full_sync_id (the pipeline does) to record them"
                )
            self._lengths = {}
            self.raw = self._raw({})  # never created: a seen stream has no raw table
            return
        declared = {c.name: self._declared_length(c) for c in self.columns}
        self._lengths = self._evolve(declared)

    def _record_source(self) -> None:
        """etl_load_source: the WMS this load reads (``wms_base_url``, ``wms_user``), before any batch."""
        base_url = self.config.get("wms_base_url")
        if not base_url:
            return
        table = self.connector.bookkeeping_table(LOAD_SOURCE)
        with self.connector.begin() as conn:
            conn.execute(
                ensure_load_source_row(table),
                {
                    "b_run_id": self.batch_target.run_id,
                    "b_stream_name": self.stream_name,
                    "b_base_url": str(base_url),
                    "b_user": str(self.config.get("wms_user") or ""),
                    "b_now": self.connector.dialect.timestamp_value(dt.datetime.now(dt.UTC)),
                },
            )

    def _declared_length(self, column: ColumnSpec) -> int | None:
        if column.kind is not Kind.TEXT or not self.connector.dialect.bounded_strings:
            return None
        return self.connector.dialect.text_length_for(column.max_length, 0, 0)

    def _raw(self, lengths: dict[str, int | None]) -> sa.Table:
        return raw_table(
            self.connector.dialect, self.table_name, self.connector.target_schema, self.columns, lengths
        )

    def _evolve(self, wanted: dict[str, int | None]) -> dict[str, int | None]:
        """Bring the raw table to ``wanted`` lengths (create, add, widen); return its lengths now.

        The plan is made from the table as the database reports it, and made again after another
        loader changed the table first; the lengths returned are read back after the change, so a
        wider column another loader made is used, never narrowed.
        """
        connector = self.connector
        for _ in range(EVOLUTION_ATTEMPTS):
            existing = connector.existing_text_lengths(self._raw(wanted))
            if existing is None:
                if connector.create_table(self._raw(wanted)):
                    connector.grant_reads(self._raw(wanted))
                continue
            statements = plan_evolution(connector.dialect, self._raw(wanted), self.columns, existing, wanted)
            if not statements:
                current = self._lengths_in(existing)
                self.raw = self._raw(current)
                return current
            try:
                connector.run_ddl(self._raw(wanted), statements)
            except ConcurrentSchemaChange as exc:
                self.logger.info("Planning the schema change again: %s", exc)
        raise ConcurrentSchemaChange(
            f"table {self.table_name} kept changing under this loader through {EVOLUTION_ATTEMPTS} "
            "attempts at evolving it; rerun the load"
        )

    def _lengths_in(self, existing: dict[str, int | None]) -> dict[str, int | None]:
        """Text lengths of this stream's columns as the database reports them (None: unbounded)."""
        dialect = self.connector.dialect
        if not dialect.bounded_strings:
            return dict.fromkeys((column.name for column in self.columns), None)
        return {
            column.name: existing.get(str(dialect.identifier(column.name)).lower())
            if column.kind is Kind.TEXT
            else None
            for column in self.columns
        }

    # Records and batches ----------------------------------------------------------------------

    @override
    def process_record(self, record: dict[str, Any], context: dict[str, Any]) -> None:
        """The SDK's generic path (used with stream maps): metadata arrives inside the record."""
        self.add_record(record, record.pop(_EXTRACTED_AT, None))

    def add_record(self, record: dict[str, Any], time_extracted: str | None) -> None:
        """Convert one record value by value into the pending batch, or set it aside for quarantine."""
        self._pending.add_record(record, time_extracted)

    @override
    def process_batch(self, context: dict[str, Any]) -> None:
        """Hand the pending records to the target's writer thread (see writer.py)."""
        pending = self._pending.detach()
        self._run.writer.submit(lambda: self._write(pending))  # type: ignore[attr-defined]

    def _write(self, pending: PendingBatch) -> None:
        """Assemble and commit one batch, then count its quarantined records (may fail the run)."""
        batch = pending.take()
        self._widen_for(batch.lengths)
        try:
            counts = self._write_batch(batch)
        except sa.exc.DBAPIError as exc:
            if not self.connector.dialect.is_stale_schema(exc):
                raise
            # Another loader changed the table after we read it (a column it renamed for a CLOB
            # change, or narrowed): read it again, evolve it to this batch and write the batch again.
            self.logger.info(
                "Table %s changed under this batch (%s); evolving it again", self.table_name, exc.orig
            )
            self._lengths = self._evolve(self._lengths)
            self._widen_for(batch.lengths)
            counts = self._write_batch(batch)
        # SDK tallies are only logged; this one may land in the next batch's log line.
        self.tally_duplicate_merged(batch.received - batch.row_count - len(batch.rejected))
        self.logger.info(
            "Committed batch of %s: %d received, %d inserted, %d already present, %d quarantined",
            self.stream_name,
            counts.received,
            counts.inserted,
            counts.already_present,
            counts.quarantined,
        )
        self._run.count_quarantined(counts.quarantined)  # type: ignore[attr-defined]

    def _write_batch(self, batch: AssembledBatch) -> BatchCounts:
        return write_batch(
            self.connector,
            self.batch_target,
            self.raw,
            self.columns,
            batch.columns,
            batch.row_count,
            batch.rejected,
            batch.received,
        )

    def _widen_for(self, seen: TextLengths) -> None:
        """Grow text columns before a batch whose strings would not fit (never truncate)."""
        dialect = self.connector.dialect
        if not dialect.bounded_strings or not seen.chars:
            return
        wanted = dict(self._lengths)
        grow = False
        for column in self.columns:
            if column.kind is not Kind.TEXT or column.name not in seen.chars:
                continue
            current = self._lengths.get(column.name)
            needed = dialect.text_length_for(
                column.max_length, seen.chars[column.name], seen.utf8_bytes.get(column.name, 0)
            )
            if current is not None and (needed is None or needed > current):
                wanted[column.name] = needed
                grow = True
        if grow:
            self._lengths = self._evolve(wanted)


def arrow_staging(
    dialect: WarehouseDialect, columns: list[ColumnSpec], typed: TypedStream
) -> ArrowStaging | None:
    """Read typed lines with Arrow when the dialect stages Arrow tables and no value needs a finish."""
    types = dialect.arrow_types()
    if types is None or any(typed.finishers):
        return None
    plan = arrow_plan(columns, types)
    if plan is None:
        return None
    return ArrowStaging(plan, tuple(types[column.kind] for column in columns))
