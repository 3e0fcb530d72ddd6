"""Secrets never leak: the WMS password, the OAuth2 client secret and the database password appear
nowhere in Meltano's output at DEBUG level, its log files, the plugins' error messages or the data.

(tests/e2e covers Airflow task logs, rendered templates, XCom and alerts.)
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from wms_reliability.pipeline import extract, load, oauth_tap_config, tap_config, target_config

from wms_simulator import Simulator, SimulatorConfig, SimulatorServer

REPO = Path(__file__).resolve().parents[5]
MELTANO_PROJECT = REPO / "include" / "meltano"
MELTANO = REPO / ".venvs" / "meltano" / "bin" / "meltano"
SYS_DIR = Path(os.environ.get("MELTANO_SYS_DIR_ROOT", REPO / ".local" / "meltano"))
WMS_PASSWORD = "wms-pw-Q7x!not-for-logs"
CLIENT_SECRET = "oauth-secret-Z9k#not-for-logs"


@pytest.fixture(scope="module")
def server() -> Iterator[SimulatorServer]:
    config = SimulatorConfig(
        records=30,
        seed=5,
        start_time=datetime(2026, 1, 5, 6, tzinfo=UTC),
        password=WMS_PASSWORD,
        oauth_client_secret=CLIENT_SECRET,
    )
    with SimulatorServer(Simulator(config)) as running:
        yield running


def _leaks(text: str, secrets: list[str]) -> list[str]:
    return [secret for secret in secrets if secret in text]


# A `meltano run` costs one to two minutes on a busy 2-core machine: part of scripts/reliability only.
@pytest.mark.skipif(os.environ.get("WMS_RELIABILITY_FULL") != "1", reason="long variant: scripts/reliability")
@pytest.mark.skipif(
    not (MELTANO.exists() and (SYS_DIR / "extractors" / "tap-oracle-wms").is_dir()),
    reason="Meltano plugins not installed (scripts/bootstrap)",
)
def test_meltano_run_at_debug_level_shows_no_secret(server: SimulatorServer, postgres_url: str) -> None:
    url = sa.make_url(postgres_url)
    db_password = str(url.password)
    secrets = [CLIENT_SECRET, db_password]
    config = server.sim.config
    started = time.time()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TAP_ORACLE_WMS_", "TARGET_WAREHOUSE_"))}
    env.update(
        {
            "MELTANO_ENVIRONMENT": "dev",
            "MELTANO_SYS_DIR_ROOT": str(SYS_DIR),
            "TAP_ORACLE_WMS_BASE_URL": server.base_url,
            "TAP_ORACLE_WMS_AUTH": json.dumps(
                {
                    "type": "oauth2",
                    "token_url": server.token_url,
                    "client_id": config.oauth_client_id,
                    "client_secret": CLIENT_SECRET,
                }
            ),
            "TAP_ORACLE_WMS_ENTITIES": json.dumps(["order_hdr"]),
            "TARGET_WAREHOUSE_SQLALCHEMY_URL": url.set(password=None).render_as_string(hide_password=False),
            "TARGET_WAREHOUSE_USERNAME": str(url.username),
            "TARGET_WAREHOUSE_PASSWORD": db_password,
            "LOGLEVEL": "DEBUG",
        }
    )
    result = subprocess.run(
        [
            str(MELTANO),
            "--log-level=debug",
            "run",
            "--no-install",
            "--full-refresh",
            "--no-state-update",
            "tap-oracle-wms",
            "target-warehouse",
        ],
        cwd=MELTANO_PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert "[debug" in output, "the run really logged at DEBUG"
    assert "order_hdr" in output
    logs = [
        p for p in (MELTANO_PROJECT / ".meltano").rglob("*") if p.is_file() and p.stat().st_mtime >= started
    ]
    log_text = "".join(p.read_text(errors="replace") for p in logs if p.suffix in {".log", ".json", ""})
    engine = sa.create_engine(postgres_url)
    with engine.connect() as conn:
        tables = ("order_hdr", "etl_load_audit", "etl_quarantine")
        rows = [
            str(row) for table in tables for row in conn.execute(sa.text(f"select * from wms_raw.{table}"))
        ]
    engine.dispose()
    assert _leaks(output, secrets) == []
    assert _leaks(log_text, secrets) == []
    assert _leaks("\n".join(rows), secrets) == []


def test_tap_debug_logs_and_auth_errors_show_no_wms_secret(
    server: SimulatorServer, caplog: pytest.LogCaptureFixture
) -> None:
    secrets = [WMS_PASSWORD, CLIENT_SECRET]
    with caplog.at_level(logging.DEBUG):
        output, error = extract(tap_config(server, entities=("order_hdr",)))
        oauth_output, oauth_error = extract(oauth_tap_config(server, entities=("order_hdr",)))
        wrong = tap_config(server, entities=("order_hdr",))
        wrong["auth"] = {**wrong["auth"], "password": WMS_PASSWORD + "-wrong"}
        _, wrong_error = extract(wrong)
        bad_oauth = oauth_tap_config(server, entities=("order_hdr",))
        bad_oauth["auth"] = {**bad_oauth["auth"], "client_secret": CLIENT_SECRET + "-wrong"}
        _, bad_oauth_error = extract(bad_oauth)

    assert error is None
    assert oauth_error is None
    assert wrong_error is not None
    assert "auth.password" in wrong_error
    assert bad_oauth_error is not None
    assert "auth.client_secret" in bad_oauth_error
    everything = "\n".join([output, oauth_output, wrong_error, bad_oauth_error, caplog.text])
    assert _leaks(everything, [*secrets, WMS_PASSWORD + "-wrong", CLIENT_SECRET + "-wrong"]) == []


def test_loader_errors_for_a_wrong_password_or_bad_url_show_no_database_password(postgres_url: str) -> None:
    url = sa.make_url(postgres_url)
    wrong = "db-pw-W4#not-for-logs"
    messages = [
        load(target_config(url.set(password=wrong).render_as_string(hide_password=False), "x"), ""),
        load(
            {
                **target_config(url.set(password=None).render_as_string(hide_password=False), "x"),
                "password": wrong,
            },
            "",
        ),
        load(target_config(f"postgresql+psycopg://wms:{wrong}@127.0.0.1:1/nowhere", "x"), ""),
        load(target_config(f"postgresql+psycopg://wms:{wrong}@no-such-host.invalid:5432/db", "x"), ""),
    ]
    assert all(message is not None for message in messages), messages
    assert _leaks("\n".join(m or "" for m in messages), [wrong, str(url.password)]) == []
