"""python-oracledb's database types (DB_TYPE_*) and DB-API type objects, by the same names.

Mirrors python-oracledb 26.1 (oracle/python-oracledb src/oracledb/impl/base/types.pyx and the
aliases at the end of src/oracledb/__init__.py); the numbers are the ones the real package reports.
Standard library only.
"""

from __future__ import annotations

from typing import Any


class DbType:
    """One Oracle database type, as python-oracledb exposes it (``oracledb.DB_TYPE_NUMBER`` ...)."""

    def __init__(self, num: int, name: str, oracle_name: str) -> None:
        self.num = num
        self.name = name
        self.oracle_name = oracle_name

    def __repr__(self) -> str:
        return f"<DbType {self.name}>"

    def __reduce__(self) -> str:
        return self.name


class ApiType:
    """A DB-API type object (STRING, NUMBER, DATETIME, ...): equal to each of its database types."""

    def __init__(self, name: str, *dbtypes: DbType) -> None:
        self.name = name
        self.dbtypes = dbtypes

    def __eq__(self, other: object) -> bool:
        if isinstance(other, DbType):
            return other in self.dbtypes
        return other is self

    def __hash__(self) -> int:
        return hash(self.name)

    def __repr__(self) -> str:
        return f"<ApiType {self.name}>"


_DB_TYPES = {
    "DB_TYPE_BFILE": (2020, "BFILE"),
    "DB_TYPE_BINARY_DOUBLE": (2008, "BINARY_DOUBLE"),
    "DB_TYPE_BINARY_FLOAT": (2007, "BINARY_FLOAT"),
    "DB_TYPE_BINARY_INTEGER": (2009, "BINARY_INTEGER"),
    "DB_TYPE_BLOB": (2019, "BLOB"),
    "DB_TYPE_BOOLEAN": (2022, "BOOLEAN"),
    "DB_TYPE_CHAR": (2003, "CHAR"),
    "DB_TYPE_CLOB": (2017, "CLOB"),
    "DB_TYPE_CURSOR": (2021, "CURSOR"),
    "DB_TYPE_DATE": (2011, "DATE"),
    "DB_TYPE_INTERVAL_DS": (2015, "INTERVAL DAY TO SECOND"),
    "DB_TYPE_INTERVAL_YM": (2016, "INTERVAL YEAR TO MONTH"),
    "DB_TYPE_JSON": (2027, "JSON"),
    "DB_TYPE_LONG": (2024, "LONG"),
    "DB_TYPE_LONG_NVARCHAR": (2031, "LONG NVARCHAR"),
    "DB_TYPE_LONG_RAW": (2025, "LONG RAW"),
    "DB_TYPE_NCHAR": (2004, "NCHAR"),
    "DB_TYPE_NCLOB": (2018, "NCLOB"),
    "DB_TYPE_NUMBER": (2010, "NUMBER"),
    "DB_TYPE_NVARCHAR": (2002, "NVARCHAR2"),
    "DB_TYPE_OBJECT": (2023, "OBJECT"),
    "DB_TYPE_RAW": (2006, "RAW"),
    "DB_TYPE_ROWID": (2005, "ROWID"),
    "DB_TYPE_TIMESTAMP": (2012, "TIMESTAMP"),
    "DB_TYPE_TIMESTAMP_LTZ": (2014, "TIMESTAMP WITH LOCAL TIME ZONE"),
    "DB_TYPE_TIMESTAMP_TZ": (2013, "TIMESTAMP WITH TIME ZONE"),
    "DB_TYPE_UNKNOWN": (0, "UNKNOWN"),
    "DB_TYPE_UROWID": (2030, "UROWID"),
    "DB_TYPE_VARCHAR": (2001, "VARCHAR2"),
    "DB_TYPE_VECTOR": (2033, "VECTOR"),
    "DB_TYPE_XMLTYPE": (2032, "XMLTYPE"),
}

BY_NAME: dict[str, DbType] = {name: DbType(num, name, oracle) for name, (num, oracle) in _DB_TYPES.items()}
globals().update(BY_NAME)


def db_type(name: str) -> DbType:
    return BY_NAME[name]


# DB-API type objects (python-oracledb src/oracledb/impl/base/types.pyx).
STRING = ApiType(
    "STRING",
    *(
        BY_NAME[n]
        for n in ("DB_TYPE_VARCHAR", "DB_TYPE_NVARCHAR", "DB_TYPE_CHAR", "DB_TYPE_NCHAR", "DB_TYPE_LONG")
    ),
)
NUMBER = ApiType(
    "NUMBER",
    *(
        BY_NAME[n]
        for n in ("DB_TYPE_NUMBER", "DB_TYPE_BINARY_DOUBLE", "DB_TYPE_BINARY_FLOAT", "DB_TYPE_BINARY_INTEGER")
    ),
)
DATETIME = ApiType(
    "DATETIME",
    *(
        BY_NAME[n]
        for n in ("DB_TYPE_DATE", "DB_TYPE_TIMESTAMP", "DB_TYPE_TIMESTAMP_LTZ", "DB_TYPE_TIMESTAMP_TZ")
    ),
)
BINARY = ApiType("BINARY", BY_NAME["DB_TYPE_RAW"], BY_NAME["DB_TYPE_LONG_RAW"])
ROWID = ApiType("ROWID", BY_NAME["DB_TYPE_ROWID"], BY_NAME["DB_TYPE_UROWID"])

# Backwards-compatible aliases (end of python-oracledb's src/oracledb/__init__.py).
ALIASES = {
    "BFILE": "DB_TYPE_BFILE",
    "BLOB": "DB_TYPE_BLOB",
    "BOOLEAN": "DB_TYPE_BOOLEAN",
    "CLOB": "DB_TYPE_CLOB",
    "CURSOR": "DB_TYPE_CURSOR",
    "FIXED_CHAR": "DB_TYPE_CHAR",
    "FIXED_NCHAR": "DB_TYPE_NCHAR",
    "INTERVAL": "DB_TYPE_INTERVAL_DS",
    "LONG_BINARY": "DB_TYPE_LONG_RAW",
    "LONG_STRING": "DB_TYPE_LONG",
    "NATIVE_INT": "DB_TYPE_BINARY_INTEGER",
    "NATIVE_FLOAT": "DB_TYPE_BINARY_DOUBLE",
    "NCHAR": "DB_TYPE_NVARCHAR",
    "OBJECT": "DB_TYPE_OBJECT",
    "NCLOB": "DB_TYPE_NCLOB",
    "TIMESTAMP": "DB_TYPE_TIMESTAMP",
}


def type_from_input_size(kind: Any) -> DbType | None:
    """The database type ``setinputsizes``/``var`` binds with (python-oracledb
    src/oracledb/impl/base/metadata.pyx ``OracleMetadata.from_type``): a DbType as is, an ApiType as
    its FIRST database type (so DATETIME binds DATE), Python types mapped, ``datetime`` -> TIMESTAMP.
    An int (a size) gives None: the type then comes from the value.
    """
    import datetime as dt
    import decimal

    if isinstance(kind, DbType):
        return kind
    if isinstance(kind, ApiType):
        return kind.dbtypes[0]
    table: dict[Any, str] = {
        int: "DB_TYPE_NUMBER",
        float: "DB_TYPE_NUMBER",
        decimal.Decimal: "DB_TYPE_NUMBER",
        str: "DB_TYPE_VARCHAR",
        bytes: "DB_TYPE_RAW",
        bool: "DB_TYPE_BOOLEAN",
        dt.date: "DB_TYPE_DATE",
        dt.datetime: "DB_TYPE_TIMESTAMP",
        dt.timedelta: "DB_TYPE_INTERVAL_DS",
    }
    if isinstance(kind, type) and kind in table:
        return BY_NAME[table[kind]]
    return None


def type_from_value(value: Any) -> DbType:
    """The database type python-oracledb binds a value with when no input size was set
    (src/oracledb/impl/base/metadata.pyx ``OracleMetadata.from_value``): notably any ``date`` or
    ``datetime`` is DB_TYPE_DATE, which has no fractional seconds and no time zone.
    """
    import datetime as dt
    import decimal

    if value is None or isinstance(value, str):
        return BY_NAME["DB_TYPE_VARCHAR"]
    if isinstance(value, bool):
        return BY_NAME["DB_TYPE_BOOLEAN"]
    if isinstance(value, bytes):
        return BY_NAME["DB_TYPE_RAW"]
    if isinstance(value, int | float | decimal.Decimal):
        return BY_NAME["DB_TYPE_NUMBER"]
    if isinstance(value, dt.date):
        return BY_NAME["DB_TYPE_DATE"]
    if isinstance(value, dt.timedelta):
        return BY_NAME["DB_TYPE_INTERVAL_DS"]
    return BY_NAME["DB_TYPE_UNKNOWN"]
