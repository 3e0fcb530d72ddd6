"""The opt-in real-Oracle lane (docs/oracle.md): which Oracle the suites use, as which users, and the
Oracle-specific steps a test needs there.

Active when WMS_TEST_ORACLE_URL is set; then WMS_TEST_ORACLE_DBT_URL is required as well. The two
users are the ones docs/oracle/provision.sql creates: WMS_RAW owns the raw schema (the loader logs in
as it) and WMS owns dbt's schema (dbt logs in as it). Neither can create users, so a test cannot have
schemas of its own: tests on Oracle run one at a time, and each starts and ends by dropping every
table and view the two users own — point the lane at a throwaway database only.

Never run in this repository's CI (no Oracle server can run here): only the parts that need no server
(`OracleLogin.from_url`, `OracleLane.from_environ`, `profile_env`, `grant_block`, `oracle_value`) are
tested offline (test_oracle_lane.py).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

LOADER_URL_VARIABLE = "WMS_TEST_ORACLE_URL"
DBT_URL_VARIABLE = "WMS_TEST_ORACLE_DBT_URL"
RAW_USER = "WMS_RAW"  # the loader's default_target_schema, upper-cased as Oracle folds it
DBT_USER = "WMS"  # dbt's schema (WMS_DBT_SCHEMA's default)
GRANT_SCRIPT = Path(__file__).resolve().parents[3] / "docs" / "oracle" / "grant_raw_read.sql"


def warehouse_kinds(environ: Mapping[str, str] | None = None) -> list[str]:
    """The warehouses a data-correctness test runs on: Oracle only when the lane is configured."""
    env = os.environ if environ is None else environ
    return ["duckdb", "postgres", *(["oracle"] if env.get(LOADER_URL_VARIABLE) else [])]


@dataclass(frozen=True)
class OracleLogin:
    """One Oracle user on one service, from an `oracle+oracledb://user:pw@host:port/?service_name=S` URL."""

    user: str
    password: str = field(repr=False)  # never in a failing test's output
    host: str
    port: int
    service_name: str

    @classmethod
    def from_url(cls, variable: str, url: str, expected_user: str) -> OracleLogin:
        """Parse `url` (the value of `variable`); every error names the variable, never its value."""
        example = f"oracle+oracledb://{expected_user.lower()}:<password>@<host>:1521/?service_name=FREEPDB1"
        parts = urlsplit(url)
        if parts.scheme != "oracle+oracledb":
            raise ValueError(f"{variable} must be an oracle+oracledb:// SQLAlchemy URL, e.g. {example}")
        services = parse_qs(parts.query).get("service_name") or []
        try:
            port = parts.port or 1521
        except ValueError:
            raise ValueError(f"{variable} has a port that is not a number; e.g. {example}") from None
        if not parts.hostname or len(services) != 1 or not parts.username or not parts.password:
            raise ValueError(
                f"{variable} needs a user, a password, a host and one ?service_name=..., e.g. {example}"
            )
        user = unquote(parts.username)
        if user.upper() != expected_user:
            raise ValueError(
                f"{variable} must log in as {expected_user} (docs/oracle/provision.sql), "
                f"not as another user; e.g. {example}"
            )
        return cls(expected_user, unquote(parts.password), parts.hostname, port, services[0])

    def connect(self) -> Any:
        """A python-oracledb (thin) connection whose session runs in UTC, like the loader's."""
        import oracledb

        connection = oracledb.connect(
            user=self.user,
            password=self.password,
            host=self.host,
            port=self.port,
            service_name=self.service_name,
        )
        connection.outputtypehandler = _decimals_and_dates
        with connection.cursor() as cursor:
            cursor.execute("alter session set time_zone = '+00:00'")
        return connection


@dataclass(frozen=True)
class OracleLane:
    """The loader's login (owner of WMS_RAW) and dbt's login (owner of WMS), on one service."""

    loader: OracleLogin
    dbt: OracleLogin

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> OracleLane | None:
        """None when WMS_TEST_ORACLE_URL is unset; an error naming what to fix when it is incomplete."""
        env = os.environ if environ is None else environ
        loader_url = env.get(LOADER_URL_VARIABLE)
        if not loader_url:
            return None
        dbt_url = env.get(DBT_URL_VARIABLE)
        if not dbt_url:
            raise ValueError(
                f"{LOADER_URL_VARIABLE} is set, so {DBT_URL_VARIABLE} must be too: the dbt user's URL "
                "(docs/oracle.md)"
            )
        loader = OracleLogin.from_url(LOADER_URL_VARIABLE, loader_url, RAW_USER)
        dbt = OracleLogin.from_url(DBT_URL_VARIABLE, dbt_url, DBT_USER)
        if (loader.host, loader.port, loader.service_name) != (dbt.host, dbt.port, dbt.service_name):
            raise ValueError(
                f"{LOADER_URL_VARIABLE} and {DBT_URL_VARIABLE} must name the same host, port and service"
            )
        return cls(loader, dbt)

    def loader_url(self) -> str:
        """The loader's sqlalchemy_url without credentials (target-warehouse takes them separately)."""
        return f"oracle+oracledb://{self.loader.host}:{self.loader.port}/?service_name={self.loader.service_name}"

    def profile_env(self, database: str) -> dict[str, str]:
        """The WMS_ORA_* variables of profiles.yml's `oracle` target: dbt logs in as WMS.

        `database` must be the DB_NAME (`db_name()`), never the service name: dbt-oracle caches
        relations under SYS_CONTEXT('userenv','DB_NAME') (dbt-oracle issues #90, #193).
        """
        return {
            "WMS_ORA_USER": self.dbt.user,
            "WMS_ORA_PASSWORD": self.dbt.password,
            "WMS_ORA_HOST": self.dbt.host,
            "WMS_ORA_PORT": str(self.dbt.port),
            "WMS_ORA_SERVICE": self.dbt.service_name,
            "WMS_ORA_DATABASE": database,
            "WMS_ORA_SCHEMA": DBT_USER,
            "WMS_RAW_SCHEMA": RAW_USER,
        }

    def db_name(self) -> str:
        """SYS_CONTEXT('userenv','DB_NAME'): the value for dbt's `database` and the connection extra."""
        return str(
            self.query(self.dbt, "select sys_context('userenv', 'DB_NAME') as db_name from dual")[0][
                "db_name"
            ]
        )

    def clean(self) -> None:
        """Drop every table and view of both users: each test starts (and ends) with empty schemas."""
        for login in (self.dbt, self.loader):
            drop_own_objects(login)

    def grant_raw_read(self) -> None:
        """Run docs/oracle/grant_raw_read.sql as WMS_RAW: WMS may read (and build views on) every raw table."""
        with self.loader.connect() as connection, connection.cursor() as cursor:
            cursor.execute(grant_block())

    @staticmethod
    def query(login: OracleLogin, sql: str) -> list[dict[str, Any]]:
        """Rows of `sql` as dicts, normalised like the other warehouses' (see `oracle_value`)."""
        with login.connect() as connection, connection.cursor() as cursor:
            cursor.execute(sql)
            names = [column[0].lower() for column in cursor.description]
            return [
                {name: oracle_value(value) for name, value in zip(names, row, strict=True)}
                for row in cursor.fetchall()
            ]

    @staticmethod
    def execute(login: OracleLogin, sql: str, parameters: Sequence[Sequence[Any]]) -> None:
        """`sql` once per parameter tuple, `?` placeholders becoming :1, :2...; datetimes bound as
        naive-UTC TIMESTAMPs (python-oracledb binds a datetime as DATE otherwise: no fractional seconds)."""
        rows = [tuple(bind_value(value) for value in row) for row in parameters]
        if not rows:
            return
        with login.connect() as connection, connection.cursor() as cursor:
            cursor.setinputsizes(*_input_sizes(rows))
            cursor.executemany(_numbered_placeholders(sql), rows)
            connection.commit()


def drop_own_objects(login: OracleLogin) -> None:
    """Drop (purge) every view and table `login`'s user owns; the recycle bin keeps nothing."""
    with login.connect() as connection, connection.cursor() as cursor:
        cursor.execute("select view_name from user_views")
        views = [name for (name,) in cursor.fetchall()]
        cursor.execute("select table_name from user_tables where dropped = 'NO'")
        tables = [name for (name,) in cursor.fetchall()]
        for view in views:
            cursor.execute(f'drop view "{_dictionary_name(view)}"')
        for table in tables:
            cursor.execute(f'drop table "{_dictionary_name(table)}" cascade constraints purge')


def grant_block(script: Path = GRANT_SCRIPT) -> str:
    """The PL/SQL block of docs/oracle/grant_raw_read.sql, as one statement for python-oracledb.

    The script is written for SQL*Plus/SQLcl: the block ends at a line holding only `/`, which is
    SQL*Plus's "run it" command, not SQL, and comment lines before the block are dropped.
    """
    lines = script.read_text().splitlines()
    starts = [i for i, line in enumerate(lines) if line.strip().upper() in {"BEGIN", "DECLARE"}]
    ends = [i for i, line in enumerate(lines) if line.strip() == "/"]
    if len(starts) != 1 or len(ends) != 1 or ends[0] < starts[0]:
        raise ValueError(f"{script} must hold exactly one PL/SQL block ending with a line '/'")
    return "\n".join(lines[starts[0] : ends[0]])


def bind_value(value: Any) -> Any:
    """A Python value as the loader binds it on Oracle: datetimes naive UTC, booleans 1/0."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    if isinstance(value, bool):
        return int(value)
    return value


def oracle_value(value: Any) -> Any:
    """A fetched value as DuckDB/PostgreSQL return it, so the same comparisons apply.

    Timestamps are stored as plain TIMESTAMP(6) holding UTC (the loader's design), so a naive
    datetime is UTC; Oracle's DATE always carries a time, so one at midnight is the calendar day.
    """
    if isinstance(value, OracleDate) and value.time() == time(0):
        return value.date()
    if isinstance(value, datetime) and value.tzinfo is None:
        return datetime.combine(value.date(), value.time(), tzinfo=UTC)
    return value


class OracleDate(datetime):
    """A datetime fetched from a DATE column (python-oracledb returns DATE and TIMESTAMP alike)."""


def _decimals_and_dates(cursor: Any, metadata: Any) -> Any:
    """Fetch a NUMBER as PostgreSQL's numeric comes back, and mark DATE values (OracleDate).

    python-oracledb returns NUMBER as int or float by default. A NUMBER declared with a precision and
    scale 0 stays an int; any other NUMBER (a scale, or none declared: sums, ratios, raw decimals) is
    an exact decimal, so it comes back a Decimal, as SQLAlchemy's Oracle dialect also returns it.
    BINARY_DOUBLE (the models' doubles, wms_type_double) stays a float, like double precision.
    """
    import oracledb

    if metadata.type_code is oracledb.DB_TYPE_NUMBER and not (metadata.precision and metadata.scale == 0):
        return cursor.var(Decimal, arraysize=cursor.arraysize)
    if metadata.type_code is oracledb.DB_TYPE_DATE:
        return cursor.var(oracledb.DB_TYPE_DATE, arraysize=cursor.arraysize, outconverter=_as_oracle_date)
    return None


def _as_oracle_date(value: datetime | None) -> datetime | None:
    return None if value is None else OracleDate.combine(value.date(), value.time())


def _input_sizes(rows: Iterable[Sequence[Any]]) -> list[Any]:
    """TIMESTAMP for every column holding a datetime in any row; None (the driver's choice) for the rest."""
    import oracledb

    sizes: list[Any] = []
    for row in rows:
        if not sizes:
            sizes = [None] * len(row)
        for index, value in enumerate(row):
            if isinstance(value, datetime):
                sizes[index] = oracledb.DB_TYPE_TIMESTAMP
    return sizes


def _numbered_placeholders(sql: str) -> str:
    """`?` placeholders as Oracle's :1, :2, ... (the statements are the tests' own, without '?' literals)."""
    pieces = sql.split("?")
    return "".join(f"{piece}:{index}" for index, piece in enumerate(pieces[:-1], start=1)) + pieces[-1]


def _dictionary_name(name: str) -> str:
    """A name read from the data dictionary, checked before it is quoted into a DROP."""
    if '"' in name or not name:
        raise ValueError(f"unexpected object name in the data dictionary: {name!r}")
    return name
