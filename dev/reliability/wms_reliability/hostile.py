"""Hostile input from the WMS side: next_page links that lead elsewhere, and records whose field names
and values carry SQL and shell metacharacters.

Each case reports `executed` (statements of a payload that ran: a canary table changed or an extra
table appeared) and `leaked` (requests that reached a server other than the WMS carrying a credential).
Both must be 0.
"""

from __future__ import annotations

import io
import json
import re
import threading
from contextlib import redirect_stdout
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from wms_simulator import SimulatorServer

from .pipeline import extract, load, oauth_tap_config, tap_config, target_config


@dataclass
class Recorder:
    """A second local server that records every request it receives (and answers 404)."""

    host: str = "127.0.0.1"
    port: int = 0
    received: list[dict[str, str]] = field(default_factory=list)

    def start(self) -> Recorder:
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                recorder.received.append(
                    {"path": self.path, "authorization": self.headers.get("Authorization", "")}
                )
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_POST = do_GET  # noqa: N815 - stdlib hook name

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer((self.host, self.port), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def with_credential(self) -> int:
        return sum(1 for request in self.received if request["authorization"])


@dataclass(frozen=True)
class CaseResult:
    case: str
    executed: int | None  # None: the case sends no SQL (next_page)
    leaked: int | None  # None: the case carries no credential (records)
    requests_received: int
    as_expected: bool  # next_page: the run failed naming both origins; records: stored verbatim
    detail: str

    def line(self) -> str:
        executed = "n/a" if self.executed is None else self.executed
        leaked = "n/a" if self.leaked is None else self.leaked
        return (
            f"{self.case}: executed: {executed} / leaked: {leaked} "
            f"(requests received elsewhere: {self.requests_received}; as expected: "
            f"{'yes' if self.as_expected else 'NO'})"
        )


# (case, where the recorder listens: host, same port as the WMS?, scheme of the link, auth)
NEXT_PAGE_CASES: tuple[tuple[str, str, bool, str, str], ...] = (
    ("next_page to another host (Basic)", "127.0.0.2", True, "http", "basic"),
    ("next_page to another host (OAuth2 bearer)", "127.0.0.2", True, "http", "oauth2"),
    ("next_page to another port (Basic)", "127.0.0.1", False, "http", "basic"),
    ("next_page to another scheme and port (Basic)", "127.0.0.1", False, "https", "basic"),
)


def next_page_case(server: SimulatorServer, case: tuple[str, str, bool, str, str]) -> CaseResult:
    """One run of the tap whose WMS answers its first page with a link to the recorder."""
    name, host, same_port, scheme, auth = case
    recorder = Recorder(host, server.port if same_port else 0).start()
    try:
        server.sim.next_page_root = f"{scheme}://{recorder.host}:{recorder.port}"
        make = oauth_tap_config if auth == "oauth2" else tap_config
        config = make(server, entities=("allocation",), page_size=10)
        _, error = extract(config)
    finally:
        server.sim.next_page_root = None
        recorder.stop()
    message = error or ""
    clear = "next_page" in message and f"{recorder.port}" in message and str(server.port) in message
    return CaseResult(name, None, recorder.with_credential, len(recorder.received), clear, message[-300:])


PWNED = Path("/tmp/wms-hostile-pwned")  # noqa: S108 - the file a shell payload would create
# A field name and values that would do harm if any of them became SQL or shell text.
HOSTILE_FIELD = "note'; drop table canary; -- $(id)"
HOSTILE_VALUES = (
    "'; drop table canary; --",
    "x' union select password from users --",
    "$(touch /tmp/wms-hostile-pwned) `touch /tmp/wms-hostile-pwned` ; id #",
    "/* comment */ select 1; commit;",
)


def records_land_as_data(url: str) -> CaseResult:
    """Records with a hostile field name and values go through the loader into `url`; a canary table
    in the same database must stay untouched, no other table may appear, and the values are stored
    verbatim."""
    PWNED.unlink(missing_ok=True)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("create table canary (x integer)"))
        conn.execute(sa.text("insert into canary values (42)"))
    tables_before = _tables(engine)
    schema = {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "mod_ts": {"type": "string", "format": "date-time"},
            HOSTILE_FIELD: {"type": ["string", "null"]},
        },
    }
    messages: list[dict[str, Any]] = [
        {"type": "SCHEMA", "stream": "order_hdr", "schema": schema, "key_properties": ["id"]}
    ]
    messages += [
        {
            "type": "RECORD",
            "stream": "order_hdr",
            "record": {"id": number, "mod_ts": "2026-01-05T06:00:00+00:00", HOSTILE_FIELD: value},
        }
        for number, value in enumerate(HOSTILE_VALUES, start=1)
    ]
    with redirect_stdout(io.StringIO()):
        error = load(target_config(url, "hostile/records/try1"), "\n".join(map(json.dumps, messages)) + "\n")
    with engine.connect() as conn:
        canary = conn.execute(sa.text("select x from canary")).scalars().all()
        columns = conn.execute(
            sa.text(
                "select column_name from information_schema.columns"
                " where table_schema = 'wms_raw' and table_name = 'order_hdr'"
            )
        ).scalars()
        note = next((c for c in columns if c.startswith("note")), None)
        stored: set[str] = set()
        if note is not None:
            quoted = engine.dialect.identifier_preparer.quote(note)
            stored = set(conn.execute(sa.text(f"select {quoted} from wms_raw.order_hdr")).scalars())
    # The loader's own: the stream's table and its audit tables in wms_raw (DuckDB prefixes the catalog).
    extra_tables = {
        table
        for table in _tables(engine) - tables_before
        if not re.search(r"(?:^|\.)wms_raw\.(?:order_hdr|etl_\w+)$", table)
    }
    engine.dispose()
    executed = int(canary != [42]) + len(extra_tables) + int(PWNED.exists())
    lands = error is None and stored == set(HOSTILE_VALUES)
    detail = error or f"stored column {note!r}; extra tables {sorted(extra_tables)}"
    return CaseResult(
        f"hostile field name and values into {url.split(':', 1)[0]}", executed, None, 0, lands, detail
    )


def _tables(engine: sa.Engine) -> set[str]:
    inspector = sa.inspect(engine)
    return {
        f"{schema}.{table}"
        for schema in inspector.get_schema_names()
        if schema not in {"information_schema", "pg_catalog"} and not schema.startswith("pg_")
        for table in inspector.get_table_names(schema=schema)
    }


def hostile(server: SimulatorServer, warehouses: dict[str, str]) -> dict[str, Any]:
    """Every case; the report's `lines` are what scripts/reliability prints."""
    results = [next_page_case(server, case) for case in NEXT_PAGE_CASES]
    results += [records_land_as_data(url) for url in warehouses.values()]
    return {
        "cases": [result.__dict__ for result in results],
        "lines": [result.line() for result in results],
        "executed": sum(result.executed for result in results),
        "leaked": sum(result.leaked for result in results),
    }
