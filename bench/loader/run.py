"""Load one Singer file with target-warehouse and the reference loaders; report medians and ratios.

Each loader runs ``--repeat`` times (the reference loaders ``--reference-repeat`` times, default the
same) into a fresh database; wall time and peak RSS come from ``/usr/bin/time -v``. Rows/second
counts input records over the loader's wall time. Every venv is byte-compiled first, so no run pays
for compiling imports (this machine sets PYTHONDONTWRITEBYTECODE). The 1-minute load average is
recorded before each run: the machine is shared, so each figure comes with the load it ran under.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "dev" / "throwaway_postgres" / "src"))
sys.path.insert(0, str(Path(__file__).parent))

from generate import write  # noqa: E402

from throwaway_postgres.server import ServerInfo, create_database, start_postgres  # noqa: E402

VENVS = ROOT / ".venvs"
OURS = "target-warehouse"


def _load_average() -> float:
    return os.getloadavg()[0]


def _byte_compile() -> None:
    """Compile every venv's site-packages once (as pip would at install), outside the timings."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    for venv in ("meltano", "bench-target-duckdb", "bench-target-postgres"):
        for site_packages in (VENVS / venv / "lib").glob("python3*/site-packages"):
            python = str(VENVS / venv / "bin" / "python")
            # A few packages ship files that do not compile (old test fixtures): not an error here.
            subprocess.run(
                [python, "-m", "compileall", "-q", "-j0", str(site_packages)],
                env=env,
                check=False,
                stdout=subprocess.DEVNULL,
            )


def _timed(command: list[str], data: Path) -> tuple[float, float, float]:
    """Wall seconds, peak RSS in MB and CPU seconds (user + system) of one run."""
    with data.open("rb") as stdin:
        result = subprocess.run(
            ["/usr/bin/time", "-v", *command],
            stdin=stdin,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
    if result.returncode != 0:
        raise SystemExit(f"{command[0]} failed:\n{result.stderr[-3000:]}")
    wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", result.stderr)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr)
    cpu = re.findall(r"(?:User|System) time \(seconds\): ([\d.]+)", result.stderr)
    assert wall
    assert rss
    hours, minutes, seconds = wall.groups()
    elapsed = int(hours or 0) * 3600 + int(minutes) * 60 + float(seconds)
    return elapsed, int(rss.group(1)) / 1024, sum(float(value) for value in cpu)


def _configs(work: Path, info: ServerInfo, run: int) -> dict[str, tuple[list[str], dict[str, object]]]:
    create_database(info, f"ours_{run}")
    pg_ref = f"ref_{run}"
    create_database(info, pg_ref)
    return {
        "target-warehouse → DuckDB": (
            [str(VENVS / "meltano/bin/target-warehouse")],
            {"sqlalchemy_url": f"duckdb:///{work / f'ours_{run}.duckdb'}"},
        ),
        "target-duckdb 0.8.0 → DuckDB": (
            [str(VENVS / "bench-target-duckdb/bin/target-duckdb")],
            {"filepath": str(work / f"ref_{run}.duckdb"), "default_target_schema": "wms_raw"},
        ),
        "target-warehouse → PostgreSQL": (
            [str(VENVS / "meltano/bin/target-warehouse")],
            {"sqlalchemy_url": info.url(f"ours_{run}")},
        ),
        "target-postgres 0.8.1 → PostgreSQL": (
            [str(VENVS / "bench-target-postgres/bin/target-postgres")],
            {"sqlalchemy_url": info.url(pg_ref), "default_target_schema": "wms_raw"},
        ),
    }


def main() -> None:  # noqa: PLR0915
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--reference-repeat", type=int, default=None, help="runs of each reference loader (default: --repeat)"
    )
    parser.add_argument("--data-dir", type=Path, default=ROOT / ".local" / "bench")
    parser.add_argument("--only", default="", help="substring: run only loaders whose label contains it")
    parser.add_argument("--json", type=Path, default=None, help="also write every run and the medians here")
    args = parser.parse_args()

    args.data_dir.mkdir(parents=True, exist_ok=True)
    data = args.data_dir / f"allocation_{args.records}.singer"
    if not data.exists():
        write(data, args.records)
    reference_repeat = args.repeat if args.reference_repeat is None else args.reference_repeat
    _byte_compile()
    server, info = start_postgres()
    work = Path(tempfile.mkdtemp(prefix="bench-loader-"))
    results: dict[str, list[tuple[float, float, float]]] = {}
    loads: dict[str, list[float]] = {}
    try:
        for run in range(max(args.repeat, reference_repeat)):
            for label, (command, config) in _configs(work, info, run).items():
                runs = args.repeat if label.startswith(OURS) else reference_repeat
                if args.only not in label or run >= runs:
                    continue
                config_path = work / f"config_{run}.json"
                config_path.write_text(json.dumps(config))
                loads.setdefault(label, []).append(_load_average())
                sample = _timed([*command, "--config", str(config_path)], data)
                for leftover in work.glob(f"*_{run}.duckdb*"):  # keep the scratch disk small between runs
                    if leftover.is_dir():  # DuckDB's spill directory
                        shutil.rmtree(leftover)
                    else:
                        leftover.unlink()
                results.setdefault(label, []).append(sample)
                print(
                    f"{label} run {run + 1}: {sample[0]:.1f} s, {sample[1]:.0f} MB, load {loads[label][-1]:.2f}",
                    flush=True,
                )
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if server is not None:
            server.stop()

    print(f"{args.records:,} allocation records ({data.stat().st_size / 1e6:.0f} MB), medians of the runs")
    print(
        "| Loader | Runs | Wall s | Rows/s | Peak RSS MB (max) | CPU s | Wall s of each run | Load avg (1 min) before each run |"
    )
    print("|---|---|---|---|---|---|---|---|")
    medians = {}
    for label, samples in results.items():
        wall = statistics.median(s[0] for s in samples)
        rss = statistics.median(s[1] for s in samples)
        cpu = statistics.median(s[2] for s in samples)
        medians[label] = args.records / wall
        walls = ", ".join(f"{s[0]:.1f}" for s in samples)
        load = ", ".join(f"{value:.2f}" for value in loads[label])
        print(
            f"| {label} | {len(samples)} | {wall:.1f} | {args.records / wall:,.0f} | "
            f"{rss:.0f} ({max(s[1] for s in samples):.0f}) | {cpu:.1f} | {walls} | {load} |"
        )
    ratios = {}
    for ours, ref in (
        ("target-warehouse → DuckDB", "target-duckdb 0.8.0 → DuckDB"),
        ("target-warehouse → PostgreSQL", "target-postgres 0.8.1 → PostgreSQL"),
    ):
        if ours in medians and ref in medians:
            ratios[f"{ours} / {ref}"] = medians[ours] / medians[ref]
            print(f"{ours} / {ref}: {medians[ours] / medians[ref]:.1f}x")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "records": args.records,
                    "input_mb": round(data.stat().st_size / 1e6, 1),
                    "loaders": {
                        label: {
                            "runs": [
                                {"wall_s": s[0], "peak_rss_mb": s[1], "cpu_s": s[2], "load_before": load}
                                for s, load in zip(samples, loads[label], strict=True)
                            ],
                            "wall_s": statistics.median(s[0] for s in samples),
                            "records_per_s": medians[label],
                            "peak_rss_mb_median": statistics.median(s[1] for s in samples),
                            "peak_rss_mb_max": max(s[1] for s in samples),
                            "cpu_s": statistics.median(s[2] for s in samples),
                        }
                        for label, samples in results.items()
                    },
                    "ratios": ratios,
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
