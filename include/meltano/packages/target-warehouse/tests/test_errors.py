"""Connection problems name the setting to fix and never show the password."""

from __future__ import annotations

import socket

import pytest
import sqlalchemy as sa

from target_warehouse.connector import WarehouseConnector, build_url
from target_warehouse.errors import WarehouseConfigError


def _ensure(config: dict[str, object]) -> str:
    with pytest.raises(WarehouseConfigError) as caught:
        WarehouseConnector(config).ensure_ready()
    return str(caught.value)


def test_wrong_password_names_username_password_and_hides_it(postgres_url: str) -> None:
    url = sa.make_url(postgres_url)
    message = _ensure(
        {
            "sqlalchemy_url": url.set(password=None).render_as_string(hide_password=False),
            "username": url.username,
            "password": "Wrong-Secret-123",
        }
    )
    assert "username/password" in message
    assert "Wrong-Secret-123" not in message
    assert str(url.password) not in message


def test_unreachable_host_names_sqlalchemy_url() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    message = _ensure(
        {
            "sqlalchemy_url": f"postgresql+psycopg://127.0.0.1:{port}/db",
            "username": "u",
            "password": "Hidden-Pass-9",
        }
    )
    assert "sqlalchemy_url (host/port)" in message
    assert "Hidden-Pass-9" not in message


def test_credentials_are_merged_into_the_url_and_masked_for_logs() -> None:
    config = {
        "sqlalchemy_url": "postgresql+psycopg://db.internal:5432/dw",
        "username": "etl",
        "password": "p@ss:w/rd",
    }
    assert build_url(config).password == "p@ss:w/rd"
    assert "p@ss" not in WarehouseConnector(config).sqlalchemy_url


def test_unsupported_database_names_sqlalchemy_url(tmp_path: object) -> None:
    message = _ensure({"sqlalchemy_url": "sqlite:///:memory:"})
    assert "sqlalchemy_url" in message
