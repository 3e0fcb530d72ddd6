"""Offline Oracle compile: every model and test compiles for dbt-oracle and is valid Oracle SQL.

No Oracle server is needed: `database:` is set in the profile (the DB_NAME, which differs from the
service name as it often does in production) and the compile neither fills the relation cache nor
introspects; incremental models are compiled in their incremental form (the whole model plus its
filter) through the project's `wms_compile_as_incremental` var.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from dbt_runner import PROJECT_DIR, run_dbt
from oracle_sql_rules import oracle_violations
from raw_schema import ENTITY_COLUMNS

ORACLE_ENV = {
    "WMS_ORA_SERVICE": "wmsprod.example.com",
    "WMS_ORA_DATABASE": "WMSPROD",
    "WMS_ORA_SCHEMA": "wms_dw",
}
COMPILE_ARGS = [
    "compile",
    "--target",
    "oracle",
    "--no-populate-cache",
    "--no-introspect",
    "--vars",
    "{wms_compile_as_incremental: true}",
]


@pytest.fixture(scope="module")
def compiled_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    artefacts = tmp_path_factory.mktemp("oracle_compile")
    run_dbt(COMPILE_ARGS, artefacts, ORACLE_ENV)
    return artefacts / "target" / "compiled" / "wms"


def _compiled(compiled_dir: Path, model: str) -> str:
    (path,) = compiled_dir.rglob(f"{model}.sql")
    return path.read_text().lower()


def test_every_model_compiles(compiled_dir: Path) -> None:
    model_files = {p.stem for p in (PROJECT_DIR / "models").rglob("*.sql")}
    compiled = {p.stem for p in (compiled_dir / "models").rglob("*.sql")}

    assert model_files <= compiled


def test_compiled_sql_is_valid_oracle(compiled_dir: Path) -> None:
    files = sorted(compiled_dir.rglob("*.sql"))
    problems = {str(p.relative_to(compiled_dir)): oracle_violations(p.read_text()) for p in files}

    assert len(files) > 50  # models, data tests and singular tests
    assert {name: found for name, found in problems.items() if found} == {}


def test_dispatch_macros_resolve_to_oracle(compiled_dir: Path) -> None:
    staging = _compiled(compiled_dir, "stg_oracle_wms__order_hdrs")
    orders = _compiled(compiled_dir, "fct_orders")
    daily = _compiled(compiled_dir, "mart_daily_fulfillment")
    allocations = _compiled(compiled_dir, "stg_oracle_wms__allocations")

    # Raw times are plain TIMESTAMP(6) in UTC on Oracle; sys_extract_utc() of a plain TIMESTAMP reads
    # it in the session time zone (SQL Language Reference, SYS_EXTRACT_UTC), i.e. the dbt worker's.
    for sql in (staging, orders, daily, allocations):
        assert "sys_extract_utc(" not in sql
        assert "sessiontimezone" not in sql
    assert "from_tz(cast(o.created_at as timestamp), 'utc')" in daily  # wms_local_date: UTC stated
    assert "from wms_raw.order_hdr" in staging  # unquoted source: the loader's upper-case table
    assert "from_tz(" in orders  # wms_local_date
    assert "extract(day from" in orders  # wms_hours_between
    assert "median(" in daily  # wms_median
    assert "as binary_double)" in orders  # wms_type_double: binary64 like the others, not NUMBER
    assert "cv.is_picking_flg = 1" in allocations  # wms_bool_to_int on NUMBER(1)
    assert "numtodsinterval" in orders  # dbt.dateadd in the incremental filter
    assert "from wms_dw.fct_orders" in orders  # the incremental branch was compiled
    for other_dialect in (
        "timezone(",
        "percentile_cont",
        "quantile_cont",
        "date_diff(",
        "epoch",
        "'utc' as timestamp",
    ):
        for sql in (staging, orders, daily, allocations):
            assert other_dialect not in sql


def _staging_models(compiled_dir: Path) -> dict[str, str]:
    return {p.stem: p.read_text().lower() for p in (compiled_dir / "models" / "staging").rglob("*.sql")}


def test_raw_text_reaches_the_models_only_as_a_bounded_varchar2(compiled_dir: Path) -> None:
    """The loader turns a raw text column into a CLOB once a value exceeds 4000 bytes; SQL cannot
    compare, GROUP BY or DISTINCT a LOB (ORA-00932). Every raw text column a staging model reads is
    therefore first cut with SUBSTR (valid on VARCHAR2 and CLOB) and made a VARCHAR2."""
    text_columns = {
        name for columns in ENTITY_COLUMNS.values() for name, kind in columns if kind == "varchar"
    }
    unbounded: dict[str, list[str]] = {}
    for model, sql in _staging_models(compiled_dir).items():
        for column in sorted(text_columns):
            for use in re.finditer(rf"(.{{0,8}})\bcv\.{column}\b", sql):
                if not use.group(1).endswith("substr("):
                    unbounded.setdefault(model, []).append(column)
    assert len(_staging_models(compiled_dir)) >= 10
    assert unbounded == {}
