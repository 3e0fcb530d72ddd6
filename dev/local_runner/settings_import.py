"""Import `airflow_settings.yaml` (the file `astro dev start` reads) into a local Airflow home.

Astro's CLI loads connections, pools and variables from it; plain Airflow has no such loader, so the
local runner converts each section to the JSON that `airflow connections|pools|variables import`
reads. Connections the local runner provides itself (simulator, warehouse, alert receivers, passed as
AIRFLOW_CONN_* environment variables, which win over the metadata DB) are left out, so the UI never
shows a placeholder for a connection that is really pointing somewhere else.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

SETTINGS_FILE = Path(__file__).resolve().parents[2] / "airflow_settings.yaml"

# airflow_settings.yaml key -> `airflow connections import` key
_CONNECTION_FIELDS = {
    "conn_type": "conn_type",
    "conn_host": "host",
    "conn_schema": "schema",
    "conn_login": "login",
    "conn_password": "password",
    "conn_port": "port",
    "conn_uri": "uri",
}


@dataclass(frozen=True)
class ImportedSettings:
    connections: list[str]
    pools: list[str]
    variables: list[str]


def load_settings(path: Path = SETTINGS_FILE) -> dict[str, Any]:
    document = yaml.safe_load(path.read_text()) or {}
    settings: dict[str, Any] = document.get("airflow") or {}
    return settings


def connections_json(settings: dict[str, Any], skip: Collection[str] = ()) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for entry in settings.get("connections") or []:
        if entry["conn_id"] in skip:
            continue
        conn = {
            target: entry[key] for key, target in _CONNECTION_FIELDS.items() if entry.get(key) is not None
        }
        if entry.get("conn_extra"):
            conn["extra"] = json.dumps(entry["conn_extra"])  # the YAML mapping; Airflow stores a string
        found[entry["conn_id"]] = conn
    return found


def pools_json(settings: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        pool["pool_name"]: {"slots": pool["pool_slot"], "description": pool.get("pool_description", "")}
        for pool in settings.get("pools") or []
    }


def variables_json(settings: dict[str, Any]) -> dict[str, str]:
    return {var["variable_name"]: str(var["variable_value"]) for var in settings.get("variables") or []}


def import_settings(
    run_airflow: Callable[..., object],
    work_dir: Path,
    *,
    skip_connections: Collection[str] = (),
    path: Path = SETTINGS_FILE,
) -> ImportedSettings:
    """Import every section through the Airflow CLI (`run_airflow(*args)`, e.g. LocalAirflow.airflow).

    The JSON files are written to `work_dir` (the Airflow home) and removed after the import, as
    imported placeholder passwords have no business lying around.
    """
    settings = load_settings(path)
    sections: list[tuple[str, dict[str, Any]]] = [
        ("connections", connections_json(settings, skip_connections)),
        ("pools", pools_json(settings)),
        ("variables", variables_json(settings)),
    ]
    work_dir.mkdir(parents=True, exist_ok=True)
    for command, content in sections:
        if not content:
            continue
        file = work_dir / f"settings-{command}.json"
        file.write_text(json.dumps(content))
        try:
            args = [command, "import", str(file)]
            if command == "connections":
                args += ["--overwrite"]
            run_airflow(*args)
        finally:
            file.unlink(missing_ok=True)
    return ImportedSettings(
        connections=sorted(sections[0][1]), pools=sorted(sections[1][1]), variables=sorted(sections[2][1])
    )
