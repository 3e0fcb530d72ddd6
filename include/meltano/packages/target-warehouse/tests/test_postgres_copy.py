"""PostgreSQL stages batches by binary COPY: every kind arrives exactly as its converter gave it."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

import sqlalchemy as sa

from target_warehouse.columns import ColumnSpec, Kind
from target_warehouse.dialects import PostgresDialect

COLUMNS = [
    ColumnSpec("id", Kind.INTEGER),
    ColumnSpec("qty", Kind.DECIMAL),
    ColumnSpec("flag", Kind.BOOLEAN),
    ColumnSpec("short_text", Kind.TEXT, max_length=30),
    ColumnSpec("long_text", Kind.TEXT),
    ColumnSpec("mod_ts", Kind.TIMESTAMP),
    ColumnSpec("ship_date", Kind.DATE),
    ColumnSpec("attributes", Kind.JSON),
]


def test_floats_become_the_decimal_of_their_text_for_numeric_columns() -> None:
    convert = PostgresDialect(sa.create_engine("postgresql+psycopg://").dialect).converters()[Kind.DECIMAL]
    assert convert(0.1) == decimal.Decimal("0.1")
    assert isinstance(convert(0.1), decimal.Decimal)
    assert convert(540) == 540
    assert convert("1.25") == decimal.Decimal("1.25")


def test_binary_copy_keeps_every_value(postgres_url: str) -> None:
    engine = sa.create_engine(postgres_url)
    dialect = PostgresDialect(engine.dialect)
    convert = dialect.converters()
    minus_three = dt.timezone(dt.timedelta(hours=-3))
    rows: list[tuple[Any, ...]] = [
        (
            -(2**63 - 1),
            decimal.Decimal("12345678901234567890.000000000001"),
            True,
            "ação-日本",
            "x" * 100_000,
            dt.datetime(2025, 9, 15, 9, 35, 59, 926171, tzinfo=minus_three),
            dt.date(2025, 9, 16),
            convert[Kind.JSON]({"zone": "A", "weight": decimal.Decimal("1.50")}),
        ),
        (2, 540, False, "", "", dt.datetime(2025, 9, 15, 12, tzinfo=dt.UTC), None, None),
        (3, convert[Kind.DECIMAL](0.1), None, None, None, None, None, None),
    ]
    staging = dialect.staging_table("etl_stage_copy_test", COLUMNS, {"short_text": 30})
    try:
        with engine.begin() as conn:
            dialect.create_staging(conn, staging)
            dialect.bulk_load(conn, staging, [list(values) for values in zip(*rows, strict=True)])
            loaded = [tuple(row) for row in conn.execute(sa.select(staging).order_by(staging.c.id))]
    finally:
        engine.dispose()
    expected = [
        (*row[:5], row[5].astimezone(dt.UTC) if row[5] else None, *row[6:])
        for row in sorted(rows, key=lambda row: row[0])
    ]
    assert loaded == expected
    assert loaded[0][7] == '{"zone":"A","weight":1.5}'
