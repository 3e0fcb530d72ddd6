"""The SDK's standard tap tests (discovery, sync, schema conformance) against the simulator.

The SDK builds the test class, and discovers the streams, when this module is imported; so the
simulator this suite reads is started at import and stopped when the module's tests are done.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from singer_sdk.testing import SuiteConfig, get_tap_test_class

from tap_oracle_wms.streams import SUPPORTED_ENTITIES
from tap_oracle_wms.tap import TapOracleWMS
from wms_simulator import Simulator, SimulatorConfig, SimulatorServer

_CONFIG = SimulatorConfig(records=40, seed=5, start_time=datetime(2026, 1, 5, 6, tzinfo=UTC))
_SERVER = SimulatorServer(Simulator(_CONFIG), host="127.0.0.1", port=0).start()

TestTapOracleWMS = get_tap_test_class(
    TapOracleWMS,
    config={
        "base_url": _SERVER.base_url,
        "auth": {"type": "basic", "username": _CONFIG.username, "password": _CONFIG.password},
        "entities": list(SUPPORTED_ENTITIES),
        "page_size": 100,
        "retry_backoff_seconds": 0.01,
    },
    suite_config=SuiteConfig(max_records_limit=200),
    parse_env_config=False,
)


@pytest.fixture(scope="module", autouse=True)
def _stop_simulator() -> Iterator[None]:
    yield
    _SERVER.stop()
