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


@dataclass(frozen=True)
class RunFacts:
    """This run's facts; entities missing from `loads`/`wms_counts` pushed nothing (skipped)."""

    run_id: str
    window_end: datetime
    loads: Mapping[str, tuple[Load, ...]] = field(default_factory=dict)
    wms_counts: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.window_end.tzinfo is None:
            raise ValueError("window_end must be timezone-aware")

    def all_loads(self) -> list[Load]:
        return [load for loads in self.loads.values() for load in loads]


def _loads(pushed: Any) -> tuple[Load, ...]:
    """An extract task's XCom: one mapping, or one per mapped partition (None for a skipped one)."""
    items = [pushed] if isinstance(pushed, Mapping) else list(pushed)
    return tuple(Load.from_xcom(item) for item in items if item is not None)


def run_facts(context: Mapping[str, Any], entities: tuple[str, ...], *, full_sync: bool) -> RunFacts:
    """The facts of the running DAG run, from the task context."""
    ti = context["ti"]
    loads: dict[str, tuple[Load, ...]] = {}
    wms_counts: dict[str, int] = {}
    for entity in entities:
        pushed = ti.xcom_pull(task_ids=f"extract_load_{entity}")
        if pushed is not None and (found := _loads(pushed)):
            loads[entity] = found
        if full_sync:
            count = ti.xcom_pull(task_ids=f"plan_{entity}", key="wms_count")
            if count is not None:
                wms_counts[entity] = int(count)
    end = context.get("data_interval_end") or context["dag_run"].run_after
    # A plain datetime (not pendulum's subclass) to the second, which every driver binds the same way.
    window_end = datetime.fromtimestamp(int(end.timestamp()), UTC)
    return RunFacts(str(context["run_id"]), window_end, loads, wms_counts)
