"""The real ``dbt build --target oracle`` (dbt-oracle's own materializations, unit tests and data
tests) through the Oracle stand-in, twice: every statement checked against Oracle's rules.

The stand-in's DB_NAME (SYS_CONTEXT('userenv','DB_NAME')) differs from the service name, as on most
real databases; the profile's ``database`` is set as the product sets it, to the DB_NAME: the first
build with profiles.yml (WMS_ORA_DATABASE, local and CI), the second with the profile Cosmos maps from
the Airflow connection (extra.database), as the DAGs' dbt tasks get it. The raw
tables are created first by the real loader through the stand-in. dbt's ``oracledb`` is the
stand-in's shim (dev/oracle_standin/README.md).

Two fixes of issue 21 are reverted here to show the stand-in then fails the build as Oracle would:
``database`` set to the service name (ORA-00955 from the second build on) and dbt-core's own
unit-test SQL (without the project's Oracle override).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dbt_runner import PROJECT_DIR, REPO_ROOT, run_dbt

sys.path.insert(0, str(REPO_ROOT / "dev" / "oracle_standin" / "src"))

from oracle_standin.testing import Report, StandIn, run_loader, running_standin, singer_record, singer_schema

DB_NAME = "WMSCDB"
SERVICE_NAME = "WMSPDB_SERVICE"
SCHEMAS = REPO_ROOT / "include" / "meltano" / "packages" / "tap-oracle-wms" / "tap_oracle_wms" / "schemas"
RAW_ENTITIES = sorted(path.stem for path in SCHEMAS.glob("*.json"))
LONG_PICK_USER = {"id": 1, "mod_ts": "2025-06-01T10:00:00.5+00:00", "pick_user": "p" * 4100}
INCREMENTAL_MODELS = ("fct_allocations", "fct_order_lines", "fct_orders")


def dbt_oracle_env(standin: StandIn, database: str) -> dict[str, str]:
    """dbt's profile for the stand-in; ``database`` is what the profile says the DB_NAME is."""
    env = standin.environment("dbt")
    return {
        "PYTHONPATH": env["PYTHONPATH"],
        "ORACLE_STANDIN_ADDRESS": env["ORACLE_STANDIN_ADDRESS"],
        "ORACLE_STANDIN_LABEL": "dbt",
        "WMS_ORA_USER": "wms",
        "WMS_ORA_PASSWORD": "not-a-secret",
        "WMS_ORA_SERVICE": SERVICE_NAME,
        "WMS_ORA_DATABASE": database,
    }


def _assert_clean(report: Report) -> None:
    assert report.violations == [], json.dumps(report.violations, indent=1)[:6000]
    assert report.errors() == [], [(s["outcome"], s["sql"][:300]) for s in report.errors()]
    assert report.unanalysed() == [], [(s["note"], s["sql"][:300]) for s in report.unanalysed()]


def _node_statements(report: Report, model: str) -> list[str]:
    marker = f'"node_id": "model.wms.{model}"'
    return [" ".join(s["sql"].lower().split()) for s in report.statements if marker in s["sql"]]


@pytest.fixture(scope="module")
def standin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StandIn]:
    """The stand-in, its raw tables created by the real loader (one SCHEMA message per entity)."""
    with running_standin(db_name=DB_NAME) as server:
        singer = "\n".join(
            [
                *(
                    singer_schema(entity, json.loads((SCHEMAS / f"{entity}.json").read_text())["properties"])
                    for entity in RAW_ENTITIES
                ),
                # A text value over VARCHAR2's 4000 bytes: the loader turns PICK_USER into a CLOB.
                singer_record("allocation", LONG_PICK_USER),
            ]
        )
        config = {
            "sqlalchemy_url": f"oracle+oracledb://loader:not-a-secret@127.0.0.1:1521/?service_name={SERVICE_NAME}",
            "default_target_schema": "wms_raw",
        }
        loaded = run_loader(server, singer + "\n", config, work_dir=tmp_path_factory.mktemp("loader"))
        assert loaded.returncode == 0, loaded.stderr[-3000:]
        yield server


@pytest.fixture(scope="module")
def first_build(standin: StandIn, tmp_path_factory: pytest.TempPathFactory) -> tuple[Report, str]:
    standin.reset_log()
    output = run_dbt(
        ["build", "--target", "oracle"], tmp_path_factory.mktemp("dbt"), dbt_oracle_env(standin, DB_NAME)
    )
    return standin.report(), output


@pytest.fixture(scope="module")
def cosmos_profile_env(standin: StandIn, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """dbt's environment with the profile Airflow's dbt tasks get: Cosmos' mapping of the warehouse
    connection (include/wms_pipeline/dbt.py), its `database` from the connection's extra.database."""
    from include.wms_pipeline import settings
    from include.wms_pipeline.dbt import profile_config

    connection = {
        "conn_type": "oracle",
        "host": "127.0.0.1",
        "port": 1521,
        "login": "wms",
        "password": "not-a-secret",
        "extra": {"service_name": SERVICE_NAME, "database": DB_NAME},
    }
    variable = f"AIRFLOW_CONN_{settings.WAREHOUSE_CONN_ID.upper()}"
    previous = os.environ.get(variable)
    os.environ[variable] = json.dumps(connection)
    try:
        with profile_config("oracle").ensure_profile() as (profile_path, profile_env):
            profiles_dir = tmp_path_factory.mktemp("cosmos-profile")
            shutil.copy(profile_path, profiles_dir / "profiles.yml")
            env = {**dbt_oracle_env(standin, "unused"), **profile_env, "DBT_PROFILES_DIR": str(profiles_dir)}
    finally:
        if previous is None:
            del os.environ[variable]
        else:
            os.environ[variable] = previous
    return {key: value for key, value in env.items() if not key.startswith("WMS_ORA_")}


@pytest.fixture(scope="module")
def second_build(
    first_build: Any,
    standin: StandIn,
    cosmos_profile_env: dict[str, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Report, str]:
    """The incremental build, as Airflow runs it: with the profile Cosmos builds."""
    standin.reset_log()
    output = run_dbt(["build", "--target", "oracle"], tmp_path_factory.mktemp("dbt"), cosmos_profile_env)
    return standin.report(), output


def test_first_build_breaks_no_rule_and_creates_every_model(first_build: tuple[Report, str]) -> None:
    report, output = first_build

    assert "Completed successfully" in output
    _assert_clean(report)
    allocation = next(t for t in report.catalog if (t["owner"], t["name"]) == ("WMS_RAW", "ALLOCATION"))
    assert ["PICK_USER", "CLOB", True] in allocation["columns"]  # the staging models read a CLOB
    created = {t["name"] for t in report.catalog if t["owner"] == "WMS"}
    assert {"FCT_ORDERS", "FCT_ORDER_LINES", "FCT_ALLOCATIONS", "MART_DAILY_FULFILLMENT"} <= created
    assert "4 unit tests" in output


def test_second_build_merges_into_the_incremental_facts(second_build: tuple[Report, str]) -> None:
    report, output = second_build

    assert "Completed successfully" in output
    _assert_clean(report)
    assert any(
        f'"connection_name": "list_{DB_NAME}_wms"' in s["sql"] for s in report.statements
    )  # Cosmos' database
    for model in INCREMENTAL_MODELS:
        statements = _node_statements(report, model)
        assert any(f"merge into wms.{model} " in s for s in statements), model
        assert not any(f"create table wms.{model} " in s for s in statements), model
    # dbt's own is_incremental() chose the incremental branch: the model's filter on its own table,
    # with dbt.dateadd's Oracle form, on dbt-oracle's real materialization (not the offline-compile switch).
    orders = " ".join(_node_statements(report, "fct_orders"))
    assert "numtodsinterval" in orders
    assert "from wms.fct_orders" in orders


def test_reverted_database_as_service_name_fails_the_second_build_with_ora_00955(
    second_build: Any, standin: StandIn, tmp_path: Path
) -> None:
    standin.reset_log()
    with pytest.raises(AssertionError, match="ORA-00955"):
        run_dbt(["build", "--target", "oracle"], tmp_path, dbt_oracle_env(standin, SERVICE_NAME))

    assert "name_already_used" in standin.report().rules_broken()


def _project_copy(tmp_path: Path) -> Path:
    project = tmp_path / "wms"
    shutil.copytree(
        PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "dbt_packages", "logs", "*.duckdb")
    )
    return project


def _without_unit_test_override(tmp_path: Path) -> Path:
    """A copy of the project without its Oracle override of dbt's unit-test SQL (macros/unit_tests)."""
    project = _project_copy(tmp_path)
    shutil.rmtree(project / "macros" / "unit_tests")
    return project


@pytest.mark.parametrize(
    ("version", "refused_with", "rules"),
    [
        ("19.0.0.0.0", "ORA-00923", {"select_without_from", "nls_dependent_conversion"}),
        # 23ai accepts SELECT without FROM, and then the next statement fails: the '_' alias.
        ("23.4.0.0.0", "ORA-00911", {"identifier_leading_character", "nls_dependent_conversion"}),
    ],
    ids=["19c", "23ai"],
)
def test_reverted_dbt_core_unit_test_sql_breaks_oracle_rules(
    second_build: Any, standin: StandIn, tmp_path: Path, version: str, refused_with: str, rules: set[str]
) -> None:
    project = _without_unit_test_override(tmp_path)
    standin.reset_log()
    standin.configure(version=version)
    try:
        with pytest.raises(AssertionError, match=refused_with):
            run_dbt(
                ["test", "--target", "oracle", "--project-dir", str(project), "--select", "test_type:unit"],
                tmp_path,
                dbt_oracle_env(standin, DB_NAME),
            )
    finally:
        standin.configure(version="19.0.0.0.0")

    broken = standin.report().rules_broken()
    assert rules <= broken, broken


# The macros as they were before issue 21 (git f847e57), put back in a copy of the project.
OLD_EMPTY_AS_NULL = """
{% macro wms_empty_as_null(expr) -%}
    case when trim({{ expr }}) = '' or trim({{ expr }}) is null then null else {{ expr }} end
{%- endmacro %}
"""
OLD_TO_UTC = """
{% macro wms_to_utc(expr) -%}
    {{ return(adapter.dispatch('wms_to_utc', 'wms')(expr)) }}
{%- endmacro %}
{% macro default__wms_to_utc(expr) -%}
    cast(({{ expr }}) at time zone 'UTC' as timestamp)
{%- endmacro %}
{% macro oracle__wms_to_utc(expr) -%}
    sys_extract_utc({{ expr }})
{%- endmacro %}
"""
STAGING_ALLOCATIONS = ["--select", "stg_oracle_wms__allocations"]


def test_reverted_clob_unsafe_staging_fails_with_ora_00932(
    second_build: Any, standin: StandIn, tmp_path: Path
) -> None:
    project = _project_copy(tmp_path)
    (project / "macros" / "staging" / "wms_empty_as_null.sql").write_text(OLD_EMPTY_AS_NULL)
    standin.reset_log()

    with pytest.raises(AssertionError, match="ORA-00932"):
        run_dbt(
            ["run", "--target", "oracle", "--project-dir", str(project), *STAGING_ALLOCATIONS],
            tmp_path,
            dbt_oracle_env(standin, DB_NAME),
        )
    assert "lob_in_comparison" in standin.report().rules_broken()


def test_reverted_sys_extract_utc_on_plain_timestamps_is_reported(
    second_build: Any, standin: StandIn, tmp_path: Path
) -> None:
    project = _project_copy(tmp_path)
    (project / "macros" / "cross_db" / "wms_to_utc.sql").write_text(OLD_TO_UTC)
    standin.reset_log()

    # Oracle accepts it, and the values silently move with the dbt worker's time zone.
    run_dbt(
        ["run", "--target", "oracle", "--project-dir", str(project), *STAGING_ALLOCATIONS],
        tmp_path,
        dbt_oracle_env(standin, DB_NAME),
    )
    assert "session_time_zone_conversion" in standin.report().rules_broken()
