"""``python -m oracle_standin.server --socket PATH``: the stand-in Oracle server (dbt environment).

One thread per connection; JSON lines in and out (``wire.py``). Prints ``listening on PATH`` once
it accepts connections. A ``control`` request returns the report (statements, violations, catalog)
or resets the state.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socketserver
import sys
from typing import Any

from oracle_standin import wire
from oracle_standin.engine import Engine, OracleError, Session, Settings


class _Handler(socketserver.StreamRequestHandler):
    server: _Server

    def handle(self) -> None:
        session: Session | None = None
        engine = self.server.engine
        try:
            for line in self.rfile:
                message = wire.loads(line)
                try:
                    answer, session = self._answer(engine, message, session)
                except OracleError as error:
                    answer = {"error": str(error)}
                except Exception as error:
                    answer = {"error": f"ORA-00600: internal error in the Oracle stand-in: {error!r}"}
                self.wfile.write(wire.dumps(answer))
                self.wfile.flush()
        finally:
            if session is not None and not session.closed:
                engine.close(session)

    @staticmethod
    def _answer(
        engine: Engine, message: dict[str, Any], session: Session | None
    ) -> tuple[dict[str, Any], Session | None]:
        op = message["op"]
        if op == "control":
            if message.get("action") == "reset":
                engine.reset(message.get("settings"))
                return {"ok": True}, session
            if message.get("action") == "configure":
                engine.configure(message.get("settings") or {})
                return {"ok": True}, session
            if message.get("action") == "clear_log":
                engine.clear_log()
                return {"ok": True}, session
            return engine.report(), session
        if op == "connect":
            session = engine.connect(
                message.get("user", ""),
                message.get("label", ""),
                message.get("pid", 0),
                message.get("dsn", ""),
            )
            return {"session": session.id, "version": engine.settings.version}, session
        if session is None:
            raise OracleError("ORA-01012: not logged on")
        if op in ("execute", "executemany"):
            return (
                engine.execute(
                    session,
                    op,
                    message["sql"],
                    message.get("rows", []),
                    message.get("bind_types", {}),
                    message.get("input_sizes"),
                ),
                session,
            )
        if op in ("commit", "rollback"):
            with engine.condition:
                engine.end_transaction(session)
            return {}, session
        if op == "set_current_schema":
            session.schema = str(message["schema"]).upper()
            return {}, session
        if op == "ping":
            return {}, session
        if op == "close":
            engine.close(session)
            return {}, None
        raise OracleError(f"ORA-03115: unsupported network datatype or representation ({op})")


class _Server(socketserver.ThreadingUnixStreamServer):
    daemon_threads = True

    def __init__(self, path: str, engine: Engine) -> None:
        self.engine = engine
        super().__init__(path, _Handler)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="oracle_standin.server", description=__doc__)
    parser.add_argument("--socket", required=True, help="Unix socket path to listen on")
    parser.add_argument(
        "--version", default=Settings.version, help="Oracle version reported (19.0.0.0.0, 23.0.0.0.0)"
    )
    parser.add_argument("--db-name", default=Settings.db_name, help="SYS_CONTEXT('USERENV','DB_NAME')")
    args = parser.parse_args(argv)
    if os.path.exists(args.socket):
        os.unlink(args.socket)
    engine = Engine(Settings(version=args.version, db_name=args.db_name))
    with _Server(args.socket, engine) as server:
        print(f"listening on {args.socket}", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()
    sys.exit(0)


if __name__ == "__main__":
    main()
