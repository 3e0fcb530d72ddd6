"""The real loader CLI against the Oracle stand-in: every statement it sends checked against Oracle's rules.

The loader runs as Meltano runs it (the ``target-warehouse`` command of this environment) with the
stand-in's ``oracledb`` shim first on PYTHONPATH; the stand-in keeps a catalog of what the DDL
created, answers SQLAlchemy's reflection from it and records every statement with its binds and the
database type python-oracledb would send each bind as (dev/oracle_standin/README.md).

Each fix of issue 21 is also reverted inside a test (a few lines run before the CLI starts) to show
that the stand-in then reports exactly the failure a real Oracle would give.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[5]
sys.path.insert(0, str(REPO / "dev" / "oracle_standin" / "src"))

from oracle_standin import driver  # noqa: E402
from oracle_standin.testing import Report, StandIn, running_standin  # noqa: E402
from oracle_standin.testing import run_loader as run_target  # noqa: E402

DATA_FILES = Path(__file__).parent / "data_files"
URL = "oracle+oracledb://loader:secret@127.0.0.1:1521/?service_name=WMSPDB_SERVICE"


@pytest.fixture(scope="module")
def standin() -> Iterator[StandIn]:
    with running_standin() as server:
        yield server


@pytest.fixture
def oracle(standin: StandIn) -> StandIn:
    standin.reset()
    return standin


def _schema(properties: dict[str, Any]) -> str:
    return json.dumps(
        {
            "type": "SCHEMA",
            "stream": "allocation",
            "key_properties": ["id"],
            "schema": {"type": "object", "properties": properties},
        }
    )


def _record(record: dict[str, Any]) -> str:
    return json.dumps({"type": "RECORD", "stream": "allocation", "record": record})


BASE_PROPERTIES = {
    "id": {"type": "integer"},
    "mod_ts": {"type": "string", "format": "date-time"},
    "pick_user": {"type": ["string", "null"], "maxLength": 30},
}


def run_loader(
    oracle: StandIn,
    singer: str,
    *,
    label: str = "loader",
    before: str = "",
    tmp_path: Path,
    **settings: Any,
) -> subprocess.CompletedProcess[str]:
    config = {"sqlalchemy_url": URL, "default_target_schema": "wms_raw", **settings}
    return run_target(oracle, singer, config, work_dir=tmp_path, label=label, before=before)


def _ok(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, result.stderr[-4000:]


def _assert_no_rule_broken(report: Report) -> None:
    assert report.violations == [], json.dumps(report.violations, indent=1)[:4000]
    assert report.unanalysed() == [], [s["sql"][:200] + " | " + s["note"] for s in report.unanalysed()]


def _columns(report: Report, table: str) -> dict[str, str]:
    found = report.table("WMS_RAW", table)
    assert found is not None, f"WMS_RAW.{table} was never created"
    return {name: kind for name, kind, _ in found["columns"]}


def _datetime_binds(report: Report) -> list[tuple[str, str, str]]:
    """(sql, bind, type) of every bound datetime, first row of each statement."""
    found = []
    for statement in report.statements:
        types = statement["bind_types"]
        for row in statement["binds"]:
            items = row.items() if isinstance(row, dict) else enumerate(row)
            for key, value in items:
                if isinstance(value, dict) and "$datetime" in value:
                    kind = types.get(str(key)) if isinstance(types, dict) else types[key]
                    found.append((statement["sql"], value["$datetime"], kind))
    return found


# The loader as it is -----------------------------------------------------------------------------


def test_history_loads_with_no_rule_broken_and_the_key_oracle_accepts(
    oracle: StandIn, tmp_path: Path
) -> None:
    _ok(run_loader(oracle, (DATA_FILES / "allocation_history.singer").read_text(), tmp_path=tmp_path))

    report = oracle.report()
    _assert_no_rule_broken(report)
    assert report.errors() == []
    columns = _columns(report, "ALLOCATION")
    assert columns["MOD_TS"] == "TIMESTAMP(6)"
    allocation = report.table("WMS_RAW", "ALLOCATION")
    assert allocation is not None
    assert [kind for _, kind, cols in allocation["constraints"] if cols == ["ID", "MOD_TS"]] == ["P"]


def test_every_timestamp_is_bound_as_timestamp_with_its_microseconds(oracle: StandIn, tmp_path: Path) -> None:
    _ok(run_loader(oracle, (DATA_FILES / "allocation_history.singer").read_text(), tmp_path=tmp_path))

    binds = _datetime_binds(oracle.report())
    assert binds, "the loader bound no datetime at all"
    assert {kind for _, _, kind in binds} == {"DB_TYPE_TIMESTAMP"}
    # 2025-09-15T09:35:59.926171-03:00 in the data file, bound as naive UTC with its microseconds.
    assert any(value == "2025-09-15T12:35:59.926171" for _, value, _ in binds), sorted(
        {v for _, v, _ in binds}
    )


def test_schema_evolution_adds_widens_and_moves_text_over_4000_bytes_to_clob(
    oracle: StandIn, tmp_path: Path
) -> None:
    first = [
        _schema(BASE_PROPERTIES),
        _record({"id": 1, "mod_ts": "2025-09-15T10:00:00.123456+00:00", "pick_user": "a"}),
    ]
    _ok(run_loader(oracle, "\n".join(first) + "\n", tmp_path=tmp_path))
    wider = {**BASE_PROPERTIES, "pick_locn_str": {"type": ["string", "null"], "maxLength": 100}}
    second = [
        _schema(wider),
        _record(
            {"id": 2, "mod_ts": "2025-09-15T10:00:01+00:00", "pick_user": "u" * 45, "pick_locn_str": "2-20"}
        ),
        _record(
            {"id": 3, "mod_ts": "2025-09-15T10:00:02+00:00", "pick_user": "é" * 2100, "pick_locn_str": None}
        ),
    ]
    _ok(run_loader(oracle, "\n".join(second) + "\n", tmp_path=tmp_path))

    report = oracle.report()
    _assert_no_rule_broken(report)
    columns = _columns(report, "ALLOCATION")
    assert columns["PICK_LOCN_STR"] == "VARCHAR2(100 CHAR)"
    assert columns["PICK_USER"] == "CLOB"  # 2100 x 'é' = 4200 bytes: over VARCHAR2's 4000
    assert not [name for name in columns if name.endswith("_ETL_CLOB")]


def test_two_loaders_of_one_stream_evolve_it_at_once(oracle: StandIn, tmp_path: Path) -> None:
    _ok(
        run_loader(
            oracle,
            "\n".join([_schema(BASE_PROPERTIES), _record({"id": 1, "mod_ts": "2025-09-15T10:00:00+00:00"})])
            + "\n",
            tmp_path=tmp_path,
        )
    )

    def partition(first_id: int, column: str) -> str:
        properties = {**BASE_PROPERTIES, column: {"type": ["string", "null"]}}
        records = [
            _record(
                {
                    "id": first_id + n,
                    "mod_ts": f"2025-09-15T11:00:{n:02}.5+00:00",
                    "pick_user": "p" * (40 + n),
                    column: "x" * (50 * n),
                }
            )
            for n in range(1, 40)
        ]
        return "\n".join([_schema(properties), *records]) + "\n"

    results: dict[str, subprocess.CompletedProcess[str]] = {}

    def load(label: str, singer: str) -> None:
        results[label] = run_loader(oracle, singer, label=label, tmp_path=tmp_path)

    threads = [
        threading.Thread(target=load, args=("partition-1", partition(1000, "note_a"))),
        threading.Thread(target=load, args=("partition-2", partition(2000, "note_b"))),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for result in results.values():
        _ok(result)

    report = oracle.report()
    _assert_no_rule_broken(report)
    assert {s["label"] for s in report.statements} >= {"partition-1", "partition-2"}
    columns = _columns(report, "ALLOCATION")
    assert {"NOTE_A", "NOTE_B"} <= set(columns)


def test_reserved_words_as_field_names_are_quoted(oracle: StandIn, tmp_path: Path) -> None:
    properties = {
        **BASE_PROPERTIES,
        "session": {"type": ["string", "null"]},
        "rows": {"type": ["integer", "null"]},
    }
    singer = [
        _schema(properties),
        _record({"id": 1, "mod_ts": "2025-09-15T10:00:00+00:00", "session": "s", "rows": 3}),
    ]
    _ok(run_loader(oracle, "\n".join(singer) + "\n", tmp_path=tmp_path))

    report = oracle.report()
    _assert_no_rule_broken(report)
    assert {"SESSION", "ROWS"} <= set(_columns(report, "ALLOCATION"))


# Each fix reverted -----------------------------------------------------------------------------------

OLD_TSTZ_TYPE = """
from target_warehouse.dialects import oracle as o
o.UtcTimestamp.get_col_spec = lambda self, **kw: "TIMESTAMP(6) WITH TIME ZONE"
"""
OLD_UNTYPED_TIMESTAMP_BIND = """
from target_warehouse.dialects import oracle as o
o.UtcTimestamp.get_dbapi_type = lambda self, dbapi: None
"""
OLD_NO_DDL_LOCK_TIMEOUT = """
from target_warehouse import connector
from target_warehouse.dialects import oracle as o
o.OracleDialect.session_setup = ("ALTER SESSION SET TIME_ZONE = '+00:00'",)
connector.DDL_LOCK_ATTEMPTS = 1
"""
OLD_SQLALCHEMY_RESERVED_WORDS = """
from target_warehouse.dialects import oracle as o
o.ORACLE_RESERVED_WORDS = frozenset()
"""


def test_reverted_timestamp_with_time_zone_key_is_refused_with_ora_02329(
    oracle: StandIn, tmp_path: Path
) -> None:
    result = run_loader(
        oracle,
        (DATA_FILES / "allocation_history.singer").read_text(),
        before=OLD_TSTZ_TYPE,
        tmp_path=tmp_path,
    )

    assert result.returncode != 0
    assert "ORA-02329" in result.stderr
    assert "tstz_in_key" in oracle.report().rules_broken()


def test_reverted_untyped_timestamp_bind_is_reported_as_dropping_microseconds(
    oracle: StandIn, tmp_path: Path
) -> None:
    _ok(
        run_loader(
            oracle,
            (DATA_FILES / "allocation_history.singer").read_text(),
            before=OLD_UNTYPED_TIMESTAMP_BIND,
            tmp_path=tmp_path,
        )
    )

    report = oracle.report()
    assert "datetime_bound_as_date" in report.rules_broken()
    assert "DB_TYPE_DATE" in {kind for _, _, kind in _datetime_binds(report)}


def _hold_uncommitted_insert(oracle: StandIn) -> driver.Connection:
    """Another session (a full-sync partition mid-batch) with uncommitted DML on WMS_RAW.ALLOCATION."""
    connection = driver.Connection(dsn="", user="loader", params={}, address=oracle.address)
    cursor = connection.cursor()
    cursor.execute(
        "INSERT INTO WMS_RAW.ALLOCATION (ID, MOD_TS) VALUES (:1, TIMESTAMP '2025-01-01 00:00:00')", [99]
    )
    return connection


@pytest.mark.parametrize("reverted", [False, True], ids=["fixed", "reverted"])
def test_schema_change_under_another_loaders_transaction(
    oracle: StandIn, tmp_path: Path, reverted: bool
) -> None:
    _ok(
        run_loader(
            oracle,
            "\n".join([_schema(BASE_PROPERTIES), _record({"id": 1, "mod_ts": "2025-09-15T10:00:00+00:00"})])
            + "\n",
            tmp_path=tmp_path,
        )
    )
    holder = _hold_uncommitted_insert(oracle)
    release = threading.Timer(2.0, holder.commit)
    release.start()
    try:
        wider = {**BASE_PROPERTIES, "pick_locn_str": {"type": ["string", "null"]}}
        singer = "\n".join(
            [_schema(wider), _record({"id": 5, "mod_ts": "2025-09-15T10:00:05+00:00", "pick_locn_str": "x"})]
        )
        result = run_loader(
            oracle, singer + "\n", before=OLD_NO_DDL_LOCK_TIMEOUT if reverted else "", tmp_path=tmp_path
        )
    finally:
        release.join()
        holder.close()

    report = oracle.report()
    if reverted:
        assert result.returncode != 0
        assert "ORA-00054" in result.stderr
        assert "ddl_lock_not_acquired" in report.rules_broken()
    else:
        _ok(result)  # waited (DDL_LOCK_TIMEOUT) until the other transaction committed
        assert "PICK_LOCN_STR" in _columns(report, "ALLOCATION")
        assert "ddl_lock_not_acquired" not in report.rules_broken()


def test_reverted_reserved_word_quoting_is_refused_with_ora_00904(oracle: StandIn, tmp_path: Path) -> None:
    properties = {**BASE_PROPERTIES, "session": {"type": ["string", "null"]}}
    singer = [_schema(properties), _record({"id": 1, "mod_ts": "2025-09-15T10:00:00+00:00", "session": "s"})]
    result = run_loader(
        oracle, "\n".join(singer) + "\n", before=OLD_SQLALCHEMY_RESERVED_WORDS, tmp_path=tmp_path
    )

    assert result.returncode != 0
    assert "ORA-00904" in result.stderr
    assert "reserved_word_identifier" in oracle.report().rules_broken()


OLD_NUMBER_UNCHECKED = """
from target_warehouse.dialects import oracle as o
o.oracle_number = lambda value: value
"""


@pytest.mark.parametrize("reverted", [False, True], ids=["fixed", "reverted"])
def test_a_number_outside_oracle_number_is_quarantined_not_a_failed_batch(
    oracle: StandIn, tmp_path: Path, reverted: bool
) -> None:
    properties = {**BASE_PROPERTIES, "alloc_qty": {"type": ["number", "null"]}}
    singer = [
        _schema(properties),
        _record({"id": 1, "mod_ts": "2025-09-15T10:00:00+00:00", "alloc_qty": 1e130}),
        _record({"id": 2, "mod_ts": "2025-09-15T10:00:01+00:00", "alloc_qty": 12.5}),
    ]
    result = run_loader(
        oracle,
        "\n".join(singer) + "\n",
        before=OLD_NUMBER_UNCHECKED if reverted else "",
        tmp_path=tmp_path,
        quarantine_threshold=1,
    )

    if reverted:
        assert result.returncode != 0
        assert "DPY-4003" in result.stderr  # python-oracledb refuses the bind: the whole batch fails
    else:
        _ok(result)
        quarantined = [
            s for s in oracle.report().statements if "INTO WMS_RAW.ETL_QUARANTINE" in s["sql"].upper()
        ]
        assert [s["rows"] for s in quarantined] == [1]


# The CLOB change as it was before issue 21 (git f847e57: connector.evolution_ddl and the Oracle
# dialect's widen_text_ddl): ADD <name>_ETL_CLOB, copy, DROP <name>, RENAME back; not resumable.
OLD_CLOB_CHANGE = """
from target_warehouse import sinks
from target_warehouse.columns import Kind

def old_plan(dialect, table, columns, existing, wanted):
    statements = []
    for column in columns:
        name = column.name
        physical = str(dialect.identifier(name)).lower()
        if physical not in existing:
            statements += dialect.add_column_ddl(table, column, wanted.get(name))
        elif column.kind is Kind.TEXT and dialect.bounded_strings:
            current, needed = existing[physical], wanted.get(name)
            if current is not None and needed is None:
                target = dialect.format_table(table)
                quoted = dialect.preparer.quote(dialect.identifier(name))
                scratch = dialect.preparer.quote(dialect.identifier(name + "_etl_clob"))
                statements += [
                    f"ALTER TABLE {target} ADD ({scratch} CLOB)",
                    f"UPDATE {target} SET {scratch} = {quoted}",
                    f"ALTER TABLE {target} DROP COLUMN {quoted}",
                    f"ALTER TABLE {target} RENAME COLUMN {scratch} TO {quoted}",
                ]
            elif current is not None and needed > current:
                statements += dialect.widen_text_ddl(table, name, needed)
    return statements

sinks.plan_evolution = old_plan
"""


@pytest.mark.parametrize(
    ("reverted", "crashed_after"),
    [
        (False, "ALTER TABLE WMS_RAW.ALLOCATION RENAME COLUMN PICK_USER TO PICK_USER_ETL_VARCHAR"),
        (True, "ALTER TABLE WMS_RAW.ALLOCATION ADD (PICK_USER_ETL_CLOB CLOB)"),
    ],
    ids=["fixed", "reverted"],
)
def test_a_clob_change_cut_after_its_first_statement_is_finished_by_the_next_run(
    oracle: StandIn, tmp_path: Path, reverted: bool, crashed_after: str
) -> None:
    first = [
        _schema(BASE_PROPERTIES),
        _record({"id": 1, "mod_ts": "2025-09-15T10:00:00+00:00", "pick_user": "a"}),
    ]
    _ok(run_loader(oracle, "\n".join(first) + "\n", tmp_path=tmp_path))
    connection = driver.Connection(dsn="", user="loader", params={}, address=oracle.address)
    connection.cursor().execute(crashed_after)  # the first statement of the change, then the crash
    connection.close()
    oracle.reset_log()

    long_value = [
        _schema(BASE_PROPERTIES),
        _record({"id": 2, "mod_ts": "2025-09-15T10:00:01+00:00", "pick_user": "é" * 2100}),
    ]
    result = run_loader(
        oracle, "\n".join(long_value) + "\n", before=OLD_CLOB_CHANGE if reverted else "", tmp_path=tmp_path
    )

    report = oracle.report()
    if reverted:
        assert result.returncode != 0
        assert "ORA-01430" in result.stderr
        assert "column_already_exists" in report.rules_broken()
    else:
        _ok(result)
        _assert_no_rule_broken(report)
        columns = _columns(report, "ALLOCATION")
        assert columns["PICK_USER"] == "CLOB"
        assert "PICK_USER_ETL_VARCHAR" not in columns


def test_the_recorded_singer_files_load_in_turn_with_no_rule_broken(oracle: StandIn, tmp_path: Path) -> None:
    for data_file in (
        "allocation_history.singer",
        "allocation_schema_v2.singer",
        "allocation_bad_records.singer",
    ):
        _ok(
            run_loader(
                oracle, (DATA_FILES / data_file).read_text(), tmp_path=tmp_path, quarantine_threshold=100
            )
        )

    report = oracle.report()
    _assert_no_rule_broken(report)
    assert report.errors() == []
    assert {"PICK_LOCN_STR", "PICK_USER"} <= set(_columns(report, "ALLOCATION"))
