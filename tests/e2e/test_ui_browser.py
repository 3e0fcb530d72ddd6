"""The operator's view: Airflow started as `scripts/local-run --ui` does, driven by headless Chromium.

The fixture starts the same session as `--ui --metadata-db <the suite's PostgreSQL>` (simulator, alert
receivers, api-server, scheduler, dag-processor, triggerer, airflow_settings.yaml imported, a real
login). The browser then logs in,
checks both DAGs as the DAG list and DAG pages show them (names, tags, schedule, the runbook in the
Docs panel), triggers `wms_incremental_sync` from the trigger form as an initial load (param
`window_start`), waits for it to succeed, and reads the grid and a task log. One run keeps the test
short; the two scheduled runs of `--ui` itself are covered by running it by hand (see README).

Chromium is Debian's package (installed with apt-get when missing and we are root); Playwright's own
browser download is never used. Screenshots go to WMS_UI_SCREENSHOT_DIR (default: the test's tmp dir).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from include.wms_pipeline.settings import ENTITIES_ALL
from local_runner import ui
from local_runner.browser import LAUNCH_ARGS, ChromiumUnavailableError, ensure_chromium
from local_runner.warehouse import WarehouseReader
from throwaway_postgres.pytest_plugin import PostgresHandle

DAG_ID = "wms_incremental_sync"
DISPLAY_NAMES = {"wms_full_sync": "WMS full sync (weekly)", DAG_ID: "WMS incremental sync (2-hourly)"}
INITIAL_LOAD_FROM = "2000-01-01T00:00:00+00:00"
NOTHING_DUE_SCHEDULE = "0 0 1 1 *"
# The run is ~50 tasks, one at a time on DuckDB: ~6-10 min on an idle 2-core machine, but each task
# pays Airflow's and Meltano's/dbt's start-up, which grows several-fold when other jobs share the CPU.
RUN_TIMEOUT = 45 * 60
UI_TIMEOUT_MS = 60_000  # the UI is slow to answer while tasks use both cores
expect.set_options(timeout=UI_TIMEOUT_MS)


def _say(message: str) -> None:
    print(f"[ui e2e {time.strftime('%H:%M:%S')}] {message}", flush=True)


@dataclass
class Ui:
    session: ui.UiSession
    reader: WarehouseReader
    screenshots: Path


@pytest.fixture(scope="module")
def chromium() -> Path:
    """Debian's Chromium; fails (never skips) when it is missing and cannot be installed."""
    try:
        return ensure_chromium()
    except ChromiumUnavailableError as error:
        pytest.fail(str(error))


@pytest.fixture(scope="module")
def local_ui(postgres_server: PostgresHandle, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ui]:
    base = tmp_path_factory.mktemp("ui")
    # The metadata DB on the suite's PostgreSQL (`scripts/local-run --ui --metadata-db`): four services
    # writing to one SQLite file slowed the api-server enough for workers' calls to time out.
    meta_db = f"meta_ui_{base.name}"
    postgres_server.create_database(meta_db)
    warehouse = base / "warehouse.duckdb"
    screenshots = Path(os.environ.get("WMS_UI_SCREENSHOT_DIR") or base / "screenshots")
    screenshots.mkdir(parents=True, exist_ok=True)
    with ui.ui_session(
        home=base / "airflow",
        run_dir=base / "run",
        records=60,
        seed=11,
        warehouse_conn={"conn_type": "duckdb", "host": str(warehouse)},
        warehouse_kind="duckdb",
        port=0,  # any free port
        say=_say,
        # The one difference from --ui: a schedule with no interval due yet (the first ends 2027-01-01),
        # so that unpausing on trigger starts no scheduled run besides the one the test triggers.
        # And the health page's time budget: its numbers are checked here, its speed by scripts/bench.
        extra_env={"WMS_INCREMENTAL_SYNC_SCHEDULE": NOTHING_DUE_SCHEDULE, "WMS_HEALTH_BUDGET_SECONDS": "30"},
        metadata_db_url=postgres_server.url(meta_db, driver="postgresql+psycopg2"),
    ) as session:
        yield Ui(session, WarehouseReader("duckdb", str(warehouse)), screenshots)


@pytest.fixture(scope="module")
def browser(chromium: Path) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(chromium), args=list(LAUNCH_ARGS))
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def page(browser: Browser, local_ui: Ui) -> Iterator[Page]:
    """A page logged in with the generated local admin password."""
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    context.set_default_timeout(UI_TIMEOUT_MS)
    page = context.new_page()
    page.goto(f"{local_ui.session.url}/")
    expect(page.get_by_text("Sign into Airflow")).to_be_visible()
    page.get_by_label("Username").fill(ui.UI_USER)
    page.get_by_label("Password").fill(local_ui.session.password())
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"^(?!.*/auth/login).*$"))
    yield page
    context.close()


def _shot(page: Page, local_ui: Ui, name: str) -> Path:
    path = local_ui.screenshots / f"{name}.png"
    page.screenshot(path=str(path))
    return path


@pytest.fixture(scope="module")
def ui_run(page: Page, local_ui: Ui) -> dict[str, Any]:
    """Trigger wms_incremental_sync from the UI's trigger form and wait until the run finishes."""
    metadata = local_ui.session.metadata
    assert metadata.latest_run(DAG_ID) is None, "the session must start without runs"
    page.goto(f"{local_ui.session.url}/dags/{DAG_ID}")
    page.get_by_role("button", name="Trigger Dag").first.click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_text(f"Trigger Dag - {DISPLAY_NAMES[DAG_ID]}")).to_be_visible()
    expect(dialog.get_by_text("Unpause WMS incremental sync (2-hourly) on trigger")).to_be_visible()
    # Every entity, named, as an operator choosing them would (an empty list also means all).
    dialog.locator("[id='element_entities'], [name='element_entities']").first.fill("\n".join(ENTITIES_ALL))
    # An initial load: everything the simulated WMS holds, up to now.
    dialog.locator("[id='element_window_start'], [name='element_window_start']").first.fill(INITIAL_LOAD_FROM)
    window_end = datetime.now(UTC).replace(microsecond=0).isoformat()
    dialog.locator("[id='element_window_end'], [name='element_window_end']").first.fill(window_end)
    _shot(page, local_ui, "ui-trigger-form")
    dialog.get_by_role("button", name="Trigger", exact=True).click()
    _say("triggered from the UI; waiting for the run")
    local_ui.session.services.wait_until(
        lambda: (metadata.latest_run(DAG_ID) or {}).get("state") in {"success", "failed"},
        RUN_TIMEOUT,
        f"the {DAG_ID} run triggered from the UI to finish",
        poll=5,
    )
    run = metadata.latest_run(DAG_ID)
    assert run is not None
    _say(f"run {run['run_id']} finished: {run['state']}")
    return run


def test_the_dag_list_shows_both_dags_with_their_tags(page: Page, local_ui: Ui) -> None:
    page.goto(f"{local_ui.session.url}/dags")
    for name in DISPLAY_NAMES.values():
        expect(page.get_by_role("link", name=name, exact=True)).to_be_visible()
    for tag in ("full-sync", "incremental", "oracle-wms", "wms"):
        expect(page.get_by_role("link", name=tag, exact=True).first).to_be_visible()
    expect(page.get_by_text(NOTHING_DUE_SCHEDULE)).to_be_visible()  # schedules show; see local_ui
    _shot(page, local_ui, "ui-dag-list")


@pytest.mark.parametrize("dag_id", list(DISPLAY_NAMES))
def test_each_dag_page_shows_its_owner_tasks_and_the_runbook(page: Page, local_ui: Ui, dag_id: str) -> None:
    page.goto(f"{local_ui.session.url}/dags/{dag_id}")
    expect(page.get_by_text(DISPLAY_NAMES[dag_id], exact=True).first).to_be_visible()
    expect(page.get_by_text("wms-data-platform").first).to_be_visible()  # the owner
    expect(page.get_by_text("extract_load_order_hdr").first).to_be_visible()
    # The Docs panel: the DAG's own doc, then the on-call runbook (dag_factory appends it).
    page.get_by_role("button", name="Dag Docs").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_text("On-call runbook: WMS sync")).to_be_visible()
    for section in (
        "Rerun a task",
        "Backfill a range",
        "Rotate credentials",
        "Change the schedule or the pool size",
    ):
        expect(dialog.get_by_text(section, exact=True)).to_be_visible()
    expect(dialog.get_by_text("check_raw_history_is_fresh").first).to_be_visible()
    _shot(page, local_ui, f"ui-{dag_id}-docs")
    page.keyboard.press("Escape")
    page.get_by_role("button", name=re.compile("Show Graph")).click()
    expect(page.get_by_text("extracts_done").first).to_be_visible()
    page.wait_for_timeout(2000)  # the graph lays itself out after its nodes render
    _shot(page, local_ui, f"ui-{dag_id}-graph")


def test_the_incremental_sync_triggered_from_the_ui_succeeds(ui_run: dict[str, Any], local_ui: Ui) -> None:
    metadata = local_ui.session.metadata
    assert ui_run["run_type"] == "manual"
    states = {ui.task_label(t): t["state"] for t in metadata.tasks(DAG_ID, ui_run["run_id"])}
    not_successful = sorted(task for task, state in states.items() if state != "success")
    assert ui_run["state"] == "success", f"{not_successful}\n{local_ui.session.services.log_tails()}"
    assert not_successful == []
    # The initial load reached the warehouse and the marts.
    assert local_ui.reader.count("wms_raw.order_hdr") > 0
    assert local_ui.reader.count("wms.mart_order_backlog") > 0


def test_the_run_page_shows_the_successful_run_and_its_tasks(
    page: Page, local_ui: Ui, ui_run: dict[str, Any]
) -> None:
    page.goto(f"{local_ui.session.url}/dags/{DAG_ID}/runs/{ui_run['run_id']}")
    expect(page.get_by_text(ui_run["run_id"]).first).to_be_visible()
    expect(page.get_by_text("Manual", exact=True).first).to_be_visible()  # the run type
    expect(page.get_by_text(re.compile("^success$", re.IGNORECASE)).first).to_be_visible()
    for task in ("extract_load_order_hdr", "check_referential_integrity", "record_window_end"):
        expect(page.get_by_text(task, exact=True).first).to_be_visible()
    expect(page.get_by_text(re.compile("^(no status|failed|running|queued)$", re.IGNORECASE))).to_have_count(
        0
    )
    _shot(page, local_ui, "ui-incremental-run-grid")
    page.get_by_role("button", name=re.compile("Show Graph")).click()
    expect(page.get_by_text("record_window_end").first).to_be_visible()
    page.wait_for_timeout(2000)  # the graph lays itself out after its nodes render
    _shot(page, local_ui, "ui-incremental-graph")


def test_a_task_log_shows_what_the_extract_task_did(page: Page, local_ui: Ui, ui_run: dict[str, Any]) -> None:
    page.goto(f"{local_ui.session.url}/dags/{DAG_ID}/runs/{ui_run['run_id']}/tasks/extract_load_order_hdr")
    expect(page.get_by_role("link", name="Logs", exact=True)).to_be_visible()
    expect(page.get_by_text(re.compile(r"Extracting order_hdr, window \[")).first).to_be_visible()
    _shot(page, local_ui, "ui-task-log")


HEALTH_COUNTS = ("extracted", "inserted", "already_present", "quarantined")


def test_the_sync_health_page_opens_from_the_navigation_and_shows_the_warehouses_numbers(
    page: Page, local_ui: Ui, ui_run: dict[str, Any]
) -> None:
    """plugins/wms_sync_health, as on-call opens it: Browse → WMS sync health, after the run."""
    page.goto(f"{local_ui.session.url}/")
    page.get_by_role("button", name="Browse").click()
    page.get_by_role("menuitem", name="WMS sync health").click()
    page.wait_for_url(re.compile(r".*/plugin/wms-sync-health$"))
    frame = page.frame_locator("iframe")
    expect(frame.get_by_role("heading", name="WMS sync health")).to_be_visible()
    # A busy machine may leave the whole-table numbers to the page's background worker: reload until
    # they are there, as on-call would ("reload in a moment").
    for _ in range(30):
        if frame.get_by_text("being computed in the background").count() == 0:
            break
        page.wait_for_timeout(2000)
        page.reload()
        expect(frame.get_by_role("heading", name="WMS sync health")).to_be_visible()
    # The last run per entity, as the load audit holds it (a direct query of the warehouse).
    for entity in ENTITIES_ALL:
        rows = local_ui.reader.rows(
            "select records_received, records_inserted, records_already_present, records_quarantined "
            f"from wms_raw.etl_load_audit where stream_name = '{entity}' order by finished_at desc limit 1"
        )
        assert rows, f"no audit row for {entity}"
        for name, value in zip(HEALTH_COUNTS, rows[0], strict=True):
            expect(frame.get_by_test_id(f"{name}-{entity}")).to_have_text(str(value))
        [(newest,)] = local_ui.reader.rows(f"select max(mod_ts) from wms_raw.{entity}")
        shown = "—" if newest is None else newest.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        expect(frame.get_by_test_id(f"mod-ts-{entity}")).to_have_text(shown)
    # The run's check tasks, as Airflow recorded them.
    checks = [
        t
        for t in local_ui.session.metadata.tasks(DAG_ID, ui_run["run_id"])
        if t["task_id"].startswith("check_")
    ]
    assert checks
    for task in checks:
        expect(frame.get_by_test_id(f"validation-{DAG_ID}-{task['task_id']}")).to_have_text(task["state"])
    expect(frame.get_by_test_id("warehouse-error")).to_have_count(0)
    _shot(page, local_ui, "ui-wms-sync-health")  # docs/images/ with WMS_UI_SCREENSHOT_DIR=docs/images
