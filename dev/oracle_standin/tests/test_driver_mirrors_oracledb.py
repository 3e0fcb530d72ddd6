"""The shim's names, numbers and type objects are python-oracledb's (the real package of this environment)."""

from __future__ import annotations

import pytest
from oracle_standin import driver

oracledb = pytest.importorskip("oracledb")

API_TYPES = ("STRING", "NUMBER", "DATETIME", "BINARY", "ROWID")


def test_every_database_type_has_python_oracledbs_name_and_number() -> None:
    real = {name: getattr(oracledb, name).num for name in dir(oracledb) if name.startswith("DB_TYPE_")}
    mirrored = {name: getattr(driver, name).num for name in dir(driver) if name.startswith("DB_TYPE_")}
    assert mirrored == real


def test_the_db_api_type_objects_group_the_same_database_types() -> None:
    for api in API_TYPES:
        for name in (n for n in dir(oracledb) if n.startswith("DB_TYPE_")):
            real = getattr(oracledb, name) == getattr(oracledb, api)
            assert (getattr(driver, name) == getattr(driver, api)) is real, (api, name)


def test_aliases_name_the_same_database_types() -> None:
    for alias in ("TIMESTAMP", "CLOB", "NCLOB", "BLOB", "NCHAR", "FIXED_CHAR", "NATIVE_FLOAT", "NATIVE_INT"):
        assert getattr(driver, alias).name == getattr(oracledb, alias).name, alias


def test_the_exception_classes_have_the_same_names_and_bases() -> None:
    for name in (
        "Error",
        "DatabaseError",
        "IntegrityError",
        "OperationalError",
        "ProgrammingError",
        "InterfaceError",
    ):
        real_bases = [base.__name__ for base in getattr(oracledb, name).__mro__[1:3]]
        mirrored_bases = [base.__name__ for base in getattr(driver, name).__mro__[1:3]]
        assert mirrored_bases == real_bases, name
