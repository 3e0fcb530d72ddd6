"""The loader alone from a Singer file (issue 4): bench/loader/run.py, results folded into the suite."""

from __future__ import annotations

import json
import subprocess
from typing import Any

from bench.suite.common import ROOT, WORK, say


def section(args: Any) -> dict[str, Any]:
    result = _bench_loader(
        "loader",
        [
            *("--records", str(args.loader_records)),
            *("--repeat", str(args.repeat)),
            *("--reference-repeat", str(args.reference_repeat)),
        ],
    )
    # Ours alone at three times the volume, once: is peak memory flat and the rate linear as tables grow?
    result["volume"] = _bench_loader(
        "loader-volume",
        ["--records", str(3 * args.loader_records), "--repeat", "1", "--only", "target-warehouse"],
    )
    return result


def _bench_loader(name: str, options: list[str]) -> dict[str, Any]:
    """Run scripts/bench-loader with these options; its JSON result plus the command that made it."""
    out = WORK / f"{name}.json"
    out.unlink(missing_ok=True)
    say(f"{name}: " + " ".join(options))
    subprocess.run([str(ROOT / "scripts" / "bench-loader"), *options, "--json", str(out)], check=True)
    result: dict[str, Any] = json.loads(out.read_text())
    result["command"] = "scripts/bench-loader " + " ".join(options)
    return result
