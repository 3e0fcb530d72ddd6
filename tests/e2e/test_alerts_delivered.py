"""A failing task delivers one Slack message and one email that say what failed, and no secret.

The failure is real: `wms_incremental_sync` runs through `airflow dags test` against the simulator with a
wrong WMS password, so `extract_load_order_hdr` gets a 401 (the other extract tasks skip themselves via
the `entities` param). Slack and SMTP are local receivers; every configured secret is then searched for
in what they received, in the `dags test` output and in every file under the Airflow home's logs.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from local_runner.airflow_home import LocalAirflow
from local_runner.receivers import ReceivedEmail, ReceivedPost, SmtpReceiver, WebhookReceiver
from local_runner.warehouse import task_states
from wms_simulator import Simulator, SimulatorConfig, SimulatorServer

DAG_ID = "wms_incremental_sync"
FAILING_TASK = "extract_load_order_hdr"
START = datetime(2026, 1, 5, 6, 0, tzinfo=UTC)
RECIPIENTS = ("oncall-a@example.com", "oncall-b@example.com")

# Distinctive values: any of them showing up anywhere is a leak, not a coincidence.
SIMULATOR_PASSWORD = "sim-real-pass-7Jq2v"
SECRETS = {
    "wms password": "wms-wrong-pass-K4r9zT",
    "warehouse password": "dw-pass-Pq83nLs",
    "smtp password": "smtp-pass-Vb61xHw",
    "slack webhook token": "hook-token-Zt50mRc",
}
SMTP_LOGIN = "alerts-sender"


@dataclass(frozen=True)
class FailedRun:
    airflow: LocalAirflow
    output: str
    emails: list[ReceivedEmail]
    posts: list[ReceivedPost]
    smtp_failed_logins: int


@contextmanager
def _failing_run(base: Path, conf: dict[str, Any]) -> Iterator[FailedRun]:
    """One `dags test` run of DAG_ID whose order extract fails, with live Slack and SMTP receivers."""
    config = SimulatorConfig(
        records=20, seed=5, start_time=START, username="wms_api", password=SIMULATOR_PASSWORD
    )
    simulator = SimulatorServer(Simulator(config), host="127.0.0.1", port=0).start()
    smtp = SmtpReceiver(login=SMTP_LOGIN, password=SECRETS["smtp password"]).start()
    slack = WebhookReceiver().start()
    try:
        airflow = LocalAirflow(
            home=base / "airflow",
            warehouse_conn={
                "conn_type": "duckdb",
                "host": str(base / "warehouse.duckdb"),
                "password": SECRETS["warehouse password"],
            },
            wms_conn={
                "conn_type": "http",
                "host": simulator.base_url,
                "login": "wms_api",
                "password": SECRETS["wms password"],
            },
            extra_env={
                "WMS_TASK_RETRIES": "0",
                "AIRFLOW_CONN_WMS_ALERTS_SMTP": json.dumps(smtp.connection()),
                "AIRFLOW_CONN_WMS_ALERTS_SLACK": json.dumps(
                    slack.connection(f"T000/B000/{SECRETS['slack webhook token']}")
                ),
                "AIRFLOW_VAR_WMS_ALERT_EMAILS": ", ".join(RECIPIENTS),
            },
        )
        airflow.prepare()
        log = base / "dags-test.log"
        ok = airflow.dags_test(DAG_ID, START.isoformat(), conf, log)
        assert not ok, "the run was expected to fail"
        # The callbacks run before `dags test` returns; the short wait only absorbs receiver threads.
        emails = smtp.wait_for(1, timeout=10)
        posts = slack.wait_for(1, timeout=10)
        yield FailedRun(airflow, log.read_text(errors="replace"), emails, posts, smtp.failed_logins)
    finally:
        slack.stop()
        smtp.stop()
        simulator.stop()


@pytest.fixture(scope="module")
def failed_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FailedRun]:
    """The WMS password is wrong: the order extract gets a 401."""
    with _failing_run(tmp_path_factory.mktemp("alerts"), {"entities": ["order_hdr"]}) as run:
        yield run


# What a person who triggers a run can make the error say: `window_start` is echoed back when it is
# not a timestamp. A link with a false label, a channel mention, a closing code fence, an HTML tag.
HOSTILE_WINDOW_START = "``` <!channel> <https://evil.example/runbook|Runbook> *act now* & <b>x</b> ```"


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FailedRun]:
    conf = {"entities": ["order_hdr"], "window_start": HOSTILE_WINDOW_START}
    with _failing_run(tmp_path_factory.mktemp("alerts-hostile"), conf) as run:
        yield run


def test_a_hostile_error_text_arrives_in_slack_as_plain_text(hostile_run: FailedRun) -> None:
    """Slack reads `<...>` as links and mentions and ``` as a fence; the receiver gets neither from
    the error text, only Slack's escapes, and the message's own code block stays the only one."""
    [post] = hostile_run.posts
    text = post.json()["text"]
    assert "window_start must be an ISO-8601 timestamp" in text, text
    assert "&lt;!channel&gt;" in text
    assert "&lt;https://evil.example/runbook|Runbook&gt;" in text
    assert "&amp;" in text
    assert "<!channel>" not in text
    assert "<https://evil" not in text
    assert text.count("```") == 2, "the error must not open or close a code block of its own"


def test_a_hostile_error_text_arrives_in_the_email_escaped(hostile_run: FailedRun) -> None:
    [mail] = hostile_run.emails
    body = mail.text()
    assert "window_start must be an ISO-8601 timestamp" in html.unescape(body)
    assert "&lt;b&gt;x&lt;/b&gt;" in body
    assert "<b>x</b>" not in body
    assert "<https://evil" not in body


def test_only_the_order_extract_failed(failed_run: FailedRun) -> None:
    states = task_states(failed_run.airflow.home, DAG_ID)
    assert states[FAILING_TASK] == "failed"
    assert {task for task, state in states.items() if state == "failed"} == {FAILING_TASK}
    others = {task for task in states if task.startswith("extract_load_") and task != FAILING_TASK}
    assert others
    assert {states[task] for task in others} == {"skipped"}


def test_exactly_one_slack_message_and_one_email(failed_run: FailedRun) -> None:
    assert len(failed_run.posts) == 1
    assert len(failed_run.emails) == 1


def test_the_slack_message_names_the_failure(failed_run: FailedRun) -> None:
    [post] = failed_run.posts
    assert post.path == f"/services/T000/B000/{SECRETS['slack webhook token']}"
    text = post.json()["text"]
    _assert_names_the_failure(text, failed_run)


def test_the_email_names_the_failure(failed_run: FailedRun) -> None:
    [mail] = failed_run.emails
    assert mail.authenticated_as == SMTP_LOGIN
    assert failed_run.smtp_failed_logins == 0
    assert set(mail.recipients) == set(RECIPIENTS)
    assert DAG_ID in mail.subject
    assert FAILING_TASK in mail.subject
    body = mail.text()
    links = re.findall(r"href=['\"]([^'\"]+)", body)
    readable = html.unescape(re.sub(r"<[^>]+>", " ", body))
    _assert_names_the_failure(readable + "\n" + "\n".join(links), failed_run)


@pytest.mark.parametrize("secret_name", sorted(SECRETS))
def test_no_secret_anywhere(failed_run: FailedRun, secret_name: str) -> None:
    secret = SECRETS[secret_name]
    places = {
        "slack payload": "\n".join(post.body for post in failed_run.posts),
        "slack headers": "\n".join(json.dumps(post.headers) for post in failed_run.posts),
        "email (headers and body)": "\n".join(mail.raw for mail in failed_run.emails),
        "email (decoded)": "\n".join(mail.text() for mail in failed_run.emails),
        "dags test output": failed_run.output,
    }
    # `dags test` runs tasks in-process and prints their logs with its own output; anything Airflow
    # still writes under the home's logs folder is scanned too.
    assert "Task failed with exception" in failed_run.output, "the task log is not in the output"
    log_files = [path for path in (failed_run.airflow.home / "logs").rglob("*") if path.is_file()]
    places.update({str(path): path.read_text(errors="replace") for path in log_files})
    assert all(places[name] for name in ("slack payload", "email (headers and body)", "dags test output"))
    assert [name for name, text in places.items() if secret in text] == []


def test_no_connection_uri_with_credentials_in_the_alerts(failed_run: FailedRun) -> None:
    texts = [post.body for post in failed_run.posts] + [mail.raw for mail in failed_run.emails]
    uri_with_userinfo = re.compile(r"[a-zA-Z][\w+.-]*://[^\s/@:]+:[^\s/@]+@")
    assert texts
    assert [text for text in texts if uri_with_userinfo.search(text)] == []


def test_the_simulators_own_password_is_not_leaked_either(failed_run: FailedRun) -> None:
    texts = [failed_run.output, *(post.body for post in failed_run.posts)]
    texts += [mail.raw for mail in failed_run.emails]
    assert not [text for text in texts if SIMULATOR_PASSWORD in text]


def _assert_names_the_failure(text: str, run: FailedRun) -> None:
    run_id = _failed_run_id(run.airflow.home)
    assert DAG_ID in text
    assert FAILING_TASK in text
    assert run_id in text
    # The data interval inferred from run_after START: the two hours before it.
    assert (START - timedelta(hours=2)).isoformat() in text
    assert START.isoformat() in text
    assert re.search(r"Try\W+1\b", text), text
    link = re.search(r"https?://\S+", text)
    assert link, "no log link"
    assert FAILING_TASK in link.group(0)
    assert re.search(r"401|NOT_AUTHENTICATED|credential|[Uu]nauthori[sz]ed", text), text


def _failed_run_id(airflow_home: Path) -> str:
    import sqlite3

    with sqlite3.connect(airflow_home / "airflow.db") as conn:
        [(run_id,)] = conn.execute(
            "select run_id from task_instance where dag_id = ? and task_id = ?", (DAG_ID, FAILING_TASK)
        ).fetchall()
    return str(run_id)
