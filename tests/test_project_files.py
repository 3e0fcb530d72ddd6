"""The project's deployment files agree with each other and with the locks the tests ran on."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _locked_versions(env: str) -> dict[str, str]:
    lock = tomllib.loads((ROOT / "envs" / env / "uv.lock").read_text())
    return {package["name"]: package.get("version", "") for package in lock["package"]}


def test_image_requirements_pin_the_versions_the_suite_ran_on() -> None:
    locked = _locked_versions("airflow")
    pins = dict(
        line.split("==", 1)
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    )
    assert pins
    assert {name: locked.get(name) for name in pins} == pins


def test_airflow_settings_hold_placeholders_only() -> None:
    settings = yaml.safe_load((ROOT / "airflow_settings.yaml").read_text())["airflow"]
    ids = {conn["conn_id"] for conn in settings["connections"]}
    assert ids == {"oracle_wms", "wms_warehouse", "wms_alerts_slack", "wms_alerts_smtp"}
    for conn in settings["connections"]:
        password = str(conn.get("conn_password") or "")
        assert password in {"change-me", ""} or "XXXX" in password, conn["conn_id"]
    assert {pool["pool_name"] for pool in settings["pools"]} == {
        "oracle_wms_api",
        "wms_duckdb_writer",
        "wms_transform",
    }


def test_dockerfile_ci_and_readme_use_the_same_scripts() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM astrocrpublic\.azurecr\.io/runtime:3\.3-\d+", dockerfile, re.M)
    assert "scripts/bootstrap" in dockerfile
    assert "exec scripts/test" in (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    # The two commands come first: both are in the README's first section.
    first_section = readme.split("\n## ", 2)[1]
    assert "scripts/local-run" in first_section
    assert "scripts/test" in first_section


def test_meltano_plugins_install_from_local_packages_with_locked_constraints() -> None:
    for path in (ROOT / "include" / "meltano").glob("*/*.meltano.yml"):
        for plugins in (yaml.safe_load(path.read_text()).get("plugins") or {}).values():
            for plugin in plugins:
                assert plugin["pip_url"].startswith("-e ${MELTANO_PROJECT_ROOT}/packages/")
                assert "-c ${MELTANO_PROJECT_ROOT}/packages/constraints.txt" in plugin["pip_url"]


# Oracle's largest VARCHAR2: the bound for a text field whose schema gives no maxLength.
_ORACLE_VARCHAR2_MAX = 4000


def _widest_record_line(schema: dict[str, Any]) -> int:
    """Bytes of the longest RECORD line a schema allows: every text field full, every character escaped."""
    envelope = 256  # {"type": "RECORD", "stream": ..., "time_extracted": ..., "record": {...}}
    width = envelope
    for key, spec in schema["properties"].items():
        types = spec["type"] if isinstance(spec["type"], list) else [spec["type"]]
        if "string" in types and "format" not in spec:
            value = 2 + 6 * int(spec.get("maxLength", _ORACLE_VARCHAR2_MAX))  # "\uXXXX" per character
        else:
            value = 64
        width += len(key) + 4 + value
    return width


def test_meltanos_relay_buffer_is_small_but_holds_the_widest_line_the_tap_can_write() -> None:
    buffer_size = yaml.safe_load((ROOT / "include" / "meltano" / "meltano.yml").read_text())["elt"][
        "buffer_size"
    ]
    line_limit = buffer_size // 2  # Meltano's own split of elt.buffer_size
    schemas = sorted(
        (ROOT / "include" / "meltano" / "packages" / "tap-oracle-wms").glob("tap_oracle_wms/schemas/*.json")
    )
    assert len(schemas) == 10
    widest = 0
    for path in schemas:
        text = path.read_text()
        widest = max(widest, _widest_record_line(json.loads(text)), 2 * len(text))  # or its SCHEMA message
    assert buffer_size <= 16 * 2**20, "the relay holds up to elt.buffer_size of the tap's output in memory"
    assert widest * 4 < line_limit, f"a {widest:,}-byte line needs a larger elt.buffer_size"
