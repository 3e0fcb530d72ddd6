"""The extraction window of one run, as lgfapi list filters.

A run is a pure function of its configuration: incremental runs read
`start_date - lookback_minutes <= mod_ts < end_date`; full syncs (no `start_date`) read every
id, optionally bounded by `id_min <= id <= id_max`. Singer state never moves the window.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta


class WindowConfigError(ValueError):
    """The window settings contradict each other or cannot be parsed."""


def parse_timestamp(setting: str, value: t.Any) -> datetime:
    """Parse an ISO-8601 setting; a value without offset is taken as UTC (WMS would guess)."""
    if isinstance(value, datetime):
        parsed = value
    else:
        try:
            parsed = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        except ValueError:
            msg = f"`{setting}` must be an ISO-8601 timestamp with offset, e.g. 2025-01-31T00:00:00+00:00"
            raise WindowConfigError(msg) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _format(value: datetime) -> str:
    # Offset-aware, so lgfapi does not read it in the API user's facility time zone.
    return value.isoformat()


@dataclass(frozen=True, slots=True)
class ExtractionWindow:
    """Bounds of one run; `None` means unbounded on that side."""

    mod_ts_from: datetime | None = None
    mod_ts_before: datetime | None = None
    id_min: int | None = None
    id_max: int | None = None

    @classmethod
    def from_config(cls, config: t.Mapping[str, t.Any]) -> ExtractionWindow:
        """Build the window from the tap settings.

        Raises:
            WindowConfigError: e.g. `end_date` not after `start_date`, or `id_min > id_max`.
        """
        start = config.get("start_date")
        end = config.get("end_date")
        lookback = int(config.get("lookback_minutes") or 0)
        if lookback < 0:
            msg = "`lookback_minutes` must be 0 or more"
            raise WindowConfigError(msg)
        mod_ts_from = parse_timestamp("start_date", start) - timedelta(minutes=lookback) if start else None
        # A full sync reads every id whatever its mod_ts: a version changed after `end_date`
        # must still count as "seen", or the warehouse would think the record was deleted.
        mod_ts_before = parse_timestamp("end_date", end) if end and start else None
        if mod_ts_from and mod_ts_before and mod_ts_before <= parse_timestamp("start_date", start):
            msg = "`end_date` must be later than `start_date`"
            raise WindowConfigError(msg)
        id_min = config.get("id_min")
        id_max = config.get("id_max")
        if id_min is not None and id_max is not None and int(id_min) > int(id_max):
            msg = f"`id_min` ({id_min}) must not exceed `id_max` ({id_max})"
            raise WindowConfigError(msg)
        return cls(
            mod_ts_from=mod_ts_from,
            mod_ts_before=mod_ts_before,
            id_min=None if id_min is None else int(id_min),
            id_max=None if id_max is None else int(id_max),
        )

    @property
    def is_incremental(self) -> bool:
        """True when the run reads a `mod_ts` window rather than every id."""
        return self.mod_ts_from is not None

    def filters(self) -> dict[str, str]:
        """The lgfapi filters of this window (the caller adds ordering and paging)."""
        params: dict[str, str] = {}
        if self.mod_ts_from is not None:
            params["mod_ts__gte"] = _format(self.mod_ts_from)
        if self.mod_ts_before is not None:
            params["mod_ts__lt"] = _format(self.mod_ts_before)
        if self.id_min is not None:
            params["id__gte"] = str(self.id_min)
        if self.id_max is not None:
            params["id__lte"] = str(self.id_max)
        return params
