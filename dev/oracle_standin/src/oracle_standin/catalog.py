"""The stand-in's data dictionary: users, tables, views, columns with Oracle types, keys, indexes.

Pure data (no SQL parsing); ``dictionary.py`` materialises it as DuckDB tables for the queries
SQLAlchemy and dbt-oracle send to ALL_* views.
"""

from __future__ import annotations

import dataclasses
import re
import threading


@dataclasses.dataclass
class Column:
    name: str  # as stored: unquoted names upper-cased, quoted names as written
    data_type: (
        str  # Oracle's DATA_TYPE: NUMBER, VARCHAR2, CLOB, DATE, TIMESTAMP(6), TIMESTAMP(6) WITH TIME ZONE
    )
    char_length: int | None = None  # VARCHAR2(n CHAR)
    precision: int | None = None
    scale: int | None = None
    nullable: bool = True

    @property
    def is_lob(self) -> bool:
        return self.data_type in ("CLOB", "NCLOB", "BLOB")

    @property
    def byte_limit(self) -> int | None:
        """VARCHAR2 columns hold at most 4000 bytes (MAX_STRING_SIZE=STANDARD), whatever n CHAR says."""
        if self.data_type in ("VARCHAR2", "NVARCHAR2", "CHAR"):
            return 4000
        return None

    def type_text(self) -> str:
        if self.data_type in ("VARCHAR2", "NVARCHAR2", "CHAR") and self.char_length:
            return f"{self.data_type}({self.char_length} CHAR)"
        if self.data_type == "NUMBER" and self.precision is not None:
            return f"NUMBER({self.precision},{self.scale or 0})"
        return self.data_type


@dataclasses.dataclass
class Constraint:
    name: str
    kind: str  # P (primary key) or U (unique)
    columns: list[str]


@dataclasses.dataclass
class Index:
    name: str
    columns: list[str]
    unique: bool


@dataclasses.dataclass
class Relation:
    owner: str
    name: str
    kind: str  # TABLE or VIEW
    columns: list[Column]
    constraints: list[Constraint] = dataclasses.field(default_factory=list)
    indexes: list[Index] = dataclasses.field(default_factory=list)
    temporary: str = "N"  # N, Y (global temporary), P (private temporary)
    session: int | None = None  # owning session of a private temporary table
    view_text: str = ""
    comment: str | None = None
    drop_at_commit: bool = False  # private temporary table ON COMMIT DROP DEFINITION

    def column(self, name: str) -> Column | None:
        for column in self.columns:
            if column.name == name:
                return column
        return None


def parse_type(text: str) -> Column:
    """An Oracle type as written in DDL, e.g. ``VARCHAR2(32 CHAR)``, ``NUMBER(19)``, ``TIMESTAMP(6) WITH TIME ZONE``."""
    spec = " ".join(text.upper().split())
    column = Column(name="", data_type=spec)
    if match := re.fullmatch(r"(N?VARCHAR2|VARCHAR|N?CHAR)\s*\(\s*(\d+)\s*(CHAR|BYTE)?\s*\)", spec):
        kind = {"VARCHAR": "VARCHAR2"}.get(match.group(1), match.group(1))
        column.data_type, column.char_length = kind, int(match.group(2))
    elif match := re.fullmatch(
        r"(?:NUMBER|NUMERIC|DECIMAL)\s*(?:\(\s*(\d+|\*)\s*(?:,\s*(-?\d+)\s*)?\))?", spec
    ):
        column.data_type = "NUMBER"
        if match.group(1) and match.group(1) != "*":
            column.precision = int(match.group(1))
            column.scale = int(match.group(2) or 0)
    elif spec in ("INTEGER", "INT", "SMALLINT"):
        column.data_type, column.precision, column.scale = "NUMBER", 38, 0
    elif match := re.fullmatch(r"TIMESTAMP(?:\s*\((\d)\))?(\s+WITH\s+(LOCAL\s+)?TIME\s+ZONE)?", spec):
        digits = match.group(1) or "6"
        suffix = (
            "" if not match.group(2) else (" WITH LOCAL TIME ZONE" if match.group(3) else " WITH TIME ZONE")
        )
        column.data_type = f"TIMESTAMP({digits}){suffix}"
    elif spec in ("FLOAT", "BINARY_DOUBLE", "BINARY_FLOAT", "DOUBLE PRECISION"):
        column.data_type = "BINARY_DOUBLE" if spec != "FLOAT" else "FLOAT"
    return column


class Catalog:
    """Every relation by (owner, name), the users, and a lock for the sessions' threads."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.users: set[str] = set()
        self.relations: dict[tuple[str, str], Relation] = {}
        self.private: dict[tuple[int, str], Relation] = {}  # (session, NAME) -> private temporary table
        self.generation = 0  # bumped on every change; the DuckDB mirror rebuilds when it moves

    def changed(self) -> None:
        self.generation += 1

    def find(self, owner: str, name: str, session: int | None = None) -> Relation | None:
        if session is not None and (session, name) in self.private:
            return self.private[(session, name)]
        return self.relations.get((owner, name))

    def add(self, relation: Relation) -> None:
        if relation.temporary == "P" and relation.session is not None:
            self.private[(relation.session, relation.name)] = relation
        else:
            self.relations[(relation.owner, relation.name)] = relation
        self.changed()

    def drop(self, relation: Relation) -> None:
        if relation.temporary == "P" and relation.session is not None:
            self.private.pop((relation.session, relation.name), None)
        else:
            self.relations.pop((relation.owner, relation.name), None)
        self.changed()

    def rename(self, relation: Relation, new_name: str) -> None:
        self.drop(relation)
        relation.name = new_name
        self.add(relation)

    def drop_private(self, session: int) -> None:
        owned = [key for key in self.private if key[0] == session]
        for key in owned:
            del self.private[key]
        if owned:
            self.changed()

    def all_relations(self) -> list[Relation]:
        return list(self.relations.values())

    def name_in_use(self, owner: str, name: str) -> bool:
        """Tables and views share one namespace per schema (SQL Language Reference, "Database Object
        Namespaces"); indexes and constraints have their own.
        """
        return (owner, name) in self.relations
