"""What a check knows about its run: the loads this run's extract tasks pushed, the WMS counts the
plan tasks pushed, the run id and the window end. Read from XCom and the run, never from params.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True)
class Load:
    """One successful extract-load attempt (one entity, or one partition of it)."""

    records_read: int
    load_run_id: str

    @classmethod
    def from_xcom(cls, value: Mapping[str, Any]) -> Load:
        return cls(records_read=int(value["records_read"]), load_run_id=str(value["load_run_id"]))


class MissingEvidence(ValueError):
    """A selected entity has no committed load (or no WMS count) recorded for this run."""


@dataclass(frozen=True)
class RunFacts:
    """This run's facts: `loads` are the loads the warehouse recorded committed for this run, and
    `selected` the entities the run was asked to load (None: not known, nothing is required)."""

    run_id: str
    window_end: datetime
    loads: Mapping[str, tuple[Load, ...]] = field(default_factory=dict)
    wms_counts: Mapping[str, int] = field(default_factory=dict)
    selected: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if self.window_end.tzinfo is None:
            raise ValueError("window_end must be timezone-aware")

    def all_loads(self) -> list[Load]:
        return [load for loads in self.loads.values() for load in loads]

    def require(self, entity: str, what: str) -> None:
        """Fail naming `entity` when it was selected for this run but `what` was not recorded."""
        if self.selected is not None and entity in self.selected:
            raise MissingEvidence(
                f"{entity} was selected for run {self.run_id} but {what}. A task marked success "
                "loads nothing: clear the failed task with its downstream instead (docs/runbook.md)."
            )


def selected_entities(context: Mapping[str, Any], entities: tuple[str, ...]) -> tuple[str, ...]:
    """The entities this run was asked to load: the `entities` param (empty: all), among `entities`."""
    chosen = (context.get("params") or {}).get("entities") or []
    return tuple(entity for entity in entities if not chosen or entity in chosen)


def run_facts(
    context: Mapping[str, Any], entities: tuple[str, ...], *, full_sync: bool, warehouse: Any = None
) -> RunFacts:
    """The facts of the running DAG run: its committed loads as the warehouse recorded them (never
    the extract tasks' XComs: "Mark success" on a failed extract leaves none, and must not pass),
    the WMS counts its plan tasks pushed, and the entities it was asked to load."""
    from include.wms_pipeline import settings
    from include.wms_pipeline.load_evidence import LOAD_SOURCE_TABLE, Warehouse

    ti = context["ti"]
    store = warehouse if warehouse is not None else Warehouse(settings.dbt_conn_id())
    committed: dict[str, list[Load]] = {}
    if store.has_table(LOAD_SOURCE_TABLE):
        for load_run_id, entity, read in store.committed_loads(context["dag"].dag_id, str(context["run_id"])):
            committed.setdefault(entity, []).append(Load(records_read=read, load_run_id=load_run_id))
    loads = {entity: tuple(committed[entity]) for entity in entities if entity in committed}
    wms_counts: dict[str, int] = {}
    for entity in entities:
        if full_sync:
            count = ti.xcom_pull(task_ids=f"plan_{entity}", key="wms_count")
            if count is not None:
                wms_counts[entity] = int(count)
    end = context.get("data_interval_end") or context["dag_run"].run_after
    # A plain datetime (not pendulum's subclass) to the second, which every driver binds the same way.
    window_end = datetime.fromtimestamp(int(end.timestamp()), UTC)
    return RunFacts(
        str(context["run_id"]), window_end, loads, wms_counts, selected_entities(context, entities)
    )
