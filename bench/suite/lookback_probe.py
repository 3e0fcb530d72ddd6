"""Run in the Meltano environment by bench/suite/lookback.py: consecutive incremental runs at one lookback.

    python bench/suite/lookback_probe.py --records N --runs R --lookback-minutes L --url URL

A simulator of N orders, one untimed window to fill the warehouse, then R consecutive two-hour windows read
`[start - L, end)` five minutes after their end, each by the tap and the loader in-process (the
product's page and batch sizes). Per run: rows read, rows already present (the loader's audit:
records_already_present, i.e. re-read), rows inserted, wall seconds. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from wms_reliability.pipeline import CORE, extract_load, tap_config, target_config

from wms_simulator import Simulator, SimulatorConfig, SimulatorServer

INTERVAL = timedelta(hours=2)
RUN_DELAY = timedelta(minutes=5)
START = datetime(2026, 1, 5, 6, tzinfo=UTC)
# the product's settings (include/meltano/*/*.meltano.yml)
PAGE_SIZE = 1000
BATCH_SIZE_ROWS = 25_000
BATCH_SIZE_VALUES = 1_000_000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, required=True)
    parser.add_argument("--runs", type=int, required=True)
    parser.add_argument("--lookback-minutes", type=int, required=True)
    parser.add_argument("--url", required=True)
    args = parser.parse_args()
    started = time.perf_counter()
    sim = Simulator(SimulatorConfig(records=args.records, seed=7, start_time=START))
    build_s = time.perf_counter() - started
    batches = {"batch_size_rows": BATCH_SIZE_ROWS, "batch_size_values": BATCH_SIZE_VALUES}
    runs = []
    with SimulatorServer(sim) as server:
        # warm-up (not timed): the window before the first timed one, so that its lookback finds the
        # rows already loaded, as in steady operation
        t0 = sim.now()
        warm = tap_config(
            server,
            CORE,
            window=(t0 - INTERVAL, t0),
            lookback_minutes=args.lookback_minutes,
            page_size=PAGE_SIZE,
        )
        outcome = extract_load(warm, target_config(args.url, "warm-up", **batches))
        if not outcome.ok:
            raise SystemExit(f"warm-up load failed: {outcome.error}")
        for k in range(args.runs):
            start, end = t0 + k * INTERVAL, t0 + (k + 1) * INTERVAL
            sim.advance(end + RUN_DELAY - sim.now())
            tap = tap_config(
                server, CORE, window=(start, end), lookback_minutes=args.lookback_minutes, page_size=PAGE_SIZE
            )
            began = time.perf_counter()
            outcome = extract_load(tap, target_config(args.url, f"run{k}", **batches))
            wall = time.perf_counter() - began
            if not outcome.ok:
                raise SystemExit(f"run {k} failed: {outcome.error}")
            engine = sa.create_engine(args.url)
            try:
                with engine.connect() as conn:
                    row = conn.execute(
                        sa.text(
                            "select sum(records_received), sum(records_inserted), sum(records_already_present)"
                            " from wms_raw.etl_load_audit where run_id = :run"
                        ),
                        {"run": f"run{k}"},
                    ).one()
            finally:
                engine.dispose()
            runs.append(
                {
                    "read": int(row[0] or 0),
                    "inserted": int(row[1] or 0),
                    "already_present": int(row[2] or 0),
                    "wall_s": round(wall, 3),
                }
            )
    print(json.dumps({"build_s": round(build_s, 1), "runs": runs}))


if __name__ == "__main__":
    main()
