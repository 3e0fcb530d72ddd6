"""Regenerate BENCHMARKS.md and the charts (docs/images/bench/*.png) from bench/results/*.json.

    .venvs/airflow/bin/python -m bench.suite.report      # (scripts/bench does it after every run)

Each section shows its full-scale result (bench/results/full.json) when there is one, its quick-mode
result (bench/results/quick.json) otherwise, marked as such. Every figure comes with the load average it
was measured under.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from bench.suite.common import ROOT
from bench.suite.dag import task_span

RESULTS = ROOT / "bench" / "results"
IMAGES = ROOT / "docs" / "images" / "bench"
OUT = ROOT / "BENCHMARKS.md"

GOALS = {
    "el_duckdb": 25_000,
    "el_postgres": 15_000,
    "el_ratio": 4.0,
    "sync_ratio": 10.0,
    "dbt_ratio": 1.5,
    "dag_s": 60.0,
    "parse_s": 0.5,
    "memory_mb": 500.0,
    "loader_duckdb": 50_000,
    "loader_postgres": 25_000,
    "loader_ratio": 5.0,
}


def _fmt(value: Any, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, (int, float)):
        return f"{value:,.{digits}f}"
    return str(value)


def _met(ok: bool | None) -> str:
    return "—" if ok is None else ("**met**" if ok else "**not met**")


def _loads(runs: list[dict[str, Any]], key: str = "load_before") -> str:
    return ", ".join(_fmt(r.get(key), 2) for r in runs if r.get(key) is not None)


def _merged_results() -> dict[str, Any]:
    """Per section, the full-scale result when there is one, else the quick one (tagged "mode")."""
    sections: dict[str, Any] = {}
    for mode in ("quick", "full"):
        path = RESULTS / f"{mode}.json"
        if path.exists():
            for name, entry in json.loads(path.read_text()).get("sections", {}).items():
                if mode == "quick" or entry.get("ok"):
                    sections[name] = {**entry, "mode": mode}
    return {"sections": sections}


def _suffix(data: dict[str, Any], name: str) -> str:
    return "_quick" if data["sections"].get(name, {}).get("mode") == "quick" else ""


def _section(data: dict[str, Any], name: str) -> dict[str, Any] | None:
    entry = data.get("sections", {}).get(name)
    if not entry or not entry.get("ok"):
        return None
    return dict(entry["result"])


def _charts(data: dict[str, Any]) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    IMAGES.mkdir(parents=True, exist_ok=True)
    made = []
    el = _section(data, "el")
    if el and el.get("throughput"):
        fig, axes = plt.subplots(1, len(el["throughput"]), figsize=(10, 3.8), squeeze=False)
        for axis, block in zip(axes[0], el["throughput"], strict=False):
            labels = list(block["loaders"])
            values = [block["loaders"][label].get("records_per_s") or 0 for label in labels]
            axis.barh(
                [label.replace(" → ", "\n→ ") for label in labels],
                values,
                color=["#2b7", "#999", "#27b", "#999"][: len(labels)],
            )
            axis.set_title(
                f"meltano run, {block['entity']} ({block['loaders'][labels[0]].get('records', 0):,} rec)"
            )
            axis.set_xlabel("records/s (median)")
            axis.invert_yaxis()
        fig.tight_layout()
        name = f"el_throughput{_suffix(data, 'el')}.png"
        fig.savefig(IMAGES / name, dpi=100)
        plt.close(fig)
        made.append(name)
    points = _growth_points(el, _section(data, "growth"))
    if len(points) >= 2:
        fig, axis = plt.subplots(figsize=(6, 3.8))
        xs = [p[0] for p in points]
        axis.plot(xs, [p[1] for p in points], "o-", label="wall s")
        axis.set_xlabel("allocation records")
        axis.set_ylabel("meltano run wall s")
        twin = axis.twinx()
        twin.plot(xs, [p[2] for p in points], "s--", color="#b72", label="loader peak MB")
        twin.set_ylabel("target-warehouse peak RSS MB")
        axis.set_title("Extract-load into DuckDB: cost vs volume")
        fig.tight_layout()
        name = f"el_growth{_suffix(data, 'growth')}.png"
        fig.savefig(IMAGES / name, dpi=100)
        plt.close(fig)
        made.append(name)
    loader = _section(data, "loader")
    if loader and loader.get("loaders"):
        fig, axis = plt.subplots(figsize=(6, 3.2))
        labels = list(loader["loaders"])
        axis.barh(
            labels,
            [loader["loaders"][label]["records_per_s"] for label in labels],
            color=["#2b7" if "warehouse" in label else "#999" for label in labels],
        )
        axis.invert_yaxis()
        axis.set_xlabel("rows/s from a Singer file (median)")
        axis.set_title(f"Loader alone, {loader['records']:,} allocation records")
        fig.tight_layout()
        name = f"loader{_suffix(data, 'loader')}.png"
        fig.savefig(IMAGES / name, dpi=100)
        plt.close(fig)
        made.append(name)
    return made


def _growth_blocks(el: dict[str, Any] | None, growth: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The el section's allocation point, then the growth section's volumes (older results kept them
    in the el section)."""
    el, growth = el or {}, growth or {}
    return [*el.get("throughput", [])[:1], *el.get("scaling", []), *growth.get("scaling", [])]


def _growth_points(
    el: dict[str, Any] | None, growth: dict[str, Any] | None
) -> list[tuple[int, float, float]]:
    points = []
    for block in _growth_blocks(el, growth):
        if block.get("entity") != "allocation":
            continue
        ours = block["loaders"].get("target-warehouse → DuckDB")
        if ours and ours.get("records"):
            points.append((ours["records"], ours["wall_s"], ours.get("loader_peak_mb") or 0.0))
    return sorted(points)


def _slope(points: list[tuple[int, float, float]]) -> tuple[float, float] | None:
    """Least-squares seconds per million records and intercept."""
    if len(points) < 2:
        return None
    xs = [p[0] / 1e6 for p in points]
    ys = [p[1] for p in points]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    denominator = sum((x - mean_x) ** 2 for x in xs)
    if denominator == 0:
        return None
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / denominator
    return slope, mean_y - slope * mean_x


def render() -> Path:
    data = _merged_results()
    quick_sections = [name for name, entry in data["sections"].items() if entry.get("mode") == "quick"]
    charts = _charts(data)
    lines: list[str] = []
    add = lines.append
    add("# Benchmarks")
    add("")
    add(
        "<!-- Generated by `scripts/bench` (bench/suite/report.py) from bench/results/*.json. Do not edit by hand. -->"
    )
    add("")
    add("One command runs every benchmark, writes machine-readable results and regenerates this page:")
    add("")
    add("```bash")
    add(
        "scripts/bench            # full scale: 1M records, 3 repeats (about 3-4 h on an idle 2-core machine,"
    )
    add(
        "                         # from the section timings below; at 1M records one `meltano run` takes 2.5-25 min)"
    )
    add(
        "scripts/bench --quick    # small volumes, 1 repeat (checks the harness; figures are not the goals' scale)"
    )
    add("scripts/bench --only el,dag   # some sections; the rest keep their previous results")
    add("scripts/bench --only el --repeat 1   # one run per loader (about 75 min at 1M records)")
    add("scripts/bench-loader --records 1000000 --repeat 3 --reference-repeat 1   # the loader section alone")
    add("```")
    add("")
    add("Timings are medians of the repeated runs; each ratio compares figures taken in the same run of the")
    add(
        "command. Benchmarks are not tests: `scripts/bench` exits 0 when a goal is missed, and `scripts/test`"
    )
    add("never runs it. Results: `bench/results/full.json` (full scale) and `bench/results/quick.json`.")
    add("")
    if quick_sections:
        add(
            f"> **Quick-mode figures** in the sections {', '.join(f'`{name}`' for name in quick_sections)} "
            "(`scripts/bench --quick`: small"
        )
        add(
            "> volumes, one run each): they show the harness works and where the time goes, not the goals' scale."
        )
        add("> Those sections have no full-scale run (`scripts/bench`) yet; the others are full scale.")
        add("")
    sections = data.get("sections", {})
    for name, entry in sections.items():
        add(
            f"- `{name}` ({entry.get('mode', 'full')}): `{entry.get('command')}` at {entry.get('started_at')}, {entry.get('seconds')} s; "
            f"before: `{entry.get('machine_before', {}).get('uptime', '')}`"
            + ("" if entry.get("ok") else f" — **harness error**: {entry.get('error')}")
        )
        for earlier in entry.get("keeps_figures_from", []):
            add(
                f"  - keeps the other figures of `{earlier['command']}` at {earlier['started_at']}, "
                f"{earlier['seconds']} s; before: `{earlier['uptime']}`"
            )
    add("")
    _summary(add, data)
    _details(add, data)
    for chart in charts:
        add(f"![{chart}](docs/images/bench/{chart})")
        add("")
    OUT.write_text("\n".join(lines).rstrip() + "\n")
    return OUT


def _summary(add: Any, data: dict[str, Any]) -> None:  # noqa: PLR0915
    add("## Against the goals")
    add("")
    add("| What | Measured | Against (same run) | Ratio | Goal | Met? |")
    add("|---|---|---|---|---|---|")
    el = _section(data, "el")
    if el:
        for block in el.get("throughput", []):
            loaders = block["loaders"]
            for ours, ref, goal in (
                ("target-warehouse → DuckDB", "target-duckdb 0.8.0 → DuckDB", GOALS["el_duckdb"]),
                ("target-warehouse → PostgreSQL", "target-postgres 0.8.1 → PostgreSQL", GOALS["el_postgres"]),
            ):
                a, b = loaders.get(ours, {}), loaders.get(ref, {})
                rate, ref_rate = a.get("records_per_s"), b.get("records_per_s")
                ratio = rate / ref_rate if rate and ref_rate else None
                ok = None if rate is None else (rate >= goal and (ratio or 0) >= GOALS["el_ratio"])
                # `--el-loaders` reruns keep the other loaders' figures: say when a pair is not one run.
                apart = a.get("bench_run", a.get("measured_at")) != b.get("bench_run", b.get("measured_at"))
                note = (
                    f" (an earlier run; ours rerun at {a['measured_at'][11:16]} UTC)"
                    if apart and a.get("measured_at")
                    else ""
                )
                add(
                    f"| `meltano run` {block['entity']} → {ours.split('→ ')[1]} ({_fmt(a.get('records'))} rec) "
                    f"| {_fmt(rate)} rec/s | {ref}: {_fmt(ref_rate)} rec/s{note} | {_fmt(ratio, 2)}x{' (not same run)' if note else ''} "
                    f"| ≥ {goal:,} rec/s, ≥ 4x | {_met(ok)} |"
                )
    sync = _section(data, "sync")
    if sync and sync.get("runs"):
        ratios = [r["ratio"] for r in sync["runs"]]
        ours = sync["runs"][-1]["ours"]
        original = sync["runs"][-1]["original"]
        ratio = sorted(ratios)[len(ratios) // 2]
        add(
            f"| full sync, 3 entities, latency model x{sync['latency_scale']} ({_fmt(ours['records'])} rec) "
            f"| {_fmt(ours['records_per_s'])} rec/s at pool 8 (max {ours['max_in_flight']} in flight) "
            f"| original client: {_fmt(original['records_per_s'])} rec/s | {_fmt(ratio, 2)}x | ≥ 10x, ≤ 8 in flight "
            f"| {_met(ratio >= GOALS['sync_ratio'] and ours['max_in_flight'] <= 8)} |"
        )
    if sync and sync.get("modes"):
        _sync_modes_goals(add, sync["modes"])
    dag = _section(data, "dag")
    if dag:
        sub = dag["runs"].get("product", {})
        comparisons = (
            ("incremental run", "dbt_stage_s", "plain_dbt", "`dbt build`"),
            (
                "initial run, every model from the whole history",
                "initial_dbt_stage_s",
                "plain_dbt_full_refresh",
                "`dbt build --full-refresh`",
            ),
        )
        for what, stage_key, plain_key, plain_label in comparisons:
            for mode, run in dag["runs"].items():
                plain = run.get("plain_wall_s", {}).get(plain_key, dag.get(plain_key, {}).get("wall_s"))
                stage = run.get(stage_key)
                if stage is None:  # a failed run: its row in the details says why
                    continue
                ratio = stage / plain if stage and plain else None
                add(
                    f"| dbt stage through Cosmos ({mode}), {what} | {_fmt(stage, 1)} s "
                    f"| plain {plain_label}, same warehouse state: {_fmt(plain, 1)} s "
                    f"| {_fmt(ratio, 2)}x | ≤ 1.5x | {_met(None if ratio is None else ratio <= GOALS['dbt_ratio'])} |"
                )
        wall = sub.get("wall_s")
        add(
            f"| incremental DAG end to end, `airflow dags test`, DuckDB ({_fmt(sub.get('records'))} rec) "
            f"| {_fmt(wall, 1)} s | — | — | < 60 s "
            f"| {_met(None if wall is None else (wall < GOALS['dag_s'] and not sub.get('not_successful')))} |"
        )
    parse = _section(data, "parse")
    if parse:
        ls_entry = parse.get("incremental DAG, Cosmos LoadMode.DBT_LS (uncached)", {})
        ls = None if ls_entry.get("errors") else ls_entry.get("median_s")
        for label, entry in parse.items():
            if "DBT_LS" in label:
                continue
            seconds = entry["median_s"]
            if entry.get("errors"):
                text = next(iter(entry["errors"].values())).strip().splitlines()
                reason = next(
                    (line for line in reversed(text) if "Error" in line or "Timeout" in line), text[-1]
                )
                add(
                    f"| parse {label} | import failed in the last run: `{reason.strip()[:160]}` | | "
                    "| < 0.5 s | **not measured** |"
                )
                continue
            add(
                f"| parse {label} | {_fmt(seconds, 2)} s | Cosmos `dbt ls` rendering: {_fmt(ls, 2)} s "
                f"| {_fmt(seconds / ls if ls else None, 2)}x | < 0.5 s | {_met(seconds < GOALS['parse_s'])} |"
            )
    health = _section(data, "health")
    # One row per warehouse (results before 2026-12-07 hold one DuckDB run at the top level).
    for run in (health.get("runs") or [health]) if health else []:
        product, unlimited, cold = run["product"], run["unlimited"], run.get("cold", {})
        add(
            f"| WMS sync health page (plugins/), {run['warehouse']}, {_fmt(run['rows'])} history rows "
            f"| median {_fmt(product['median_seconds'], 3)} s, max {_fmt(product['max_seconds'], 3)} s "
            f"({len(product['samples'])} requests after the first) "
            f"| first request after a load: {_fmt(cold.get('max_seconds'), 3)} s, whole-table "
            f"numbers ready {_fmt(cold.get('background_seconds'), 1)} s later; no budget: "
            f"{_fmt(unlimited['median_seconds'], 3)} s | — | < 1 s, every section read "
            f"| {_met(run.get('goal_met'))} |"
        )
    if el:
        # The task runs `meltano run`: its memory is the whole tree (Meltano, the tap and the loader).
        for block in el.get("throughput", []):
            for label, entry in block["loaders"].items():
                if not label.startswith("target-warehouse") or entry.get("tree_peak_mb") is None:
                    continue
                ok_runs = [r for r in entry["runs"] if r["returncode"] == 0]
                highest = max(ok_runs, key=lambda run: run["peak_tree_mb"], default=None)
                parts = highest["peak_process_mb"] if highest else {}
                tree = entry["tree_peak_mb"]
                add(
                    f"| peak memory of one extract-load task, {block['entity']} {label} "
                    f"({_fmt(entry.get('records'))} rec) | {_fmt(tree)} MB (loader {_fmt(parts.get('target-warehouse'))}, "
                    f"tap {_fmt(parts.get('tap-oracle-wms'))}, meltano {_fmt(parts.get('meltano'))}) | — | — "
                    f"| < 500 MB, flat | {_met(tree < GOALS['memory_mb'])} |"
                )
        points = _growth_points(el, _section(data, "growth"))
        fit = _slope(points) if points and max(p[0] for p in points) >= 100_000 else None
        if points and not fit:
            add(
                f"| growth, allocation → DuckDB at {', '.join(f'{p[0]:,}' for p in points)} rec "
                "| not fitted: below 100,000 records the fixed costs and the load dominate | | | linear | — |"
            )
        if fit:
            add(
                f"| growth, allocation → DuckDB at {', '.join(f'{p[0]:,}' for p in points)} rec "
                f"| {fit[0]:.1f} s per million records (+{fit[1]:.1f} s fixed) "
                f"| walls {', '.join(f'{p[1]:.1f}' for p in points)} s; loader peaks {', '.join(f'{p[2]:.0f}' for p in points)} MB "
                f"| — | linear | see details |"
            )
    loader = _section(data, "loader")
    if loader:
        for ours, ref, goal in (
            ("target-warehouse → DuckDB", "target-duckdb 0.8.0 → DuckDB", GOALS["loader_duckdb"]),
            ("target-warehouse → PostgreSQL", "target-postgres 0.8.1 → PostgreSQL", GOALS["loader_postgres"]),
        ):
            a, b = loader["loaders"].get(ours, {}), loader["loaders"].get(ref, {})
            rate, ref_rate = a.get("records_per_s"), b.get("records_per_s")
            ratio = rate / ref_rate if rate and ref_rate else None
            ok = (
                None
                if rate is None
                else (
                    rate >= goal
                    and (ratio or 0) >= GOALS["loader_ratio"]
                    and a.get("peak_rss_mb_max", 0) < GOALS["memory_mb"]
                )
            )
            larger = loader.get("volume", {}).get("loaders", {}).get(ours, {})
            if larger:
                peaks = (a.get("peak_rss_mb_max"), larger.get("peak_rss_mb_max"))
                ok = ok and all(p is not None and p < GOALS["memory_mb"] for p in peaks)
            add(
                f"| loader alone (issue 4) {ours} ({loader['records']:,} rec"
                + (
                    f"; peak at {loader['volume']['records']:,}: {_fmt(larger.get('peak_rss_mb_max'))} MB"
                    if larger
                    else ""
                )
                + f") | {_fmt(rate)} rows/s, peak "
                f"{_fmt(a.get('peak_rss_mb_max'))} MB | {ref}: {_fmt(ref_rate)} rows/s | {_fmt(ratio, 2)}x "
                f"| ≥ {goal:,} rows/s, ≥ 5x, < 500 MB at any volume | {_met(ok)} |"
            )
    add("")


def _details(add: Any, data: dict[str, Any]) -> None:  # noqa: PLR0915
    add("## Details")
    add("")
    el = _section(data, "el")
    if el:
        add("### Extract-load (`meltano run tap-oracle-wms <loader>`, simulator at zero latency)")
        add("")
        add(
            f"Meltano's fixed cost (`meltano run` with 0 records): median {_fmt(el['overhead']['wall_s'], 1)} s."
        )
        add("")
        for block in el.get("throughput", []):
            for parts, when in (
                (block.get("breakdown"), ""),
                (block.get("earlier_breakdown"), " In the earlier run whose figures this block keeps:"),
            ):
                if not parts:
                    continue
                serve, tap = parts["simulator_serve"], parts["tap_alone"]
                add(
                    f"-{when} {block['entity']}, {serve['records']:,} records: the simulator serves "
                    f"{_fmt(serve['records_per_s'])} rec/s to one client (load {serve['load_before']}); the tap "
                    f"alone into /dev/null {_fmt(tap['records_per_s'])} rec/s ({_fmt(tap['wall_s'], 1)} s wall, "
                    f"{_fmt(tap['cpu_s'], 1)} CPU s, load {tap['load_before']})."
                )
        add("")
        add(
            "| Entity | Loader | Records | Wall s (each run) | Rec/s | Loader peak MB | Tree peak MB | Load before each run |"
        )
        add("|---|---|---|---|---|---|---|---|")
        for block in [
            *el.get("throughput", []),
            *_growth_blocks(None, _section(data, "growth")),
            *el.get("scaling", []),
        ]:
            for label, entry in block["loaders"].items():
                runs = entry["runs"]
                add(
                    f"| {block['entity']} | {label} | {_fmt(entry.get('records'))} "
                    f"| {_fmt(entry.get('wall_s'), 1)} ({', '.join(_fmt(r['wall_s'], 1) for r in runs)}) "
                    f"| {_fmt(entry.get('records_per_s'))} | {_fmt(entry.get('loader_peak_mb'))} "
                    f"| {_fmt(entry.get('tree_peak_mb'))} | {_loads(runs)} |"
                )
        add("")
    sync = _section(data, "sync")
    if sync:
        add(f"### Full sync under the latency model (x{sync['latency_scale']}, {sync['orders']:,} orders)")
        add("")
        add(
            "| Run | Original: rec, s, rec/s, load | Ours (pool 8): partitions, rec, s, rec/s, requests, max in flight, load | Ratio |"
        )
        add("|---|---|---|---|")
        for index, run in enumerate(sync["runs"]):
            o, u = run["original"], run["ours"]
            add(
                f"| {index + 1} | {o['records']:,}, {o['wall_s']:.1f}, {o['records_per_s']:,.0f}, {o['load_before']} "
                f"| {u['partitions']}, {u['records']:,}, {u['wall_s']:.1f}, {u['records_per_s']:,.0f}, {u['requests']}, "
                f"{u['max_in_flight']}, {u['load_before']} | {run['ratio']:.2f}x |"
            )
        add("")
        if sync.get("modes"):
            _sync_modes(add, sync["modes"], data["sections"]["sync"])
    dag = _section(data, "dag")
    if dag:
        add(
            f"### Incremental DAG (`airflow dags test`, DuckDB, {dag['orders']:,} orders, {dag['window_hours']} h window)"
        )
        add("")
        add(
            "| Cosmos mode | dags test wall s | Tasks span s | Extract-load span s | dbt stage s | Records "
            "| Not successful | Load before | Initial run (untimed): wall s, dbt stage s |"
        )
        add("|---|---|---|---|---|---|---|---|---|")
        for mode, run in dag["runs"].items():
            if "error" in run:
                add(f"| {mode} | harness error: {run['error'][:200]} | | | | | | | |")
                continue
            when = f" ({run['started_at'][11:16]} UTC)" if run.get("started_at") else ""
            failed = ", ".join(run.get("not_successful") or []) or "none"
            if run.get("returncode"):
                failed = f"`dags test` exit {run['returncode']}; {failed}"
            add(
                f"| {mode}{when} | {_fmt(run['wall_s'], 1)} | {_fmt(task_span(run.get('tasks') or []), 1)} "
                f"| {_fmt(run.get('extract_load_s'), 1)} "
                f"| {_fmt(run.get('dbt_stage_s'), 1)} | {_fmt(run.get('records'))} "
                f"| {failed} | {run.get('load_before')} "
                f"| {_fmt(run.get('initial_load_s'), 1)}, {_fmt(run.get('initial_dbt_stage_s'), 1)} |"
            )
        for key in ("plain_dbt", "plain_dbt_full_refresh"):
            plain = dag.get(key)
            if plain:
                add("")
                add(
                    f"Plain `{plain['command']}`: {', '.join(_fmt(r['wall_s'], 1) for r in plain['runs'])} s "
                    f"(load {_loads(plain['runs'])})."
                )
        add("")
    parse = _section(data, "parse")
    if parse:
        add("### Parse time (fresh process per parse, Airflow already imported)")
        add("")
        add("| File | Median s | Each run s | Tasks | Load before |")
        add("|---|---|---|---|---|")
        for label, entry in parse.items():
            note = " (import failed in the last run; see the JSON)" if entry.get("errors") else ""
            add(
                f"| {label}{note} | {_fmt(entry['median_s'], 2)} | {', '.join(_fmt(s, 2) for s in entry['seconds'])} "
                f"| {entry.get('tasks')} | {', '.join(_fmt(v, 2) for v in entry['load_before'])} |"
            )
        add("")
    lookback = _section(data, "lookback")
    if lookback:
        entry = data["sections"]["lookback"]
        add(
            f"### Incremental lookback: rows re-read and time per run (`{entry.get('command')}`, "
            f"{lookback['records']:,} orders, {lookback['runs_per_lookback']} two-hour windows per lookback)"
        )
        add("")
        add(
            "The allocation, order_dtl and order_hdr windows of one incremental run, read five minutes after the"
        )
        add(
            "interval's end by the tap and the loader in-process (Meltano's fixed ~5 s per `meltano run` excluded:"
        )
        add("it is the same at every lookback). Re-read = rows the loader found already present (its audit's")
        add("`records_already_present`): the cost of the lookback. Medians per run.")
        add("")
        add(
            "| Lookback | Rows read | Re-read (already present) | New versions | Wall s per run | Each run s | Load before |"
        )
        add("|---|---|---|---|---|---|---|")
        for minutes, item in lookback["lookbacks"].items():
            hours = int(minutes) / 60
            add(
                f"| {hours:g} h | {_fmt(item['read_median'])} | {_fmt(item['reread_median'])} "
                f"| {_fmt(item['inserted_median'])} | {_fmt(item['wall_s_median'], 2)} "
                f"| {', '.join(_fmt(r['wall_s'], 2) for r in item['runs'])} | {_fmt(item['load_before'], 2)} |"
            )
        add("")
    loader = _section(data, "loader")
    if loader:
        add(f"### Loader alone (`{loader.get('command')}`; {loader['input_mb']} MB of Singer JSONL)")
        add("")
        add(
            "| Loader | Runs | Wall s | Rows/s | Rows per CPU s | Peak RSS MB (median, max) | CPU s | Load before each run |"
        )
        add("|---|---|---|---|---|---|---|---|")
        for label, entry in loader["loaders"].items():
            per_cpu = loader["records"] / entry["cpu_s"] if entry.get("cpu_s") else None
            add(
                f"| {label} | {len(entry['runs'])} | {_fmt(entry['wall_s'], 1)} | {_fmt(entry['records_per_s'])} "
                f"| {_fmt(per_cpu)} "
                f"| {_fmt(entry['peak_rss_mb_median'])}, {_fmt(entry['peak_rss_mb_max'])} | {_fmt(entry['cpu_s'], 1)} "
                f"| {_loads(entry['runs'])} |"
            )
        add("")
        volume = loader.get("volume")
        if volume:
            add(f"Ours again at {volume['records']:,} records, once each (`{volume.get('command')}`):")
            add("")
            add("| Loader | Records | Wall s | Rows/s | Peak RSS MB | Same loader at the volume above |")
            add("|---|---|---|---|---|---|")
            for label, entry in volume["loaders"].items():
                base = loader["loaders"].get(label, {})
                add(
                    f"| {label} | {volume['records']:,} | {_fmt(entry['wall_s'], 1)} | {_fmt(entry['records_per_s'])} "
                    f"| {_fmt(entry['peak_rss_mb_max'])} | {_fmt(base.get('records_per_s'))} rows/s, "
                    f"peak {_fmt(base.get('peak_rss_mb_max'))} MB |"
                )
            add("")
    notes = ROOT / "bench" / "NOTES.md"
    if notes.exists():
        add(notes.read_text().rstrip())
        add("")


def _sync_modes_goals(add: Any, modes: dict[str, Any]) -> None:
    """Issue 24's goals, each from the runs of one invocation on one simulated WMS state."""
    runs = modes["runs"]
    whole = next((r for r in runs if r["mode"] == "records"), None)
    keys = {r["projection_cost"]: r for r in runs if r["mode"] == "keys"}
    if whole is None or not keys:
        return
    total = modes["records"]
    changed = modes.get("changed_or_new", round(total * modes["changed_or_new_pct"] / 100))
    allowed = changed + total // 100
    label = f"full sync key scan, latency model x{modes['latency_scale']} ({total:,} rec)"
    most = max(r["rows_whole"] for r in keys.values())
    add(
        f"| {label}: whole records served | {most:,} (most of the {len(keys)} key scans) "
        f"| changed or new versions: {changed:,}; whole-record sync: {whole['rows_whole']:,} "
        f"| {_fmt(most / whole['rows_whole'], 3)}x | ≤ changed + new + 1 % of the total ({allowed:,}) "
        f"| {_met(most <= allowed)} |"
    )
    fewest = min(whole["bytes"] / r["bytes"] for r in keys.values())
    received = ", ".join(f"{r['bytes']:,}" for r in keys.values())
    add(
        f"| {label}: bytes received | {received} "
        f"| whole-record sync: {whole['bytes']:,} | {_fmt(fewest, 1)}x fewer (the least) | ≥ 10x fewer "
        f"| {_met(fewest >= 10)} |"
    )
    for cost, goal, ok_if in ((0.1, "≥ 5x faster", 5.0), (1.0, "no slower", 1.0)):
        run = keys.get(cost)
        if run is None:
            continue
        ratio = whole["wall_s"] / run["wall_s"]
        add(
            f"| {label}: wall time at projection cost {cost} | {_fmt(run['wall_s'], 1)} s (load {run['load_before']}) "
            f"| whole-record sync: {_fmt(whole['wall_s'], 1)} s (load {whole['load_before']}) "
            f"| {_fmt(ratio, 2)}x faster | {goal} | {_met(ratio >= ok_if)} |"
        )
    equal = [r["warehouse_equal"] for r in runs]
    add(
        f"| {label}: warehouse equals the simulator (PostgreSQL) | {sum(equal)} of {len(equal)} runs "
        "| every version held before + every version now; seen ids = ids now | — | every run "
        f"| {_met(all(equal))} |"
    )


def _sync_modes(add: Any, modes: dict[str, Any], entry: dict[str, Any]) -> None:
    """Issue 24: the key-scan full sync beside the whole-record one (bench/suite/sync_modes.py)."""
    add(
        f"### Full sync: key scan vs whole records (x{modes['latency_scale']}, {modes['records']:,} records, "
        f"{modes['changed_or_new_pct']} % versions changed or new, {modes['deleted_pct']} % deleted, pool {modes['pool']})"
    )
    add("")
    add(
        f"`{entry.get('command')}`, started {entry.get('started_at')}; machine before: "
        f"`{entry.get('machine_before', {}).get('uptime', '')}`. The machine is shared with other engineers'"
    )
    add("test runs: the wall times are upper bounds and each run's load average is in the table; the ratios")
    add(
        "between the runs of this one invocation are what count. Bytes, rows and requests do not depend on load."
    )
    add(
        "The same simulated WMS state for every run (bench/suite/sync_modes.py); each mode from a copy of the"
    )
    add(
        "warehouse as of the last full sync; the product's partition plan at most 8 partitions (so 8 requests)"
    )
    add("at a time; projection cost = the simulator's per-row cost of a `fields=` page as a share of a whole")
    add("record's (an assumption: dev/wms_simulator/README.md).")
    add("")
    add(
        "| Mode | Projection cost | Requests | Whole rows served | Key rows served | Bytes received | Wall s "
        "| Max in flight | Warehouse equal | Load before |"
    )
    add("|---|---|---|---|---|---|---|---|---|---|")
    for run in modes["runs"]:
        cost = "n/a" if run["mode"] == "records" else run["projection_cost"]
        add(
            f"| {run['mode']} | {cost} | {run['requests']:,} | {run['rows_whole']:,} | {run['rows_keys']:,} "
            f"| {run['bytes']:,} | {run['wall_s']:.1f} | {run['max_in_flight']} | {run['warehouse_equal']} "
            f"| {run['load_before']} |"
        )
    add("")


if __name__ == "__main__":
    print(render())
