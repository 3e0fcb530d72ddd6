"""Singer lines: the SDK's wire format, RECORD lines buffered, every other message flushed."""

from __future__ import annotations

import io
import json
import sys
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from singer_sdk.singerlib.encoding.simple import (
    RecordMessage,
    SchemaMessage,
    SimpleSingerWriter,
    StateMessage,
)

from tap_oracle_wms.output import BufferedMsgSpecWriter


class CountingStdout(io.TextIOWrapper):
    """A text stdout over bytes that counts the flushes of its binary buffer."""

    def __init__(self) -> None:
        self.raw_bytes = io.BytesIO()
        self.flushes = 0
        outer = self

        class Buffer(io.BufferedWriter):
            def flush(self) -> None:
                outer.flushes += 1
                super().flush()

        super().__init__(Buffer(self.raw_bytes), encoding="utf-8")  # type: ignore[arg-type]

    def lines(self) -> list[str]:
        self.buffer.flush()
        return self.raw_bytes.getvalue().decode().splitlines()


MESSAGES = [
    SchemaMessage(
        stream="allocation", schema={"properties": {"id": {"type": "integer"}}}, key_properties=["id"]
    ),
    RecordMessage(
        stream="allocation",
        record={"id": 1, "alloc_qty": Decimal("16.50"), "pick_user": "é\U0001f4e6", "big": Decimal("1E+400")},
        version=None,
        time_extracted=datetime(2026, 11, 23, 16, 0, 1, 123456, tzinfo=UTC),
    ),
    RecordMessage(stream="allocation", record={"id": 2, "wave_id": None}, version=7),
    StateMessage(value={"bookmarks": {"allocation": {"replication_key_value": "2026-11-23T16:00:00+00:00"}}}),
]


def test_lines_carry_what_the_sdk_writer_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    stdout = CountingStdout()
    monkeypatch.setattr(sys, "stdout", stdout)
    writer = BufferedMsgSpecWriter()
    for message in MESSAGES:
        writer.write_message(message)

    ours = [json.loads(line, parse_float=Decimal) for line in stdout.lines()]
    sdk = [
        json.loads(SimpleSingerWriter().serialize_message(message), parse_float=Decimal)
        for message in MESSAGES
    ]
    assert ours == sdk
    assert '"alloc_qty":16.50' in stdout.lines()[1], "decimals stay exact JSON numbers"


def test_only_non_record_messages_flush(monkeypatch: pytest.MonkeyPatch) -> None:
    stdout = CountingStdout()
    monkeypatch.setattr(sys, "stdout", stdout)
    writer = BufferedMsgSpecWriter()

    writer.write_message(MESSAGES[0])
    assert stdout.flushes == 1
    writer.write_message(MESSAGES[1])
    writer.write_message(MESSAGES[2])
    assert stdout.flushes == 1, "RECORD lines wait in the buffer"
    writer.write_message(MESSAGES[3])
    assert stdout.flushes == 2, "a STATE flushes the records before it"
    assert len(stdout.raw_bytes.getvalue().splitlines()) == 4


def test_a_text_only_stdout_still_gets_every_line(monkeypatch: pytest.MonkeyPatch) -> None:
    captured = io.StringIO()
    monkeypatch.setattr(sys, "stdout", captured)
    writer = BufferedMsgSpecWriter()
    for message in MESSAGES:
        writer.write_message(message)

    assert [json.loads(line)["type"] for line in captured.getvalue().splitlines()] == [
        "SCHEMA",
        "RECORD",
        "RECORD",
        "STATE",
    ]
