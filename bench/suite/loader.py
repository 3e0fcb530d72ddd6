"""The loader alone from a Singer file (issue 4): bench/loader/run.py, results folded into the suite."""

from __future__ import annotations

import json
import subprocess
from typing import Any

from bench.suite.common import ROOT, WORK, say


def section(args: Any) -> dict[str, Any]:
    out = WORK / "loader.json"
    out.unlink(missing_ok=True)
    command = [
        str(ROOT / "scripts" / "bench-loader"),
        "--records",
        str(args.loader_records),
        "--repeat",
        str(args.repeat),
        "--reference-repeat",
        str(args.reference_repeat),
        "--json",
        str(out),
    ]
    say("loader: " + " ".join(command[1:]))
    subprocess.run(command, check=True)
    result: dict[str, Any] = json.loads(out.read_text())
    result["command"] = "scripts/bench-loader " + " ".join(command[1:-2])
    result["volume"] = _larger_volume(3 * args.loader_records)
    return result


def _larger_volume(records: int) -> dict[str, Any]:
    """Ours alone at a larger volume, once: is peak memory flat and the rate linear as tables grow?"""
    out = WORK / "loader-volume.json"
    out.unlink(missing_ok=True)
    command = [
        str(ROOT / "scripts" / "bench-loader"),
        "--records",
        str(records),
        "--repeat",
        "1",
        "--only",
        "target-warehouse",
        "--json",
        str(out),
    ]
    say("loader volume: " + " ".join(command[1:]))
    subprocess.run(command, check=True)
    result: dict[str, Any] = json.loads(out.read_text())
    result["command"] = "scripts/bench-loader " + " ".join(command[1:-2])
    return result
