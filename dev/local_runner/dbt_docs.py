"""The dbt docs site (lineage graph, column docs) of the local warehouse: generate, then serve.

`dbt docs generate` needs the warehouse the local run wrote (it reads the catalog: columns and types
of every built model), so `scripts/local-run` generates the site at its end; `scripts/dbt-docs`
serves it (and generates it first when it is missing).

    python -m local_runner.dbt_docs [--port 8081]
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import os
import subprocess
import sys
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
DOCS_DIR = REPO_ROOT / ".local" / "dbt" / "docs"
DUCKDB_FILE = REPO_ROOT / ".local" / "warehouse" / "warehouse.duckdb"
DBT_PROJECT = REPO_ROOT / "include" / "dbt" / "wms"
DBT_BIN = Path(os.environ.get("WMS_VENVS_DIR", REPO_ROOT / ".venvs")) / "dbt" / "bin" / "dbt"


def profile_env(warehouse_conn: dict[str, Any]) -> dict[str, str]:
    """The variables include/dbt/wms/profiles.yml reads, for the local run's warehouse connection."""
    if warehouse_conn["conn_type"] == "duckdb":
        return {"WMS_DBT_TARGET": "duckdb", "WMS_DUCKDB_PATH": str(warehouse_conn["host"])}
    return {
        "WMS_DBT_TARGET": "postgres",
        "WMS_PG_HOST": str(warehouse_conn["host"]),
        "WMS_PG_PORT": str(warehouse_conn.get("port") or 5432),
        "WMS_PG_USER": str(warehouse_conn.get("login") or ""),
        "WMS_PG_PASSWORD": str(warehouse_conn.get("password") or ""),
        "WMS_PG_DBNAME": str(warehouse_conn.get("schema") or ""),
    }


def generate(warehouse_conn: dict[str, Any], out_dir: Path = DOCS_DIR, log_file: Path | None = None) -> Path:
    """Run `dbt docs generate` into `out_dir`; returns the site's index.html."""
    out_dir.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        **profile_env(warehouse_conn),
        "DBT_TARGET_PATH": str(out_dir),
        "DBT_LOG_PATH": str(out_dir.parent / "docs-logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    log_file = log_file or out_dir.parent / "docs-generate.log"
    with log_file.open("w") as log:
        result = subprocess.run(
            [
                str(DBT_BIN),
                "docs",
                "generate",
                "--project-dir",
                str(DBT_PROJECT),
                "--profiles-dir",
                str(DBT_PROJECT),
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if result.returncode != 0:
        raise RuntimeError(f"`dbt docs generate` failed ({result.returncode}); see {log_file}")
    return out_dir / "index.html"


def serve(directory: Path, port: int) -> None:
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(directory))
    with ThreadingHTTPServer(("127.0.0.1", port), handler) as server:
        print(f"dbt docs: http://127.0.0.1:{port}/  (lineage graph: the blue button at the bottom right)")
        print("Ctrl-C to stop", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/dbt-docs", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument(
        "--regenerate", action="store_true", help="run dbt docs generate again on the DuckDB warehouse"
    )
    args = parser.parse_args(argv)
    if args.regenerate or not (DOCS_DIR / "catalog.json").exists():
        if not DUCKDB_FILE.exists():
            print(
                f"No docs site in {DOCS_DIR} and no warehouse at {DUCKDB_FILE}: run scripts/local-run first.",
                file=sys.stderr,
            )
            return 1
        print(f"generating the dbt docs site from {DUCKDB_FILE} ...", flush=True)
        generate({"conn_type": "duckdb", "host": str(DUCKDB_FILE)})
    serve(DOCS_DIR, args.port)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
