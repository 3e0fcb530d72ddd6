"""Which DuckDB memory_limit is safe for target-warehouse: peak RSS, time and success per setting.

    .venvs/meltano/bin/python bench/loader/duckdb_memory.py --records 200000 --limits none,512MB,256MB,64MB

For each setting, into a fresh DuckDB file: (1) load the Singer file; (2) write to the same file from
another process, as dbt does (a copy of the raw table in another schema); (3) load the same file
again, so every record is already present (the insert-if-absent join reads the whole key range).
The loader runs with DuckDBDialect.session_setup patched ("none": no memory_limit at all).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).parent))
from generate import write  # noqa: E402

PYTHON = ROOT / ".venvs" / "meltano" / "bin" / "python"
RUNNER = """
import sys
from target_warehouse.dialects.duckdb import DuckDBDialect
limit = sys.argv.pop(1)
DuckDBDialect.session_setup = ("SET threads = 1",) + (() if limit == "none" else (f"SET memory_limit = '{limit}'",))
from target_warehouse.target import TargetWarehouse
TargetWarehouse.cli()
"""


def _load(limit: str, config: Path, data: Path) -> dict[str, object]:
    with data.open("rb") as stdin:
        result = subprocess.run(
            ["/usr/bin/time", "-v", str(PYTHON), "-c", RUNNER, limit, "--config", str(config)],
            stdin=stdin,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
    wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", result.stderr)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr)
    seconds = None
    if wall:
        hours, minutes, secs = wall.groups()
        seconds = int(hours or 0) * 3600 + int(minutes) * 60 + float(secs)
    error = ""
    if result.returncode:
        lines = [line for line in result.stderr.splitlines() if "Error" in line or "error" in line]
        error = (lines[-1] if lines else result.stderr[-300:])[:300]
    return {
        "ok": result.returncode == 0,
        "wall_s": seconds,
        "peak_rss_mb": int(rss.group(1)) / 1024 if rss else None,
        "error": error,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--limits", default="none,512MB,256MB,128MB,64MB")
    parser.add_argument("--batch-size-rows", type=int, default=25_000)
    parser.add_argument("--data-dir", type=Path, default=ROOT / ".local" / "bench")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    args.data_dir.mkdir(parents=True, exist_ok=True)
    data = args.data_dir / f"allocation_{args.records}.singer"
    if not data.exists():
        write(data, args.records)
    results = {}
    with tempfile.TemporaryDirectory(prefix="duckdb-memory-") as tmp:
        for limit in args.limits.split(","):
            db = Path(tmp) / f"{limit}.duckdb"
            config = Path(tmp) / f"{limit}.json"
            config.write_text(
                json.dumps({"sqlalchemy_url": f"duckdb:///{db}", "batch_size_rows": args.batch_size_rows})
            )
            first = _load(limit, config, data)
            subprocess.run(
                [
                    str(PYTHON),
                    "-c",
                    "import duckdb,sys; c=duckdb.connect(sys.argv[1]); c.execute('create schema if not exists wms');"
                    "c.execute('create or replace table wms.copy as select * from wms_raw.allocation'); c.close()",
                    str(db),
                ],
                check=False,
            )
            second = _load(limit, config, data)
            results[limit] = {"first_load": first, "after_other_writer_reload": second}
            print(limit, json.dumps(results[limit]), flush=True)
            db.unlink(missing_ok=True)
    if args.json:
        args.json.write_text(
            json.dumps(
                {"records": args.records, "batch_size_rows": args.batch_size_rows, "results": results},
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
