"""Full sync of allocation, order_hdr and order_dtl under the simulator's latency model.

Ours: the product's full-sync plan (include/wms_pipeline/partitions: 3 id partitions per pool slot in
all, shared among the entities by record count, as the DAG's default of 12 for the 4-slot pool; the
tap's default page_size 1000, ordering by id, sequenced paging), every partition one
`tap-oracle-wms | target-warehouse` pipeline into PostgreSQL, at most `--pool` (8) at a time, as the
`oracle_wms_api` pool would run them. The relay is a plain pipe here: Meltano's fixed per-run cost is
measured in the extract-load section. Against it, in the same run: the original client (one stream at
a time, page_size=500, ordering=-id, one request at a time; it only reads, it loads nothing).

The simulator sleeps latency.page_cost x scale per page (the real service's figures, reference §12);
the scale is in the results. Requests in flight are counted in the simulator (bench/suite/sim_host.py).
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench.suite.common import ROOT, STATE, WORK, SimulatorHost, load_average, say

sys.path.insert(0, str(ROOT))
from include.wms_pipeline.partitions import share_partitions, split_id_range

ENTITIES = ("allocation", "order_hdr", "order_dtl")
PARTITIONS_PER_SLOT = 3
INSTALLED = Path(os.environ.get("MELTANO_SYS_DIR_ROOT", STATE / "meltano"))
TAP = INSTALLED / "extractors" / "tap-oracle-wms" / "venv" / "bin" / "tap-oracle-wms"
TARGET = INSTALLED / "loaders" / "target-warehouse" / "venv" / "bin" / "target-warehouse"


def original_client(sim: SimulatorHost) -> dict[str, Any]:
    """One stream at a time, page_size=500, ordering=-id, one request at a time (sequenced links)."""
    auth = "Basic " + base64.b64encode(f"{sim.auth()['username']}:{sim.auth()['password']}".encode()).decode()
    rows = 0
    pages = 0
    started = time.perf_counter()
    for entity in ENTITIES:
        url: str | None = (
            f"{sim.base_url}/wms/lgfapi/v10/entity/{entity}/?page_size=500&ordering=-id&page_mode=sequenced"
        )
        while url:
            request = urllib.request.Request(url, headers={"Authorization": auth})
            with urllib.request.urlopen(request, timeout=600) as response:
                body = json.loads(response.read())
            rows += len(body["results"])
            pages += 1
            url = body.get("next_page")
    wall = time.perf_counter() - started
    return {"records": rows, "pages": pages, "wall_s": round(wall, 2), "records_per_s": rows / wall}


def partitioned(sim: SimulatorHost, pg: Any, work: Path, pool: int, page_size: int) -> dict[str, Any]:
    from throwaway_postgres.server import create_database

    database = f"sync_{pool}_{page_size}_{int(time.time())}"
    create_database(pg, database)
    ids = {entity: [int(key) for key in sim.get(f"versions/{entity}")["versions"]] for entity in ENTITIES}
    shares = share_partitions({entity: len(ids[entity]) for entity in ENTITIES}, PARTITIONS_PER_SLOT * pool)
    plan = []
    for entity in ENTITIES:
        for part in split_id_range(
            min(ids[entity]), max(ids[entity]), max_partitions=shares[entity], min_ids=1
        ):
            plan.append((entity, part))
    lock = threading.Lock()
    records: list[int] = []
    failures: list[str] = []

    def one(item: tuple[str, Any]) -> None:
        entity, part = item
        name = f"{entity}_{part.index}"
        tap_config = work / f"tap_{name}.json"
        tap_config.write_text(
            json.dumps(
                {
                    "base_url": sim.base_url,
                    "auth": sim.auth(),
                    "entities": [entity],
                    "page_size": page_size,
                    "page_mode": "sequenced",
                    "id_min": part.id_min,
                    "id_max": part.id_max,
                }
            )
        )
        target_config = work / f"target_{name}.json"
        target_config.write_text(
            json.dumps(
                {
                    "sqlalchemy_url": pg.url(database),
                    "run_id": f"sync/{name}",
                }
            )
        )
        log = work / f"{name}.log"
        with log.open("w") as out:
            tap = subprocess.Popen(
                [str(TAP), "--config", str(tap_config)], stdout=subprocess.PIPE, stderr=out
            )
            target = subprocess.run(
                [str(TARGET), "--config", str(target_config)],
                stdin=tap.stdout,
                stdout=subprocess.DEVNULL,
                stderr=out,
                check=False,
            )
            assert tap.stdout is not None
            tap.stdout.close()
            tap.wait()
        text = log.read_text(errors="replace")
        count = 0
        for line in text.splitlines():
            if '"record_count"' in line and '"context"' in line:
                count += int(json.loads(line.split("METRIC: ", 1)[1])["value"])
        with lock:
            records.append(count)
            if tap.returncode or target.returncode:
                failures.append(f"{name}: tap {tap.returncode}, target {target.returncode} ({log})")

    sim.reset_counters()
    load = load_average()
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=pool) as executor:
        list(executor.map(one, plan))
    wall = time.perf_counter() - started
    counters = sim.counters()
    total = sum(records)
    return {
        "pool": pool,
        "page_size": page_size,
        "partitions": len(plan),
        "shares": shares,
        "records": total,
        "wall_s": round(wall, 2),
        "records_per_s": total / wall,
        "requests": counters["requests"],
        "max_in_flight": counters["max_in_flight"],
        "load_before": load,
        "failures": failures,
    }


def section(args: Any, pg: Any, previous: dict[str, Any] | None = None) -> dict[str, Any]:
    work = WORK / "sync"
    work.mkdir(parents=True, exist_ok=True)
    scale = args.latency_scale
    from bench.suite import sync_modes

    if args.sync_modes_only:
        # Issue 24 alone: the earlier original-client vs 8-concurrent figures stay as they were.
        kept = {k: v for k, v in (previous or {}).items() if k != "modes"}
        return {
            "orders": args.sync_orders,
            "latency_scale": scale,
            "runs": [],
            **kept,
            "modes": sync_modes.section(args, pg, work),
        }
    say(f"sync: simulator with {args.sync_orders:,} orders, latency model x{scale}")
    sim = SimulatorHost(
        records=args.sync_orders, latency_scale=scale, stats=work / "sim.json", log=work / "sim.log"
    )
    out: dict[str, Any] = {"orders": args.sync_orders, "latency_scale": scale, "runs": []}
    try:
        for _ in range(args.repeat):
            load = load_average()
            baseline = original_client(sim)
            baseline["load_before"] = load
            say(
                f"sync: original client {baseline['records']:,} records in {baseline['wall_s']:.1f} s "
                f"({baseline['records_per_s']:,.0f} rec/s), load {load}"
            )
            ours = partitioned(sim, pg, work, pool=8, page_size=1000)
            say(
                f"sync: 8 concurrent {ours['records']:,} records in {ours['wall_s']:.1f} s "
                f"({ours['records_per_s']:,.0f} rec/s), max in flight {ours['max_in_flight']}, "
                f"{len(ours['failures'])} failures, load {ours['load_before']}"
            )
            out["runs"].append(
                {
                    "original": baseline,
                    "ours": ours,
                    "ratio": ours["records_per_s"] / baseline["records_per_s"],
                }
            )
    finally:
        sim.stop()
    # Issue 24: the key-scan full sync beside the whole-record one, on one simulated WMS state.
    out["modes"] = sync_modes.section(args, pg, work)
    return out
