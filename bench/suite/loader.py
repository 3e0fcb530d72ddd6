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
    return result
