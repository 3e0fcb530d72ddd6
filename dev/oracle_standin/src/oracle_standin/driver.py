"""The client half of the stand-in: the subset of python-oracledb's API our stack touches.

SQLAlchemy 2.0's oracledb dialect, dbt-oracle 1.12 and Airflow's OracleHook connect through this
module when ``dev/oracle_standin/shim`` is first on PYTHONPATH (the shim's ``oracledb`` package
re-exports it). Every statement goes to the stand-in server (``ORACLE_STANDIN_ADDRESS``, a Unix
socket) with its binds and the database type each bind is sent as, decided as python-oracledb
decides it on the client (see ``dbtypes.type_from_value``/``type_from_input_size``).
Standard library only.
"""

from __future__ import annotations

import decimal
import os
import socket
import threading
import types
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from oracle_standin import dbtypes, wire
from oracle_standin.dbtypes import (
    ALIASES,
    BINARY,
    BY_NAME,
    DATETIME,
    NUMBER,
    ROWID,
    STRING,
    ApiType,
    DbType,
)

__version__ = "26.1.0"
version = __version__
apilevel = "2.0"
threadsafety = 2
paramstyle = "named"

DB_TYPES = dict(BY_NAME)
TYPE_ALIASES = {alias: BY_NAME[name] for alias, name in ALIASES.items()}

# Purity and auth modes (numbers as in python-oracledb's enums).
PURITY_DEFAULT = ATTR_PURITY_DEFAULT = 0
PURITY_NEW = ATTR_PURITY_NEW = 1
PURITY_SELF = ATTR_PURITY_SELF = 2
AUTH_MODE_DEFAULT = DEFAULT_AUTH = 0
AUTH_MODE_SYSDBA = SYSDBA = 2


class Purity:
    DEFAULT = PURITY_DEFAULT
    NEW = PURITY_NEW
    SELF = PURITY_SELF


class AuthMode:
    DEFAULT = AUTH_MODE_DEFAULT
    SYSDBA = AUTH_MODE_SYSDBA


class LOB:
    """Placeholder type: the stand-in returns CLOB values as str (SQLAlchemy and dbt fetch them so)."""


# Errors ---------------------------------------------------------------------------------------


class _Error:
    """What python-oracledb puts in ``exc.args[0]`` (src/oracledb/errors.py ``_Error``)."""

    def __init__(self, message: str, code: int = 0, full_code: str = "") -> None:
        self.message = message
        self.code = code
        self.full_code = full_code
        self.offset = 0
        self.context = None
        self.isrecoverable = False
        self.iswarning = False
        self.is_session_dead = False

    def __str__(self) -> str:
        return self.message


class Warning(Exception):
    pass


class Error(Exception):
    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class InterfaceError(Error):
    pass


class DatabaseError(Error):
    pass


class DataError(DatabaseError):
    pass


class OperationalError(DatabaseError):
    pass


class IntegrityError(DatabaseError):
    pass


class InternalError(DatabaseError):
    pass


class ProgrammingError(DatabaseError):
    pass


class NotSupportedError(DatabaseError):
    pass


# python-oracledb src/oracledb/errors.py: ERR_INTEGRITY_ERROR_CODES / ERR_OPERATIONAL_ERROR_CODES.
_INTEGRITY_CODES = {1, 1400, 1438, 2290, 2291, 2292, 21525, 40479}
_OPERATIONAL_CODES = {
    22,
    378,
    600,
    602,
    603,
    604,
    609,
    1012,
    1013,
    1033,
    1034,
    1089,
    1090,
    1092,
    3113,
    3114,
    3135,
}


def _oracle_error(message: str) -> DatabaseError:
    """ORA-NNNNN text to the exception class python-oracledb raises for it."""
    code = 0
    full_code = message.split(":", 1)[0]
    if full_code.startswith("ORA-"):
        code = int(full_code[4:])
    elif full_code.startswith("DPY-"):
        code = 0
    error = _Error(message, code, full_code)
    if code in _INTEGRITY_CODES:
        return IntegrityError(error)
    if code in _OPERATIONAL_CODES:
        return OperationalError(error)
    return DatabaseError(error)


def _driver_error(number: int, message: str) -> DatabaseError:
    return DatabaseError(_Error(f"DPY-{number:04}: {message}", 0, f"DPY-{number:04}"))


# python-oracledb src/oracledb/impl/base/encoders.pyx (encode_number): a number must be less than
# 1e126 and greater than 1e-129 in magnitude, with at most 40 significant digits, else DPY-4003.
_NUMBER_MAX_DIGITS = 40


def _check_number(value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float | decimal.Decimal):
        return
    number = decimal.Decimal(value) if not isinstance(value, float) else decimal.Decimal(repr(value))
    if not number.is_finite():
        raise _driver_error(4004, f"invalid number: {value!r}")
    if number == 0:
        return
    _sign, all_digits, exponent = number.as_tuple()  # exact: normalize() would round to 28 digits
    assert isinstance(exponent, int)
    text = "".join(map(str, all_digits)).lstrip("0")
    significant = text.rstrip("0")
    decimal_point_index = len(text) + exponent
    if len(significant) > _NUMBER_MAX_DIGITS or decimal_point_index > 126 or decimal_point_index < -129:
        raise _driver_error(4003, "value cannot be represented as an Oracle number")


# Module-level functions --------------------------------------------------------------------------


class _Defaults:
    def __init__(self) -> None:
        self.arraysize = 100
        self.prefetchrows = 2
        self.fetch_lobs = True
        self.fetch_decimals = False
        self.stmtcachesize = 20
        self.config_dir: str | None = None
        self.driver_name: str | None = None


defaults = _Defaults()


def makedsn(
    host: str, port: int | str, sid: str | None = None, service_name: str | None = None, **_: Any
) -> str:
    target = f"(SERVICE_NAME={service_name})" if service_name else f"(SID={sid})"
    return f"(DESCRIPTION=(ADDRESS=(PROTOCOL=TCP)(HOST={host})(PORT={port}))(CONNECT_DATA={target}))"


def init_oracle_client(**_: Any) -> None:
    """Thick mode needs Oracle Client libraries; the stand-in stays thin and ignores the call."""


def is_thin_mode() -> bool:
    return True


def clientversion() -> tuple[int, ...]:
    return (26, 1, 0, 0, 0)


def connect(
    dsn: str | None = None, *, user: str | None = None, password: str | None = None, **params: Any
) -> Connection:
    if dsn and "/" in dsn and "@" in dsn and user is None:
        credentials, dsn = dsn.split("@", 1)
        user, _password = credentials.split("/", 1)
    return Connection(dsn=dsn or "", user=user or "", params=params)


def Binary(value: bytes) -> bytes:  # noqa: N802 - the DB-API name
    return bytes(value)


# Connection ----------------------------------------------------------------------------------


class _Channel:
    """One Unix-socket connection to the server; requests are answered in order."""

    def __init__(self, address: str) -> None:
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._socket.connect(address)
        self._reader = self._socket.makefile("rb")
        self._lock = threading.Lock()

    def request(self, message: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self._socket.sendall(wire.dumps(message))
            line = self._reader.readline()
        if not line:
            raise _oracle_error("ORA-03113: end-of-file on communication channel")
        answer = wire.loads(line)
        if "error" in answer:
            raise _oracle_error(answer["error"])
        return answer

    def close(self) -> None:
        self._reader.close()
        self._socket.close()


class Connection:
    def __init__(self, dsn: str, user: str, params: dict[str, Any], address: str | None = None) -> None:
        """``address``: the server's socket (tests that use this module directly); else the environment's."""
        address = address or os.environ.get(wire.ADDRESS_ENV)
        if not address:
            raise _driver_error(
                4000, f"the Oracle stand-in shim needs {wire.ADDRESS_ENV} (the stand-in server's socket path)"
            )
        self._channel = _Channel(address)
        answer = self._channel.request(
            {
                "op": "connect",
                "user": user,
                "dsn": dsn,
                "label": os.environ.get(wire.LABEL_ENV, ""),
                "pid": os.getpid(),
            }
        )
        self.session_id: int = answer["session"]
        self.version: str = answer["version"]
        self.dsn = dsn
        self.username = user
        self.thin = True
        self.autocommit = False
        self.outputtypehandler: Callable[..., Any] | None = None
        self.inputtypehandler: Callable[..., Any] | None = None
        self.stmtcachesize = 20
        self.call_timeout = 0
        # python-oracledb reports 128 from 12.2 on (Connection.max_identifier_length).
        self.max_identifier_length = 128
        self._module = self._action = self._client_identifier = self._client_info = ""
        self._current_schema: str | None = None
        self._closed = False

    # Attributes the stack sets.
    @property
    def module(self) -> str:
        return self._module

    @module.setter
    def module(self, value: str) -> None:
        self._module = value

    @property
    def action(self) -> str:
        return self._action

    @action.setter
    def action(self, value: str) -> None:
        self._action = value

    @property
    def client_identifier(self) -> str:
        return self._client_identifier

    @client_identifier.setter
    def client_identifier(self, value: str) -> None:
        self._client_identifier = value

    @property
    def clientinfo(self) -> str:
        return self._client_info

    @clientinfo.setter
    def clientinfo(self, value: str) -> None:
        self._client_info = value

    @property
    def current_schema(self) -> str | None:
        return self._current_schema

    @current_schema.setter
    def current_schema(self, value: str) -> None:
        # python-oracledb sends it with the next round trip; the server applies it at once.
        self._current_schema = value
        self._request({"op": "set_current_schema", "schema": value})

    def _request(self, message: dict[str, Any]) -> dict[str, Any]:
        if self._closed:
            raise InterfaceError(_Error("DPY-1001: not connected to database", 0, "DPY-1001"))
        return self._channel.request({**message, "session": self.session_id})

    def cursor(self, scrollable: bool = False) -> Cursor:
        return Cursor(self)

    def commit(self) -> None:
        self._request({"op": "commit"})

    def rollback(self) -> None:
        self._request({"op": "rollback"})

    def ping(self) -> None:
        self._request({"op": "ping"})

    def is_healthy(self) -> bool:
        return not self._closed

    def close(self) -> None:
        if self._closed:
            raise InterfaceError(_Error("DPY-1001: not connected to database", 0, "DPY-1001"))
        try:
            self._request({"op": "close"})
        finally:
            self._closed = True
            self._channel.close()

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *_: Any) -> None:
        if not self._closed:
            self.close()


# Cursor -------------------------------------------------------------------------------------------


class Var:
    """A bind/fetch variable (``Cursor.var``): a type, a size and, for OUT binds, a value."""

    def __init__(
        self,
        typ: Any,
        size: int = 0,
        arraysize: int = 1,
        inconverter: Callable[[Any], Any] | None = None,
        outconverter: Callable[[Any], Any] | None = None,
        **_: Any,
    ) -> None:
        self.type = dbtypes.type_from_input_size(typ) or BY_NAME["DB_TYPE_VARCHAR"]
        self.size = size
        self.inconverter = inconverter
        self.outconverter = outconverter
        self._value: Any = None

    def getvalue(self, pos: int = 0) -> Any:
        return self._value

    def setvalue(self, pos: int, value: Any) -> None:
        self._value = value


class FetchInfo:
    """One column of ``Cursor.description`` with python-oracledb's extra attributes."""

    def __init__(self, column: list[Any]) -> None:
        self.name: str = column[0]
        self.type_code: DbType = BY_NAME[column[1]]
        self.display_size, self.internal_size, self.precision, self.scale, self.null_ok = column[2:7]

    def as_tuple(self) -> tuple[Any, ...]:
        return (
            self.name,
            self.type_code,
            self.display_size,
            self.internal_size,
            self.precision,
            self.scale,
            self.null_ok,
        )


def _fetched(value: Any, column: FetchInfo, var: Any) -> Any:
    """Apply an output type handler's variable: its type (STRING: text) and its outconverter."""
    if var is None or not isinstance(var, Var):
        return value
    if value is not None and var.type in STRING.dbtypes and not isinstance(value, str):
        value = format(value, "f") if isinstance(value, decimal.Decimal) else str(value)
    if var.outconverter is not None and value is not None:
        value = var.outconverter(value)
    return value


class Cursor:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.arraysize = defaults.arraysize
        self.prefetchrows = defaults.prefetchrows
        self.outputtypehandler: Callable[..., Any] | None = None
        self.inputtypehandler: Callable[..., Any] | None = None
        self.rowfactory: Callable[..., Any] | None = None
        self.statement: str | None = None
        self.rowcount = -1
        self.lastrowid: str | None = None
        self._description: list[FetchInfo] | None = None
        self._rows: list[list[Any]] = []
        self._position = 0
        self._input_sizes_by_name: dict[str, Any] = {}
        self._input_sizes_by_position: list[Any] = []
        self._closed = False
        self._array_dml_counts: list[int] = []
        self._batch_errors: list[Any] = []
        self._prepared: str | None = None

    # DB-API surface.
    @property
    def description(self) -> list[tuple[Any, ...]] | None:
        if self._description is None:
            return None
        return [column.as_tuple() for column in self._description]

    def setinputsizes(self, *args: Any, **kwargs: Any) -> dict[str, Any] | list[Any]:
        if kwargs:
            self._input_sizes_by_name = dict(kwargs)
            return dict(kwargs)
        self._input_sizes_by_position = list(args)
        return list(args)

    def setoutputsize(self, size: int, column: int | None = None) -> None:
        pass

    def var(self, typ: Any, size: int = 0, arraysize: int = 1, **kwargs: Any) -> Var:
        return Var(typ, size, arraysize, **kwargs)

    def arrayvar(self, typ: Any, value: Any, size: int = 0) -> Var:
        var = Var(typ, size)
        var._value = value
        return var

    def prepare(self, statement: str, tag: str | None = None, cache_statement: bool = True) -> None:
        self._prepared = statement

    def execute(
        self, statement: str | None, parameters: Any = None, **keyword_parameters: Any
    ) -> Cursor | None:
        if keyword_parameters and parameters is None:
            parameters = keyword_parameters
        sql = self._statement(statement)
        rows = [parameters] if parameters is not None else []
        self._run("execute", sql, rows)
        return self if self._description is not None else None

    def executemany(
        self,
        statement: str | None,
        parameters: Sequence[Any] | int,
        batcherrors: bool = False,
        arraydmlrowcounts: bool = False,
        **_: Any,
    ) -> None:
        sql = self._statement(statement)
        rows = [() for _ in range(parameters)] if isinstance(parameters, int) else list(parameters)
        self._run("executemany", sql, rows, arraydmlrowcounts=arraydmlrowcounts)

    def getarraydmlrowcounts(self) -> list[int]:
        return list(self._array_dml_counts)

    def getbatcherrors(self) -> list[Any]:
        return list(self._batch_errors)

    def fetchone(self) -> Any:
        self._check_query()
        if self._position >= len(self._rows):
            return None
        row = self._rows[self._position]
        self._position += 1
        return self._shape(row)

    def fetchmany(self, size: int | None = None) -> list[Any]:
        self._check_query()
        count = self.arraysize if size is None else size
        rows = self._rows[self._position : self._position + count]
        self._position += len(rows)
        return [self._shape(row) for row in rows]

    def fetchall(self) -> list[Any]:
        self._check_query()
        rows = self._rows[self._position :]
        self._position = len(self._rows)
        return [self._shape(row) for row in rows]

    def __iter__(self) -> Iterator[Any]:
        while (row := self.fetchone()) is not None:
            yield row

    def close(self) -> None:
        self._closed = True

    def __enter__(self) -> Cursor:
        return self

    def __exit__(self, *_: Any) -> None:
        self.close()

    # Internals.
    def _statement(self, statement: str | None) -> str:
        if self._closed:
            raise InterfaceError(_Error("DPY-1006: cursor is not open", 0, "DPY-1006"))
        sql = statement if statement is not None else self._prepared
        if sql is None:
            raise ProgrammingError(_Error("DPY-2001: no statement specified and no prior statement prepared"))
        self.statement = sql
        return sql

    def _check_query(self) -> None:
        if self._description is None:
            raise InterfaceError(
                _Error("DPY-1003: the executed statement does not return rows", 0, "DPY-1003")
            )

    def _shape(self, row: list[Any]) -> Any:
        values = tuple(row)
        if self.rowfactory is not None:
            return self.rowfactory(*values)
        return values

    def _bind_types(self, rows: list[Any]) -> tuple[dict[str, str] | list[str], list[Any]]:
        """The database type of each bind, as python-oracledb decides it, and the rows' plain values.

        An input size (setinputsizes) wins; otherwise the first non-None value of the bind decides
        (``OracleMetadata.from_value``); a variable keeps its own type. Numbers outside Oracle
        NUMBER's range fail here, at bind time, as in python-oracledb (DPY-4003).
        """
        named = bool(rows) and isinstance(rows[0], dict)
        kinds: dict[Any, str] = {}
        plain_rows: list[Any] = []
        for row in rows:
            items = list(row.items()) if named else list(enumerate(row))
            plain = []
            for key, given in items:
                value = given.getvalue() if isinstance(given, Var) else given
                if isinstance(given, Var):
                    kinds[key] = given.type.name
                elif key not in kinds:
                    asked = self._input_size(key, named)
                    chosen = dbtypes.type_from_input_size(asked) if asked is not None else None
                    if chosen is not None:
                        kinds[key] = chosen.name
                    elif value is not None:
                        kinds[key] = dbtypes.type_from_value(value).name
                _check_number(value)
                plain.append((key, wire.encode_value(value)))
            plain_rows.append({str(k): v for k, v in plain} if named else [v for _, v in plain])
        if named:
            keys = {str(key) for row in rows for key in row}
            return {key: kinds.get(key, "DB_TYPE_VARCHAR") for key in keys}, plain_rows
        width = max((len(row) for row in rows), default=0)
        return [kinds.get(i, "DB_TYPE_VARCHAR") for i in range(width)], plain_rows

    def _input_size(self, key: Any, named: bool) -> Any:
        if named:
            return self._input_sizes_by_name.get(key)
        sizes = self._input_sizes_by_position
        return sizes[key] if key < len(sizes) else None

    def _input_sizes_asked(self) -> dict[str, str] | list[str | None]:
        def name(kind: Any) -> str | None:
            chosen = dbtypes.type_from_input_size(kind)
            return chosen.name if chosen else None

        if self._input_sizes_by_name:
            return {key: name(kind) or "" for key, kind in self._input_sizes_by_name.items()}
        return [name(kind) for kind in self._input_sizes_by_position]

    def _run(self, op: str, sql: str, rows: list[Any], arraydmlrowcounts: bool = False) -> None:
        out_vars = {
            key: value
            for row in rows[:1]
            for key, value in (row.items() if isinstance(row, dict) else enumerate(row))
            if isinstance(value, Var)
        }
        bind_types, plain_rows = self._bind_types(rows)
        answer = self.connection._request(
            {
                "op": op,
                "sql": sql,
                "rows": plain_rows,
                "bind_types": bind_types,
                "input_sizes": self._input_sizes_asked(),
            }
        )
        self._input_sizes_by_name, self._input_sizes_by_position = {}, []
        self.rowcount = int(answer.get("rowcount", 0))
        self._array_dml_counts = [1] * self.rowcount if arraydmlrowcounts else []
        for key, value in answer.get("out", {}).items():
            var = out_vars.get(key) if key in out_vars else out_vars.get(int(key)) if key.isdigit() else None
            if isinstance(var, Var):
                var._value = wire.decode_value(value)
        description = answer.get("description")
        if description is None:
            self._description = None
            self._rows = []
            return
        self._description = [FetchInfo(column) for column in description]
        handlers = [self._handler_var(column) for column in self._description]
        self._rows = [
            [
                _fetched(wire.decode_value(value), column, var)
                for value, column, var in zip(row, self._description, handlers, strict=True)
            ]
            for row in answer.get("rows", [])
        ]
        self._position = 0

    def _handler_var(self, column: FetchInfo) -> Any:
        handler = self.outputtypehandler or self.connection.outputtypehandler
        if handler is None:
            return None
        return handler(
            self, column.name, column.type_code, column.internal_size, column.precision, column.scale
        )


# Names python-oracledb exports at module level.
_module_names: dict[str, Any] = {**DB_TYPES, **TYPE_ALIASES}
globals().update(_module_names)
__all__ = [
    "ATTR_PURITY_DEFAULT",
    "ATTR_PURITY_NEW",
    "ATTR_PURITY_SELF",
    "AUTH_MODE_DEFAULT",
    "AUTH_MODE_SYSDBA",
    "BINARY",
    "DATETIME",
    "DEFAULT_AUTH",
    "LOB",
    "NUMBER",
    "PURITY_DEFAULT",
    "PURITY_NEW",
    "PURITY_SELF",
    "ROWID",
    "STRING",
    "SYSDBA",
    "ApiType",
    "AuthMode",
    "Binary",
    "Connection",
    "Cursor",
    "DataError",
    "DatabaseError",
    "DbType",
    "Error",
    "FetchInfo",
    "IntegrityError",
    "InterfaceError",
    "InternalError",
    "NotSupportedError",
    "OperationalError",
    "ProgrammingError",
    "Purity",
    "Var",
    "Warning",
    "_Error",
    "__version__",
    "apilevel",
    "clientversion",
    "connect",
    "defaults",
    "init_oracle_client",
    "is_thin_mode",
    "makedsn",
    "paramstyle",
    "threadsafety",
    "version",
]
__all__ += list(_module_names)
_ = types  # keep the import for type checkers of the shim
