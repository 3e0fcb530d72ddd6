"""The plugin as the Astro image loads it: from the image's copy of the project (no dev/, no tests/)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from deployment_image import copy_build_context


def test_airflow_loads_exactly_one_health_plugin_from_the_image_copy(tmp_path: Path) -> None:
    home = tmp_path / "airflow"
    copy_build_context(home)
    assert not (home / "dev").exists()
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AIRFLOW", "WMS_"))}
    env |= {"AIRFLOW_HOME": str(home), "PYTHONPATH": str(home), "AIRFLOW__CORE__LOAD_EXAMPLES": "False"}
    airflow = Path(sys.executable).parent / "airflow"
    result = subprocess.run(
        [str(airflow), "plugins", "--output", "json"], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]
    plugins = json.loads(result.stdout[result.stdout.index("[") :])
    [health] = [p for p in plugins if p["name"] == "wms_sync_health"]
    assert health["source"] == "$PLUGINS_FOLDER/wms_sync_health_plugin.py"
    assert [(a["url_prefix"], a["name"]) for a in health["fastapi_apps"]] == [
        ("/wms-sync-health", "WMS sync health")
    ]
    assert [(v["href"], v["category"]) for v in health["external_views"]] == [("wms-sync-health/", "browse")]
    assert "Failed to import" not in result.stderr
