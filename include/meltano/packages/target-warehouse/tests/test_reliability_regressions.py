"""Loader bugs the reliability work found, each kept as the test that proved its fix.

Insert-if-absent (INSERT ... SELECT ... WHERE NOT EXISTS) alone is not safe between concurrent
transactions on PostgreSQL: two loaders that stage the same version both see it absent, and the second
fails on the primary key when the first commits. `batch.write_batch` now runs a batch that lost such a
key race again from the start, so a backfill, the incremental run and the full sync loading overlapping
windows at the same time all succeed.

A stream name whose hyphen-separated parts do not start with a letter (e.g. `x"; drop ... --`) made
singer-sdk's name conformer raise a bare IndexError; the sink now refuses it with a message naming it.
"""

from __future__ import annotations

import json
import threading
import time

import pytest
import sqlalchemy as sa
from warehouse_testing import query, run_target

SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "mod_ts": {"type": "string", "format": "date-time"},
        "status_id": {"type": ["integer", "null"]},
    },
}


def _singer(ids: range, stream: str = "allocation") -> str:
    lines = [{"type": "SCHEMA", "stream": stream, "schema": SCHEMA, "key_properties": ["id"]}]
    lines += [
        {"type": "RECORD", "stream": stream, "record": {"id": n, "mod_ts": "2026-01-01T00:00:00+00:00"}}
        for n in ids
    ]
    return "\n".join(json.dumps(line) for line in lines) + "\n"


def test_two_postgres_loaders_of_overlapping_windows_both_succeed(postgres_url: str) -> None:
    run_target({"sqlalchemy_url": postgres_url}, _singer(range(1, 2)))  # creates the tables
    overlapping = _singer(range(1, 201))
    errors: list[BaseException] = []

    def load(run_id: str) -> None:
        try:
            run_target({"sqlalchemy_url": postgres_url, "run_id": run_id}, overlapping)
        except BaseException as exc:
            errors.append(exc)

    # Hold inserts back until both loaders have staged their batch, so their transactions overlap
    # the way a backfill and a scheduled run do in production (just deterministically).
    engine = sa.create_engine(postgres_url)
    with engine.connect() as gate:
        gate.execute(sa.text("lock table wms_raw.allocation in exclusive mode"))
        threads = [threading.Thread(target=load, args=(f"writer-{n}",)) for n in range(2)]
        for thread in threads:
            thread.start()
        time.sleep(3)
        gate.rollback()
    for thread in threads:
        thread.join(timeout=60)
    engine.dispose()

    assert [str(error).splitlines()[0][:200] for error in errors] == []
    assert query(postgres_url, "select count(*), count(distinct id) from wms_raw.allocation") == [(200, 200)]


def test_a_stream_name_that_cannot_be_conformed_fails_with_a_message_naming_it(postgres_url: str) -> None:
    hostile = 'wms"; drop table public.sentinel; --'
    with pytest.raises(Exception, match="stream") as raised:
        run_target({"sqlalchemy_url": postgres_url}, _singer(range(1, 2), hostile))
    assert not isinstance(raised.value, IndexError)
