"""JSON-lines messages between the driver shim and the server; values keep their Python type.

Standard library only: the shim imports this module in every environment.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import json
from typing import Any

ADDRESS_ENV = "ORACLE_STANDIN_ADDRESS"
LABEL_ENV = "ORACLE_STANDIN_LABEL"


def encode_value(value: Any) -> Any:
    """A JSON-safe form of a bound or fetched value (datetime, date, Decimal, bytes are tagged)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dt.datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$date": value.isoformat()}
    if isinstance(value, decimal.Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, bytes):
        return {"$bytes": base64.b64encode(value).decode()}
    if isinstance(value, dt.timedelta):
        return {"$timedelta": value.total_seconds()}
    return {"$repr": repr(value), "$type": type(value).__name__}


def decode_value(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    if "$datetime" in value:
        return dt.datetime.fromisoformat(value["$datetime"])
    if "$date" in value:
        return dt.date.fromisoformat(value["$date"])
    if "$decimal" in value:
        return decimal.Decimal(value["$decimal"])
    if "$bytes" in value:
        return base64.b64decode(value["$bytes"])
    if "$timedelta" in value:
        return dt.timedelta(seconds=value["$timedelta"])
    return value.get("$repr")


def dumps(message: dict[str, Any]) -> bytes:
    return json.dumps(message, separators=(",", ":")).encode() + b"\n"


def loads(line: bytes) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(line)
    return message
