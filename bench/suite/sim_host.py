"""The WMS simulator for benchmarks: the stock server, plus a count of the API requests in flight.

    python bench/suite/sim_host.py --records N --port P [--latency-scale S] --stats FILE

GET /_bench/stats answers {"requests", "max_in_flight", "rows"}; GET /_bench/reset zeroes them. The
counting wraps Protocol.handle (the API path only), so it sees exactly the requests the real service
would: the maximum in flight is what the pool cap must bound.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

from wms_simulator import Simulator, SimulatorConfig, SimulatorServer
from wms_simulator.protocol import Request, Response, json_response


class Counter:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.requests = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.busy_seconds = 0.0
        self.bytes = 0  # response bodies
        self.rows_whole = 0  # records served whole
        self.rows_keys = 0  # records served as fields= projections

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "max_in_flight": self.max_in_flight,
            "busy_seconds": round(self.busy_seconds, 3),
            "bytes": self.bytes,
            "rows_whole": self.rows_whole,
            "rows_keys": self.rows_keys,
        }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--latency-scale", type=float, default=None)
    parser.add_argument("--stats", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--projection-cost", type=float, default=0.25)
    args = parser.parse_args()
    started = time.perf_counter()
    config = SimulatorConfig(
        records=args.records,
        seed=args.seed,
        password=os.environ.get("WMS_SIMULATOR_PASSWORD", "wms-secret"),
        latency=args.latency_scale is not None,
        latency_scale=args.latency_scale if args.latency_scale is not None else 1.0,
        projection_cost=args.projection_cost,
    )
    sim = Simulator(config)
    build_seconds = time.perf_counter() - started
    counter = Counter()
    server = SimulatorServer(sim, host="127.0.0.1", port=args.port)
    server.start()
    assert server._server is not None
    protocol = server._server.protocol
    original = protocol.handle

    def handle(request: Request) -> Response:
        if request.path == "/_bench/stats":
            return json_response(200, {**counter.as_dict(), "build_seconds": round(build_seconds, 1)})
        if request.path == "/_bench/reset":
            with counter.lock:
                counter.reset()
            return json_response(200, {})
        with counter.lock:
            counter.requests += 1
            counter.in_flight += 1
            counter.max_in_flight = max(counter.max_in_flight, counter.in_flight)
        began = time.perf_counter()
        response: Response | None = None
        try:
            response = original(request)
            return response
        finally:
            # Every record carries mod_ts once (FK objects do not): its key counts the rows served.
            rows = response.body.count(b'"mod_ts"') if response is not None else 0
            with counter.lock:
                counter.in_flight -= 1
                counter.busy_seconds += time.perf_counter() - began
                counter.bytes += len(response.body) if response is not None else 0
                if "fields=" in request.query:
                    counter.rows_keys += rows
                else:
                    counter.rows_whole += rows

    protocol.handle = handle
    print(f"simulator ready: {args.records} orders built in {build_seconds:.1f} s", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    args.stats.write_text(json.dumps({**counter.as_dict(), "build_seconds": build_seconds}))
    server.stop()


if __name__ == "__main__":
    main()
