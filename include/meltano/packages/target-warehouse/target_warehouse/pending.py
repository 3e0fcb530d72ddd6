"""The records of one stream waiting for the next batch, and their assembly into columns.

Records arrive two ways: accepted by the typed decoder (typed.py; the common case) or as dicts
that take the per-value path (``RowBuilder``). At batch time the typed records become columns in
bulk — read by Arrow from their lines when the dialect stages Arrow tables (arrow_batch.py), else
gathered from their msgspec Structs — the per-column ``finish`` checks run, a typed record that
fails one goes back to the per-value path from its line (so its quarantine reason and raw JSON are
exactly what that path gives), and rows with the same (id, mod_ts) count once.
"""

from __future__ import annotations

import copy
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from singer_sdk.singerlib.json import deserialize_json

from target_warehouse.arrow_batch import ArrowPlan, last_of_each_key, read_columns
from target_warehouse.columns import HISTORY_KEY, ColumnSpec, Kind
from target_warehouse.records import CANONICAL_CONVERTERS, Converter, RejectedValue, RowBuilder
from target_warehouse.typed import TypedStream

Column = Any  # a list of Python values, or a pyarrow (Chunked)Array of the staging type
_to_json = CANONICAL_CONVERTERS[Kind.JSON]


@dataclass
class TextLengths:
    """Longest string per text column in one batch (characters, and UTF-8 bytes when long)."""

    chars: dict[str, int] = field(default_factory=dict)
    utf8_bytes: dict[str, int] = field(default_factory=dict)


@dataclass
class AssembledBatch:
    """One batch ready to load: one column of values per batch column, all of one length."""

    columns: list[Column]
    row_count: int
    rejected: list[tuple[str, str]]  # (reason, raw record JSON)
    received: int
    lengths: TextLengths


@dataclass(frozen=True)
class ArrowStaging:
    """Read typed lines with Arrow (``plan``) into columns of these types (one per batch column)."""

    plan: ArrowPlan
    types: tuple[pa.DataType, ...]


class PendingBatch:
    """Collects one stream's records until the sink drains them."""

    def __init__(
        self,
        columns: list[ColumnSpec],
        converters: dict[Kind, Converter],
        typed: TypedStream,
        arrow: ArrowStaging | None,
        *,
        track_lengths: bool,
        byte_limit: int | None,
    ) -> None:
        self._columns = columns
        self._builder = RowBuilder(columns, converters)
        self._typed = typed
        self._arrow = arrow
        self._getters = [operator.attrgetter(name) for name in typed.field_names]
        self._keep_lines = typed.may_reject
        self._key_positions = [i for i, c in enumerate(columns) if c.name in HISTORY_KEY]
        self._text_positions = [
            (i, c.name) for i, c in enumerate(columns) if track_lengths and c.kind in (Kind.TEXT, Kind.JSON)
        ]
        # A value of at most limit/4 characters fits in any case (UTF-8 takes at most 4 bytes each),
        # so only longer values are measured in bytes; without a byte limit none is.
        self._byte_check_above = None if byte_limit is None else byte_limit // 4
        self._reset()

    def _reset(self) -> None:
        self._messages: list[Any] = []
        self._lines: list[bytes] = []
        self._buffer = bytearray()  # Arrow staging: the typed lines themselves, back to back
        self._typed_count = 0
        self._rows: list[tuple[Any, ...]] = []
        self._rejected: list[tuple[str, str]] = []

    @property
    def size(self) -> int:
        return self._typed_count + len(self._rows) + len(self._rejected)

    def add_typed(self, message: Any, line: bytes) -> int:
        """Keep a record the typed decoder accepted; return the pending count."""
        self._typed_count += 1
        if self._arrow is not None:
            self._buffer += line  # the decoded message is dropped: Arrow reads the line again
        else:
            self._messages.append(message)
            if self._keep_lines:  # only needed when a finish check may send a record back
                self._lines.append(line)
        return self._typed_count + len(self._rows) + len(self._rejected)

    def add_record(self, record: dict[str, Any], time_extracted: str | None) -> None:
        """Convert one record value by value, or set it aside for quarantine."""
        try:
            self._rows.append(self._builder.build(record, time_extracted))
        except RejectedValue as exc:
            self._rejected.append((str(exc), _to_json(record)))

    def detach(self) -> PendingBatch:
        """Hand over everything pending (to assemble with ``take`` elsewhere) and start afresh."""
        detached = copy.copy(self)
        self._reset()
        return detached

    def take(self) -> AssembledBatch:
        """Everything pending, as columns; the pending batch starts afresh."""
        received = self.size
        columns = self._arrow_columns() if self._arrow is not None else None
        if columns is None:
            if self._arrow is not None:  # Arrow refused the lines: decode them into Structs instead
                self._lines = bytes(self._buffer).splitlines()
                self._messages = [self._typed.decoder.decode(line) for line in self._lines]
                self._buffer = bytearray()
            columns = self._struct_columns()
        self._merge_rows(columns)
        rejected = self._rejected
        self._reset()
        columns, row_count = self._deduplicated(columns)
        return AssembledBatch(columns, row_count, rejected, received, self._lengths(columns))

    def _arrow_columns(self) -> list[Column] | None:
        assert self._arrow is not None
        if not self._typed_count:
            return [pa.chunked_array([], type=kind) for kind in self._arrow.types]
        columns = read_columns(self._buffer, self._arrow.plan)
        if columns is not None:
            self._buffer = bytearray()
        return columns

    def _struct_columns(self) -> list[Column]:
        """Columns of the typed records' Structs; a value a finish rejects sends its record back."""
        messages = self._messages
        records = [message.record for message in messages]
        columns: list[Column] = [list(map(getter, records)) for getter in self._getters]
        columns.append([message.time_extracted for message in messages])
        retry: set[int] = set()
        for position, finish in enumerate(self._typed.finishers):
            if finish is not None:
                columns[position] = _finished(columns[position], finish, retry)
        if retry:
            keep = [i for i in range(len(messages)) if i not in retry]
            columns = [[values[i] for i in keep] for values in columns]
            for position in sorted(retry):
                message = deserialize_json(self._lines[position])
                self.add_record(message["record"], message.get("time_extracted"))
        self._messages, self._lines = [], []
        return columns

    def _merge_rows(self, columns: list[Column]) -> None:
        """Append the per-value path's rows to the typed columns."""
        if not self._rows:
            return
        for position, values in enumerate(zip(*self._rows, strict=True)):
            column = columns[position]
            if isinstance(column, list):
                column.extend(values)
            else:
                assert self._arrow is not None
                extra = pa.array(values, type=self._arrow.types[position])
                columns[position] = pa.chunked_array([*column.chunks, extra], type=column.type)

    def _deduplicated(self, columns: list[Column]) -> tuple[list[Column], int]:
        """One row per (id, mod_ts): the last one pending wins."""
        first, second = self._key_positions
        count = len(columns[first])
        if not isinstance(columns[first], list):
            positions = last_of_each_key(columns[first], columns[second])
            if positions is None:
                return columns, count
            indices = pa.array(positions, pa.int64())
            return [column.take(indices) for column in columns], len(positions)
        if len(set(columns[first])) == count:
            return columns, count  # no id twice, so no (id, mod_ts) twice: the usual case, cheaply
        last = dict(zip(zip(columns[first], columns[second], strict=True), range(count), strict=False))
        if len(last) == count:
            return columns, count
        keep = sorted(last.values())
        return [[values[i] for i in keep] for values in columns], len(keep)

    def _lengths(self, columns: Sequence[Column]) -> TextLengths:
        lengths = TextLengths()
        for position, name in self._text_positions:
            chars, utf8_bytes = _longest(columns[position], self._byte_check_above)
            if chars:
                lengths.chars[name] = chars
            if utf8_bytes:
                lengths.utf8_bytes[name] = utf8_bytes
        return lengths


def _longest(column: Column, byte_check_above: int | None) -> tuple[int, int]:
    """Longest value in characters, and in UTF-8 bytes (0 when no value is longer than ``byte_check_above``)."""
    if not isinstance(column, list):
        chars = pc.max(pc.utf8_length(column)).as_py() or 0
        if byte_check_above is None or chars <= byte_check_above:
            return chars, 0
        return chars, pc.max(pc.binary_length(column)).as_py() or 0
    chars = max(map(len, filter(None, column)), default=0)
    if byte_check_above is None or chars <= byte_check_above:
        return chars, 0
    long_values = [value for value in column if value and len(value) > byte_check_above]
    return chars, max(len(value.encode("utf-8")) for value in long_values)


def _finished(values: list[Any], finish: Callable[[Any], Any], retry: set[int]) -> list[Any]:
    """``finish`` applied to every non-null value; positions it rejects are added to ``retry``."""
    try:
        return [None if value is None else finish(value) for value in values]
    except RejectedValue:
        pass
    result: list[Any] = []
    for position, value in enumerate(values):
        try:
            result.append(None if value is None else finish(value))
        except RejectedValue:
            retry.add(position)
            result.append(None)
    return result
