"""Schema evolution on a real database: resumable after a crash at any step, safe beside another loader.

The plan (evolution.py) is shared by every warehouse; the rename -> add -> copy -> drop change that
Oracle needs for VARCHAR2 -> CLOB is exercised here on PostgreSQL with the same statements, each
committed on its own as Oracle commits DDL, and a crash injected before each step. The Oracle
rendering of the same plan is checked in test_oracle_statements.py.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from warehouse_testing import query, run_target

from target_warehouse import connector as connector_module
from target_warehouse import sinks
from target_warehouse.connector import WarehouseConnector
from target_warehouse.dialects import PostgresDialect
from target_warehouse.errors import SchemaChangeTimeout

LONG_USER = "a-user-name-that-is-much-longer-than-forty-characters-and-more"
SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "mod_ts": {"type": "string", "format": "date-time"},
        "pick_user": {"type": ["string", "null"], "maxLength": 30},
    },
}


def _singer(*records: dict[str, Any], schema: dict[str, Any] = SCHEMA) -> str:
    messages: list[dict[str, Any]] = [
        {"type": "SCHEMA", "stream": "allocation", "schema": schema, "key_properties": ["id"]}
    ]
    messages += [{"type": "RECORD", "stream": "allocation", "record": record} for record in records]
    return "".join(json.dumps(message) + "\n" for message in messages)


FIRST = _singer(
    {"id": 1, "mod_ts": "2026-01-01T00:00:00+00:00", "pick_user": "picker01"},
    {"id": 2, "mod_ts": "2026-01-01T00:00:00+00:00", "pick_user": None},
)
LONGER = _singer({"id": 3, "mod_ts": "2026-01-02T00:00:00+00:00", "pick_user": LONG_USER})
EXPECTED = [(1, "picker01"), (2, None), (3, LONG_USER)]


def _columns(url: str) -> dict[str, tuple[str, int | None]]:
    rows = query(
        url,
        "SELECT column_name, data_type, character_maximum_length FROM information_schema.columns "
        "WHERE table_schema = 'wms_raw' AND table_name = 'allocation'",
    )
    return {name: (kind, length) for name, kind, length in rows}


@pytest.fixture
def copy_to_unbounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """PostgreSQL takes Oracle's way to unbounded text (rename, add, copy, drop) beyond 40 characters."""
    monkeypatch.setattr(PostgresDialect, "unbounded_text_by_copy", True)
    monkeypatch.setattr(PostgresDialect, "max_varchar_length", 40)


class Killed(BaseException):
    """The loader process stopping between two statements (not an error any code may handle)."""


def _crash_before(monkeypatch: pytest.MonkeyPatch, step: int) -> list[str]:
    """Make the ``step``-th schema-change statement (0-based) stop the loader, once."""
    executed: list[str] = []
    real = WarehouseConnector._execute_ddl

    def execute(self: WarehouseConnector, statement: str) -> None:
        if len(executed) == step:
            executed.append("killed")
            raise Killed(statement)
        executed.append(statement)
        real(self, statement)

    monkeypatch.setattr(WarehouseConnector, "_execute_ddl", execute)
    return executed


@pytest.mark.usefixtures("copy_to_unbounded")
@pytest.mark.parametrize("step", [1, 2, 3], ids=["after rename", "after add", "after copy"])
def test_an_interrupted_change_to_unbounded_text_is_finished_by_the_next_run(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch, step: int
) -> None:
    run_target({"sqlalchemy_url": postgres_url}, FIRST)
    executed = _crash_before(monkeypatch, step)
    with pytest.raises(Killed):
        run_target({"sqlalchemy_url": postgres_url}, LONGER)
    assert len(executed) == step + 1  # ``step`` statements committed, then the kill

    run_target({"sqlalchemy_url": postgres_url}, LONGER)  # the next run (the kill fires only once)

    assert query(postgres_url, "SELECT id, pick_user FROM wms_raw.allocation ORDER BY id") == EXPECTED
    columns = _columns(postgres_url)
    assert columns["pick_user"] == ("text", None)
    assert "pick_user_etl_varchar" not in columns


@pytest.mark.usefixtures("copy_to_unbounded")
def test_the_change_to_unbounded_text_keeps_every_value(postgres_url: str) -> None:
    run_target({"sqlalchemy_url": postgres_url}, FIRST)
    run_target({"sqlalchemy_url": postgres_url}, LONGER)
    assert query(postgres_url, "SELECT id, pick_user FROM wms_raw.allocation ORDER BY id") == EXPECTED
    assert set(_columns(postgres_url)) == {
        "id",
        "mod_ts",
        "pick_user",
        "etl_extracted_at",
        "etl_loaded_at",
        "etl_run_id",
    }


def _other_loader_first(monkeypatch: pytest.MonkeyPatch, url: str, statement: str) -> None:
    """Just before this loader's first schema change, another loader runs ``statement`` and commits."""
    real = WarehouseConnector._execute_ddl
    done: list[bool] = []

    def execute(self: WarehouseConnector, ddl: str) -> None:
        if not done:
            done.append(True)
            engine = sa.create_engine(url)
            with engine.begin() as conn:
                conn.execute(sa.text(statement))
            engine.dispose()
        real(self, ddl)

    monkeypatch.setattr(WarehouseConnector, "_execute_ddl", execute)


def test_a_column_another_loader_added_first_is_planned_again(
    warehouse_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_target({"sqlalchemy_url": warehouse_url}, FIRST)
    schema = {**SCHEMA, "properties": {**SCHEMA["properties"], "zone": {"type": ["string", "null"]}}}
    _other_loader_first(monkeypatch, warehouse_url, "ALTER TABLE wms_raw.allocation ADD zone VARCHAR(64)")

    run_target(
        {"sqlalchemy_url": warehouse_url},
        _singer({"id": 4, "mod_ts": "2026-01-03T00:00:00+00:00", "zone": "A-01"}, schema=schema),
    )

    assert query(warehouse_url, "SELECT id, zone FROM wms_raw.allocation WHERE id = 4") == [(4, "A-01")]


def _narrow(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE wms_raw.allocation ALTER COLUMN pick_user TYPE VARCHAR(30)"))
    engine.dispose()


@pytest.mark.parametrize("moment", ["right after our change", "just before our batch"])
def test_a_column_narrowed_by_another_loader_is_widened_again(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch, moment: str
) -> None:
    """A loader with an older view of the table makes pick_user VARCHAR(30) again. Right after our
    change: we read the lengths back and widen again. Just before our batch: the batch fails
    (PostgreSQL "value too long", Oracle ORA-12899), we read the table again, widen, write again."""
    run_target({"sqlalchemy_url": postgres_url}, FIRST)
    narrowed: list[bool] = []
    if moment == "right after our change":
        real_ddl = WarehouseConnector._execute_ddl

        def execute(self: WarehouseConnector, ddl: str) -> None:
            real_ddl(self, ddl)
            if not narrowed:
                narrowed.append(True)
                _narrow(postgres_url)

        monkeypatch.setattr(WarehouseConnector, "_execute_ddl", execute)
    else:
        real_write = sinks.write_batch

        def write(*args: Any) -> Any:
            if not narrowed:
                narrowed.append(True)
                _narrow(postgres_url)
            return real_write(*args)

        monkeypatch.setattr(sinks, "write_batch", write)

    run_target({"sqlalchemy_url": postgres_url}, LONGER)

    assert narrowed
    assert query(postgres_url, "SELECT id, pick_user FROM wms_raw.allocation ORDER BY id") == EXPECTED
    assert _columns(postgres_url)["pick_user"] == ("character varying", 64)


@pytest.fixture
def lock_timeouts(monkeypatch: pytest.MonkeyPatch) -> None:
    """PostgreSQL gives up waiting for a lock like Oracle's DDL_LOCK_TIMEOUT, quickly."""
    monkeypatch.setattr(PostgresDialect, "session_setup", ("SET lock_timeout = '300ms'",))
    monkeypatch.setattr(PostgresDialect, "lock_timeout_markers", ("lock timeout",))
    monkeypatch.setattr(connector_module, "DDL_LOCK_BACKOFF_SECONDS", 0.1)


@pytest.fixture
def open_transaction(postgres_url: str) -> Iterator[Callable[[], None]]:
    """Another loader's batch in flight: an uncommitted INSERT into the raw table; call to commit."""
    run_target({"sqlalchemy_url": postgres_url}, FIRST)
    engine = sa.create_engine(postgres_url)
    conn = engine.connect()
    transaction = conn.begin()
    conn.execute(sa.text("INSERT INTO wms_raw.allocation (id, mod_ts) VALUES (99, now())"))
    yield transaction.commit
    if transaction.is_active:
        transaction.rollback()
    conn.close()
    engine.dispose()


@pytest.mark.usefixtures("lock_timeouts")
def test_a_schema_change_waits_for_other_loaders_transactions(
    postgres_url: str, open_transaction: Callable[[], None]
) -> None:
    threading.Timer(0.5, open_transaction).start()  # the other batch commits after a while
    run_target({"sqlalchemy_url": postgres_url}, LONGER)
    assert (3, LONG_USER) in query(postgres_url, "SELECT id, pick_user FROM wms_raw.allocation")


@pytest.mark.usefixtures("lock_timeouts", "open_transaction")
def test_a_schema_change_that_never_gets_its_lock_fails_naming_the_table(postgres_url: str) -> None:
    started = time.monotonic()
    with pytest.raises(SchemaChangeTimeout, match=r"Cannot change table wms_raw\.allocation"):
        run_target({"sqlalchemy_url": postgres_url}, LONGER)
    assert time.monotonic() - started < 30
