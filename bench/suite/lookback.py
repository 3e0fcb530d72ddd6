"""The incremental lookback's cost: rows re-read and time per incremental run at several lookbacks.

Each lookback gets the same simulated WMS (same seed and clock) and a fresh DuckDB warehouse; runs go
through bench/suite/lookback_probe.py in the Meltano environment (the tap and the loader in-process:
Meltano's own fixed cost per `meltano run`, about 5 s, is the same at every lookback and not included).
The loader keeps each (id, mod_ts) once, so a re-read row costs a read and a key lookup, no write.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
from typing import Any

from bench.suite.common import ROOT, VENVS, WORK, load_average, say

LOOKBACKS_MINUTES = (30, 120, 240)


def section(args: Any) -> dict[str, Any]:
    records = args.lookback_records or (5_000 if args.quick else 100_000)
    runs = args.lookback_runs or (3 if args.quick else 6)
    work = WORK / "lookback"
    work.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            [str(ROOT), str(ROOT / "dev" / "reliability"), os.environ.get("PYTHONPATH", "")]
        ),
    }
    out: dict[str, Any] = {"records": records, "runs_per_lookback": runs, "lookbacks": {}}
    for minutes in LOOKBACKS_MINUTES:
        path = work / f"lookback_{minutes}.duckdb"
        path.unlink(missing_ok=True)
        load = load_average()
        result = subprocess.run(
            [
                str(VENVS / "meltano" / "bin" / "python"),
                str(ROOT / "bench" / "suite" / "lookback_probe.py"),
                "--records",
                str(records),
                "--runs",
                str(runs),
                "--lookback-minutes",
                str(minutes),
                "--url",
                f"duckdb:///{path}",
            ],
            env=env,
            capture_output=True,
            text=True,
            check=False,
            cwd=ROOT,
        )
        path.unlink(missing_ok=True)
        if result.returncode != 0:
            raise RuntimeError(result.stderr[-2000:])
        probe = json.loads(result.stdout.strip().splitlines()[-1])
        samples = probe["runs"]
        entry = {
            "load_before": load,
            "runs": samples,
            "read_median": statistics.median(s["read"] for s in samples),
            "reread_median": statistics.median(s["already_present"] for s in samples),
            "inserted_median": statistics.median(s["inserted"] for s in samples),
            "wall_s_median": statistics.median(s["wall_s"] for s in samples),
        }
        out["lookbacks"][str(minutes)] = entry
        say(
            f"lookback {minutes} min: {entry['read_median']:,.0f} rows read per run, "
            f"{entry['reread_median']:,.0f} re-read, {entry['wall_s_median']:.2f} s (load {load})"
        )
    return out
