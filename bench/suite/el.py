"""Extract-load through `meltano run`: our tap into target-warehouse vs the reference loaders, same run.

A scratch Meltano project (include/meltano's plugin files + bench/meltano/references.meltano.yml) and a
private system directory that links the venvs already built (`scripts/bootstrap` for ours,
`.venvs/bench-target-*` for the references): every loader goes through the same `meltano run` relay,
with the tap reading the simulator at zero latency. Rows/second = records the tap emitted over the
wall time of the whole `meltano run` (Meltano's fixed per-run cost included; reported separately).
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from bench.suite.common import ROOT, STATE, VENVS, WORK, SimulatorHost, median, say, timed

MELTANO = VENVS / "meltano" / "bin" / "meltano"
# Allocations per order header in the simulator (measured: 5,770 for 2,000 orders, seed 7).
ALLOCATIONS_PER_ORDER = 2.8
LOADERS = {
    "target-warehouse → DuckDB": ("target-warehouse", "duckdb"),
    "target-duckdb 0.8.0 → DuckDB": ("target-duckdb", "duckdb"),
    "target-warehouse → PostgreSQL": ("target-warehouse", "postgres"),
    "target-postgres 0.8.1 → PostgreSQL": ("target-postgres", "postgres"),
}
# `--el-loaders` names: the loader and the database, as in the labels above.
LOADER_KEYS = {f"{loader}:{kind}": label for label, (loader, kind) in LOADERS.items()}
ENTITIES = ("allocation", "order_hdr")
_RECORD_COUNT = re.compile(r'METRIC: (\{.*"record_count".*\})')
# One id per `scripts/bench` process: loaders that share it were measured in the same run.
BENCH_RUN = datetime.now(UTC).isoformat(timespec="seconds")


def meltano_project(work: Path) -> tuple[Path, Path]:
    """The scratch project directory and its private system directory."""
    project = work / "meltano-project"
    shutil.rmtree(project, ignore_errors=True)
    (project / "plugins").mkdir(parents=True)
    for source in [
        *(ROOT / "include" / "meltano" / "extract").glob("*.meltano.yml"),
        *(ROOT / "include" / "meltano" / "load").glob("*.meltano.yml"),
        ROOT / "bench" / "meltano" / "references.meltano.yml",
    ]:
        shutil.copy(source, project / "plugins" / source.name)
    product = yaml.safe_load((ROOT / "include" / "meltano" / "meltano.yml").read_text())
    (project / "meltano.yml").write_text(
        yaml.safe_dump(
            {
                "project_id": "bench-wms-issue-8",
                "default_environment": "bench",
                "send_anonymous_usage_stats": False,
                # The product's relay settings (elt.buffer_size), for every loader alike.
                "elt": product.get("elt", {}),
                "include_paths": ["./plugins/*.meltano.yml"],
                "environments": [{"name": "bench"}],
            },
            sort_keys=False,
        )
    )
    installed = Path(os.environ.get("MELTANO_SYS_DIR_ROOT", STATE / "meltano"))
    system = work / "meltano-sys"
    shutil.rmtree(system, ignore_errors=True)
    (system / "extractors").mkdir(parents=True)
    (system / "loaders").mkdir(parents=True)
    (system / "extractors" / "tap-oracle-wms").symlink_to(installed / "extractors" / "tap-oracle-wms")
    (system / "loaders" / "target-warehouse").symlink_to(installed / "loaders" / "target-warehouse")
    for name in ("target-duckdb", "target-postgres"):
        (system / "loaders" / name).mkdir()
        (system / "loaders" / name / "venv").symlink_to(VENVS / f"bench-{name}")
    return project, system


def base_env(system: Path) -> dict[str, str]:
    return {
        **os.environ,
        "MELTANO_SYS_DIR_ROOT": str(system),
        "MELTANO_ENVIRONMENT": "bench",
        "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
        "MELTANO_CLI_DISABLE_VERSION_CHECK": "true",
        "MELTANO_AUTO_INSTALL": "false",
        "MELTANO_CLI_LOG_FORMAT": "plain",
    }


def loader_env(loader: str, kind: str, work: Path, run: str, pg_url: str | None) -> dict[str, str]:
    if loader == "target-warehouse":
        url = f"duckdb:///{work / f'{run}.duckdb'}" if kind == "duckdb" else str(pg_url)
        return {
            "TARGET_WAREHOUSE_SQLALCHEMY_URL": url,
            "TARGET_WAREHOUSE_RUN_ID": run,
        }
    if loader == "target-duckdb":
        return {
            "TARGET_DUCKDB_FILEPATH": str(work / f"{run}.duckdb"),
            "TARGET_DUCKDB_DEFAULT_TARGET_SCHEMA": "wms_raw",
        }
    return {"TARGET_POSTGRES_SQLALCHEMY_URL": str(pg_url), "TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA": "wms_raw"}


def records_emitted(log: Path) -> int:
    total = 0
    for line in log.read_text(errors="replace").splitlines():
        match = _RECORD_COUNT.search(line)
        if match:
            metric = json.loads(match.group(1))
            # The tap's counter carries a stream context; the target's its own pid only.
            if "context" in metric.get("tags", {}):
                total += int(metric.get("value", 0))
    return total


def run_el(
    *,
    entity: str,
    volume: int,
    loaders: list[str],
    repeat: int,
    reference_repeat: int,
    pg: Any,
    work: Path,
    with_breakdown: bool = True,
) -> dict[str, Any]:
    """One entity at one volume: a simulator sized for it, each loader `repeat` times (after the
    simulator-alone and tap-alone rates, unless `with_breakdown` is false)."""
    orders = volume if entity == "order_hdr" else math.ceil(volume / ALLOCATIONS_PER_ORDER)
    work.mkdir(parents=True, exist_ok=True)
    project, system = meltano_project(work)
    say(f"el: simulator with {orders:,} orders for ~{volume:,} {entity} records")
    sim = SimulatorHost(
        records=orders, latency_scale=None, stats=work / "sim-stats.json", log=work / "sim.log"
    )
    results: dict[str, Any] = {"entity": entity, "volume_requested": volume, "orders": orders, "loaders": {}}
    try:
        results["simulator_build_s"] = sim.counters().get("build_seconds")
        if with_breakdown:
            results["breakdown"] = breakdown(sim, entity, work)
        for label in loaders:
            loader, kind = LOADERS[label]
            runs = repeat if loader == "target-warehouse" else reference_repeat
            samples = []
            for index in range(runs):
                run = f"el_{entity}_{loader}_{kind}_{volume}_{index}".replace("-", "_")
                pg_url = None
                if kind == "postgres":
                    from throwaway_postgres.server import create_database

                    create_database(pg, run)
                    pg_url = pg.url(run)
                env = {
                    **base_env(system),
                    "TAP_ORACLE_WMS_BASE_URL": sim.base_url,
                    "TAP_ORACLE_WMS_AUTH": json.dumps(sim.auth()),
                    "TAP_ORACLE_WMS_ENTITIES": json.dumps([entity]),
                    "TAP_ORACLE_WMS_PAGE_SIZE": "1250",
                    **loader_env(loader, kind, work, run, pg_url),
                }
                log = work / f"{run}.log"
                command = [str(MELTANO), "run", "--no-install", "--full-refresh", "--no-state-update"]
                sample = timed([*command, "tap-oracle-wms", loader], env=env, cwd=project, log=log)
                records = records_emitted(log)
                sample.extra = {"records": records, "log": str(log)}
                if sample.returncode != 0:
                    say(f"el: {label} FAILED (exit {sample.returncode}); see {log}")
                else:
                    say(
                        f"el: {label} {entity} {records:,} records: {sample.wall_s:.1f} s, "
                        f"{records / sample.wall_s:,.0f} rec/s, loader peak "
                        f"{sample.peak_process_mb.get(loader, 0):.0f} MB, load {sample.load_before}"
                    )
                samples.append(sample.as_dict())
                (work / f"{run}.duckdb").unlink(missing_ok=True)
            ok = [s for s in samples if s["returncode"] == 0]
            wall = median([s["wall_s"] for s in ok])
            records = int(median([s["extra"]["records"] for s in ok])) if ok else 0
            results["loaders"][label] = {
                "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "bench_run": BENCH_RUN,
                "runs": samples,
                "records": records,
                "wall_s": wall,
                "records_per_s": records / wall if ok else None,
                "loader_peak_mb": max((s["peak_process_mb"].get(loader, 0.0) for s in ok), default=None),
                "tree_peak_mb": max((s["peak_tree_mb"] for s in ok), default=None),
            }
    finally:
        sim.stop()
    return results


def breakdown(sim: SimulatorHost, entity: str, work: Path) -> dict[str, Any]:
    """Where an extract-load's time goes: the simulator serving the pages alone (one client, the
    tap's page size), then the tap alone into /dev/null. Each bounds what `meltano run` can reach."""
    import base64
    import time
    import urllib.request

    from bench.suite.common import load_average

    auth = "Basic " + base64.b64encode(f"{sim.auth()['username']}:{sim.auth()['password']}".encode()).decode()
    url: str | None = (
        f"{sim.base_url}/wms/lgfapi/v10/entity/{entity}/?page_size=1250&ordering=id&page_mode=sequenced"
    )
    rows = 0
    load = load_average()
    started = time.perf_counter()
    while url:
        request = urllib.request.Request(url, headers={"Authorization": auth})
        with urllib.request.urlopen(request, timeout=600) as response:
            body = json.loads(response.read())
        rows += len(body["results"])
        url = body.get("next_page")
    serve = time.perf_counter() - started
    config = work / "tap-alone.json"
    config.write_text(
        json.dumps({"base_url": sim.base_url, "auth": sim.auth(), "entities": [entity], "page_size": 1250})
    )
    tap = STATE / "meltano" / "extractors" / "tap-oracle-wms" / "venv" / "bin" / "tap-oracle-wms"
    sample = timed([str(tap), "--config", str(config)], log=None)
    out = {
        "simulator_serve": {
            "records": rows,
            "wall_s": round(serve, 2),
            "records_per_s": rows / serve,
            "load_before": load,
        },
        "tap_alone": {
            "records": rows,
            "wall_s": sample.wall_s,
            "records_per_s": rows / sample.wall_s,
            "cpu_s": sample.cpu_s,
            "peak_mb": sample.peak_tree_mb,
            "load_before": sample.load_before,
        },
    }
    say(
        f"el: {entity}: simulator serves {rows / serve:,.0f} rec/s; tap alone -> /dev/null "
        f"{rows / sample.wall_s:,.0f} rec/s (load {load})"
    )
    return out


def meltano_overhead(work: Path, repeat: int) -> dict[str, Any]:
    """`meltano run` of the tap into target-warehouse with an empty simulator window: the fixed cost."""
    project, system = meltano_project(work)
    sim = SimulatorHost(records=50, latency_scale=None, stats=work / "sim0.json", log=work / "sim0.log")
    samples = []
    try:
        for index in range(repeat):
            env = {
                **base_env(system),
                "TAP_ORACLE_WMS_BASE_URL": sim.base_url,
                "TAP_ORACLE_WMS_AUTH": json.dumps(sim.auth()),
                "TAP_ORACLE_WMS_ENTITIES": json.dumps(["order_hdr"]),
                # A window in the future: no record, one request.
                "TAP_ORACLE_WMS_START_DATE": "2030-01-01T00:00:00+00:00",
                "TAP_ORACLE_WMS_END_DATE": "2030-01-01T02:00:00+00:00",
                **loader_env("target-warehouse", "duckdb", work, f"overhead_{index}", None),
            }
            log = work / f"overhead_{index}.log"
            sample = timed(
                [
                    str(MELTANO),
                    "run",
                    "--no-install",
                    "--full-refresh",
                    "--no-state-update",
                    "tap-oracle-wms",
                    "target-warehouse",
                ],
                env=env,
                cwd=project,
                log=log,
            )
            samples.append(sample.as_dict())
    finally:
        sim.stop()
    ok = [s["wall_s"] for s in samples if s["returncode"] == 0]
    say(f"el: meltano run with 0 records: median {median(ok):.1f} s")
    return {"runs": samples, "wall_s": median(ok)}


def section(args: Any, pg: Any, previous: dict[str, Any] | None = None) -> dict[str, Any]:
    """Meltano's fixed cost, then both record shapes through every loader at `--el-records`.

    `--el-entities`/`--el-loaders` rerun a part: the other shapes and loaders keep their figures from
    `previous` when it was measured at the same volume (each loader's entry says when it ran)."""
    work = WORK / "el"
    shutil.rmtree(work, ignore_errors=True)
    out: dict[str, Any] = {"overhead": meltano_overhead(work / "overhead", args.repeat), "throughput": []}
    kept = {
        entry["entity"]: entry
        for entry in (previous or {}).get("throughput", [])
        if entry.get("volume_requested") == args.el_records
    }
    for entity in ENTITIES:
        if entity not in args.el_entities:
            if entity in kept:
                out["throughput"].append(kept[entity])
            continue
        fresh = run_el(
            entity=entity,
            volume=args.el_records,
            loaders=[LOADER_KEYS[key] for key in args.el_loaders],
            repeat=args.repeat,
            reference_repeat=args.reference_repeat,
            pg=pg,
            work=work / f"{entity}_{args.el_records}",
        )
        earlier = {
            label: entry
            for label, entry in kept.get(entity, {}).get("loaders", {}).items()
            if label not in fresh["loaders"]
        }
        if earlier and kept[entity].get("breakdown"):
            fresh["earlier_breakdown"] = kept[entity]["breakdown"]
        fresh["loaders"] = {
            label: fresh["loaders"].get(label) or earlier[label]
            for label in LOADERS
            if label in fresh["loaders"] or label in earlier
        }
        out["throughput"].append(fresh)
    return out


def growth(args: Any) -> dict[str, Any]:
    """Ours into DuckDB at each `--scaling` volume but `--el-records` (the el section's point); its own
    section because the largest volume alone takes longer than the rest of the el section."""
    work = WORK / "growth"
    shutil.rmtree(work, ignore_errors=True)
    out: dict[str, Any] = {"scaling": []}
    for volume in args.scaling:
        if volume == args.el_records:
            continue
        out["scaling"].append(
            run_el(
                entity="allocation",
                volume=volume,
                loaders=["target-warehouse → DuckDB"],
                repeat=1,
                reference_repeat=0,
                pg=None,
                work=work / f"allocation_{volume}",
                with_breakdown=False,  # the tap alone at 5M would add half an hour
            )
        )
    return out
