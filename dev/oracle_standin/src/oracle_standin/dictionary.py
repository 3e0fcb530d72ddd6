"""The catalog as DuckDB tables: Oracle's ALL_*/USER_* dictionary views, DUAL, V$PARAMETER, NLS
parameters, and an EMPTY table per user table/view, so the metadata queries of SQLAlchemy and
dbt-oracle, and queries over our tables, run as real SQL (transpiled by sqlglot) against them.
"""

from __future__ import annotations

import zoneinfo
from typing import Any

import duckdb

from oracle_standin.catalog import Catalog, Column

_DUCK_TYPES = {
    "VARCHAR2": "VARCHAR",
    "NVARCHAR2": "VARCHAR",
    "CHAR": "VARCHAR",
    "CLOB": "VARCHAR",
    "NCLOB": "VARCHAR",
    "DATE": "TIMESTAMP",
    "FLOAT": "DOUBLE",
    "BINARY_DOUBLE": "DOUBLE",
}


_STATIC = frozenset({"v$timezone_names"})


def duck_type(column: Column) -> str:
    if column.data_type == "NUMBER":
        if column.scale == 0 and column.precision is not None:
            return "HUGEINT" if column.precision > 18 else "BIGINT"
        return "DOUBLE"
    if column.data_type.startswith("TIMESTAMP"):
        return "TIMESTAMPTZ" if column.data_type.endswith("TIME ZONE") else "TIMESTAMP"
    return _DUCK_TYPES.get(column.data_type, "VARCHAR")


_TABLES: dict[str, list[str]] = {
    "all_users": ["username", "user_id", "created", "common", "oracle_maintained"],
    "all_objects": [
        "owner",
        "object_name",
        "subobject_name",
        "object_id",
        "object_type",
        "created",
        "last_ddl_time",
        "status",
        "temporary",
        "generated",
        "secondary",
    ],
    "all_tables": [
        "owner",
        "table_name",
        "tablespace_name",
        "cluster_name",
        "iot_name",
        "status",
        "temporary",
        "duration",
        "partitioned",
        "nested",
        "iot_type",
        "compression",
        "compress_for",
        "num_rows",
        "secondary",
        "dropped",
        "external",
        "hybrid",
    ],
    "all_views": ["owner", "view_name", "text", "text_length", "text_vc", "read_only", "editioning_view"],
    "all_mviews": ["owner", "mview_name", "query"],
    "all_synonyms": ["owner", "synonym_name", "table_owner", "table_name", "db_link"],
    "all_tab_cols": [
        "owner",
        "table_name",
        "column_name",
        "data_type",
        "data_type_mod",
        "data_type_owner",
        "data_length",
        "data_precision",
        "data_scale",
        "nullable",
        "column_id",
        "data_default",
        "char_length",
        "char_used",
        "char_col_decl_length",
        "default_on_null",
        "identity_column",
        "virtual_column",
        "hidden_column",
        "user_generated",
        "collation",
        *[
            "default_length",
            "num_distinct",
            "low_value",
            "high_value",
            "density",
            "num_nulls",
            "num_buckets",
            "last_analyzed",
        ],
        *["sample_size", "character_set_name", "global_stats", "user_stats", "avg_col_len", "v80_fmt_image"],
        *["data_upgraded", "histogram"],
    ],
    "all_constraints": [
        "owner",
        "constraint_name",
        "constraint_type",
        "table_name",
        "search_condition",
        "r_owner",
        "r_constraint_name",
        "delete_rule",
        "status",
        "deferrable",
        "deferred",
        "validated",
        "generated",
        "index_owner",
        "index_name",
        "invalid",
        "view_related",
    ],
    "all_cons_columns": ["owner", "constraint_name", "table_name", "column_name", "position"],
    "all_indexes": [
        "owner",
        "index_name",
        "index_type",
        "table_owner",
        "table_name",
        "table_type",
        "uniqueness",
        "compression",
        "prefix_length",
        "tablespace_name",
        "status",
        "generated",
        "temporary",
        "visibility",
    ],
    "all_ind_columns": [
        "index_owner",
        "index_name",
        "table_owner",
        "table_name",
        "column_name",
        "column_position",
        "column_length",
        "char_length",
        "descend",
    ],
    "all_tab_comments": ["owner", "table_name", "table_type", "comments"],
    "all_col_comments": ["owner", "table_name", "column_name", "comments"],
    "all_tab_identity_cols": ["owner", "table_name", "column_name", "generation_type", "identity_options"],
    "all_db_links": ["owner", "db_link", "username", "host"],
    "all_sequences": ["sequence_owner", "sequence_name"],
    "all_procedures": ["owner", "object_name", "procedure_name", "object_type"],
    "all_sdo_geom_metadata": ["owner", "table_name", "column_name"],
    "all_part_tables": ["owner", "table_name"],
    "all_tab_partitions": ["table_owner", "table_name", "partition_name"],
    "v$parameter": ["name", "value", "display_value", "isdefault"],
    "nls_session_parameters": ["parameter", "value"],
    "nls_database_parameters": ["parameter", "value"],
    "nls_instance_parameters": ["parameter", "value"],
    "v$transaction": ["xidusn", "xidslot", "xidsqn", "flag"],
    "v$timezone_names": ["tzname", "tzabbrev"],  # static: filled once (_STATIC)
    "v$version": ["banner", "banner_full", "banner_legacy", "con_id"],
    "product_component_version": ["product", "version", "version_full", "status"],
    "dual": ["dummy"],
}
_TAB_COLS = "all_tab_cols"
_NUMERIC = (
    "_id",
    "position",
    "data_length",
    "data_precision",
    "data_scale",
    "char_length",
    "char_col_decl_length",
    "text_length",
    "num_rows",
    "prefix_length",
    "column_length",
    "xidusn",
    "xidslot",
    "xidsqn",
    "flag",
)


def _data_length(column: Column) -> int:
    if column.data_type in ("VARCHAR2", "NVARCHAR2", "CHAR"):
        return min(4000, (column.char_length or 1) * 4)
    if column.data_type == "NUMBER":
        return 22
    if column.data_type == "DATE":
        return 7
    if column.data_type.startswith("TIMESTAMP"):
        return 13 if "TIME ZONE" in column.data_type else 11
    return 4000


def _rows(catalog: Catalog, settings: dict[str, Any]) -> dict[str, list[tuple[Any, ...]]]:
    rows: dict[str, list[tuple[Any, ...]]] = {name: [] for name in _TABLES if name not in _STATIC}
    for number, user in enumerate(sorted(catalog.users), start=100):
        rows["all_users"].append((user, number, None, "NO", "N"))
    object_id = 1000
    for relation in sorted(catalog.all_relations(), key=lambda r: (r.owner, r.name)):
        object_id += 1
        rows["all_objects"].append(
            (
                relation.owner,
                relation.name,
                None,
                object_id,
                relation.kind,
                None,
                None,
                "VALID",
                "Y" if relation.temporary != "N" else "N",
                "N",
                "N",
            )
        )
        rows["all_tab_comments"].append((relation.owner, relation.name, relation.kind, relation.comment))
        if relation.kind == "TABLE":
            rows["all_tables"].append(
                (
                    relation.owner,
                    relation.name,
                    None if relation.temporary != "N" else "USERS",
                    None,
                    None,
                    "VALID",
                    "Y" if relation.temporary != "N" else "N",
                    "SYS$SESSION" if relation.temporary == "Y" else None,
                    "NO",
                    "NO",
                    None,
                    "DISABLED",
                    None,
                    None,
                    "N",
                    "NO",
                    "NO",
                    "NO",
                )
            )
        else:
            rows["all_views"].append(
                (
                    relation.owner,
                    relation.name,
                    relation.view_text,
                    len(relation.view_text),
                    relation.view_text[:4000],
                    "N",
                    "N",
                )
            )
        for position, column in enumerate(relation.columns, start=1):
            data_type = column.data_type
            rows[_TAB_COLS].append(
                (
                    relation.owner,
                    relation.name,
                    column.name,
                    data_type,
                    None,
                    None,
                    _data_length(column),
                    column.precision,
                    column.scale,
                    "Y" if column.nullable else "N",
                    position,
                    None,
                    column.char_length or 0,
                    "C" if column.char_length else None,
                    column.char_length or 0,
                    "NO",
                    "NO",
                    "NO",
                    "NO",
                    "YES",
                    "USING_NLS_COMP",
                    *([None] * 16),
                )
            )
            rows["all_col_comments"].append((relation.owner, relation.name, column.name, None))
        for constraint in relation.constraints:
            rows["all_constraints"].append(
                (
                    relation.owner,
                    constraint.name,
                    constraint.kind,
                    relation.name,
                    None,
                    None,
                    None,
                    None,
                    "ENABLED",
                    "NOT DEFERRABLE",
                    "IMMEDIATE",
                    "VALIDATED",
                    "USER NAME",
                    relation.owner,
                    constraint.name,
                    None,
                    None,
                )
            )
            for position, name in enumerate(constraint.columns, start=1):
                rows["all_cons_columns"].append(
                    (relation.owner, constraint.name, relation.name, name, position)
                )
        for index in relation.indexes:
            rows["all_indexes"].append(
                (
                    relation.owner,
                    index.name,
                    "NORMAL",
                    relation.owner,
                    relation.name,
                    "TABLE",
                    "UNIQUE" if index.unique else "NONUNIQUE",
                    "DISABLED",
                    None,
                    "USERS",
                    "VALID",
                    "N",
                    "N",
                    "VISIBLE",
                )
            )
            for position, name in enumerate(index.columns, start=1):
                rows["all_ind_columns"].append(
                    (relation.owner, index.name, relation.owner, relation.name, name, position, 22, 0, "ASC")
                )
    rows["v$parameter"] += [
        ("compatible", settings["compatible"], settings["compatible"], "FALSE"),
        ("private_temp_table_prefix", "ORA$PTT_", "ORA$PTT_", "TRUE"),
        ("ddl_lock_timeout", "0", "0", "TRUE"),
        ("max_string_size", "STANDARD", "STANDARD", "TRUE"),
        ("db_name", settings["db_name"], settings["db_name"], "FALSE"),
    ]
    nls = [
        ("NLS_DATE_FORMAT", "DD-MON-RR"),
        ("NLS_TIMESTAMP_FORMAT", "DD-MON-RR HH.MI.SSXFF AM"),
        ("NLS_TIMESTAMP_TZ_FORMAT", "DD-MON-RR HH.MI.SSXFF AM TZR"),
        ("NLS_NUMERIC_CHARACTERS", ".,"),
        ("NLS_CHARACTERSET", "AL32UTF8"),
        ("NLS_NCHAR_CHARACTERSET", "AL16UTF16"),
        ("NLS_LENGTH_SEMANTICS", "BYTE"),
    ]
    rows["nls_session_parameters"] = nls
    rows["nls_database_parameters"] = nls
    rows["nls_instance_parameters"] = nls
    rows["v$transaction"] = [(1, 2, 3, 0)]
    version = settings["version"]
    banner = f"Oracle Database {version.split('.')[0]}c Enterprise Edition Release {version} - Production (stand-in)"
    rows["v$version"] = [(banner, banner, banner, 0)]
    rows["product_component_version"] = [("Oracle Database", version, version, "Production")]
    rows["dual"] = [("X",)]
    return rows


def _literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


class DuckMirror:
    """One in-memory DuckDB kept in step with the catalog: the dictionary tables are refilled and
    the user tables recreated only when the catalog changed (and only those that changed).
    """

    def __init__(self) -> None:
        self.connection = duckdb.connect(":memory:")
        con = self.connection
        # Oracle functions the dictionary queries use that DuckDB lacks.
        con.execute("CREATE MACRO bitand(a, b) AS (CAST(a AS BIGINT) & CAST(b AS BIGINT))")
        con.execute('CREATE SCHEMA "SYS"')
        for name, columns in _TABLES.items():
            definition = ", ".join(
                f'"{c}" {"BIGINT" if c.endswith(_NUMERIC) else "VARCHAR"}' for c in columns
            )
            con.execute(f'CREATE TABLE main."{name}" ({definition})')
        views = {
            f"{alias}_{name[4:]}": name
            for name in _TABLES
            if name.startswith("all_")
            for alias in ("user", "dba")
        }
        views |= {"all_tab_columns": _TAB_COLS, "user_tab_columns": _TAB_COLS, "dba_tab_columns": _TAB_COLS}
        for view, table in views.items():
            con.execute(f'CREATE VIEW main."{view}" AS SELECT * FROM main."{table}"')
        for name in [*_TABLES, *views]:
            con.execute(f'CREATE VIEW "SYS"."{name}" AS SELECT * FROM main."{name}"')
        # Static: the region names of the time zone file (Oracle ships the IANA database), one
        # abbreviation each, for the queries that read it (dbt's facility time-zone test).
        zones = ", ".join(f"({_literal(name)}, 'LMT')" for name in sorted(zoneinfo.available_timezones()))
        con.execute(f'INSERT INTO main."v$timezone_names" VALUES {zones}')
        self._generation = self._dictionary_generation = -1
        self._tables: dict[tuple[str, str], str] = {}  # mirrored user table -> its column definition
        self._schemas: set[str] = {"SYS"}

    def refresh(self, catalog: Catalog, settings: dict[str, Any], *, dictionary: bool) -> None:
        """Bring the user tables up to date, and the dictionary tables when the query reads them."""
        if catalog.generation != self._generation:
            self._refresh_tables(catalog)
            self._generation = catalog.generation
        if dictionary and catalog.generation != self._dictionary_generation:
            self._refresh_dictionary(catalog, settings)
            self._dictionary_generation = catalog.generation

    def _refresh_dictionary(self, catalog: Catalog, settings: dict[str, Any]) -> None:
        con = self.connection
        for name, values in _rows(catalog, settings).items():
            con.execute(f'DELETE FROM main."{name}"')
            if values:
                # Literal text: DuckDB's parameter binding probes optional imports per value (slow).
                rows = ", ".join(
                    "(" + ", ".join(_literal(value) for value in record) + ")" for record in values
                )
                con.execute(f'INSERT INTO main."{name}" VALUES {rows}')

    def _refresh_tables(self, catalog: Catalog) -> None:
        con = self.connection
        wanted: dict[tuple[str, str], str] = {}
        # Private temporary tables of every session (same-named ones of two sessions share a mirror).
        for relation in [*catalog.all_relations(), *catalog.private.values()]:
            typed = ", ".join(f'"{c.name}" {duck_type(c)}' for c in relation.columns) or '"DUMMY" VARCHAR'
            wanted.setdefault((relation.owner, relation.name), typed)
        for owner in {*catalog.users, *(owner for owner, _ in wanted)} - self._schemas:
            con.execute(f'CREATE SCHEMA IF NOT EXISTS "{owner}"')
            self._schemas.add(owner)
        for key, typed in list(self._tables.items()):
            if wanted.get(key) != typed:
                con.execute(f'DROP TABLE IF EXISTS "{key[0]}"."{key[1]}"')
                del self._tables[key]
        for key, typed in wanted.items():
            if key not in self._tables:
                con.execute(f'CREATE TABLE "{key[0]}"."{key[1]}" ({typed})')
                self._tables[key] = typed
