"""`dbt parse` works for every target with no database and no secrets (Cosmos builds its manifest this way).

The oracle target needs one setting that has no safe default: WMS_ORA_DATABASE, the DB_NAME.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from dbt_runner import PROJECT_DIR, run_dbt

TARGETS = {"duckdb": "duckdb", "postgres": "postgres", "oracle": "oracle"}
# Not a secret: the value of SELECT SYS_CONTEXT('userenv','DB_NAME') FROM dual.
TARGET_ENV = {"oracle": {"WMS_ORA_DATABASE": "WMSPROD"}}
MARTS = {"mart_daily_fulfillment", "mart_order_backlog", "mart_pick_productivity"}


def _manifest(artefacts: Path) -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads((artefacts / "target" / "manifest.json").read_text())
    return manifest


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_parse_without_database(target: str, tmp_path: Path) -> None:
    run_dbt(
        ["parse", "--target", target],
        tmp_path,
        {"WMS_RAW_SCHEMA": "raw_from_env", **TARGET_ENV.get(target, {})},
    )

    manifest = _manifest(tmp_path)
    assert manifest["metadata"]["adapter_type"] == TARGETS[target]
    models = {n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    model_files = {p.stem for p in (PROJECT_DIR / "models").rglob("*.sql")}
    assert set(models) == model_files
    assert set(models) >= MARTS
    undocumented = sorted(name for name, node in models.items() if not node["description"].strip())
    assert undocumented == []
    sources = [s for s in manifest["sources"].values() if s["source_name"] == "oracle_wms"]
    assert {s["schema"] for s in sources} == {"raw_from_env"}
    assert {s["name"] for s in sources} >= {
        "order_hdr",
        "order_dtl",
        "allocation",
        "facility",
        "etl_full_sync_seen",
    }
    exposure = next(e for e in manifest["exposures"].values() if e["name"] == "fulfilment_dashboard")
    assert {dep.split(".")[-1] for dep in exposure["depends_on"]["nodes"]} == MARTS
    assert len(manifest["unit_tests"]) >= 3
    for name in MARTS:
        columns = models[name]["columns"]
        assert columns, f"{name} documents no columns"
        assert [c for c, spec in columns.items() if not spec["description"].strip()] == []


def test_oracle_target_without_the_db_name_names_the_setting(tmp_path: Path) -> None:
    """dbt-oracle finds its relations only under the DB_NAME (its relation cache is filled from
    SYS_CONTEXT('userenv','DB_NAME')); a `database` that defaulted to anything else, such as the
    service name, would re-create every table from the second run (ORA-00955)."""
    with pytest.raises(AssertionError, match="WMS_ORA_DATABASE"):
        run_dbt(["parse", "--target", "oracle"], tmp_path, {"WMS_ORA_SERVICE": "wmsprod.example.com"})
