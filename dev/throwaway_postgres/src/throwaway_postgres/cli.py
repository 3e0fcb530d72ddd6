"""`throwaway-postgres start|stop --state-dir DIR`: one server for a whole test run (used by scripts/test)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from throwaway_postgres.server import PostgresServer, PostgresUnavailableError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="throwaway-postgres", description=__doc__)
    parser.add_argument("command", choices=["start", "stop"])
    parser.add_argument("--state-dir", type=Path, required=True, help="where the server's handle is kept")
    args = parser.parse_args(argv)
    state_file = args.state_dir / "postgres.json"
    if args.command == "start":
        server = PostgresServer()
        try:
            info = server.start()
        except PostgresUnavailableError as exc:
            print(f"throwaway-postgres: cannot start PostgreSQL: {exc}", file=sys.stderr)
            return 1
        args.state_dir.mkdir(parents=True, exist_ok=True)
        state_file.write_text(json.dumps({"directory": str(server.directory), "bindir": str(server._bindir)}))
        state_file.chmod(0o600)
        # The URL (with the throwaway password) goes to stdout for the caller to export; never logged.
        print(info.url(driver="postgresql"))
        return 0
    if not state_file.exists():
        return 0
    state = json.loads(state_file.read_text())
    server = PostgresServer()
    server._dir = Path(state["directory"])
    server._bindir = Path(state["bindir"])
    server.stop()
    state_file.unlink()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
