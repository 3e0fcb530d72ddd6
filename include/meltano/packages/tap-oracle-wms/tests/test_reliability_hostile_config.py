"""Configuration that could be abused: hostile entity names are refused before any request, and
hostile facility/company codes travel only as URL-encoded filter values, never into the path.

The simulator records every request, so the test sees exactly what was asked of the WMS.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

import pytest
from singer_run import run_tap
from singer_sdk.exceptions import ConfigValidationError

HOSTILE = [
    "x'; drop table order_hdr; --",
    '" or "1"="1',
    "../../../etc/passwd",
    "..%2F..%2Fadmin",
    "a&page_size=100000&ordering=mod_ts",
    "b#fragment?x=1",
    "c/../../_sim/reset",
    "d\r\nX-Injected: 1",
    "facility%00",
    "ünïcødé 📦",
]
ENTITY_PATHS = {"allocation", "order_hdr"}


def _config(server: Any, **overrides: Any) -> dict[str, Any]:
    config = server.sim.config
    return {
        "base_url": server.base_url,
        "auth": {"type": "basic", "username": config.username, "password": config.password},
        "entities": sorted(ENTITY_PATHS),
        "retry_backoff_seconds": 0.01,
        "max_retries": 1,
        **overrides,
    }


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_entity_names_are_refused_before_any_request(wms_simulator: Any, hostile: str) -> None:
    with pytest.raises(ConfigValidationError):
        run_tap(_config(wms_simulator, entities=["allocation", hostile]))
    assert wms_simulator.sim.requests == []


@pytest.mark.parametrize("setting", ["facility_code", "company_code"])
def test_hostile_codes_are_sent_only_as_encoded_filter_values(wms_simulator: Any, setting: str) -> None:
    filter_name = {"facility_code": "facility_id__code", "company_code": "company_id__code"}[setting]
    for hostile in HOSTILE:
        wms_simulator.sim.reset()
        # order_hdr has both facility_id and company_id, so the filter applies to every list request.
        output = run_tap(_config(wms_simulator, entities=["order_hdr"], **{setting: hostile}))

        assert output.records == {}, "no record matches a hostile code"
        assert any(not served.path.endswith("/describe/") for served in wms_simulator.sim.requests)
        env = wms_simulator.sim.config.environment
        for served in wms_simulator.sim.requests:
            entity_path = served.path.removeprefix(f"/{env}/wms/lgfapi/v10/entity/").strip("/")
            assert entity_path in ENTITY_PATHS or entity_path.removesuffix("/describe") in ENTITY_PATHS
            assert served.method == "GET"
            if not served.path.endswith("/describe/"):
                params = parse_qs(served.query, keep_blank_values=True)
                assert params[filter_name] == [hostile], served.query
                assert params["page_size"] != ["100000"]
                assert params.get("ordering") == ["id"]
