"""A Singer reader that decodes RECORD lines of known streams with msgspec, straight into typed rows.

For every line it first tries the typed decoder of the streams whose SCHEMA it has seen (a union of
their RECORD message Structs, tagged by ``stream``; see typed.py). A line it does not accept — a
SCHEMA or STATE message, an unknown stream, a value of the wrong type, a NUL character, malformed
JSON — takes the SDK's own path: the standard library decodes it (numbers as ``Decimal``, exactly
as the SDK does) and the target's callbacks handle it, so those records are converted value by value
and quarantined with a reason when bad.
"""

from __future__ import annotations

import decimal
import gc
import io
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any, Union

import msgspec
from singer_sdk.singerlib.encoding import SimpleSingerReader
from singer_sdk.singerlib.encoding.base import SingerMessageType

TypedHandler = Callable[[Any, bytes], None]
_NUL_ESCAPE = b"\\u0000"  # JSON can only carry NUL escaped; such text must be rejected per value


class TypedSingerReader(SimpleSingerReader):
    """SimpleSingerReader plus a typed fast path for RECORD messages of routed streams."""

    def __init__(self) -> None:
        super().__init__()
        self._typed: msgspec.json.Decoder[Any] | None = None
        self._handlers: dict[type, TypedHandler] = {}

    def route(self, handlers: dict[type[msgspec.Struct], TypedHandler]) -> None:
        """Decode RECORD messages of these Struct types (tagged by stream) and hand each to its handler."""
        self._handlers = dict(handlers)
        # Everything alive now (modules, the SDK, the sinks) stays alive: keep it out of the cyclic
        # collector's full scans, which otherwise run often while batches are built.
        gc.freeze()
        types = tuple(handlers)
        if not types:
            self._typed = None
            return
        union: Any = types[0] if len(types) == 1 else Union[types]  # noqa: UP007 - a runtime union of types
        self._typed = msgspec.json.Decoder(union, float_hook=decimal.Decimal)

    def process_lines(
        self,
        file_input: IO[Any] | None,
        callbacks: dict[str, Callable[[dict[str, Any]], None]],
    ) -> Counter[str]:
        """Process every line: typed RECORD messages go to their handler, the rest to ``callbacks``."""
        records = 0
        stats: Counter[str] = Counter()
        handlers = self._handlers
        for line in _byte_lines(file_input if file_input is not None else sys.stdin):
            typed = self._typed
            if typed is not None and _NUL_ESCAPE not in line:
                try:
                    message = typed.decode(line)
                except (msgspec.ValidationError, msgspec.DecodeError):
                    pass
                else:
                    handlers[type(message)](message, line)
                    records += 1
                    continue
            line_dict = self.deserialize_json(line)  # type: ignore[arg-type]
            self.assert_line_requires(line_dict, requires={"type"})
            record_type = line_dict["type"]
            if callback := callbacks.get(record_type):
                callback(line_dict)
            else:
                self._process_unknown_message(line_dict)
            stats[record_type] += 1
            handlers = self._handlers  # a SCHEMA message may have changed the routes
        stats[SingerMessageType.RECORD] += records
        return stats


def _byte_lines(file_input: IO[Any]) -> Iterable[bytes]:
    """Lines as bytes: the binary buffer under a text stream, or encoded text (e.g. ``io.StringIO``)."""
    buffer = getattr(file_input, "buffer", None)
    if isinstance(file_input, io.TextIOWrapper) and buffer is not None:
        return buffer  # type: ignore[no-any-return]
    if isinstance(file_input, io.TextIOBase):
        return _encoded(file_input)
    return file_input


def _encoded(lines: Iterable[str]) -> Iterator[bytes]:
    for line in lines:
        yield line.encode("utf-8")
