"""The HTML page: warehouse text is escaped, the chart is inline SVG, nothing is loaded from elsewhere."""

from __future__ import annotations

import re
from datetime import timedelta

from tests.plugins.wms_sync_health.warehouse_data import NOW
from wms_sync_health.page import SERIES, chart, render
from wms_sync_health.report import AuditRun, EntityHealth, QuarantineRow, Report, WmsSource


def _report(**changes: object) -> Report:
    report = Report(
        generated_at=NOW,
        warehouse_kind="duckdb",
        last_window_end=NOW - timedelta(hours=1),
        last_window_stale=False,
        entities=[
            EntityHealth(
                "order_hdr",
                newest_mod_ts=NOW - timedelta(hours=2),
                runs=[AuditRun("inc2", NOW, 4, 3, 1, 0)],
                marked_deleted=1,
                change_age_limit_hours=48,
                window_end=NOW - timedelta(hours=2),
            ),
            EntityHealth(
                "order_status", newest_mod_ts=NOW - timedelta(days=200), window_end=NOW - timedelta(hours=2)
            ),
        ],
        daily={"2026-12-06": {"extracted": 5, "inserted": 5, "already_present": 0, "quarantined": 0}},
        quarantine_reasons=[("order_hdr", "<script>alert(1)</script>", 1)],
        quarantine_newest=[QuarantineRow("order_hdr", NOW, "<img src=x>", '{"id": "<b>"}')],
        validations=[
            {"dag_id": "wms_incremental_sync", "task_id": "check_x", "state": "success", "end_date": None}
        ],
        window_due=NOW - timedelta(hours=4),
        schedule="0 */2 * * *",
        sources=[WmsSource("https://tenant.example.com/prod", "wms_reader", 3, NOW)],
    )
    for name, value in changes.items():
        setattr(report, name, value)
    return report


def test_text_from_the_warehouse_is_escaped() -> None:
    html = render(_report())
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x>" not in html


def test_the_page_loads_nothing_from_elsewhere() -> None:
    html = render(_report())
    assert "<script" not in html
    assert re.findall(r"(?:src|href)=\"([^\"]+)\"", html) == ["api/health"]
    # The only URLs are the SVG namespace and the WMS source, shown as text, not a link.
    assert "http" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "").replace(
        ">https://tenant.example.com/prod as", ""
    )


def test_the_last_run_numbers_are_in_their_cells() -> None:
    html = render(_report())
    for name, value in (("extracted", 4), ("inserted", 3), ("already_present", 1), ("quarantined", 0)):
        assert f'data-testid="{name}-order_hdr">{value}</td>' in html
    assert 'data-testid="deleted-order_hdr">1</td>' in html
    assert "All fresh and valid" not in html  # quarantine rows make it red


def test_a_green_report_says_so_and_a_late_window_turns_red() -> None:
    assert "All fresh and valid" in render(_report(quarantine_reasons=[], quarantine_newest=[]))
    late = render(_report(quarantine_reasons=[], quarantine_newest=[], last_window_stale=True))
    assert 'class="red" data-testid="last-window-end"' in late


def test_an_unreachable_warehouse_is_a_red_banner_not_a_stack_trace() -> None:
    html = render(
        _report(error="the postgres warehouse of Airflow connection 'wms_warehouse' could not be opened")
    )
    assert 'data-testid="warehouse-error">Warehouse unreachable: the postgres warehouse' in html
    assert "Traceback" not in html


def test_the_chart_has_one_bar_per_day_and_count() -> None:
    daily = {f"2026-12-0{d}": {name: d for name, _ in SERIES} for d in range(1, 8)}
    svg = chart(daily)
    assert svg.count("<rect") == 7 * len(SERIES) + len(SERIES)  # bars + legend
    assert "<title>2026-12-07 quarantined: 7</title>" in svg


def test_each_entity_shows_the_window_it_is_loaded_through_and_its_change_age_limit() -> None:
    html = render(_report(quarantine_reasons=[], quarantine_newest=[]))
    assert "All fresh and valid" in html  # a 200-day-old change of a quiet lookup is not red
    assert '<td data-testid="window-end-order_hdr">2026-12-07 10:00:00 UTC</td>' in html
    never = _report(entities=[EntityHealth("item", window_end=None, window_stale=True)])
    assert '<td class="red" data-testid="window-end-item">—</td>' in render(never)
    assert 'data-testid="change-age-limit-order_hdr">48 h</td>' in html
    assert 'data-testid="change-age-limit-order_status">none (quiet entity)</td>' in html
    assert 'data-testid="window-due">2026-12-07 08:00:00 UTC (schedule 0 */2 * * *' in html


def test_the_source_is_shown_and_two_sources_in_one_period_are_red() -> None:
    html = render(_report())
    assert '<td data-testid="source-0">https://tenant.example.com/prod as wms_reader</td>' in html
    two = _report(
        quarantine_reasons=[],
        quarantine_newest=[],
        sources=[
            WmsSource("https://tenant.example.com/prod", "wms_reader", 3, NOW),
            WmsSource("https://tenant.example.com/test", "wms_reader", 1, NOW),
        ],
    )
    assert two.red
    shown = render(two)
    assert 'class="red" data-testid="source-1">https://tenant.example.com/test as wms_reader' in shown
