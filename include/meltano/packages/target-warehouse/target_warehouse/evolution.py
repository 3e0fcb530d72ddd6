"""Schema evolution as a plan computed from the table as it is: add, widen, and resume.

The plan depends only on the columns the database reports, so it is safe to compute again at any
moment: after a crash half-way through (each statement commits on its own, as Oracle's DDL does),
or after another loader changed the same table first.

Where bounded text can only become unbounded by copying (Oracle: VARCHAR2 cannot be MODIFYed into
CLOB, ORA-22858), the column is first renamed to ``<name>_etl_varchar``, a new unbounded ``<name>``
is added, the values are copied into it, and the renamed column is dropped. Renaming first means a
row another loader writes during the change lands in a column that is kept: before the rename in
the old column (copied later), after it in the new one. A crash leaves one of two states, each
finished by the next plan:

- ``<name>_etl_varchar`` present, ``<name>`` missing: add ``<name>``, copy, drop;
- both present: copy (again; copying is idempotent), drop.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from target_warehouse.columns import ColumnSpec, Kind
from target_warehouse.dialects import WarehouseDialect

SCRATCH_SUFFIX = "_etl_varchar"


def scratch_name(column_name: str) -> str:
    """Logical name of the column that holds a text column's values while it becomes unbounded."""
    return f"{column_name}{SCRATCH_SUFFIX}"


def plan_evolution(
    dialect: WarehouseDialect,
    table: sa.Table,
    columns: Sequence[ColumnSpec],
    existing: dict[str, int | None],
    wanted: dict[str, int | None],
) -> list[str]:
    """Statements that bring ``table`` from ``existing`` to ``columns`` at ``wanted`` lengths.

    ``existing`` maps physical names (lower case) to text lengths (None: unbounded or not text).
    New columns are added and text columns widened; nothing is dropped or narrowed, except the
    scratch column of an unbounded conversion once its values are copied.
    """

    def physical(name: str) -> str:
        return str(dialect.identifier(name)).lower()

    statements: list[str] = []
    for column in columns:
        name = column.name
        present = physical(name) in existing
        if column.kind is Kind.TEXT and physical(scratch_name(name)) in existing:
            statements += _unbounded_by_copy(dialect, table, column, renamed=True, added=present)
        elif not present:
            statements += dialect.add_column_ddl(table, column, wanted.get(name))
        elif column.kind is Kind.TEXT and dialect.bounded_strings:
            current, needed = existing[physical(name)], wanted.get(name)
            if current is None or (needed is not None and needed <= current):
                continue
            if needed is None and dialect.unbounded_text_by_copy:
                statements += _unbounded_by_copy(dialect, table, column, renamed=False, added=False)
            else:
                statements += dialect.widen_text_ddl(table, name, needed)
    return statements


def _unbounded_by_copy(
    dialect: WarehouseDialect, table: sa.Table, column: ColumnSpec, *, renamed: bool, added: bool
) -> list[str]:
    """The remaining steps of rename -> add -> copy -> drop for one text column."""
    scratch = scratch_name(column.name)
    steps: list[str] = []
    if not renamed:
        steps.append(dialect.rename_column_ddl(table, column.name, scratch))
    if not added:
        steps += dialect.add_column_ddl(table, column, None)
    steps.append(dialect.copy_column_sql(table, scratch, column.name))
    steps.append(dialect.drop_column_ddl(table, scratch))
    return steps
