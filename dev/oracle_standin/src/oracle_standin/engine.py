"""The server's brain: sessions, the catalog, what each statement does, the log and the violations.

Statements are understood with sqlglot (read="oracle"); queries run in DuckDB over the catalog's
mirror (dictionary views with rows, user tables EMPTY). DDL changes the catalog; DML is recorded and
takes the table's DML lock until commit (that is all the locking modelled: DDL against another
session's uncommitted DML, as DDL_LOCK_TIMEOUT governs).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import logging
import re
import threading
import time
from typing import Any, cast

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError
from sqlglot.optimizer.annotate_types import annotate_types
from sqlglot.optimizer.qualify import qualify
from sqlglot.schema import MappingSchema

from oracle_standin import rules, wire
from oracle_standin.catalog import Catalog, Column, Constraint, Index, Relation, parse_type
from oracle_standin.dictionary import DuckMirror
from oracle_standin.plsql import parse_block
from oracle_standin.sqltext import bind_names, head, rename_binds, strip_comments

logging.getLogger("sqlglot").setLevel(logging.ERROR)


class OracleError(Exception):
    """A statement Oracle refuses: the message is ``ORA-NNNNN: text``."""


@dataclasses.dataclass
class Settings:
    version: str = "19.0.0.0.0"  # what Connection.version reports; 23.x allows FROM-less SELECT
    compatible: str = "19.0.0"
    db_name: str = "WMSCDB"  # SYS_CONTEXT('USERENV','DB_NAME')
    users: tuple[str, ...] = ("WMS_RAW", "WMS", "LOADER", "DBT")

    @property
    def version_tuple(self) -> tuple[int, ...]:
        return tuple(int(part) for part in self.version.split(".")[:2])

    @property
    def compatible_tuple(self) -> tuple[int, ...]:
        return tuple(int(part) for part in self.compatible.split(".")[:2])

    def as_dict(self) -> dict[str, Any]:
        return {"version": self.version, "compatible": self.compatible, "db_name": self.db_name}


@dataclasses.dataclass
class Session:
    id: int
    user: str
    label: str
    pid: int
    schema: str
    dsn: str
    time_zone: str = "client"
    ddl_lock_timeout: float = 0.0
    parameters: dict[str, str] = dataclasses.field(default_factory=dict)
    dml: set[tuple[str, str]] = dataclasses.field(default_factory=set)
    closed: bool = False


def _name(identifier: exp.Expression | str | None) -> str:
    """Oracle's stored form: unquoted names upper case, quoted ones as written."""
    if identifier is None:
        return ""
    if isinstance(identifier, str):
        return identifier.upper()
    if isinstance(identifier, exp.Identifier):
        return identifier.name if identifier.quoted else identifier.name.upper()
    return identifier.name.upper()


_DDL_HEADS = ("CREATE", "ALTER", "DROP", "TRUNCATE", "RENAME", "COMMENT", "GRANT", "REVOKE")
_DML_HEADS = ("INSERT", "UPDATE", "DELETE", "MERGE")
_SESSION_PARAMETER = re.compile(r"(\w+)\s*=\s*('(?:[^']|'')*'|\S+)", re.IGNORECASE)


class Engine:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.catalog = Catalog()
        self.condition = threading.Condition(self.catalog.lock)
        self.mirror = DuckMirror()
        self.sessions: dict[int, Session] = {}
        self.log: list[dict[str, Any]] = []
        self.violations: list[dict[str, Any]] = []
        self._next_session = 1
        self.reset()

    # Control -------------------------------------------------------------------------------------

    def reset(self, settings: dict[str, Any] | None = None) -> None:
        with self.condition:
            for key, value in (settings or {}).items():
                setattr(self.settings, key, tuple(value) if key == "users" else value)
            self.catalog.relations.clear()
            self.catalog.private.clear()
            self.catalog.users = set(self.settings.users)
            self.catalog.changed()
            self.log.clear()
            self.violations.clear()
            for session in self.sessions.values():
                session.dml.clear()

    def configure(self, settings: dict[str, Any]) -> None:
        """Change settings (e.g. the Oracle version) and keep the catalog."""
        with self.condition:
            for key, value in settings.items():
                setattr(self.settings, key, tuple(value) if key == "users" else value)

    def clear_log(self) -> None:
        """Forget the statements and violations so far; keep the catalog."""
        with self.condition:
            self.log.clear()
            self.violations.clear()

    def report(self) -> dict[str, Any]:
        with self.condition:
            return {
                "statements": list(self.log),
                "violations": list(self.violations),
                "catalog": [
                    {
                        "owner": r.owner,
                        "name": r.name,
                        "kind": r.kind,
                        "temporary": r.temporary,
                        "columns": [[c.name, c.type_text(), c.nullable] for c in r.columns],
                        "constraints": [[k.name, k.kind, k.columns] for k in r.constraints],
                        "indexes": [[i.name, i.columns, i.unique] for i in r.indexes],
                    }
                    for r in self.catalog.all_relations()
                ],
                "settings": self.settings.as_dict(),
            }

    # Sessions ------------------------------------------------------------------------------------

    def connect(self, user: str, label: str, pid: int, dsn: str) -> Session:
        with self.condition:
            session = Session(self._next_session, user.upper(), label, pid, user.upper(), dsn)
            self._next_session += 1
            self.sessions[session.id] = session
            return session

    def end_transaction(self, session: Session) -> None:
        """COMMIT or ROLLBACK: DML locks go, ON COMMIT DROP DEFINITION tables go."""
        session.dml.clear()
        dropped = [
            r for (owner, _), r in self.catalog.private.items() if owner == session.id and r.drop_at_commit
        ]
        for relation in dropped:
            self.catalog.drop(relation)
        self.condition.notify_all()

    def close(self, session: Session) -> None:
        with self.condition:
            self.end_transaction(session)
            self.catalog.drop_private(session.id)
            session.closed = True
            self.sessions.pop(session.id, None)

    # Statements ------------------------------------------------------------------------------------

    def execute(
        self,
        session: Session,
        op: str,
        sql: str,
        rows: list[Any],
        bind_types: dict[str, str] | list[str],
        input_sizes: Any,
    ) -> dict[str, Any]:
        decoded = [
            {k: wire.decode_value(v) for k, v in row.items()}
            if isinstance(row, dict)
            else [wire.decode_value(v) for v in row]
            for row in rows
        ]
        entry: dict[str, Any] = {
            "session": session.id,
            "label": session.label,
            "op": op,
            "sql": sql,
            "rows": len(rows),
            "binds": rows[:1],
            "bind_types": bind_types,
            "input_sizes": input_sizes,
            "outcome": "ok",
            "analysed": True,
            "note": "",
        }
        with self.condition:
            self.record(entry)
            try:
                return _Statement(self, session, entry, sql, decoded, bind_types).run()
            except OracleError as error:
                entry["outcome"] = str(error)
                raise

    def violation(self, session: Session, entry: dict[str, Any], rule: rules.Rule, detail: str) -> None:
        self.violations.append(
            {
                "rule": rule.name,
                "refuses": rule.refuses,
                "detail": detail,
                "sql": entry["sql"],
                "session": session.id,
                "label": session.label,
                "statement": entry["id"],
            }
        )

    def record(self, entry: dict[str, Any]) -> dict[str, Any]:
        entry["id"] = len(self.log)
        self.log.append(entry)
        return entry


class _Statement:
    """One statement's run: parse, check the rules, then do what Oracle would."""

    def __init__(
        self,
        engine: Engine,
        session: Session,
        entry: dict[str, Any],
        sql: str,
        rows: list[Any],
        bind_types: dict[str, str] | list[str],
    ) -> None:
        self.engine = engine
        self.catalog = engine.catalog
        self.session = session
        self.entry = entry
        self.sql = sql
        self.rows = rows
        self.bind_types = bind_types
        self.text = strip_comments(sql)
        self.head = head(sql, 6)
        self.names = bind_names(sql)
        self._rename = {name: f"b_{name}" for name in self.names if name[:1].isdigit()}
        self.tree: exp.Expression | None = None

    # Dispatch --------------------------------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        first = self.head.split(" ", 1)[0] if self.head else ""
        if self.head.startswith("ALTER SESSION"):
            return self._alter_session()
        if first in ("COMMIT", "ROLLBACK"):
            self.engine.end_transaction(self.session)
            return {"rowcount": 0}
        if first in ("BEGIN", "DECLARE"):
            return self._plsql()
        if first in ("SELECT", "WITH", "("):
            self._parse()
            self._check()
            return self._query()
        if first in _DML_HEADS:
            self._parse()
            self._check()
            return self._dml()
        if first in _DDL_HEADS:
            return self._ddl()
        return self._unanalysed("statement kind not modelled")

    def _unanalysed(self, why: str) -> dict[str, Any]:
        self.entry["analysed"] = False
        self.entry["note"] = why
        return {"rowcount": 0}

    def _parse(self, text: str | None = None) -> exp.Expression | None:
        source = rename_binds(text if text is not None else self.text, self._rename)
        try:
            self.tree = cast(exp.Expression, sqlglot.parse_one(source, read="oracle"))
        except ParseError as error:
            self.entry["analysed"] = False
            self.entry["note"] = f"sqlglot could not parse it: {str(error)[:200]}"
            self.tree = None
        if isinstance(self.tree, exp.Command):
            self.entry["analysed"] = False
            self.entry["note"] = "sqlglot read it only as an opaque command"
            self.tree = None
        return self.tree

    def _check(self, new_relation: Relation | None = None) -> None:
        statement = rules.Statement(
            sql=self.sql,
            tree=self.tree,
            rows=self.rows,
            bind_types=self.bind_types,
            oracle_version=self.engine.settings.version_tuple,
            compatible=self.engine.settings.compatible_tuple,
            column_type=self._column_type,
            new_relation=new_relation,
            typed=self._typed_query(),
        )
        found = rules.check_statement(statement)
        for rule, detail in found:
            self.engine.violation(self.session, self.entry, rule, detail)
        refusing = [rule for rule, _ in found if rule.refuses]
        if refusing:
            raise OracleError(refusing[0].refuses)

    def _typed_query(self) -> exp.Expression | None:
        """The statement's query qualified and typed against the catalog (None when sqlglot cannot)."""
        query = self.tree.expression if isinstance(self.tree, exp.Create) else self.tree
        if not isinstance(query, exp.Query):
            return None
        try:
            schema = self._schema()
            qualified = qualify(
                query.copy(),
                schema=schema,
                dialect="oracle",
                db=self.session.schema,
                validate_qualify_columns=False,
                quote_identifiers=False,
            )
            return cast(exp.Expression, annotate_types(qualified, schema=schema, dialect="oracle"))
        except Exception:  # shapes sqlglot cannot qualify: the plain tree is checked
            return None

    def _refuse(self, rule: rules.Rule, detail: str) -> OracleError:
        self.engine.violation(self.session, self.entry, rule, detail)
        return OracleError(f"{rule.refuses} ({detail})")

    # Name resolution ---------------------------------------------------------------------------------

    def _relation(self, table: exp.Table) -> Relation | None:
        owner = _name(table.args.get("db")) or self.session.schema
        return self.catalog.find(owner, _name(table.this), self.session.id) or (
            self.catalog.find(owner, _name(table.this)) if owner else None
        )

    def _tables_in_scope(self) -> dict[str, Relation]:
        scope: dict[str, Relation] = {}
        if self.tree is None:
            return scope
        for table in self.tree.find_all(exp.Table):
            relation = self._relation(table)
            if relation is not None:
                alias = table.args.get("alias")
                scope[_name(alias.this) if alias is not None else relation.name] = relation
        return scope

    def _column_type(self, column: exp.Column) -> Column | None:
        scope = self._tables_in_scope()
        qualifier = _name(column.args.get("table")) if column.args.get("table") else ""
        candidates = [scope[qualifier]] if qualifier in scope else ([] if qualifier else list(scope.values()))
        for relation in candidates:
            found = relation.column(_name(column.this))
            if found is not None:
                return found
        return None

    def _check_tables_exist(self) -> None:
        if self.tree is None:
            return
        ctes = {_name(cte.alias_or_name) for cte in self.tree.find_all(exp.CTE)}
        for table in self.tree.find_all(exp.Table):
            name = _name(table.this)
            if not name or (not table.args.get("db") and name in ctes):
                continue
            if self._relation(table) is None and not self._is_dictionary(table):
                raise self._refuse(rules.UNKNOWN_TABLE, f"{table.sql('oracle')} does not exist")

    @staticmethod
    def _is_dictionary(table: exp.Table) -> bool:
        name = _name(table.this)
        owner = _name(table.args.get("db"))
        return owner in ("", "SYS", "PUBLIC") and (
            name.startswith(("ALL_", "USER_", "DBA_", "V$", "NLS_", "GV$"))
            or name in ("DUAL", "PRODUCT_COMPONENT_VERSION")
        )

    # ALTER SESSION ---------------------------------------------------------------------------------

    def _alter_session(self) -> dict[str, Any]:
        for name, value in _SESSION_PARAMETER.findall(
            self.text.split("SET", 1)[-1] if "SET" in self.text.upper() else ""
        ):
            key, raw = name.upper(), value.strip("'")
            self.session.parameters[key] = raw
            if key == "TIME_ZONE":
                self.session.time_zone = raw
            elif key == "DDL_LOCK_TIMEOUT":
                self.session.ddl_lock_timeout = float(raw)
            elif key == "CURRENT_SCHEMA":
                self.session.schema = raw.upper()
        return {"rowcount": 0}

    # PL/SQL ------------------------------------------------------------------------------------------

    def _plsql(self) -> dict[str, Any]:
        lowered = " ".join(self.text.lower().split())
        if "dbms_transaction.local_transaction_id" in lowered:
            # SQLAlchemy's isolation-level probe (dialects/oracle/cx_oracle.py get_isolation_level).
            out = dict.fromkeys(self.names, "1.2.3")
            return {"rowcount": 0, "out": out}
        block = parse_block(self.text)
        if block is None:
            return self._unanalysed("PL/SQL block not understood")
        try:
            for statement in block.body:
                self._run_in_block(statement)
        except OracleError as error:
            code = int(str(error)[4:9]) if str(error).startswith("ORA-") else -1
            if not (block.handles_any or code in block.handled_codes):
                raise
            for cleanup in block.handler_statements():
                with contextlib.suppress(OracleError):  # each sits in its own BEGIN ... WHEN OTHERS THEN NULL
                    self._run_in_block(cleanup)
            if block.reraises:
                raise
            self._handled(error)
        return {"rowcount": 0}

    def _run_in_block(self, statement: str) -> None:
        word = statement.split(None, 1)[0].upper() if statement.split() else ""
        if word in ("NULL", "SAVEPOINT"):
            return
        child = self.engine.record(
            dict(self.entry, sql=statement, note="from a PL/SQL block", outcome="ok", analysed=True)
        )
        try:
            _Statement(self.engine, self.session, child, statement, [], []).run()
        except OracleError as error:
            child["outcome"] = str(error)
            raise

    def _handled(self, error: OracleError) -> None:
        """The block's handler took ``error`` (dbt-oracle's DROP of a missing relation): not a finding."""
        child = next(e for e in reversed(self.engine.log) if e.get("outcome") == str(error))
        child["outcome"] = f"handled by the PL/SQL block: {error}"
        self.engine.violations[:] = [v for v in self.engine.violations if v["statement"] != child["id"]]

    # Queries --------------------------------------------------------------------------------------

    def _literal_tree(self) -> exp.Expression | None:
        """The tree with binds as literals and SYS_CONTEXT / USER answered from the session."""
        if self.tree is None:
            return None
        first = self.rows[0] if self.rows else {}
        values = first if isinstance(first, dict) else {str(i + 1): v for i, v in enumerate(first)}
        positional = not isinstance(first, dict)
        tree = self.tree.copy()
        order = iter(self.names)

        def literal(value: Any) -> exp.Expression:
            if value is None:
                return exp.Null()
            if isinstance(value, bool):
                return exp.Literal.number(int(value))
            if isinstance(value, int | float):
                return exp.Literal.number(value)
            if isinstance(value, dt.datetime):
                return exp.cast(
                    exp.Literal.string(value.replace(tzinfo=None).isoformat(sep=" ")), "TIMESTAMP"
                )
            if isinstance(value, dt.date):
                return exp.cast(exp.Literal.string(value.isoformat()), "DATE")
            return exp.Literal.string(str(value))

        def replace(node: exp.Expression) -> exp.Expression:
            if isinstance(node, exp.Placeholder):
                name = node.name
                if positional:
                    key = next(order, name)
                    key = key[2:] if key.startswith("b_") and key[2:].isdigit() else key
                    index = self.names.index(key) + 1 if key in self.names else 0
                    return literal(values.get(str(index)))
                return literal(values.get(name, values.get(name.lower(), values.get(name.upper()))))
            if (
                isinstance(node, exp.Anonymous)
                and node.name.upper() == "SYS_CONTEXT"
                and len(node.expressions) == 2
            ):
                key = node.expressions[1].name.upper()
                answers = {
                    "DB_NAME": self.engine.settings.db_name,
                    "CURRENT_SCHEMA": self.session.schema,
                    "SESSION_USER": self.session.user,
                    "CURRENT_USER": self.session.user,
                    "SERVICE_NAME": "SERVICE",
                    "CON_NAME": self.engine.settings.db_name,
                    "INSTANCE_NAME": self.engine.settings.db_name,
                }
                return exp.Literal.string(answers.get(key, ""))
            if (
                isinstance(node, exp.Column)
                and not node.table
                and node.name.upper() == "USER"
                and not node.this.quoted
            ):
                return exp.Literal.string(self.session.user)
            return node

        return tree.transform(replace)

    def _projection_names(self, count: int) -> list[str] | None:
        tree = self.tree
        while isinstance(tree, exp.Union | exp.Subquery):
            tree = tree.this
        if not isinstance(tree, exp.Select) or len(tree.expressions) != count:
            return None
        names: list[str] = []
        for projection in tree.expressions:
            if isinstance(projection, exp.Star):
                return None
            if isinstance(projection, exp.Alias | exp.Column) and projection.args.get(
                "alias" if isinstance(projection, exp.Alias) else "this"
            ):
                identifier = (
                    projection.args["alias"] if isinstance(projection, exp.Alias) else projection.this
                )
                if isinstance(identifier, exp.Star):
                    return None
                names.append(_name(identifier))
            else:
                names.append(projection.sql("oracle").upper().replace(" ", ""))
        return names

    def _query(self) -> dict[str, Any]:
        self._check_tables_exist()
        tree = self._literal_tree()
        if tree is None:
            return self._unanalysed("query not parsed") | {"description": [], "rows": []}
        try:
            return self._run_in_duckdb(tree)
        except Exception as error:
            self.entry["note"] = f"answered as over empty tables (DuckDB: {str(error).splitlines()[0][:160]})"
            return self._empty_answer(tree)

    def _run_in_duckdb(self, tree: exp.Expression) -> dict[str, Any]:
        sql = tree.sql("duckdb")
        mirror = self.engine.mirror
        reads_dictionary = any(self._is_dictionary(table) for table in tree.find_all(exp.Table))
        mirror.refresh(self.catalog, self.engine.settings.as_dict(), dictionary=reads_dictionary)
        connection = mirror.connection
        connection.execute(f"SET search_path = '{self.session.schema},main'")
        relation = connection.sql(sql)
        if relation is None:
            return {"rowcount": 0}
        types = [str(t) for t in relation.types]
        rows = relation.fetchall()
        names = self._projection_names(len(types)) or [
            c.upper() if c == c.lower() else c for c in relation.columns
        ]
        return {
            "description": [_describe(name, kind) for name, kind in zip(names, types, strict=True)],
            "rows": [[wire.encode_value(_oracle_value(v)) for v in row] for row in rows],
            "rowcount": len(rows),
        }

    def _empty_answer(self, tree: exp.Expression) -> dict[str, Any]:
        """The query over EMPTY tables when DuckDB cannot run it (an Oracle function it lacks): the
        columns from the projection resolved against the catalog (stars expanded), no rows, except
        that an ungrouped aggregate gives its one row (COUNT(*) = 0), computed over no input.
        """
        outer = tree
        while isinstance(outer, exp.Subquery):
            outer = outer.this
        if isinstance(outer, exp.Union):
            outer = outer.this
        columns = self._projection_columns(tree)
        description = [[c.name, *_describe(c.name, _duck_name(c))[1:]] for c in columns]
        if not isinstance(outer, exp.Select) or outer.args.get("group") is not None:
            return {"description": description, "rows": [], "rowcount": 0}
        if not any(p.find(exp.AggFunc) for p in outer.expressions) or len(outer.expressions) != len(columns):
            return {"description": description, "rows": [], "rowcount": 0}
        emptied = [
            p.copy().transform(lambda n: exp.Null() if isinstance(n, exp.Column) else n)
            for p in outer.expressions
        ]
        probe = exp.select(*emptied).from_("(SELECT 1 AS x WHERE 1 = 0) AS empty_source")
        try:
            relation = self.engine.mirror.connection.sql(probe.sql("duckdb"))
            rows = relation.fetchall() if relation is not None else []
        except Exception:
            rows = []
        return {
            "description": description,
            "rows": [[wire.encode_value(_oracle_value(v)) for v in row] for row in rows],
            "rowcount": len(rows),
        }

    # DML ------------------------------------------------------------------------------------------------

    def _dml(self) -> dict[str, Any]:
        self._check_tables_exist()
        if self.tree is None:
            return self._unanalysed("DML not parsed") | {"rowcount": len(self.rows)}
        target_node = self.tree.this
        if isinstance(target_node, exp.Schema):
            target_node = target_node.this
        target_node = target_node if isinstance(target_node, exp.Table) else self.tree.find(exp.Table)
        relation = self._relation(target_node) if isinstance(target_node, exp.Table) else None
        if relation is None:
            raise self._refuse(
                rules.UNKNOWN_TABLE, f"DML target {self.tree.this.sql('oracle')[:80]} does not exist"
            )
        if isinstance(self.tree, exp.Insert) and isinstance(self.tree.this, exp.Schema):
            columns = [_name(c) for c in self.tree.this.expressions]
            for name in columns:
                if relation.column(name) is None:
                    raise self._refuse(rules.UNKNOWN_COLUMN, f"{relation.name} has no column {name}")
            self._check_value_sizes(relation, columns)
        if relation.temporary != "P":
            self.session.dml.add((relation.owner, relation.name))
        rowcount = (
            len(self.rows)
            if self.entry["op"] == "executemany"
            else (
                1 if isinstance(self.tree, exp.Insert) and isinstance(self.tree.expression, exp.Values) else 0
            )
        )
        return {"rowcount": rowcount}

    def _check_value_sizes(self, relation: Relation, columns: list[str]) -> None:
        values = self.tree.expression if self.tree is not None else None
        if not isinstance(values, exp.Values) or not values.expressions:
            return
        first = values.expressions[0]
        for column_name, node in zip(columns, first.expressions, strict=False):
            if not isinstance(node, exp.Placeholder):
                continue
            column = relation.column(column_name)
            if column is None or column.byte_limit is None:
                continue
            key = node.name[2:] if node.name.startswith("b_") and node.name[2:].isdigit() else node.name
            for row in self.rows:
                value = (
                    row.get(key)
                    if isinstance(row, dict)
                    else (
                        row[self.names.index(key)]
                        if key in self.names and self.names.index(key) < len(row)
                        else None
                    )
                )
                if isinstance(value, str) and (
                    len(value.encode()) > column.byte_limit
                    or (column.char_length and len(value) > column.char_length)
                ):
                    raise self._refuse(
                        rules.VALUE_TOO_LARGE,
                        f"{relation.name}.{column_name}: {len(value)} characters, {len(value.encode())} bytes "
                        f"(column {column.type_text()}, at most 4000 bytes)",
                    )

    # DDL ------------------------------------------------------------------------------------------------

    def _ddl(self) -> dict[str, Any]:
        upper = self.head
        private = upper.startswith("CREATE PRIVATE TEMPORARY TABLE")
        keeps_transaction = private and re.search(
            r"ON\s+COMMIT\s+DROP\s+DEFINITION", self.text, re.IGNORECASE
        )
        if self.session.dml and not keeps_transaction:
            open_tables = ", ".join(sorted(f"{o}.{n}" for o, n in self.session.dml))
            self.engine.violation(
                self.session,
                self.entry,
                rules.DDL_COMMITS,
                f"DDL commits the open transaction (DML on {open_tables})",
            )
            self.engine.end_transaction(self.session)
        if upper.startswith(
            ("CREATE TABLE", "CREATE GLOBAL TEMPORARY TABLE", "CREATE PRIVATE TEMPORARY TABLE")
        ):
            return self._create_table()
        if re.match(r"CREATE (OR REPLACE )?(FORCE |NOFORCE )?(EDITIONABLE |NONEDITIONABLE )?VIEW", upper):
            return self._create_view()
        if re.match(r"CREATE (UNIQUE )?INDEX", upper):
            return self._create_index()
        if upper.startswith("ALTER TABLE"):
            return self._alter_table()
        if upper.startswith(("DROP TABLE", "DROP VIEW")):
            return self._drop()
        if upper.startswith("TRUNCATE TABLE"):
            relation = self._named_relation(self.text.split()[2])
            self._lock(relation)
            return {"rowcount": 0}
        if upper.startswith(("CREATE USER", "CREATE SCHEMA")):
            self.catalog.users.add(self.text.split()[2].strip('"').upper())
            self.catalog.changed()
            return {"rowcount": 0}
        if upper.startswith(("GRANT", "REVOKE", "COMMENT")):
            self._parse()
            self._check()
            return {"rowcount": 0}
        return self._unanalysed("DDL kind not modelled")

    def _named_relation(self, text: str, must_exist: bool = True) -> Relation | None:
        table = exp.to_table(text.strip().rstrip(";"), dialect="oracle")
        relation = self._relation(table)
        if relation is None and must_exist:
            raise self._refuse(rules.UNKNOWN_TABLE, f"{text} does not exist")
        return relation

    def _lock(self, relation: Relation | None) -> None:
        """DDL needs the table's exclusive lock: wait up to DDL_LOCK_TIMEOUT for other sessions' DML."""
        if relation is None or relation.temporary == "P":
            return
        key = (relation.owner, relation.name)
        deadline = time.monotonic() + self.session.ddl_lock_timeout
        while True:
            holders = [s for s in self.engine.sessions.values() if s is not self.session and key in s.dml]
            if not holders:
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise self._refuse(
                    rules.RESOURCE_BUSY,
                    f"{relation.owner}.{relation.name} has uncommitted DML in session(s) "
                    f"{', '.join(str(s.id) + ' ' + s.label for s in holders)}; "
                    f"DDL_LOCK_TIMEOUT={self.session.ddl_lock_timeout:g}",
                )
            self.engine.condition.wait(remaining)

    def _create_table(self) -> dict[str, Any]:
        text = self.text
        temporary = "N"
        drop_at_commit = False
        if self.head.startswith("CREATE PRIVATE TEMPORARY TABLE"):
            temporary = "P"
            drop_at_commit = bool(re.search(r"ON\s+COMMIT\s+DROP\s+DEFINITION", text, re.IGNORECASE))
            text = re.sub(
                r"^\s*CREATE\s+PRIVATE\s+TEMPORARY\s+TABLE", "CREATE TABLE", text, flags=re.IGNORECASE
            )
            text = re.sub(r"ON\s+COMMIT\s+(DROP|PRESERVE)\s+DEFINITION", "", text, flags=re.IGNORECASE)
        elif self.head.startswith("CREATE GLOBAL TEMPORARY TABLE"):
            temporary = "Y"
            text = re.sub(
                r"^\s*CREATE\s+GLOBAL\s+TEMPORARY\s+TABLE", "CREATE TABLE", text, flags=re.IGNORECASE
            )
            text = re.sub(r"ON\s+COMMIT\s+(DELETE|PRESERVE)\s+ROWS", "", text, flags=re.IGNORECASE)
        tree = self._parse(text)
        if not isinstance(tree, exp.Create):
            return self._unanalysed("CREATE TABLE not parsed")
        target = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
        assert isinstance(target, exp.Table)
        owner = _name(target.args.get("db")) or self.session.schema
        relation = Relation(
            owner=owner, name=_name(target.this), kind="TABLE", columns=[], temporary=temporary
        )
        relation.drop_at_commit = drop_at_commit
        if temporary == "P":
            relation.session = self.session.id
        if isinstance(tree.this, exp.Schema):
            self._define_columns(relation, tree.this.expressions)
        elif tree.expression is not None:
            relation.columns = self._projection_columns(tree.expression)
        self._check(relation)
        exists = self.catalog.find(owner, relation.name, self.session.id) if temporary == "P" else None
        if exists is not None or (temporary != "P" and self.catalog.name_in_use(owner, relation.name)):
            raise self._refuse(rules.NAME_IN_USE, f"{owner}.{relation.name} already exists")
        if owner not in self.catalog.users:
            raise OracleError(f"ORA-01918: user '{owner}' does not exist")
        self.catalog.add(relation)
        return {"rowcount": 0}

    def _define_columns(self, relation: Relation, definitions: list[exp.Expression]) -> None:
        for definition in definitions:
            if isinstance(definition, exp.ColumnDef):
                kind = definition.args.get("kind")
                column = parse_type(kind.sql("oracle") if kind is not None else "VARCHAR2(4000)")
                column.name = _name(definition.this)
                for constraint in definition.args.get("constraints") or []:
                    if isinstance(
                        constraint.kind, exp.NotNullColumnConstraint
                    ) and not constraint.kind.args.get("allow_null"):
                        column.nullable = False
                    if isinstance(constraint.kind, exp.PrimaryKeyColumnConstraint):
                        column.nullable = False
                        relation.constraints.append(
                            Constraint(f"SYS_C{len(self.catalog.relations) + 1:07}", "P", [column.name])
                        )
                relation.columns.append(column)
            else:
                self._define_constraint(relation, definition)

    def _define_constraint(self, relation: Relation, definition: exp.Expression) -> None:
        name = ""
        if isinstance(definition, exp.Constraint):
            name = _name(definition.this)
            inner = definition.expressions[0] if definition.expressions else None
        else:
            inner = definition
        if isinstance(inner, exp.PrimaryKey | exp.PrimaryKeyColumnConstraint):
            kind = "P"
        elif isinstance(inner, exp.UniqueColumnConstraint):
            kind = "U"
        else:
            return
        columns = [_name(c.this if isinstance(c, exp.Ordered) else c) for c in inner.expressions]
        if (
            not columns
            and isinstance(inner, exp.UniqueColumnConstraint)
            and isinstance(inner.this, exp.Schema)
        ):
            columns = [_name(c) for c in inner.this.expressions]
        name = name or f"SYS_C{sum(len(r.constraints) for r in self.catalog.relations.values()) + 1:07}"
        relation.constraints.append(Constraint(name, kind, columns))
        if kind == "P":
            for column_name in columns:
                column = relation.column(column_name)
                if column is not None:
                    column.nullable = False

    def _schema(self) -> MappingSchema:
        mapping: dict[str, Any] = {}
        for relation in [*self.catalog.all_relations(), *self.catalog.private.values()]:
            mapping.setdefault(relation.owner, {})[relation.name] = {
                column.name: column.type_text().replace(" CHAR)", ")") for column in relation.columns
            }
        return MappingSchema(mapping, dialect="oracle", normalize=False)

    def _projection_columns(self, select: exp.Expression) -> list[Column]:
        """A CTAS/view's columns: the SELECT's projection resolved against the catalog by sqlglot."""
        schema = self._schema()
        try:
            qualified = qualify(
                select.copy(),
                schema=schema,
                dialect="oracle",
                db=self.session.schema,
                validate_qualify_columns=False,
                quote_identifiers=False,
            )
            annotated = annotate_types(qualified, schema=schema, dialect="oracle")
            selects = annotated.selects if isinstance(annotated, exp.Query) else []
        except Exception:
            selects = select.selects if isinstance(select, exp.Query) else []
            annotated = None
        columns: list[Column] = []
        for projection in selects:
            name = projection.alias_or_name
            identifier = (
                projection.args.get("alias")
                if isinstance(projection, exp.Alias)
                else projection.find(exp.Identifier)
            )
            stored = name if isinstance(identifier, exp.Identifier) and identifier.quoted else name.upper()
            column = _column_from_type(projection.type if annotated is not None else None)
            column.name = stored
            inner = projection.this if isinstance(projection, exp.Alias) else projection
            if (
                isinstance(inner, exp.Column)
                and (found := self._column_type(inner)) is not None
                and found.is_lob
            ):
                column = dataclasses.replace(found, name=stored)
            columns.append(column)
        return columns

    def _create_view(self) -> dict[str, Any]:
        tree = self._parse()
        if not isinstance(tree, exp.Create) or tree.expression is None:
            return self._unanalysed("CREATE VIEW not parsed")
        self._check()
        self._check_tables_exist_in(tree.expression)
        target = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
        owner = _name(target.args.get("db")) or self.session.schema
        name = _name(target.this)
        existing = self.catalog.find(owner, name)
        if existing is not None and (existing.kind != "VIEW" or not tree.args.get("replace")):
            raise self._refuse(rules.NAME_IN_USE, f"{owner}.{name} already exists")
        relation = Relation(
            owner,
            name,
            "VIEW",
            self._projection_columns(tree.expression),
            view_text=tree.expression.sql("oracle"),
        )
        if existing is not None:
            self.catalog.drop(existing)
        self.catalog.add(relation)
        return {"rowcount": 0}

    def _check_tables_exist_in(self, select: exp.Expression) -> None:
        saved, self.tree = self.tree, select
        try:
            self._check_tables_exist()
        finally:
            self.tree = saved

    def _create_index(self) -> dict[str, Any]:
        match = re.match(
            r"CREATE\s+(UNIQUE\s+)?INDEX\s+(\S+)\s+ON\s+(\S+)\s*\((.*)\)",
            self.text,
            re.IGNORECASE | re.DOTALL,
        )
        if not match:
            return self._unanalysed("CREATE INDEX not parsed")
        relation = self._named_relation(match.group(3))
        assert relation is not None
        self._lock(relation)
        index_name = _name(exp.to_table(match.group(2), dialect="oracle").this)
        if any(index.name == index_name for r in self.catalog.all_relations() for index in r.indexes):
            raise self._refuse(rules.NAME_IN_USE, f"index {index_name} already exists")
        columns = [
            _name(exp.to_identifier(c.strip().split()[0].strip('"'), quoted=c.strip().startswith('"')))
            for c in match.group(4).split(",")
        ]
        relation.indexes.append(Index(index_name, columns, bool(match.group(1))))
        self.catalog.changed()
        return {"rowcount": 0}

    def _drop(self) -> dict[str, Any]:
        words = self.text.split()
        relation = self._named_relation(words[2])
        assert relation is not None
        self._lock(relation)
        self.catalog.drop(relation)
        return {"rowcount": 0}

    def _alter_table(self) -> dict[str, Any]:
        match = re.match(
            r"ALTER\s+TABLE\s+((?:\"[^\"]+\"|[\w$#]+)(?:\.(?:\"[^\"]+\"|[\w$#]+))?)\s+(.*)$",
            self.text,
            re.IGNORECASE | re.DOTALL,
        )
        if not match:
            return self._unanalysed("ALTER TABLE not parsed")
        relation = self._named_relation(match.group(1))
        assert relation is not None
        action = match.group(2).strip().rstrip(";")
        verb = action.split(None, 1)[0].upper()
        self._lock(relation)
        if re.match(r"ADD\s+CONSTRAINT", action, re.IGNORECASE):
            return self._add_constraint(relation, action)
        if verb in ("ADD", "MODIFY"):
            return self._alter_columns(relation, verb, action[len(verb) :].strip())
        if verb == "DROP" or re.match(r"SET\s+UNUSED", action, re.IGNORECASE):
            names = re.sub(r"^(DROP|SET\s+UNUSED)\s+(COLUMN\s+)?", "", action, flags=re.IGNORECASE).strip(
                "() "
            )
            for raw in names.split(","):
                relation.columns.remove(self._column_or_refuse(relation, raw))
            self.catalog.changed()
            return {"rowcount": 0}
        if rename := re.match(r"RENAME\s+COLUMN\s+(\S+)\s+TO\s+(\S+)", action, re.IGNORECASE):
            column = self._column_or_refuse(relation, rename.group(1))
            new = _identifier_text(rename.group(2))
            if relation.column(new) is not None:
                raise OracleError("ORA-00957: duplicate column name")
            column.name = new
            self.catalog.changed()
            return {"rowcount": 0}
        if rename := re.match(r"RENAME\s+TO\s+(\S+)", action, re.IGNORECASE):
            new_name = _name(exp.to_table(rename.group(1), dialect="oracle").this)
            if self.catalog.name_in_use(relation.owner, new_name):
                raise self._refuse(rules.NAME_IN_USE, f"{relation.owner}.{new_name} already exists")
            self.catalog.rename(relation, new_name)
            return {"rowcount": 0}
        return self._unanalysed("ALTER TABLE action not modelled")

    def _column_or_refuse(self, relation: Relation, raw: str) -> Column:
        name = _identifier_text(raw)
        column = relation.column(name)
        if column is None:
            raise self._refuse(rules.UNKNOWN_COLUMN, f"{relation.name} has no column {name}")
        return column

    def _alter_columns(self, relation: Relation, verb: str, body: str) -> dict[str, Any]:
        """ALTER TABLE ... ADD (...) / MODIFY (...): the column list parsed as a CREATE TABLE's."""
        body = body[1:-1] if body.startswith("(") and body.endswith(")") else body
        tree = self._parse(f"CREATE TABLE standin_probe ({body})")
        if not isinstance(tree, exp.Create) or not isinstance(tree.this, exp.Schema):
            return self._unanalysed("ALTER TABLE column list not parsed")
        probe = Relation(relation.owner, relation.name, "TABLE", [])
        self._define_columns(probe, tree.this.expressions)
        self._check()
        for column in probe.columns:
            existing = relation.column(column.name)
            if verb == "ADD":
                if existing is not None:
                    raise self._refuse(rules.COLUMN_EXISTS, f"{relation.name}.{column.name}")
                relation.columns.append(column)
                continue
            if existing is None:
                raise self._refuse(rules.UNKNOWN_COLUMN, f"{relation.name} has no column {column.name}")
            if existing.data_type in ("VARCHAR2", "NVARCHAR2") and column.is_lob:
                raise OracleError("ORA-22858: invalid alteration of datatype")
            existing.data_type, existing.char_length = column.data_type, column.char_length
            existing.precision, existing.scale = column.precision, column.scale
        self.catalog.changed()
        return {"rowcount": 0}

    def _add_constraint(self, relation: Relation, action: str) -> dict[str, Any]:
        tree = self._parse(f"CREATE TABLE standin_probe ({action[3:].strip()})")
        if not isinstance(tree, exp.Create) or not isinstance(tree.this, exp.Schema):
            return self._unanalysed("ADD CONSTRAINT not parsed")
        probe = Relation(relation.owner, relation.name, "TABLE", relation.columns)
        for definition in tree.this.expressions:
            self._define_constraint(probe, definition)
        self._check(probe)
        relation.constraints = probe.constraints
        self.catalog.changed()
        return {"rowcount": 0}


def _identifier_text(raw: str) -> str:
    """A column name as written in DDL text, in its stored form."""
    raw = raw.strip()
    return raw[1:-1] if raw.startswith('"') and raw.endswith('"') else raw.upper()


def _column_from_type(kind: exp.DataType | None) -> Column:
    if kind is None:
        return Column("", "VARCHAR2", char_length=4000)
    t = exp.DataType.Type
    if kind.this == t.TEXT:
        return Column("", "CLOB")
    if kind.this in (t.VARCHAR, t.NVARCHAR, t.CHAR, t.NCHAR):
        length = kind.expressions[0].this.name if kind.expressions else ""
        return Column("", "VARCHAR2", char_length=int(length) if str(length).isdigit() else 4000)
    if kind.this in (t.DECIMAL, t.INT, t.BIGINT, t.SMALLINT, t.TINYINT, t.DOUBLE, t.FLOAT, t.BOOLEAN):
        return parse_type(kind.sql("oracle")) if kind.this == t.DECIMAL else Column("", "NUMBER")
    if kind.this == t.TIMESTAMPTZ:
        return Column("", "TIMESTAMP(6) WITH TIME ZONE")
    if kind.this == t.TIMESTAMPLTZ:
        return Column("", "TIMESTAMP(6) WITH LOCAL TIME ZONE")
    if kind.this == t.TIMESTAMP:
        return Column("", "TIMESTAMP(6)")
    if kind.this in (t.DATE, t.DATETIME):
        return Column("", "DATE")
    return Column("", "VARCHAR2", char_length=4000)


def _duck_name(column: Column) -> str:
    from oracle_standin.dictionary import duck_type

    return duck_type(column)


def _describe(name: str, duck_type: str) -> list[Any]:
    """A description row (name, DB_TYPE_*, display size, internal size, precision, scale, null_ok)."""
    upper = duck_type.upper()
    if upper.startswith(("VARCHAR", "UUID", "ENUM")):
        return [name, "DB_TYPE_VARCHAR", 4000, 4000, None, None, True]
    if upper.startswith(
        (
            "TINYINT",
            "SMALLINT",
            "INTEGER",
            "BIGINT",
            "HUGEINT",
            "UBIGINT",
            "DECIMAL",
            "DOUBLE",
            "FLOAT",
            "BOOLEAN",
        )
    ):
        return [name, "DB_TYPE_NUMBER", 127, None, 0, -127, True]
    if upper.startswith("TIMESTAMP WITH TIME ZONE"):
        return [name, "DB_TYPE_TIMESTAMP_TZ", 23, None, 0, 6, True]
    if upper.startswith("TIMESTAMP"):
        return [name, "DB_TYPE_TIMESTAMP", 23, None, 0, 6, True]
    if upper.startswith("DATE"):
        return [name, "DB_TYPE_DATE", 23, None, None, None, True]
    return [name, "DB_TYPE_VARCHAR", 4000, 4000, None, None, True]


def _oracle_value(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return dt.datetime(value.year, value.month, value.day)  # noqa: DTZ001 - Oracle DATE has no zone
    return value
