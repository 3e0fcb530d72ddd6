"""``wms-simulator serve``: run the simulator as a process for development and other test processes."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Sequence
from datetime import datetime
from types import FrameType

from .config import DEFAULT_START, DEV_CLIENT_SECRET, DEV_PASSWORD, SimulatorConfig
from .server import SimulatorServer
from .simulator import Simulator

PASSWORD_ENV = "WMS_SIMULATOR_PASSWORD"  # noqa: S105 - the name of the variable, not a secret
CLIENT_SECRET_ENV = "WMS_SIMULATOR_CLIENT_SECRET"  # noqa: S105 - the name of the variable


def _aware(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"--start-time needs a UTC offset, e.g. {DEFAULT_START.isoformat()}")
    return moment


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="wms-simulator", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the simulated lgfapi until SIGTERM/SIGINT")
    serve.add_argument("--records", type=int, default=1000, help="order_hdr rows at start (default 1000)")
    serve.add_argument("--seed", type=int, default=42)
    serve.add_argument("--port", type=int, default=8080, help="0 picks a free port")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--environment", default="lgf_test")
    serve.add_argument("--start-time", type=_aware, default=DEFAULT_START, help="ISO-8601 with offset")
    serve.add_argument("--username", default="wms_api")
    serve.add_argument("--client-id", default="wms-client")
    serve.add_argument("--token-ttl", type=int, default=3600, help="bearer token lifetime in seconds")
    serve.add_argument("--latency", action="store_true", help="sleep like the real service (reference §12)")
    serve.add_argument("--latency-scale", type=float, default=1.0, help="multiplies the simulated sleep")
    serve.add_argument(
        "--clock-skew-seconds",
        type=float,
        default=0.0,
        help="the WMS clock minus the caller's (positive: the WMS runs ahead; default 0)",
    )
    serve.add_argument(
        "--commit-delay",
        type=_commit_delay,
        action="append",
        default=[],
        metavar="PROBABILITY:SECONDS",
        help="late commits: this share of changes becomes visible SECONDS after its mod_ts (repeatable)",
    )
    return parser


def _commit_delay(text: str) -> tuple[float, float]:
    probability, sep, seconds = text.partition(":")
    try:
        if not sep:
            raise ValueError
        return (float(probability), float(seconds))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--commit-delay takes PROBABILITY:SECONDS, e.g. 0.01:900, got {text!r}"
        ) from None


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = _config(args)
    except ValueError as error:
        parser.error(str(error))
    server = SimulatorServer(Simulator(config), host=args.host, port=args.port)
    server.start()

    def stop(signum: int, frame: FrameType | None) -> None:
        threading.Thread(target=server.stop, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    sys.stdout.write(f"wms-simulator listening on {server.base_url}\n")
    sys.stdout.flush()
    server.serve_forever()
    return 0


def _config(args: argparse.Namespace) -> SimulatorConfig:
    return SimulatorConfig(
        records=args.records,
        seed=args.seed,
        start_time=args.start_time,
        environment=args.environment,
        username=args.username,
        password=os.environ.get(PASSWORD_ENV, DEV_PASSWORD),
        oauth_client_id=args.client_id,
        oauth_client_secret=os.environ.get(CLIENT_SECRET_ENV, DEV_CLIENT_SECRET),
        token_ttl_seconds=args.token_ttl,
        latency=args.latency,
        latency_scale=args.latency_scale,
        clock_skew_seconds=args.clock_skew_seconds,
        commit_delays=tuple(args.commit_delay),
    )


if __name__ == "__main__":
    raise SystemExit(main())
