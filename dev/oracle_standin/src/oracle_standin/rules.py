"""Every rule the stand-in checks, each with its documented source and a stable name.

A rule looks at one statement (its text, its sqlglot tree, its binds and the database type each
bind is sent as) or at what the engine did with it (DDL over an open transaction, a lock it could
not get). ``refuses`` is the Oracle error the database raises for a statement that breaks the rule;
None means Oracle accepts the statement and the damage is silent (wrong data), so only the
violation is recorded.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

from sqlglot import exp

from oracle_standin.catalog import Column, Relation
from oracle_standin.reserved_words import RESERVED_WORDS
from oracle_standin.sqltext import bind_names


@dataclasses.dataclass(frozen=True)
class Rule:
    name: str
    source: str
    refuses: str | None  # "ORA-NNNNN: message" Oracle raises, or None when Oracle accepts silently


@dataclasses.dataclass
class Statement:
    """What the rules see of one statement."""

    sql: str
    tree: exp.Expression | None
    rows: list[Any]  # bind values, one entry per executed row (dict or list)
    bind_types: dict[str, str] | list[str]  # python-oracledb DB_TYPE_* name per bind
    oracle_version: tuple[int, ...]
    compatible: tuple[int, ...]
    column_type: Callable[[exp.Column], Column | None]  # resolves a column reference against the catalog
    new_relation: Relation | None = None  # what a CREATE TABLE / ADD CONSTRAINT defines
    typed: exp.Expression | None = None  # the query qualified and typed by sqlglot against the catalog

    @property
    def typed_or_plain(self) -> exp.Expression | None:
        return self.typed if self.typed is not None else self.tree


RULES: dict[str, Rule] = {}
_CHECKS: list[tuple[Rule, Callable[[Statement], Iterator[str]]]] = []


def rule(name: str, source: str, refuses: str | None) -> Callable[..., Any]:
    def register(check: Callable[[Statement], Iterator[str]]) -> Callable[[Statement], Iterator[str]]:
        RULES[name] = Rule(name, source, refuses)
        _CHECKS.append((RULES[name], check))
        return check

    return register


def declare(name: str, source: str, refuses: str | None) -> Rule:
    """A rule the engine applies itself (locks, transactions, the catalog)."""
    RULES[name] = Rule(name, source, refuses)
    return RULES[name]


def check_statement(statement: Statement) -> list[tuple[Rule, str]]:
    found: list[tuple[Rule, str]] = []
    for rule_, check in _CHECKS:
        found += [(rule_, detail) for detail in check(statement)]
    return found


# Types allowed in keys -----------------------------------------------------------------------------


@rule(
    "tstz_in_key",
    "Oracle SQL Language Reference, constraint clause, 'Restrictions on Primary Key Constraints' / "
    "'Restrictions on Unique Constraints': no key column may be TIMESTAMP WITH TIME ZONE",
    "ORA-02329: column of datatype TIME/TIMESTAMP WITH TIME ZONE cannot be unique or a primary key",
)
def _tstz_in_key(statement: Statement) -> Iterator[str]:
    relation = statement.new_relation
    if relation is None:
        return
    for constraint in relation.constraints:
        for name in constraint.columns:
            column = relation.column(name)
            if (
                column is not None
                and column.data_type.endswith(" WITH TIME ZONE")
                and "LOCAL" not in column.data_type
            ):
                kind = "primary key" if constraint.kind == "P" else "unique key"
                yield f"{relation.name}.{name} {column.data_type} is in the {kind}"


# Identifiers ------------------------------------------------------------------------------------

# Pseudocolumns and functions Oracle lets you write unquoted where a column could be.
_PSEUDO = {"ROWNUM", "ROWID", "LEVEL", "SYSDATE", "USER", "UID", "COLUMN_VALUE", "NESTED_TABLE_ID"}


def _identifiers(tree: exp.Expression) -> Iterator[tuple[exp.Identifier, str]]:
    """Unquoted identifiers with the role they play (column, definition, alias, table)."""
    for identifier in tree.find_all(exp.Identifier):
        if identifier.quoted:
            continue
        parent = identifier.parent
        if isinstance(parent, exp.Column):
            role = "column reference" if parent.this is identifier else "qualifier"
        elif isinstance(parent, exp.ColumnDef):
            role = "column definition"
        elif isinstance(parent, exp.Alias | exp.TableAlias):
            role = "alias"
        elif isinstance(parent, exp.Table):
            role = "table name"
        else:
            role = "identifier"
        yield identifier, role


@rule(
    "reserved_word_identifier",
    "Oracle SQL Language Reference, Appendix D 'Oracle SQL Reserved Words' (V$RESERVED_WORDS "
    "RESERVED='Y'): reserved words cannot be nonquoted identifiers",
    "ORA-00904: invalid identifier",
)
def _reserved_identifier(statement: Statement) -> Iterator[str]:
    if statement.tree is None:
        return
    for identifier, role in _identifiers(statement.tree):
        word = identifier.name.upper()
        if word in RESERVED_WORDS and not (role == "column reference" and word in _PSEUDO):
            yield f"{role} {identifier.name} is a reserved word and is not quoted"


@rule(
    "reserved_word_bind",
    "Oracle SQL Language Reference, Appendix D 'Oracle SQL Reserved Words'; bind names follow the "
    "nonquoted identifier rules",
    "ORA-01745: invalid host/bind variable name",
)
def _reserved_bind(statement: Statement) -> Iterator[str]:
    for name in bind_names(statement.sql):
        if name.upper() in RESERVED_WORDS:
            yield f"bind :{name} is a reserved word"


@rule(
    "identifier_too_long",
    "Oracle SQL Language Reference, 'Database Object Naming Rules': at most 128 bytes when "
    "COMPATIBLE >= 12.2, else 30 bytes",
    "ORA-00972: identifier is too long",
)
def _identifier_length(statement: Statement) -> Iterator[str]:
    if statement.tree is None:
        return
    limit = 128 if statement.compatible >= (12, 2) else 30
    for identifier in statement.tree.find_all(exp.Identifier):
        if len(identifier.name.encode()) > limit:
            yield f"identifier {identifier.name[:40]}... is {len(identifier.name.encode())} bytes (limit {limit})"


@rule(
    "identifier_leading_character",
    "Oracle SQL Language Reference, 'Database Object Naming Rules', rule 7: nonquoted identifiers "
    "must begin with an alphabetic character",
    "ORA-00911: invalid character",
)
def _identifier_leading(statement: Statement) -> Iterator[str]:
    if statement.tree is None:
        return
    for identifier, role in _identifiers(statement.tree):
        if identifier.name and not identifier.name[0].isalpha():
            yield f"{role} {identifier.name} does not begin with a letter"


# Query shape --------------------------------------------------------------------------------------


@rule(
    "limit_clause",
    "Oracle SQL Language Reference, SELECT: row limiting is OFFSET/FETCH (row_limiting_clause); "
    "there is no LIMIT clause",
    "ORA-00933: SQL command not properly ended",
)
def _limit(statement: Statement) -> Iterator[str]:
    if statement.tree is None:
        return
    for limit in statement.tree.find_all(exp.Limit):
        yield f"LIMIT {limit.expression.sql() if limit.expression else ''}".strip()


@rule(
    "select_without_from",
    "Oracle SQL Language Reference, SELECT (19c/21c): the FROM clause is mandatory (SELECT ... FROM "
    "DUAL); 23ai made it optional",
    "ORA-00923: FROM keyword not found where expected",
)
def _select_without_from(statement: Statement) -> Iterator[str]:
    if statement.tree is None or statement.oracle_version >= (23,):
        return
    for select in statement.tree.find_all(exp.Select):
        if select.args.get("from_") is None and select.args.get("from") is None:
            yield f"SELECT {', '.join(e.sql('oracle') for e in select.expressions)[:80]} has no FROM"


# LOBs -----------------------------------------------------------------------------------------

_LOB_PRESERVING = (
    exp.Trim,
    exp.Upper,
    exp.Lower,
    exp.Coalesce,
    exp.Substring,
    exp.Concat,
    exp.DPipe,
    exp.Paren,
)


def _is_lob(node: exp.Expression, statement: Statement) -> bool:
    """A CLOB-valued expression: a CLOB column, or TRIM/UPPER/NVL/SUBSTR/|| of one (they return CLOB)."""
    if isinstance(node, exp.Column):
        column = statement.column_type(node)
        if column is not None:
            return column.is_lob
        # A column of a CTE or subquery: the type sqlglot carried through from the catalog (CLOB is TEXT).
        return node.type is not None and node.type.this == exp.DataType.Type.TEXT
    if isinstance(node, exp.Anonymous) and node.name.upper() in ("NVL", "TRIM", "LTRIM", "RTRIM"):
        return any(_is_lob(arg, statement) for arg in node.expressions)
    if isinstance(node, _LOB_PRESERVING):
        return any(_is_lob(child, statement) for child in node.iter_expressions())
    return False


@rule(
    "lob_in_comparison",
    "SecureFiles and Large Objects Developer's Guide, 'SQL Semantics and LOBs' (table 'SQL operators "
    "on LOBs'): =, !=, <, >, <=, >=, IN, LIKE-free comparisons are not supported on LOBs in SQL",
    "ORA-00932: inconsistent datatypes: expected - got CLOB",
)
def _lob_comparison(statement: Statement) -> Iterator[str]:
    tree = statement.typed_or_plain
    if tree is None:
        return
    comparisons = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.In)
    for node in tree.find_all(*comparisons):
        if isinstance(node, exp.EQ) and isinstance(node.parent, exp.Update) and node.arg_key == "expressions":
            continue  # SET column = value is an assignment, not a comparison
        operands = [node.this, *(node.expressions if isinstance(node, exp.In) else [node.expression])]
        if any(operand is not None and _is_lob(operand, statement) for operand in operands):
            yield f"comparison on a CLOB: {node.sql('oracle')[:100]}"


@rule(
    "lob_in_set_operation",
    "SecureFiles and Large Objects Developer's Guide, 'Restrictions on SQL Operations on LOBs': no "
    "GROUP BY, ORDER BY, SELECT DISTINCT, UNION/INTERSECT/MINUS (UNION ALL is allowed) on LOB columns",
    "ORA-00932: inconsistent datatypes: expected - got CLOB",
)
def _lob_set_operation(statement: Statement) -> Iterator[str]:
    tree = statement.typed_or_plain
    if tree is None:
        return
    for group in tree.find_all(exp.Group):
        for expression in group.expressions:
            if _is_lob(expression, statement):
                yield f"GROUP BY a CLOB: {expression.sql('oracle')[:80]}"
    for order in tree.find_all(exp.Order):
        for ordered in order.expressions:
            if _is_lob(ordered.this, statement):
                yield f"ORDER BY a CLOB: {ordered.sql('oracle')[:80]}"
    for select in tree.find_all(exp.Select):
        if select.args.get("distinct"):
            for projection in select.expressions:
                inner = projection.this if isinstance(projection, exp.Alias) else projection
                if _is_lob(inner, statement):
                    yield f"SELECT DISTINCT over a CLOB: {projection.sql('oracle')[:80]}"
    for union in tree.find_all(exp.Union, exp.Intersect, exp.Except):
        if union.args.get("distinct") and isinstance(union.this, exp.Select):
            for projection in union.this.expressions:
                inner = projection.this if isinstance(projection, exp.Alias) else projection
                if _is_lob(inner, statement):
                    yield f"UNION (not ALL) over a CLOB: {projection.sql('oracle')[:80]}"


# Conversions ------------------------------------------------------------------------------------


@rule(
    "nls_dependent_conversion",
    "Oracle SQL Language Reference, CAST and TO_DATE/TO_TIMESTAMP: a character value converts to "
    "DATE/TIMESTAMP with the session's NLS_DATE_FORMAT/NLS_TIMESTAMP_FORMAT when no format model is "
    "given (defaults DD-MON-RR...), so '2025-06-01' fails with ORA-01861/ORA-01843 unless the session "
    "says otherwise; use a DATE/TIMESTAMP literal or an explicit format model",
    None,
)
def _nls_conversion(statement: Statement) -> Iterator[str]:
    if statement.tree is None:
        return
    temporal = (
        exp.DataType.Type.DATE,
        exp.DataType.Type.TIMESTAMP,
        exp.DataType.Type.TIMESTAMPTZ,
        exp.DataType.Type.TIMESTAMPLTZ,
        exp.DataType.Type.DATETIME,
    )
    for cast in statement.tree.find_all(exp.Cast):
        if isinstance(cast.this, exp.Literal) and cast.this.is_string and cast.to.this in temporal:
            yield f"string cast to {cast.to.sql('oracle')} without a format model: {cast.sql('oracle')[:80]}"
    for function in statement.tree.find_all(exp.Anonymous):
        if (
            function.name.upper() in ("TO_DATE", "TO_TIMESTAMP", "TO_TIMESTAMP_TZ")
            and len(function.expressions) == 1
        ):
            yield f"{function.name.upper()} without a format model: {function.sql('oracle')[:80]}"
    for conversion in statement.tree.find_all(exp.StrToTime, exp.StrToDate):
        if conversion.args.get("format") is None:
            yield f"conversion without a format model: {conversion.sql('oracle')[:80]}"


@rule(
    "session_time_zone_conversion",
    "Oracle SQL Language Reference, SYS_EXTRACT_UTC: 'If a time zone is not specified, then the "
    "datetime is associated with the session time zone' (and CAST of a TIMESTAMP to TIMESTAMP WITH "
    "TIME ZONE the same, 'Datetime and Interval Data Types'); the session time zone is the client's in "
    "python-oracledb thin mode, so the result moves with the worker",
    None,
)
def _session_time_zone(statement: Statement) -> Iterator[str]:
    tree = statement.typed_or_plain
    if tree is None:
        return
    zoneless = {f"TIMESTAMP({digits})" for digits in range(10)} | {"DATE"}
    for call in tree.find_all(exp.Anonymous):
        if call.name.upper() != "SYS_EXTRACT_UTC" or not call.expressions:
            continue
        argument = call.expressions[0]
        if not isinstance(argument, exp.Column):
            continue
        column = statement.column_type(argument)
        if column is not None:
            plain = column.data_type in zoneless
        else:  # a CTE's or subquery's column: the type sqlglot carried through from the catalog
            kinds = (exp.DataType.Type.TIMESTAMP, exp.DataType.Type.DATE, exp.DataType.Type.DATETIME)
            plain = argument.type is not None and argument.type.this in kinds
        if plain:
            yield f"SYS_EXTRACT_UTC of {argument.sql('oracle')}, a datetime without time zone"


# Binds (python-oracledb, client side) ------------------------------------------------------------


def _bind_values(statement: Statement) -> Iterator[tuple[str, Any, str]]:
    """(bind name or position, value, database type sent) for every row."""
    types = statement.bind_types
    for row in statement.rows:
        items = row.items() if isinstance(row, dict) else enumerate(row)
        for key, value in items:
            kind = (
                types.get(str(key), "")
                if isinstance(types, dict)
                else (types[key] if key < len(types) else "")
            )
            yield str(key), value, kind


@rule(
    "datetime_bound_as_date",
    "python-oracledb src/oracledb/impl/base/metadata.pyx OracleMetadata.from_value: a datetime bound "
    "with no input size is DB_TYPE_DATE, whose 7-byte form has no fractional seconds (Buffer."
    "write_oracle_date writes them only when length > 7); bind it as DB_TYPE_TIMESTAMP",
    None,
)
def _datetime_as_date(statement: Statement) -> Iterator[str]:
    seen: set[str] = set()
    for key, value, kind in _bind_values(statement):
        if (
            isinstance(value, dt.datetime)
            and value.microsecond
            and kind == "DB_TYPE_DATE"
            and key not in seen
        ):
            seen.add(key)
            yield f"bind {key} = {value.isoformat()} is sent as DB_TYPE_DATE: its microseconds are dropped"


@rule(
    "aware_datetime_bound",
    "python-oracledb: binding a datetime sends its wall-clock fields only (Buffer.write_oracle_date "
    "ignores tzinfo); Oracle then reads it in the SESSION time zone, which thin mode takes from the "
    "client's local zone (python-oracledb 1.3 release notes, issue #144)",
    None,
)
def _aware_datetime(statement: Statement) -> Iterator[str]:
    seen: set[str] = set()
    for key, value, _kind in _bind_values(statement):
        if isinstance(value, dt.datetime) and value.tzinfo is not None and key not in seen:
            seen.add(key)
            yield f"bind {key} = {value.isoformat()} carries a time zone the driver drops"


# Rules the engine applies ------------------------------------------------------------------------

DDL_COMMITS = declare(
    "ddl_commits_open_transaction",
    "Oracle SQL Language Reference, 'Types of SQL Statements' / 'Data Definition Language (DDL) "
    "Statements': Oracle implicitly commits the current transaction before and after every DDL "
    "statement (private temporary tables ON COMMIT DROP DEFINITION are the documented exception)",
    None,
)
RESOURCE_BUSY = declare(
    "ddl_lock_not_acquired",
    "Oracle Database Reference, DDL_LOCK_TIMEOUT: DDL waits this many seconds for a DML lock; the "
    "default 0 means NOWAIT, so DDL on a table another session has uncommitted DML on fails at once",
    "ORA-00054: resource busy and acquire with NOWAIT specified or timeout expired",
)
NAME_IN_USE = declare(
    "name_already_used",
    "Oracle SQL Language Reference, 'Database Object Namespaces': tables and views of one schema share "
    "a namespace; CREATE of a used name fails",
    "ORA-00955: name is already used by an existing object",
)
UNKNOWN_TABLE = declare(
    "unknown_table",
    "Oracle Database Error Messages, ORA-00942: the table or view does not exist (or is not visible)",
    "ORA-00942: table or view does not exist",
)
UNKNOWN_COLUMN = declare(
    "unknown_column",
    "Oracle Database Error Messages, ORA-00904: a column name that the table does not have",
    "ORA-00904: invalid identifier",
)
VALUE_TOO_LARGE = declare(
    "value_too_large_for_column",
    "Oracle SQL Language Reference, 'Data Types', VARCHAR2: at most n characters and 4000 bytes "
    "(MAX_STRING_SIZE=STANDARD)",
    "ORA-12899: value too large for column",
)
COLUMN_EXISTS = declare(
    "column_already_exists",
    "Oracle SQL Language Reference, ALTER TABLE add_column_clause: the column must not exist",
    "ORA-01430: column being added already exists in table",
)
