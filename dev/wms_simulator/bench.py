"""Benchmark: build a large simulator and time the requests the tap makes (not part of the test suite).

    python dev/wms_simulator/bench.py --records 1000000

Prints build time, peak RSS, an incremental 2-hour mod_ts window page (ordering=id, page_size=1000),
and a full sequenced id walk of order_hdr (page_size=1250).
"""

from __future__ import annotations

import argparse
import base64
import json
import resource
import time
from datetime import timedelta
from urllib.parse import quote
from urllib.request import Request, urlopen

from wms_simulator import Simulator, SimulatorConfig, SimulatorServer

AUTH = "Basic " + base64.b64encode(b"wms_api:wms-secret").decode()


def get(url: str) -> tuple[float, dict[str, object]]:
    started = time.perf_counter()
    with urlopen(Request(url, headers={"Authorization": AUTH}), timeout=600) as response:
        body = json.loads(response.read())
    return time.perf_counter() - started, body


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--walk-entity", default="order_hdr")
    args = parser.parse_args()
    started = time.perf_counter()
    sim = Simulator(SimulatorConfig(records=args.records))
    print(
        f"build: {time.perf_counter() - started:.1f} s for {args.records} orders; "
        + ", ".join(f"{name}={table.live}" for name, table in sim.store.tables.items())
    )
    print(f"peak RSS after build: {peak_rss_mb():.0f} MB")
    with SimulatorServer(sim) as server:
        root = f"{server.base_url}/wms/lgfapi/v10/entity"
        high = sim.now() - timedelta(hours=1)
        low = high - timedelta(hours=2)
        window = f"mod_ts__gte={quote(low.isoformat())}&mod_ts__lt={quote(high.isoformat())}"
        for entity in ("order_hdr", "order_dtl", "allocation"):
            seconds, body = get(f"{root}/{entity}/?{window}&ordering=id&page_size=1000&page_mode=sequenced")
            rows = len(body["results"])  # type: ignore[arg-type]
            print(f"incremental 2h window {entity}: first page {seconds * 1000:.0f} ms ({rows} rows)")
            if body["next_page"]:
                seconds, body = get(str(body["next_page"]))
                print(f"  next page {seconds * 1000:.0f} ms")
        advance_started = time.perf_counter()
        summary = sim.advance(timedelta(hours=1))
        print(
            f"advance 1 h: {time.perf_counter() - advance_started:.2f} s; "
            + ", ".join(
                f"{k}: +{len(v.created)} ~{len(v.changed)} -{len(v.deleted)}"
                for k, v in summary.entities.items()
                if v.created or v.changed or v.deleted
            )
        )
        after = f"mod_ts__gte={quote(summary.start.isoformat())}&mod_ts__lt={quote(summary.end.isoformat())}"
        seconds, body = get(f"{root}/allocation/?{after}&ordering=id&page_size=1000")
        print(
            f"incremental window over the advanced hour (allocation, paged): {seconds * 1000:.0f} ms, "
            f"result_count={body['result_count']}"
        )
        url: str | None = f"{root}/{args.walk_entity}/?ordering=id&page_size=1250&page_mode=sequenced"
        pages = rows_seen = 0
        slowest = 0.0
        walk_started = time.perf_counter()
        while url:
            seconds, body = get(url)
            slowest = max(slowest, seconds)
            pages += 1
            rows_seen += len(body["results"])  # type: ignore[arg-type]
            url = body["next_page"]  # type: ignore[assignment]
        total = time.perf_counter() - walk_started
        print(
            f"full id walk {args.walk_entity}: {rows_seen} rows in {pages} pages, {total:.1f} s "
            f"({total / pages * 1000:.0f} ms/page avg, slowest {slowest * 1000:.0f} ms)"
        )
    print(f"peak RSS: {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
