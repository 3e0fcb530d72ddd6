"""Run the tap in-process and collect its Singer messages."""

from __future__ import annotations

import io
import json
from collections import defaultdict
from contextlib import redirect_stdout
from dataclasses import dataclass, field
from typing import Any

from tap_oracle_wms.tap import TapOracleWMS


@dataclass
class SingerOutput:
    """The messages of one run, grouped the way tests read them."""

    messages: list[dict[str, Any]] = field(default_factory=list)

    @property
    def records(self) -> dict[str, list[dict[str, Any]]]:
        """RECORD payloads by stream."""
        grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for message in self.messages:
            if message["type"] == "RECORD":
                grouped[message["stream"]].append(message["record"])
        return grouped

    def schemas(self, stream: str) -> list[dict[str, Any]]:
        """Every SCHEMA message of a stream, in order."""
        return [m for m in self.messages if m["type"] == "SCHEMA" and m["stream"] == stream]

    def versions(self, stream: str) -> list[tuple[int, str]]:
        """(id, mod_ts) of every record of a stream, in emitted order."""
        return [(record["id"], record["mod_ts"]) for record in self.records[stream]]


def run_tap(
    config: dict[str, Any], state: dict[str, Any] | None = None, catalog: dict[str, Any] | None = None
) -> SingerOutput:
    """Sync every selected stream, as `tap-oracle-wms --config ...` would."""
    buffer = io.StringIO()
    tap = TapOracleWMS(config=config, state=state, catalog=catalog, parse_env_config=False)
    with redirect_stdout(buffer):
        tap.sync_all()
    lines = [line for line in buffer.getvalue().splitlines() if line.strip()]
    return SingerOutput(messages=[json.loads(line, parse_constant=_not_json) for line in lines])


def _not_json(constant: str) -> Any:
    msg = f"the tap wrote {constant}, which strict JSON (and the loader) cannot read"
    raise AssertionError(msg)
