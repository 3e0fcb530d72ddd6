"""The HTML page: one self-contained document (inline CSS and SVG, no script, nothing from a CDN).

Every value from the warehouse or Airflow is HTML-escaped; the page is shown inside the Airflow UI.
"""

from __future__ import annotations

from datetime import datetime
from html import escape

from .report import EntityHealth, Report

SERIES = (
    ("extracted", "#4c78a8"),
    ("inserted", "#59a14f"),
    ("already_present", "#bab0ac"),
    ("quarantined", "#e15759"),
)
CSS = """
body{font-family:system-ui,sans-serif;margin:16px;color:#1f2328;font-size:14px}
h1{font-size:20px;margin:0 0 4px} h2{font-size:16px;margin:20px 0 6px}
table{border-collapse:collapse;margin:4px 0} th,td{border:1px solid #d0d7de;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa} td.n{text-align:right;font-variant-numeric:tabular-nums}
.red{background:#ffebe9;color:#a40e26;font-weight:600} .ok{color:#1a7f37;font-weight:600}
.banner{padding:8px 12px;border-radius:6px;margin:8px 0} .muted{color:#656d76}
code{font-size:12px;word-break:break-all}
"""


def _time(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value else "—"


def _cell(value: object, *, red: bool = False, numeric: bool = False, testid: str | None = None) -> str:
    classes = " ".join(c for c in ("red" if red else "", "n" if numeric else "") if c)
    attrs = (f' class="{classes}"' if classes else "") + (
        f' data-testid="{escape(testid)}"' if testid else ""
    )
    text = "—" if value is None else value if isinstance(value, str) else str(value)
    return f"<td{attrs}>{escape(text)}</td>"


def chart(daily: dict[str, dict[str, int]], width: int = 640, height: int = 160) -> str:
    """Grouped bars per day: extracted, inserted, already present, quarantined (inline SVG)."""
    days = list(daily)
    top = max([1, *(value for counts in daily.values() for value in counts.values())])
    left, bottom = 48, 22
    plot_w, plot_h = width - left - 8, height - bottom - 8
    slot = plot_w / max(len(days), 1)
    bar = max(slot / (len(SERIES) + 1), 1)
    parts = [
        f'<svg role="img" aria-label="records per day" width="{width}" height="{height + 18}" '
        f'viewBox="0 0 {width} {height + 18}" xmlns="http://www.w3.org/2000/svg">',
        f'<line x1="{left}" y1="{8 + plot_h}" x2="{width - 8}" y2="{8 + plot_h}" stroke="#888"/>',
        f'<text x="{left - 4}" y="14" font-size="10" text-anchor="end">{top}</text>',
        f'<text x="{left - 4}" y="{8 + plot_h}" font-size="10" text-anchor="end">0</text>',
    ]
    for index, day in enumerate(days):
        x0 = left + index * slot + bar / 2
        for offset, (name, colour) in enumerate(SERIES):
            value = daily[day][name]
            h = plot_h * value / top
            parts.append(
                f'<rect x="{x0 + offset * bar:.1f}" y="{8 + plot_h - h:.1f}" width="{bar - 1:.1f}" '
                f'height="{h:.1f}" fill="{colour}"><title>{escape(day)} {name}: {value}</title></rect>'
            )
        parts.append(
            f'<text x="{x0 + 2 * bar:.1f}" y="{height}" font-size="10" text-anchor="middle">{escape(day[5:])}</text>'
        )
    for offset, (name, colour) in enumerate(SERIES):
        x = left + offset * 130
        parts.append(f'<rect x="{x}" y="{height + 6}" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{x + 14}" y="{height + 15}" font-size="11">{name.replace("_", " ")}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _hours(limit: float | None) -> str:
    return "none (quiet entity)" if limit is None else f"{limit:g} h"


def _entity_rows(entity: EntityHealth) -> str:
    last = entity.runs[0] if entity.runs else None
    cells = [
        _cell(entity.entity),
        _cell(_time(entity.window_end), red=entity.window_stale, testid=f"window-end-{entity.entity}"),
        _cell(_time(entity.newest_mod_ts), red=entity.newest_mod_ts_stale, testid=f"mod-ts-{entity.entity}"),
        _cell(_hours(entity.change_age_limit_hours), testid=f"change-age-limit-{entity.entity}"),
    ]
    for name in ("extracted", "inserted", "already_present", "quarantined"):
        value = getattr(last, name) if last else None
        red = name == "quarantined" and bool(value)
        cells.append(_cell(value, numeric=True, red=red, testid=f"{name}-{entity.entity}"))
    cells += [
        _cell(entity.quarantined_total, numeric=True, red=entity.quarantined_total > 0),
        _cell(_time(entity.full_sync_completed_at)),
        _cell(entity.marked_deleted, numeric=True, testid=f"deleted-{entity.entity}"),
        _cell("; ".join(entity.problems) or "", red=bool(entity.problems)),
    ]
    return "<tr>" + "".join(cells) + "</tr>"


def render(report: Report, json_href: str = "api/health") -> str:
    status = (
        '<div class="banner red" data-testid="status">Needs attention: see the red cells</div>'
        if report.red
        else '<div class="banner ok" data-testid="status">All fresh and valid</div>'
    )
    body = [
        "<h1>WMS sync health</h1>",
        f'<div class="muted">Generated {_time(report.generated_at)} · warehouse '
        f"{escape(report.warehouse_kind or 'unknown')} · "
        f'<a href="{escape(json_href)}">JSON</a> · what each number means: docs/runbook.md, '
        "“The WMS sync health page”</div>",
        status,
    ]
    if report.error:
        body.append(
            f'<div class="banner red" data-testid="warehouse-error">Warehouse unreachable: {escape(report.error)}</div>'
        )
    due = (
        f"{_time(report.window_due)} (schedule {report.schedule}, each run given its dagrun_timeout)"
        if report.window_due
        else "unknown (the incremental DAG is not parsed yet)"
    )
    several = len({(s.base_url, s.user) for s in report.sources}) > 1
    sources = (
        "".join(
            f"<tr><th>{'Source (newest load)' if i == 0 else 'Also read this period'}</th>"
            + _cell(f"{s.base_url} as {s.user or '(no user)'}", red=several, testid=f"source-{i}")
            + _cell(f"{s.loads} loads, newest {_time(s.newest_load)}")
            + "</tr>"
            for i, s in enumerate(report.sources)
        )
        or "<tr><th>Source</th>" + _cell("no load recorded in the period", testid="source-0") + "</tr>"
    )
    body.append(
        "<h2>Freshness</h2><table><tr><th>End of the last successful incremental window</th>"
        + _cell(_time(report.last_window_end), red=report.last_window_stale, testid="last-window-end")
        + "</tr><tr><th>Due: a window ending at or after</th>"
        + _cell(due, testid="window-due")
        + "</tr>"
        + sources
        + "</table>"
    )
    body.append(
        "<h2>Per entity (last run from the load audit)</h2><table><tr><th>Entity</th>"
        "<th>Loaded through (newest window end)</th><th>Newest mod_ts loaded</th><th>Change-age limit</th>"
        "<th>Extracted</th><th>Inserted</th><th>Already present</th><th>Quarantined</th>"
        "<th>Quarantined (period)</th><th>Last complete full sync</th><th>Marked deleted</th><th>Problems</th></tr>"
        + "".join(_entity_rows(e) for e in report.entities)
        + "</table>"
    )
    body.append(
        f"<h2>Records per day (last {len(report.daily)} days, all entities)</h2>{chart(report.daily)}"
    )
    body.append(
        "<h2>Last runs per entity</h2><table><tr><th>Entity</th><th>Run</th><th>Finished</th>"
        "<th>Extracted</th><th>Inserted</th><th>Already present</th><th>Quarantined</th></tr>"
    )
    for entity in report.entities:
        for run in entity.runs:
            body.append(
                "<tr>"
                + _cell(entity.entity)
                + f"<td><code>{escape(run.run_id)}</code></td>"
                + _cell(_time(run.finished_at))
                + "".join(
                    _cell(getattr(run, n), numeric=True, red=n == "quarantined" and run.quarantined > 0)
                    for n in ("extracted", "inserted", "already_present", "quarantined")
                )
                + "</tr>"
            )
    body.append("</table>")
    body.append("<h2>Quarantine by reason</h2><table><tr><th>Entity</th><th>Reason</th><th>Records</th></tr>")
    body += [
        f"<tr>{_cell(s)}{_cell(r)}{_cell(n, numeric=True, red=True)}</tr>"
        for s, r, n in report.quarantine_reasons
    ]
    body.append(
        "</table><h2>Newest quarantined records (values cut, credentials hidden)</h2>"
        "<table><tr><th>Entity</th><th>At</th><th>Reason</th><th>Record</th></tr>"
    )
    body += [
        f"<tr>{_cell(q.stream_name)}{_cell(_time(q.quarantined_at))}{_cell(q.reason)}"
        f"<td><code>{escape(q.record)}</code></td></tr>"
        for q in report.quarantine_newest
    ]
    body.append(
        "</table><h2>Validations (check tasks of each DAG's newest run)</h2>"
        "<table><tr><th>DAG</th><th>Task</th><th>State</th><th>Ended</th></tr>"
    )
    for v in report.validations:
        state = v.get("state")
        body.append(
            f"<tr>{_cell(v['dag_id'])}{_cell(v['task_id'])}"
            f"{_cell(state or 'no status', red=state in {'failed', 'upstream_failed'}, testid='validation-' + str(v['dag_id']) + '-' + str(v['task_id']))}"
            f"{_cell(v.get('end_date'))}</tr>"
        )
    body.append("</table>")
    if report.notes:
        body.append("<h2>Notes</h2><ul>" + "".join(f"<li>{escape(n)}</li>" for n in report.notes) + "</ul>")
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>WMS sync health</title>'
        f"<style>{CSS}</style></head><body>{''.join(body)}</body></html>"
    )
