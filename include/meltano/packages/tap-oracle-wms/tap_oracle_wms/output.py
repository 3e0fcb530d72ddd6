"""Singer messages to stdout, encoded by msgspec, RECORD lines buffered.

The SDK's default writer encodes with simplejson and flushes stdout after every message: about a
fifth of the tap's CPU per record at 1M records. Here a RECORD line waits in stdout's buffer, and
any other message (SCHEMA, STATE, ACTIVATE_VERSION) flushes, so a STATE never reaches the loader
before the records it covers and never waits behind a full buffer. The wire format is the SDK's:
the same keys, numbers as JSON numbers (Decimal exact), `time_extracted` in ISO 8601.
"""

from __future__ import annotations

import sys
import typing as t

import msgspec
from singer_sdk.singerlib.encoding.base import GenericSingerWriter, SingerMessageType
from singer_sdk.singerlib.encoding.simple import Message, RecordMessage


def _encode_other(value: t.Any) -> t.Any:
    # Only reached for types msgspec has no native form for; the SDK's writer does the same.
    return str(value)


class BufferedMsgSpecWriter(GenericSingerWriter[bytes, Message]):
    """Writes one JSON line per message to stdout; only non-RECORD messages flush."""

    def __init__(self) -> None:
        self._encoder = msgspec.json.Encoder(enc_hook=_encode_other, decimal_format="number")
        self._line = bytearray(256)

    def serialize_message(self, message: Message) -> bytes:
        """The message's JSON, without the newline."""
        return self._encoder.encode(_as_dict(message))

    def write_message(self, message: Message) -> None:
        """Encode into a reused buffer and write it; flush unless it is a RECORD."""
        self._encoder.encode_into(_as_dict(message), self._line)
        self._line.extend(b"\n")
        out = getattr(sys.stdout, "buffer", None)
        if out is None:  # stdout replaced by a text stream (tests capture it so)
            sys.stdout.write(self._line.decode())
            out = sys.stdout
        else:
            out.write(self._line)
        if message.type != SingerMessageType.RECORD:
            out.flush()


def _as_dict(message: Message) -> dict[str, t.Any]:
    if isinstance(message, RecordMessage):
        line: dict[str, t.Any] = {"type": "RECORD", "stream": message.stream, "record": message.record}
        if message.version is not None:
            line["version"] = message.version
        if message.time_extracted is not None:
            line["time_extracted"] = message.time_extracted.isoformat()
        return line
    return message.to_dict()
