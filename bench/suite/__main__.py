"""`scripts/bench`: every benchmark of issue 8 in one run; JSON results, charts and BENCHMARKS.md.

    scripts/bench                 # full scale (1M records, 3 repeats; about 3-4 h on 2 cores)
    scripts/bench --quick         # small volumes, 1 repeat: checks the harness, not the goals
    scripts/bench --only el,sync  # some sections; the others keep their last results in the JSON

Sections: loader (target-warehouse alone from a Singer file), el (meltano run, 2 shapes, 4 loaders),
growth (ours at the other --scaling volumes), sync (latency model, 8 concurrent vs the original
client), dag (incremental DAG end to end, dbt stage through Cosmos vs plain dbt build; the product's
Cosmos mode beside the per-model and in-process ones), parse (DAG file parse times), health (the
WMS sync health page on 10M history rows), lookback (rows re-read and time per incremental run at
lookbacks of 0.5, 2 and 4 hours).
A benchmark never fails the command because a goal is missed: it exits 0 unless the harness breaks.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from datetime import UTC, datetime
from typing import Any

from bench.suite import common

SECTIONS = ("loader", "el", "growth", "sync", "dag", "parse", "health", "lookback")
RESULTS = common.ROOT / "bench" / "results"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="scripts/bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small volumes, one repeat")
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"comma list of {', '.join(SECTIONS)}")
    parser.add_argument(
        "--repeat", type=int, default=None, help="runs of ours per figure (default 3; quick 1)"
    )
    parser.add_argument("--reference-repeat", type=int, default=1, help="runs of each reference loader")
    parser.add_argument(
        "--el-records", type=int, default=None, help="records per extract-load (default 1,000,000)"
    )
    parser.add_argument(
        "--el-entities", default="allocation,order_hdr", help="record shapes for the el section"
    )
    parser.add_argument(
        "--el-loaders",
        default="target-warehouse:duckdb,target-duckdb:duckdb,target-warehouse:postgres,target-postgres:postgres",
        help="loader:database pairs for the el section (the others keep their last figures)",
    )
    parser.add_argument(
        "--scaling", default=None, help="volumes for the growth row (default 100000,1000000,5000000)"
    )
    parser.add_argument(
        "--loader-records", type=int, default=None, help="Singer records for the loader bench"
    )
    parser.add_argument("--sync-orders", type=int, default=None, help="orders in the latency-model sync")
    parser.add_argument("--latency-scale", type=float, default=None, help="simulated sleep multiplier")
    parser.add_argument(
        "--sync-modes-only",
        action="store_true",
        help="sync section: only the full sync's key-scan vs whole-record modes (issue 24); the original "
        "client vs 8 concurrent runs keep their last figures",
    )
    parser.add_argument("--dag-changes", type=int, default=10_000, help="changed records for the DAG run")
    parser.add_argument(
        "--dag-modes",
        default="product,local,dbt_runner,watcher_dbt_runner",
        help="Cosmos execution modes for the DAG run (product: the product's own)",
    )
    parser.add_argument(
        "--lookback-records", type=int, default=None, help="orders in the lookback section (default 100,000)"
    )
    parser.add_argument(
        "--lookback-runs", type=int, default=None, help="incremental runs per lookback (default 6)"
    )
    parser.add_argument("--no-report", action="store_true", help="do not regenerate BENCHMARKS.md")
    args = parser.parse_args(argv)
    quick = args.quick
    args.repeat = args.repeat or (1 if quick else 3)
    args.el_records = args.el_records or (20_000 if quick else 1_000_000)
    args.scaling = [
        int(v)
        for v in (args.scaling or ("5000,20000,50000" if quick else "100000,1000000,5000000")).split(",")
    ]
    args.loader_records = args.loader_records or (50_000 if quick else 1_000_000)
    args.sync_orders = args.sync_orders or (1_000 if quick else 8_000)
    args.latency_scale = args.latency_scale or (0.1 if quick else 0.5)
    if quick:
        args.dag_changes = min(args.dag_changes, 2_000)
    args.dag_modes = [m for m in args.dag_modes.split(",") if m]
    bad_modes = set(args.dag_modes) - {"product", "local", "dbt_runner", "watcher_dbt_runner"}
    if bad_modes:
        parser.error(f"unknown --dag-modes: {', '.join(sorted(bad_modes))}")
    args.el_entities = [e for e in args.el_entities.split(",") if e]
    args.el_loaders = [key for key in args.el_loaders.split(",") if key]
    from bench.suite.el import ENTITIES, LOADER_KEYS

    bad_el = (set(args.el_entities) - set(ENTITIES)) | (set(args.el_loaders) - set(LOADER_KEYS))
    if bad_el:
        parser.error(f"unknown --el-entities/--el-loaders: {', '.join(sorted(bad_el))}")
    args.sections = [s for s in args.only.split(",") if s]
    unknown = set(args.sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    mode = "quick" if args.quick else "full"
    path = RESULTS / f"{mode}.json"
    previous: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    results: dict[str, Any] = dict(previous)
    results.setdefault("sections", {})
    command = "scripts/bench " + " ".join(argv if argv is not None else sys.argv[1:])
    pg_server = None
    pg = None
    if any(s in args.sections for s in ("el", "sync", "health")):
        from throwaway_postgres.server import start_postgres

        pg_server, pg = start_postgres()
    try:
        for name in args.sections:
            common.say(f"=== section {name} (load {common.load_average()})")
            started = time.monotonic()
            entry: dict[str, Any] = {
                "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "command": command.strip(),
                "machine_before": common.machine(),
            }
            try:
                entry["result"] = _run(
                    name, args, pg, previous.get("sections", {}).get(name, {}).get("result")
                )
                entry["ok"] = True
            except Exception as error:  # a benchmark reports, never fails the build
                traceback.print_exc()
                entry["ok"] = False
                entry["error"] = f"{type(error).__name__}: {error}"
            entry["seconds"] = round(time.monotonic() - started, 1)
            earlier = previous.get("sections", {}).get(name)
            if (name == "el" and earlier and _partial_el(args)) or (
                name == "sync" and earlier and args.sync_modes_only
            ):
                entry["keeps_figures_from"] = [
                    {
                        "command": earlier.get("command"),
                        "started_at": earlier.get("started_at"),
                        "seconds": earlier.get("seconds"),
                        "uptime": earlier.get("machine_before", {}).get("uptime", ""),
                    },
                    *earlier.get("keeps_figures_from", []),
                ]
            entry["machine_after"] = common.machine()
            results["sections"][name] = entry
            results["mode"] = mode
            common.write_json(path, results)
    finally:
        if pg_server is not None:
            pg_server.stop()
    if not args.no_report:
        from bench.suite import report

        report.render()
    common.say(f"results: {path}")
    return 0


def _partial_el(args: argparse.Namespace) -> bool:
    from bench.suite.el import ENTITIES, LOADER_KEYS

    return set(args.el_entities) != set(ENTITIES) or set(args.el_loaders) != set(LOADER_KEYS)


def _run(name: str, args: argparse.Namespace, pg: Any, previous: dict[str, Any] | None) -> dict[str, Any]:
    if name == "loader":
        from bench.suite import loader

        return loader.section(args)
    if name == "el":
        from bench.suite import el

        return el.section(args, pg, previous)
    if name == "growth":
        from bench.suite import el

        return el.growth(args)
    if name == "sync":
        from bench.suite import sync

        return sync.section(args, pg, previous)
    if name == "dag":
        from bench.suite import dag

        return dag.section(args, previous)
    if name == "health":
        from bench.suite import health

        return health.section(args, pg)
    if name == "lookback":
        from bench.suite import lookback

        return lookback.section(args)
    from bench.suite import parse

    return parse.section(args)


if __name__ == "__main__":
    raise SystemExit(main())
