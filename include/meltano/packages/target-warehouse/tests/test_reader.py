"""The reader decodes RECORD lines of routed streams with msgspec and leaves everything else to the SDK."""

from __future__ import annotations

import io
import json
from typing import Any

import msgspec
import pytest
from singer_sdk.singerlib.exceptions import InvalidInputLine

from target_warehouse.reader import TypedSingerReader


class Record(msgspec.Struct, kw_only=True, gc=False):
    id: int
    name: str | None = None


class Message(msgspec.Struct, tag_field="stream", tag="orders", kw_only=True):
    type: str
    record: Record


def _line(message: dict[str, Any]) -> str:
    return json.dumps(message) + "\n"


def _run(
    reader: TypedSingerReader, lines: list[str]
) -> tuple[list[Any], list[dict[str, Any]], dict[str, int]]:
    typed: list[Any] = []
    generic: list[dict[str, Any]] = []
    reader.route({Message: lambda message, line: typed.append((message, line))})
    callbacks = dict.fromkeys(("SCHEMA", "RECORD", "STATE"), generic.append)
    stats = reader.process_lines(io.StringIO("".join(lines)), callbacks)  # type: ignore[arg-type]
    return typed, generic, dict(stats)


def test_routed_records_are_typed_and_the_rest_goes_to_the_callbacks() -> None:
    lines = [
        _line({"type": "SCHEMA", "stream": "orders", "schema": {"properties": {}}}),
        _line({"type": "RECORD", "stream": "orders", "record": {"id": 1, "name": "a"}}),
        _line({"type": "RECORD", "stream": "orders", "record": {"id": "x"}}),  # wrong type
        _line({"type": "RECORD", "stream": "other", "record": {"id": 2}}),  # not routed
        _line({"type": "RECORD", "stream": "orders", "record": {"id": 3, "name": "a\u0000b"}}),  # NUL
        _line({"type": "STATE", "value": {"n": 1}}),
    ]
    typed, generic, stats = _run(TypedSingerReader(), lines)
    assert [(message.record, line.decode()) for message, line in typed] == [
        (Record(id=1, name="a"), lines[1])
    ]
    assert generic == [json.loads(line) for i, line in enumerate(lines) if i != 1]
    assert stats == {"SCHEMA": 1, "RECORD": 4, "STATE": 1}


def test_numbers_on_the_generic_path_are_decimals_as_in_the_sdk() -> None:
    _, generic, _ = _run(TypedSingerReader(), [_line({"type": "STATE", "value": {"x": 1.5}})])
    assert str(generic[0]["value"]["x"]) == "1.5"
    assert type(generic[0]["value"]["x"]).__name__ == "Decimal"


def test_malformed_lines_fail_as_in_the_sdk() -> None:
    with pytest.raises(InvalidInputLine, match="Unable to parse"):
        _run(TypedSingerReader(), ['{"type": "RECORD", "stream": "orders", "record": {"id": 1}\n'])
