"""Simulator configuration: one frozen value object, so it can key a server pool in the pytest plugin."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

DEFAULT_START = datetime(2026, 1, 5, 6, 0, tzinfo=UTC)
DEV_PASSWORD = "wms-secret"  # noqa: S105 - documented dev-only default of a loopback test tool
DEV_CLIENT_SECRET = "wms-client-secret"  # noqa: S105 - documented dev-only default
MAX_SKEW_SECONDS = 86_400.0


@dataclass(frozen=True)
class SimulatorConfig:
    """Everything that determines a simulator's initial state and behaviour.

    ``records`` is the number of ``order_hdr`` rows at ``start_time``; every other entity scales from it.

    Time (both default off, which is exact, immediate commits on a clock equal to the caller's):

    - ``clock_skew_seconds``: the WMS clock minus the caller's clock (positive: the WMS runs ahead). The
      WMS stamps ``mod_ts`` with its own clock; ``start_time`` and ``Simulator.now()`` are the caller's.
    - ``commit_delays``: a distribution of late commits, ``((probability, seconds), ...)``: each change
      (a record's new version, one per record and advance) is, with that probability, made visible to
      readers only ``seconds`` after its ``mod_ts``, as when the WMS stamps ``mod_ts`` at save time and
      a long transaction commits later. Drawn deterministically from (seed, entity, id, mod_ts).
      Probabilities must add up to at most 1.
    """

    records: int = 1000
    seed: int = 42
    start_time: datetime = DEFAULT_START
    environment: str = "lgf_test"
    username: str = "wms_api"
    password: str = field(default=DEV_PASSWORD, repr=False)
    oauth_client_id: str = "wms-client"
    oauth_client_secret: str = field(default=DEV_CLIENT_SECRET, repr=False)
    token_ttl_seconds: int = 3600
    latency: bool = False
    latency_scale: float = 1.0
    history_days: int = 30
    clock_skew_seconds: float = 0.0
    commit_delays: tuple[tuple[float, float], ...] = ()

    def __post_init__(self) -> None:
        if self.records < 1:
            raise ValueError(f"SimulatorConfig.records must be >= 1, got {self.records}")
        if self.start_time.tzinfo is None:
            raise ValueError("SimulatorConfig.start_time must be timezone-aware (e.g. tzinfo=UTC)")
        if not self.environment or "/" in self.environment:
            raise ValueError(
                f"SimulatorConfig.environment must be one path segment, got {self.environment!r}"
            )
        if self.token_ttl_seconds < 1:
            raise ValueError("SimulatorConfig.token_ttl_seconds must be >= 1")
        if self.latency_scale < 0:
            raise ValueError("SimulatorConfig.latency_scale must be >= 0")
        if self.history_days < 1:
            raise ValueError("SimulatorConfig.history_days must be >= 1")
        if abs(self.clock_skew_seconds) > MAX_SKEW_SECONDS:
            raise ValueError(
                f"SimulatorConfig.clock_skew_seconds must be within ±{MAX_SKEW_SECONDS:g} s, "
                f"got {self.clock_skew_seconds!r}"
            )
        for entry in self.commit_delays:
            if len(entry) != 2 or not 0 < entry[0] <= 1 or entry[1] < 0:
                raise ValueError(
                    "SimulatorConfig.commit_delays entries are (probability in (0, 1], seconds >= 0), "
                    f"got {entry!r}"
                )
        if sum(probability for probability, _ in self.commit_delays) > 1 + 1e-9:
            raise ValueError("SimulatorConfig.commit_delays probabilities add up to more than 1")
