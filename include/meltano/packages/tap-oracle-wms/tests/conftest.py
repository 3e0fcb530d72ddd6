"""Fixtures shared by the tap tests: a scripted stub server, fast retries, the simulator data set."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from stub_wms import PASSWORD, USERNAME, StubWMS, make_record

from wms_simulator import SimulatorConfig

FAST_RETRIES = {"retry_backoff_seconds": 0.01, "max_retries": 4}


@pytest.fixture
def stub_wms() -> Iterator[StubWMS]:
    """A stub lgfapi with 25 allocation records (ids 1..25)."""
    stub = StubWMS([make_record(record_id) for record_id in range(1, 26)]).start()
    yield stub
    stub.stop()


@pytest.fixture
def stub_config(stub_wms: StubWMS) -> dict[str, Any]:
    """Tap settings aimed at the stub: basic auth, allocation only, pages of 10."""
    return {
        "base_url": stub_wms.base_url,
        "auth": {"type": "basic", "username": USERNAME, "password": PASSWORD},
        "entities": ["allocation"],
        "page_size": 10,
        **FAST_RETRIES,
    }


@pytest.fixture(scope="session")
def wms_simulator_config() -> SimulatorConfig:
    """A small data set for the end-to-end tests (the 100k test starts its own simulator)."""
    return SimulatorConfig(records=150, seed=3, start_time=datetime(2026, 1, 5, 6, tzinfo=UTC))


# The reliability harness shared with the loader suite and scripts/reliability (dev/reliability).
RELIABILITY_DIR = Path(__file__).resolve().parents[5] / "dev" / "reliability"
if str(RELIABILITY_DIR) not in sys.path:
    sys.path.insert(0, str(RELIABILITY_DIR))
