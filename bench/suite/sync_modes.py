"""The weekly full sync in both modes, side by side on the same simulated WMS (issue 24).

A simulator (`--sync-orders` orders, ≈ 6.4 records per order over allocation, order_hdr and order_dtl)
is loaded once whole into PostgreSQL (the warehouse "as of the last full sync"); then its clock moves on
by ADVANCE, which changes or creates about 2.4 % of the versions and deletes about 1 % of the records
(6 h: 2.2 % and 0.8 %, 8 h: 2.6 % and 1.1 %, at 8,000 orders; each run measures and reports its own). From a copy of that warehouse each mode runs the product's full-sync plan
(include/wms_pipeline/partitions, 3 partitions per slot, at most 8 partitions at a time, so at most 8
requests in flight): `records` (every record whole) and `keys` (tap-oracle-wms keyscan.py, with the
known versions written by include/wms_pipeline/key_scan.py as the extract task does). The key scan runs
once per projection cost (the simulator's per-row cost of a `fields=` page as a share of a whole
record's; an assumption, dev/wms_simulator/README.md), each on a fresh simulator in the same state.

Per run: requests, rows served whole and as keys, bytes received, wall time, and whether the warehouse
equals the simulator (raw history = every version held before plus every version the WMS shows now;
seen ids = the ids the WMS has).
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg

from bench.suite.common import SimulatorHost, load_average, say
from bench.suite.sync import ENTITIES, PARTITIONS_PER_SLOT, TAP, TARGET
from include.wms_pipeline.partitions import IdPartition, share_partitions, split_id_range

POOL = 8
PAGE_SIZE = 1000
ADVANCE = timedelta(hours=7)
PROJECTION_COSTS = (1.0, 0.25, 0.1)


def _plan(sim: SimulatorHost) -> list[tuple[str, IdPartition]]:
    ids = {entity: [int(key) for key in sim.get(f"versions/{entity}")["versions"]] for entity in ENTITIES}
    shares = share_partitions({entity: len(ids[entity]) for entity in ENTITIES}, PARTITIONS_PER_SLOT * POOL)
    return [
        (entity, part)
        for entity in ENTITIES
        for part in split_id_range(
            min(ids[entity]), max(ids[entity]), max_partitions=shares[entity], min_ids=1
        )
    ]


def _versions(sim: SimulatorHost) -> dict[str, set[tuple[int, int]]]:
    from datetime import datetime

    out: dict[str, set[tuple[int, int]]] = {}
    for entity in ENTITIES:
        out[entity] = {
            (int(i), int(datetime.fromisoformat(ts).timestamp() * 1_000_000 + 0.5))
            for i, ts in sim.get(f"versions/{entity}")["versions"].items()
        }
    return out


def _full_sync(
    sim: SimulatorHost, pg: Any, database: str, mode: str, work: Path, sync_id: str
) -> dict[str, Any]:
    """The product's partition plan, POOL tap | target pipelines at a time, in `mode`."""
    from include.wms_pipeline.key_scan import write_known_versions

    plan = _plan(sim)
    failures: list[str] = []
    lock = threading.Lock()
    env = {
        **os.environ,
        "AIRFLOW_CONN_WMS_WAREHOUSE": json.dumps(
            {
                "conn_type": "postgres",
                "host": pg.host,
                "port": pg.port,
                "login": pg.user,
                "password": pg.password,
                "schema": database,
            }
        ),
        "WMS_WAREHOUSE_KIND": "postgres",
    }
    os.environ.update({k: env[k] for k in ("AIRFLOW_CONN_WMS_WAREHOUSE", "WMS_WAREHOUSE_KIND")})

    def one(item: tuple[str, IdPartition]) -> None:
        entity, part = item
        name = f"{mode}_{entity}_{part.index}"
        tap: dict[str, Any] = {
            "base_url": sim.base_url,
            "auth": sim.auth(),
            "entities": [entity],
            "page_size": PAGE_SIZE,
            "page_mode": "sequenced",
            "id_min": part.id_min,
            "id_max": part.id_max,
            "full_sync_mode": mode,
        }
        if mode == "keys":
            known = work / f"{name}.known.tsv"
            write_known_versions(entity, part, known)
            tap["known_versions_file"] = str(known)
        (work / f"{name}.tap.json").write_text(json.dumps(tap))
        (work / f"{name}.target.json").write_text(
            json.dumps(
                {"sqlalchemy_url": pg.url(database), "run_id": f"{sync_id}/{name}", "full_sync_id": sync_id}
            )
        )
        log = work / f"{name}.log"
        with log.open("w") as out:
            tap_process = subprocess.Popen(
                [str(TAP), "--config", str(work / f"{name}.tap.json")], stdout=subprocess.PIPE, stderr=out
            )
            target = subprocess.run(
                [str(TARGET), "--config", str(work / f"{name}.target.json")],
                stdin=tap_process.stdout,
                stdout=subprocess.DEVNULL,
                stderr=out,
                check=False,
            )
            assert tap_process.stdout is not None
            tap_process.stdout.close()
            tap_process.wait()
        if tap_process.returncode or target.returncode:
            with lock:
                failures.append(f"{name}: tap {tap_process.returncode}, target {target.returncode} ({log})")

    sim.reset_counters()
    load = load_average()
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=POOL) as executor:
        list(executor.map(one, plan))
    wall = time.perf_counter() - started
    return {
        "mode": mode,
        "partitions": len(plan),
        "wall_s": round(wall, 2),
        **sim.counters(),
        "load_before": load,
        "failures": failures,
    }


def _warehouse(
    pg: Any, database: str, sync_id: str
) -> tuple[dict[str, set[tuple[int, int]]], dict[str, set[int]]]:
    raw: dict[str, set[tuple[int, int]]] = {}
    seen: dict[str, set[int]] = {}
    with psycopg.connect(pg.url(database, driver="postgresql")) as conn:
        for entity in ENTITIES:
            rows = conn.execute(
                f"select id, cast(extract(epoch from mod_ts) * 1000000 as bigint) from wms_raw.{entity}"
            ).fetchall()
            raw[entity] = {(int(i), int(us)) for i, us in rows}
            ids = conn.execute(
                "select record_id from wms_raw.etl_full_sync_seen where sync_id = %s and stream_name = %s",
                (sync_id, entity),
            ).fetchall()
            seen[entity] = {int(i) for (i,) in ids}
    return raw, seen


def _equal(
    pg: Any,
    database: str,
    sync_id: str,
    held: dict[str, set[tuple[int, int]]],
    now: dict[str, set[tuple[int, int]]],
) -> bool:
    raw, seen = _warehouse(pg, database, sync_id)
    return all(raw[e] == held[e] | now[e] and seen[e] == {i for i, _ in now[e]} for e in ENTITIES)


def section(args: Any, pg: Any, work: Path) -> dict[str, Any]:
    from throwaway_postgres.server import create_database

    scale = args.latency_scale
    stamp = int(time.time())
    base = f"modes_base_{stamp}"
    create_database(pg, base)
    out: dict[str, Any] = {"orders": args.sync_orders, "latency_scale": scale, "pool": POOL, "runs": []}
    held: dict[str, set[tuple[int, int]]] = {}
    for cost in PROJECTION_COSTS:
        sim = SimulatorHost(
            records=args.sync_orders,
            latency_scale=scale,
            stats=work / f"sim-{cost}.json",
            log=work / f"sim-{cost}.log",
            projection_cost=cost,
        )
        try:
            if not held:
                say("sync modes: loading the warehouse as of the last full sync (whole records)")
                initial = _full_sync(sim, pg, base, "records", work, "initial")
                assert not initial["failures"], initial["failures"]
                held = _versions(sim)
            urllib_advance(sim, ADVANCE)
            now = _versions(sim)
            total = sum(len(v) for v in held.values())
            new_versions = sum(len(now[e] - held[e]) for e in ENTITIES)
            deleted = sum(len({i for i, _ in held[e]} - {i for i, _ in now[e]}) for e in ENTITIES)
            out["records"] = total
            out["changed_or_new"] = new_versions
            out["deleted"] = deleted
            out["changed_or_new_pct"] = round(100 * new_versions / total, 2)
            out["deleted_pct"] = round(100 * deleted / total, 2)
            modes = ("records", "keys") if cost == PROJECTION_COSTS[0] else ("keys",)
            for mode in modes:
                database = f"modes_{mode}_{str(cost).replace('.', '')}_{stamp}"
                with psycopg.connect(pg.url("postgres", driver="postgresql"), autocommit=True) as admin:
                    admin.execute(f"create database {database} template {base}")
                sync_id = f"bench-{mode}-{cost}"
                run = _full_sync(sim, pg, database, mode, work, sync_id)
                run["projection_cost"] = cost
                run["warehouse_equal"] = not run["failures"] and _equal(pg, database, sync_id, held, now)
                say(
                    f"sync modes: {mode} at projection cost {cost}: {run['wall_s']} s, {run['requests']} requests, "
                    f"{run['rows_whole']:,} whole + {run['rows_keys']:,} key rows, {run['bytes']:,} bytes, "
                    f"max {run['max_in_flight']} in flight, equal {run['warehouse_equal']}"
                )
                out["runs"].append(run)
        finally:
            sim.stop()
    return out


def urllib_advance(sim: SimulatorHost, delta: timedelta) -> None:
    import urllib.request

    body = json.dumps({"minutes": delta.total_seconds() / 60}).encode()
    request = urllib.request.Request(
        f"{sim.control}/_sim/clock/advance",
        data=body,
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=600):
        pass
