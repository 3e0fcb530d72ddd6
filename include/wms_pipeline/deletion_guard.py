"""The deletion guard: when a full sync's deletion marks are believable. Pure functions, no I/O.

A full sync that completes over a narrower scope (a facility the API user lost, a changed
`facility_code`) sees fewer ids, passes its count check (the WMS counts for the same narrowed user),
and would mark everything outside the scope deleted. So before a full sync is recorded complete for an
entity, its would-be marks are counted; a sync that would mark more than the entity's threshold of
its live records, or that ran under a different scope than the previous complete sync, is *held*:
recorded, not complete, so no new deletion marks. A person releases it (`confirm_deletions`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from include.wms_pipeline import settings

# Airflow Variable: per entity thresholds, JSON, e.g. {"*": {"max_percent": 2, "min_records": 100},
# "inventory": {"max_percent": 10}}; "*" applies to every entity without its own entry.
GUARD_VARIABLE = "wms_deletion_guard"
# Airflow Variable: per entity purge horizon in days, JSON, e.g. {"order_hdr": 365, "*": 730}; unset =
# no record counts as purged (every absence is a deletion, as before).
PURGE_VARIABLE = "wms_purge_horizon_days"
DEFAULT_MAX_PERCENT = 2.0
DEFAULT_MIN_RECORDS = 100
_THRESHOLD_KEYS = ("max_percent", "min_records")


@dataclass(frozen=True)
class Threshold:
    """Hold when a sync would mark more than `max_percent` % AND more than `min_records` live records."""

    max_percent: float = DEFAULT_MAX_PERCENT
    min_records: int = DEFAULT_MIN_RECORDS

    def __post_init__(self) -> None:
        if isinstance(self.max_percent, bool) or not isinstance(self.max_percent, int | float):
            raise ValueError(f"max_percent must be a number from 0 to 100; got {self.max_percent!r}")
        if not 0 <= self.max_percent <= 100:
            raise ValueError(f"max_percent must be a number from 0 to 100; got {self.max_percent!r}")
        if (
            isinstance(self.min_records, bool)
            or not isinstance(self.min_records, int)
            or self.min_records < 0
        ):
            raise ValueError(f"min_records must be a whole number of at least 0; got {self.min_records!r}")

    def exceeded_by(self, would_mark: int, live: int) -> bool:
        return would_mark > self.min_records and would_mark * 100 > self.max_percent * live

    def describe(self) -> str:
        return f"more than {self.max_percent:g} % and more than {self.min_records} records"


def _threshold_from(value: Any, where: str, base: Threshold) -> Threshold:
    if not isinstance(value, Mapping):
        raise ValueError(f"{where} must be a JSON object with max_percent and/or min_records; got {value!r}")
    unknown = sorted(set(value) - set(_THRESHOLD_KEYS))
    if unknown:
        raise ValueError(f"{where} has unknown keys {unknown}; use {list(_THRESHOLD_KEYS)}")
    try:
        return Threshold(
            max_percent=value.get("max_percent", base.max_percent),
            min_records=value.get("min_records", base.min_records),
        )
    except ValueError as error:
        raise ValueError(f"{where}: {error}") from None


def thresholds(
    entities: list[str] | tuple[str, ...],
    variable: str | None,
    max_percent_param: Any = None,
    min_records_param: Any = None,
) -> dict[str, Threshold]:
    """Each entity's threshold: the defaults, then the `wms_deletion_guard` Variable ("*", then the
    entity's own entry), then this run's params (`deletion_max_percent`, `deletion_min_records`)."""
    parsed: Any = {}
    if variable is not None and variable.strip():
        try:
            parsed = json.loads(variable)
        except ValueError:
            raise ValueError(
                f"Airflow Variable {GUARD_VARIABLE} must be JSON such as "
                '{"*": {"max_percent": 2, "min_records": 100}}; got ' + repr(variable[:200])
            ) from None
        if not isinstance(parsed, dict):
            raise ValueError(
                f"Airflow Variable {GUARD_VARIABLE} must be a JSON object; got {variable[:200]!r}"
            )
        unknown = sorted(set(parsed) - {"*", *settings.ENTITIES_ALL})
        if unknown:
            raise ValueError(
                f"Airflow Variable {GUARD_VARIABLE} names {unknown}, which are not entities "
                f"({', '.join(settings.ENTITIES_ALL)}) or '*'"
            )
    base = Threshold()
    if "*" in parsed:
        base = _threshold_from(parsed["*"], f"Airflow Variable {GUARD_VARIABLE}['*']", base)
    result = {}
    for entity in entities:
        threshold = base
        if entity in parsed:
            threshold = _threshold_from(
                parsed[entity], f"Airflow Variable {GUARD_VARIABLE}[{entity!r}]", base
            )
        overrides = {
            key: value
            for key, value in (("max_percent", max_percent_param), ("min_records", min_records_param))
            if value is not None
        }
        if overrides:
            threshold = _threshold_from(
                overrides, "params deletion_max_percent/deletion_min_records", threshold
            )
        result[entity] = threshold
    return result


def purge_horizons(entities: list[str] | tuple[str, ...], variable: str | None) -> dict[str, int | None]:
    """Each entity's purge horizon in days from the `wms_purge_horizon_days` Variable ("*" for every
    entity without its own entry); None = no horizon (a missing record is deleted, as before)."""
    if variable is None or not variable.strip():
        return dict.fromkeys(entities)
    problem = (
        f"Airflow Variable {PURGE_VARIABLE} must be a JSON object of whole numbers of days of at least 1 "
        'per entity (or "*"), e.g. {"order_hdr": 365}; got '
    )
    try:
        parsed = json.loads(variable)
    except ValueError:
        raise ValueError(problem + repr(variable[:200])) from None
    if not isinstance(parsed, dict):
        raise ValueError(problem + repr(variable[:200]))
    unknown = sorted(set(parsed) - {"*", *settings.ENTITIES_ALL})
    if unknown:
        raise ValueError(f"Airflow Variable {PURGE_VARIABLE} names {unknown}, which are not entities or '*'")
    bad = {k: v for k, v in parsed.items() if isinstance(v, bool) or not isinstance(v, int) or v < 1}
    if bad:
        raise ValueError(problem + repr(bad))
    return {entity: parsed.get(entity, parsed.get("*")) for entity in entities}


def scope(extra: Mapping[str, Any], base_url: str, entities: list[str] | tuple[str, ...]) -> str:
    """The filters a full sync ran under, as canonical JSON: the connection's facility and company codes,
    the tap's entity list and the WMS host and environment. Never a credential: only these fields are
    read, and the URL is cut to its host and path."""
    parts = urlsplit(base_url)
    environment = f"{(parts.hostname or '').lower()}{parts.path.rstrip('/')}"
    chosen = {
        "company_code": str(extra.get("company_code") or "") or None,
        "entities": sorted(entities),
        "environment": environment,
        "facility_code": str(extra.get("facility_code") or "") or None,
    }
    return json.dumps(chosen, sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True)
class Decision:
    """What one full sync found for one entity, and whether it may be recorded complete."""

    entity: str
    live: int
    would_mark: int
    threshold: Threshold
    scope: str
    previous_scope: str | None
    confirmed: bool = False
    purged: int = 0

    @property
    def too_many(self) -> bool:
        return self.threshold.exceeded_by(self.would_mark, self.live)

    @property
    def scope_changed(self) -> bool:
        return self.previous_scope is not None and self.previous_scope != self.scope

    @property
    def guarded(self) -> bool:
        """The guard would hold this sync (before a person's confirmation)."""
        return self.too_many or self.scope_changed

    @property
    def status(self) -> str:
        if not self.guarded:
            return "complete"
        return "released" if self.confirmed else "held"

    def reason(self) -> str:
        reasons = []
        if self.too_many:
            percent = 100.0 * self.would_mark / self.live if self.live else 100.0
            reasons.append(
                f"would mark {self.would_mark} of {self.live} live records deleted ({percent:.1f} %), "
                f"over the threshold ({self.threshold.describe()})"
            )
        if self.scope_changed:
            reasons.append(f"the scope changed from {self.previous_scope} to {self.scope}")
        purged = (
            f"; {self.purged} missing records older than the purge horizon count as purged"
            if self.purged
            else ""
        )
        if not reasons:
            return f"would mark {self.would_mark} of {self.live} live records deleted; within the threshold{purged}"
        return "; ".join(reasons) + purged

    def message(self) -> str:
        return f"{self.entity}: {self.reason()}; filters in force: {self.scope}"
