"""The FastAPI app the plugin mounts on the api-server: the HTML page and the same numbers as JSON.

Airflow does not authenticate a plugin's FastAPI app (it is attached with `app.mount()` and inherits
none of the core API's dependencies), so every route here depends on `authorized`: the caller's JWT
(Authorization: Bearer, or the UI's session cookie) is resolved by Airflow's own `get_user` through the
configured auth manager (401 without one, 403 for an invalid one), and the auth manager must allow
GET on both sync DAGs (403 otherwise). No route reads the warehouse before that.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import partial
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, status
from fastapi.responses import HTMLResponse, JSONResponse

from . import airflow_state, facts, freshness, page
from .report import Limits, Report, ReportBuilder, now_utc, window_is_stale
from .warehouse import WarehouseUnreachableError, open_warehouse

# The page answers within this; a statement still running when it is spent is cancelled and noted.
BUDGET_SECONDS = 0.8
BUDGET_VARIABLE = "WMS_HEALTH_BUDGET_SECONDS"
DAYS = 7


def _user_dependency() -> Any:
    from airflow.api_fastapi.core_api.security import get_user

    return get_user


def authorized(user: Annotated[Any, Depends(_user_dependency())]) -> Any:
    """The authenticated user, when the auth manager lets them read both sync DAGs; 403 otherwise."""
    from airflow.api_fastapi.app import get_auth_manager
    from airflow.api_fastapi.auth.managers.models.resource_details import DagDetails

    manager = get_auth_manager()
    for dag_id in airflow_state.DAG_IDS:
        if not manager.is_authorized_dag(method="GET", details=DagDetails(id=dag_id), user=user):
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"reading the DAG {dag_id} is not allowed")
    return user


def limits(now: datetime, notes: list[str]) -> Limits:
    """The red lines of this request (freshness.py): the incremental DAG's schedule as the scheduler
    has it, and the per-entity change ages (WMS_HEALTH_MAX_CHANGE_AGE_HOURS checked here)."""
    change_age = freshness.change_age_limits()
    unknown = "loaded windows are red only when missing"
    try:
        schedule = airflow_state.incremental_schedule()
        unknown = f"the incremental DAG ({airflow_state.INCREMENTAL_DAG_ID}) is not parsed yet: {unknown}"
    except Exception as error:  # the metadata DB: the warehouse's numbers still show
        schedule = None
        unknown = f"the incremental DAG's schedule: not readable ({type(error).__name__}): {unknown}"
    if schedule is None:
        notes.append(unknown)
        return Limits(window_due=None, change_age=change_age)
    return Limits(window_due=schedule.window_due(now), change_age=change_age, schedule=schedule.summary)


def budget_seconds(environ: Mapping[str, str] | None = None) -> float:
    """The page's time budget: WMS_HEALTH_BUDGET_SECONDS, else BUDGET_SECONDS (a slow warehouse link)."""
    raw = (os.environ if environ is None else environ).get(BUDGET_VARIABLE, "").strip()
    if not raw:
        return BUDGET_SECONDS
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if not 0 < value <= 600:
        raise ValueError(
            f"{BUDGET_VARIABLE} must be a number of seconds above 0 and at most 600; got {raw!r}"
        )
    return value


def collect_report(now: datetime | None = None, budget: float | None = None) -> Report:
    """Everything the page shows; a warehouse that cannot be opened is reported, not raised."""
    from include.wms_pipeline import settings

    now = now or now_utc()
    report = Report(
        generated_at=now,
        warehouse_kind=None,
        last_window_end=None,
        last_window_stale=True,
        entities=[],
        daily={},
        quarantine_reasons=[],
        quarantine_newest=[],
        validations=airflow_state.latest_validations(),
    )
    try:
        bounds = limits(now, report.notes)
        report.window_due, report.schedule = bounds.window_due, bounds.schedule
        if budget is None:
            budget = budget_seconds()
        with open_warehouse(settings.WAREHOUSE_CONN_ID, budget) as warehouse:
            report.warehouse_kind = warehouse.kind
            builder = ReportBuilder(
                warehouse,
                raw_schema=settings.RAW_SCHEMA,
                entities=settings.ENTITIES_ALL,
                days=DAYS,
                now=now,
                scope=settings.WAREHOUSE_CONN_ID,
                cache=facts.CACHE,
                opener=partial(open_warehouse, settings.WAREHOUSE_CONN_ID),
            )
            report.last_window_end = window_end = builder.last_window_end()
            report.last_window_stale = window_is_stale(window_end, bounds.window_due)
            report.entities = list(builder.entity_health(bounds).values())
            report.sources = builder.sources()
            report.daily = builder.daily()
            report.quarantine_reasons = builder.quarantine_reasons()
            report.quarantine_newest = builder.quarantine_newest()
            report.notes += builder.notes
    except (WarehouseUnreachableError, ValueError) as error:
        report.error = str(error)
    return report


def create_app(collect: Callable[[], Report] = collect_report) -> FastAPI:
    app = FastAPI(title="WMS sync health", docs_url=None, redoc_url=None, openapi_url=None)
    guard = [Depends(authorized)]

    # Sync routes: FastAPI runs them in its thread pool, so the blocking drivers never stall the loop.
    @app.get("/", response_class=HTMLResponse, dependencies=guard)
    def health_page() -> HTMLResponse:
        report = collect()
        return HTMLResponse(page.render(report), headers={"Cache-Control": "no-store"})

    @app.get("/api/health", dependencies=guard)
    def health_json() -> JSONResponse:
        report = collect()
        body = {**report.as_json(), "red": report.red}
        return JSONResponse(body, headers={"Cache-Control": "no-store"})

    return app
