"""target-warehouse: a Singer loader that keeps every WMS record version exactly once."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any, ClassVar

from singer_sdk import typing as th
from singer_sdk.helpers.capabilities import CapabilitiesEnum, TargetCapabilities
from singer_sdk.sinks import Sink
from singer_sdk.sql import SQLTarget
from singer_sdk.target_base import Target
from typing_extensions import override

from target_warehouse.connector import DEFAULT_URL
from target_warehouse.dialects.oracle import DEFAULT_PTT_PREFIX, PTT_PREFIX_SETTING
from target_warehouse.errors import QuarantineThresholdExceeded
from target_warehouse.reader import TypedHandler, TypedSingerReader
from target_warehouse.sinks import DEFAULT_BATCH_SIZE_ROWS, DEFAULT_BATCH_SIZE_VALUES, WarehouseSink
from target_warehouse.writer import BatchWriter


class TargetWarehouse(SQLTarget):
    """Loads Singer streams into raw history tables keyed (id, mod_ts) in Oracle, PostgreSQL or DuckDB."""

    name = "target-warehouse"
    default_sink_class = WarehouseSink
    message_reader_class = TypedSingerReader
    # No hard deletes and no ACTIVATE_VERSION: history is never removed.
    capabilities: ClassVar[list[CapabilitiesEnum]] = [*Target.capabilities, TargetCapabilities.TARGET_SCHEMA]

    config_jsonschema = th.PropertiesList(
        th.Property(
            "sqlalchemy_url",
            th.StringType,
            default=DEFAULT_URL,
            description="SQLAlchemy URL without credentials: duckdb:///path.duckdb, "
            "postgresql+psycopg://host:5432/db or oracle+oracledb://host:1521/?service_name=SVC",
        ),
        th.Property("username", th.StringType, description="Database user (merged into the URL)."),
        th.Property("password", th.StringType, secret=True, description="Database password (never logged)."),
        th.Property(
            "default_target_schema",
            th.StringType,
            default="wms_raw",
            description="Schema of the raw and etl_* tables; created when missing and allowed.",
        ),
        th.Property(
            "run_id",
            th.StringType,
            description="Identifies the run in etl_run_id, etl_load_audit and etl_quarantine; "
            "a new UUID when unset.",
        ),
        th.Property(
            "full_sync_id",
            th.StringType,
            description="When set, the ids read per stream are recorded in etl_full_sync_seen.",
        ),
        th.Property(
            "wms_base_url",
            th.StringType,
            description="The WMS the tap reads (base URL with environment, no credentials); recorded "
            "per stream in etl_load_source.",
        ),
        th.Property(
            "wms_user",
            th.StringType,
            description="The WMS API user (or OAuth2 client id) the tap reads as; recorded with it.",
        ),
        th.Property(
            "quarantine_threshold",
            th.IntegerType,
            default=0,
            description="The run fails when more records than this are quarantined.",
        ),
        th.Property(
            "batch_size_rows",
            th.IntegerType,
            default=DEFAULT_BATCH_SIZE_ROWS,
            description="Records per committed batch.",
        ),
        th.Property(
            "grant_select_to",
            th.ArrayType(th.StringType),
            description="Users (Oracle, PostgreSQL) given SELECT on each table right after the loader "
            "creates it, e.g. dbt's user, which builds views on the raw tables.",
        ),
        th.Property(
            PTT_PREFIX_SETTING,
            th.StringType,
            default=DEFAULT_PTT_PREFIX,
            description="Oracle only: the database's PRIVATE_TEMP_TABLE_PREFIX (staging tables are "
            "private temporary tables whose names must start with it).",
        ),
        th.Property(
            "batch_size_values",
            th.IntegerType,
            default=DEFAULT_BATCH_SIZE_VALUES,
            description="At most this many values (rows x columns) per batch: wide streams get fewer rows.",
        ),
    ).to_dict()

    @property
    @override
    def max_parallelism(self) -> int:
        """Drain sinks one after another: one connection, deterministic commit order."""
        return 1

    @max_parallelism.setter
    def max_parallelism(self, _: int) -> None:
        """Ignored; see the getter."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.run_id: str = str(self.config.get("run_id") or uuid.uuid4())
        self._quarantined = 0
        self.writer = BatchWriter()

    def count_quarantined(self, count: int) -> None:
        """Called (on the writer thread) after each committed batch; fails the run before the STATE
        covering the batch is emitted."""
        self._quarantined += count
        threshold = int(self.config.get("quarantine_threshold") or 0)
        if self._quarantined > threshold:
            raise QuarantineThresholdExceeded(
                f"{self._quarantined} records quarantined in run {self.run_id}, more than "
                f"quarantine_threshold={threshold}; see etl_quarantine for reasons and raw records"
            )

    @override
    def _process_record_message(self, message_dict: dict[str, Any]) -> None:
        """Hot path for RECORD messages when no stream maps are configured.

        The SDK's generic path copies each record, runs the identity map, adds seven _sdc_* fields
        and re-reads the schema for timestamps; our sink converts and checks every value itself, so
        that work is skipped (it measured about half the time per record). With stream maps the
        SDK path runs unchanged.
        """
        sink = self._fast_sinks.get(message_dict.get("stream"))  # type: ignore[arg-type]
        if sink is None or "record" not in message_dict:
            super()._process_record_message(message_dict)
            return
        sink.tally_record_read()
        sink.add_record(message_dict["record"], message_dict.get("time_extracted"))
        if sink.is_full:
            self.logger.info(
                "Target sink for '%s' is full (%s records). Draining...", sink.stream_name, sink.current_size
            )
            self.drain_one(sink)
        self._handle_max_record_age()

    @override
    def _process_schema_message(self, message_dict: dict[str, Any]) -> None:
        """After the SDK (re)creates the sink, route the stream's RECORD lines to the typed decoder.

        A batch still being written finishes first: a new sink may alter the table.
        """
        self.writer.wait()
        super()._process_schema_message(message_dict)
        reader = self.message_reader
        if isinstance(reader, TypedSingerReader):
            reader.route(
                {sink.typed.message_type: self._typed_handler(sink) for sink in self._fast_sinks.values()}
            )

    def _typed_handler(self, sink: WarehouseSink) -> TypedHandler:
        """Per typed record: the SDK's tally, the pending batch, a drain when full (as the SDK does)."""
        tally, add, max_size = sink.tally_record_read, sink.add_typed, sink.max_size
        check_age = self._handle_max_record_age

        def handle(message: Any, line: bytes) -> None:
            tally()
            if add(message, line) >= max_size:
                self.logger.info(
                    "Target sink for '%s' is full (%s records). Draining...", sink.stream_name, max_size
                )
                self.drain_one(sink)
            check_age()

        return handle

    @property
    def _fast_sinks(self) -> dict[str, WarehouseSink]:
        if self.config.get("stream_maps") or self.config.get("flattening_enabled"):
            return {}
        return self._sinks_active  # type: ignore[return-value]

    @override
    def _drain_all(self, sink_list: Iterable[Sink], parallelism: int) -> None:
        """``drain_all`` waits for every write it started, so the STATE it then emits follows commits."""
        super()._drain_all(sink_list, parallelism)
        self.writer.wait()

    @override
    def _write_state_message(self, state: dict[str, Any]) -> None:
        """STATE leaves only once every batch before it has committed (see writer.py)."""
        self.writer.wait()
        super()._write_state_message(state)

    @override
    def process_endofpipe(self) -> None:
        """Create the schema and etl_* tables even when the input had no records, then drain."""
        self.target_connector.ensure_ready()  # type: ignore[attr-defined]
        super().process_endofpipe()
        self.writer.wait()
        self.target_connector.end_of_load()  # type: ignore[attr-defined]


if __name__ == "__main__":
    TargetWarehouse.cli()
