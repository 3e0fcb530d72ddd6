"""On-call gets one Slack message and one email per failed DAG run, one of each when it recovers.

A real deployment (api-server, scheduler with LocalExecutor, dag-processor, triggerer) on PostgreSQL
runs `wms_incremental_sync` four times, one run after the other, against the simulator; Slack and
SMTP are the local receivers of `local_runner.receivers`. The DAG-level callbacks run where Airflow 3
runs them in production: in the dag-processor.

1. `model`: the warehouse refuses to build the model `mart_order_backlog` (an event trigger), inside
   the transform stage's one `dbt build`, so the model's task fails.
2. `password`: the WMS password was changed on the WMS side (the connection's one is now wrong), so
   all ten extract tasks get a 401: twenty messages when every task alerted on its own.
3. `hostile`: a person's `window_start` carries Slack and HTML markup, echoed by the error.
4. `recovered`: WMS password and model fixed; the run succeeds after a failed run.

The first error line each message gives for a task is compared with the exception that task's own
log records.

Each failed run must give exactly one message per channel that names every failed task with its
first error line and its log link; the recovery exactly one per channel. Every configured secret is
then searched for in what the receivers got, in the services' logs and in every task log.
"""

from __future__ import annotations

import dataclasses
import html
import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from include.wms_pipeline.alerts import first_error_line, slack_escape
from include.wms_pipeline.settings import ENTITIES_ALL
from local_runner.airflow_home import LocalAirflow
from local_runner.receivers import ReceivedEmail, ReceivedPost, SmtpReceiver, WebhookReceiver
from local_runner.services import AirflowServices, service_env
from local_runner.simulator import free_port
from throwaway_postgres.pytest_plugin import PostgresHandle
from wms_simulator import Simulator, SimulatorConfig, SimulatorServer
from wms_simulator.auth import Authenticator

DAG_ID = "wms_incremental_sync"
START = datetime(2026, 1, 5, 6, 0, tzinfo=UTC)
RECIPIENTS = ("oncall-a@example.com", "oncall-b@example.com")
FAULTED_MODEL = "mart_order_backlog"
DBT_SCHEMA = "wms"
RUN_TIMEOUT = 12 * 60
# After a run ends, how long a late (or a second) message may take to arrive.
SETTLE_SECONDS = 10

# Distinctive values: any of them showing up anywhere is a leak, not a coincidence.
SECRETS = {
    "wms password": "wms-conn-pass-K4r9zT",
    "warehouse password": "dw-pass-Pq83nLs",
    "smtp password": "smtp-pass-Vb61xHw",
    "slack webhook token": "hook-token-Zt50mRc",
}
WMS_ROTATED_PASSWORD = "wms-rotated-pass-7Jq2v"
SMTP_LOGIN = "alerts-sender"
WAREHOUSE_USER = "alerts_dw"  # + the temp folder name, unique per test session

# What a person who triggers a run can make the error say: `window_start` is echoed back when it is
# not a timestamp. A link with a false label, a channel mention, a closing code fence, an HTML tag.
HOSTILE_WINDOW_START = "``` <!channel> <https://evil.example/runbook|Runbook> *act now* & <b>x</b> ```"

# The model's own relation (dbt creates `<schema>.<model>__dbt_tmp`, then renames it); not the
# temporary tables of its unit test, which live in a pg_temp schema.
FAULT = f"""
create function public.refuse_model() returns event_trigger language plpgsql as $$
begin
  if exists (select 1 from pg_event_trigger_ddl_commands()
             where position('{DBT_SCHEMA}.{FAULTED_MODEL}' in object_identity) = 1) then
    raise exception 'injected fault: the warehouse refuses {FAULTED_MODEL}';
  end if;
end $$;
create event trigger refuse_model on ddl_command_end execute function public.refuse_model();
"""
NO_FAULT = "drop event trigger refuse_model"

WHOLE_HISTORY = {"window_start": "2000-01-01T00:00:00+00:00", "window_end": START.isoformat()}


@dataclass(frozen=True)
class Run:
    """One DAG run and what each channel received for it."""

    name: str
    run_id: str
    state: str
    task_states: dict[str, str]
    posts: list[ReceivedPost]
    emails: list[ReceivedEmail]


@dataclass(frozen=True)
class Scenario:
    runs: dict[str, Run]
    logs: dict[str, str]  # every service and task log: path -> text
    smtp_failed_logins: int


class Metadata:
    def __init__(self, url: str) -> None:
        self.engine = sa.create_engine(url)

    def rows(self, sql: str, **params: Any) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(sa.text(sql), params)]

    def run_state(self, run_id: str) -> str | None:
        rows = self.rows("select state from dag_run where dag_id = :d and run_id = :r", d=DAG_ID, r=run_id)
        return str(rows[0]["state"]) if rows else None

    def task_states(self, run_id: str) -> dict[str, str]:
        rows = self.rows(
            "select task_id, map_index, state from task_instance where dag_id = :d and run_id = :r",
            d=DAG_ID,
            r=run_id,
        )
        return {
            row["task_id"] + (f"[{row['map_index']}]" if row["map_index"] >= 0 else ""): str(row["state"])
            for row in rows
        }


def _say(message: str, since: float) -> None:
    print(f"[alerts e2e +{time.monotonic() - since:6.1f} s] {message}", flush=True)


@pytest.fixture(scope="module")
def scenario(postgres_server: PostgresHandle, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    since = time.monotonic()
    base = tmp_path_factory.mktemp("alerts")
    meta_db, warehouse_db, dw_user = f"meta_{base.name}", f"wh_{base.name}", f"{WAREHOUSE_USER}_{base.name}"
    info = postgres_server.info
    postgres_server.create_database(meta_db)
    admin = sa.create_engine(postgres_server.url("postgres", driver="postgresql+psycopg2"))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql(f"create role {dw_user} login password '{SECRETS['warehouse password']}'")
        conn.exec_driver_sql(f"create database {warehouse_db} owner {dw_user}")
    warehouse_admin = sa.create_engine(postgres_server.url(warehouse_db, driver="postgresql+psycopg2"))
    metadata = Metadata(postgres_server.url(meta_db, driver="postgresql+psycopg2"))
    password = SECRETS["wms password"]
    config = SimulatorConfig(records=40, seed=5, start_time=START, username="wms_api", password=password)
    simulator = SimulatorServer(Simulator(config), host="127.0.0.1", port=0).start()
    smtp = SmtpReceiver(login=SMTP_LOGIN, password=SECRETS["smtp password"]).start()
    slack = WebhookReceiver().start()
    try:
        airflow = LocalAirflow(
            home=base / "airflow",
            warehouse_kind="postgres",
            warehouse_conn={
                "conn_type": "postgres",
                "host": info.host,
                "port": info.port,
                "login": dw_user,
                "password": SECRETS["warehouse password"],
                "schema": warehouse_db,
            },
            wms_conn={
                "conn_type": "http",
                "host": simulator.base_url,
                "login": "wms_api",
                "password": password,
            },
            metadata_db_url=postgres_server.url(meta_db, driver="postgresql+psycopg2"),
            extra_env={
                **service_env(api_port=free_port()),
                "WMS_TASK_RETRIES": "0",
                # Yearly: no scheduled run falls due during the test; every run is triggered.
                "WMS_INCREMENTAL_SYNC_SCHEDULE": "0 0 1 1 *",
                "AIRFLOW_CONN_WMS_ALERTS_SMTP": json.dumps(smtp.connection()),
                "AIRFLOW_CONN_WMS_ALERTS_SLACK": json.dumps(
                    slack.connection(f"T000/B000/{SECRETS['slack webhook token']}")
                ),
                "AIRFLOW_VAR_WMS_ALERT_EMAILS": ", ".join(RECIPIENTS),
            },
        )
        airflow.prepare()
        _say("metadata DB migrated", since)
        with warehouse_admin.begin() as conn:
            conn.exec_driver_sql(FAULT)
        runs: dict[str, Run] = {}
        with AirflowServices(airflow, base / "services") as services:
            services.wait_healthy()
            airflow.airflow("dags", "unpause", DAG_ID)
            _say("services healthy", since)

            def run(name: str, hour: int, conf: dict[str, Any], expected_state: str) -> None:
                posts, emails = len(slack.posts), len(smtp.messages)
                run_id = f"alerts_{name}"
                logical = datetime(2026, 6, 1, hour, tzinfo=UTC).isoformat()
                airflow.airflow(
                    "dags", "trigger", DAG_ID, "-r", run_id, "-l", logical, "-c", json.dumps(conf)
                )
                services.wait_until(
                    lambda: metadata.run_state(run_id) in ("success", "failed"),
                    RUN_TIMEOUT,
                    f"run {run_id} to finish",
                    poll=3,
                )
                state = metadata.run_state(run_id) or "?"
                # The DAG callbacks run in the dag-processor after the run ended: wait for the first
                # message, then long enough for any second one.
                _wait_until(lambda: len(slack.posts) > posts and len(smtp.messages) > emails, 90)
                time.sleep(SETTLE_SECONDS)
                runs[name] = Run(
                    name,
                    run_id,
                    state,
                    metadata.task_states(run_id),
                    slack.posts[posts:],
                    smtp.messages[emails:],
                )
                _say(
                    f"run {name}: {state}, {len(runs[name].posts)} post(s), {len(runs[name].emails)} email(s)",
                    since,
                )
                assert state == expected_state, (name, state, runs[name].task_states)

            run("model", 1, WHOLE_HISTORY, "failed")
            with warehouse_admin.begin() as conn:
                conn.exec_driver_sql(NO_FAULT)
            simulator.sim.auth = Authenticator(dataclasses.replace(config, password=WMS_ROTATED_PASSWORD))
            run("password", 2, WHOLE_HISTORY, "failed")
            run("hostile", 3, {"entities": ["order_hdr"], "window_start": HOSTILE_WINDOW_START}, "failed")
            simulator.sim.auth = Authenticator(config)
            # One entity is enough to succeed: the others' raw tables hold the first run's load.
            run("recovered", 4, {**WHOLE_HISTORY, "entities": ["order_hdr"]}, "success")
        logs = {
            str(path): path.read_text(errors="replace")
            for folder in (base / "services", base / "airflow" / "logs")
            for path in folder.rglob("*")
            if path.is_file()
        }
        yield Scenario(runs, logs, smtp.failed_logins)
    finally:
        slack.stop()
        smtp.stop()
        simulator.stop()


def _wait_until(condition: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.5)


def _failed(run: Run) -> set[str]:
    return {task for task, state in run.task_states.items() if state == "failed"}


def _email_readable(mail: ReceivedEmail) -> str:
    body = mail.text()
    links = re.findall(r"href=['\"]([^'\"]+)", body)
    return html.unescape(re.sub(r"<[^>]+>", " ", body)) + "\n" + "\n".join(links)


@pytest.mark.parametrize("name", ["model", "password", "hostile", "recovered"])
def test_exactly_one_slack_message_and_one_email_per_run(scenario: Scenario, name: str) -> None:
    run = scenario.runs[name]
    assert (len(run.posts), len(run.emails)) == (1, 1), [p.json()["text"][:200] for p in run.posts]


def test_a_failed_model_fails_its_own_task(scenario: Scenario) -> None:
    assert _failed(scenario.runs["model"]) == {f"transform.{FAULTED_MODEL}.run"}


def test_the_model_failure_message_names_the_models_task_its_error_and_log(scenario: Scenario) -> None:
    run = scenario.runs["model"]
    [post], [mail] = run.posts, run.emails
    assert FAULTED_MODEL in mail.subject
    _assert_names_every_failed_task(post.json()["text"], run, scenario, slack=True)
    _assert_names_every_failed_task(_email_readable(mail), run, scenario, slack=False)


def test_a_wrong_wms_password_message_names_every_extract_task_and_the_401(scenario: Scenario) -> None:
    run = scenario.runs["password"]
    failed = _failed(run)
    assert failed == {f"extract_load_{entity}" for entity in ENTITIES_ALL}
    [post], [mail] = run.posts, run.emails
    _assert_names_every_failed_task(post.json()["text"], run, scenario, slack=True)
    _assert_names_every_failed_task(_email_readable(mail), run, scenario, slack=False)
    assert len(re.findall(r"401|Invalid username/password", post.json()["text"])) >= len(failed)


def test_the_recovery_names_the_run_and_the_failed_run_before_it(scenario: Scenario) -> None:
    run = scenario.runs["recovered"]
    [post], [mail] = run.posts, run.emails
    assert "recovered" in mail.subject
    for text in (post.json()["text"], _email_readable(mail)):
        assert "recovered" in text
        assert run.run_id in text
        assert scenario.runs["hostile"].run_id in text, "the failed run it recovers from"


def test_the_email_goes_to_every_recipient_through_the_smtp_login(scenario: Scenario) -> None:
    assert scenario.smtp_failed_logins == 0
    for run in scenario.runs.values():
        [mail] = run.emails
        assert mail.authenticated_as == SMTP_LOGIN
        assert set(mail.recipients) == set(RECIPIENTS)
        assert DAG_ID in mail.subject
        [post] = run.posts
        assert post.path == f"/services/T000/B000/{SECRETS['slack webhook token']}"


def test_a_hostile_error_text_arrives_in_slack_as_plain_text(scenario: Scenario) -> None:
    """Slack reads `<...>` as links and mentions and ``` as a fence; the receiver gets neither from
    the error text, only Slack's escapes, and the message's own code block stays the only one."""
    [post] = scenario.runs["hostile"].posts
    text = post.json()["text"]
    assert "window_start must be an ISO-8601 timestamp" in text, text
    assert "&lt;!channel&gt;" in text
    assert "&lt;https://evil.example/runbook|Runbook&gt;" in text
    assert "&amp;" in text
    assert "<!channel>" not in text
    assert "<https://evil" not in text
    assert text.count("```") == 2, "the error must not open or close a code block of its own"


def test_a_hostile_error_text_arrives_in_the_email_escaped(scenario: Scenario) -> None:
    [mail] = scenario.runs["hostile"].emails
    body = mail.text()
    assert "window_start must be an ISO-8601 timestamp" in html.unescape(body)
    assert "&lt;b&gt;x&lt;/b&gt;" in body
    assert "<b>x</b>" not in body
    assert "<https://evil" not in body


@pytest.mark.parametrize("secret_name", sorted(SECRETS))
def test_no_secret_anywhere(scenario: Scenario, secret_name: str) -> None:
    secret = SECRETS[secret_name]
    posts = [post for run in scenario.runs.values() for post in run.posts]
    emails = [mail for run in scenario.runs.values() for mail in run.emails]
    places = {
        "slack payload": "\n".join(post.body for post in posts),
        "slack headers": "\n".join(json.dumps(post.headers) for post in posts),
        "email (headers and body)": "\n".join(mail.raw for mail in emails),
        "email (decoded)": "\n".join(mail.text() for mail in emails),
        **scenario.logs,
    }
    task_logs = [text for path, text in scenario.logs.items() if "run_id=alerts_password" in path]
    assert any("extract_load_order_hdr" in text or "401" in text for text in task_logs), "no task log"
    assert any(path.endswith("dag-processor.log") for path in scenario.logs)
    assert [name for name, text in places.items() if secret in text] == []


def test_no_connection_uri_with_credentials_in_the_alerts(scenario: Scenario) -> None:
    texts = [post.body for run in scenario.runs.values() for post in run.posts]
    texts += [mail.raw for run in scenario.runs.values() for mail in run.emails]
    uri_with_userinfo = re.compile(r"[a-zA-Z][\w+.-]*://[^\s/@:]+:[^\s/@]+@")
    assert texts
    assert [text for text in texts if uri_with_userinfo.search(text)] == []


def test_the_rotated_wms_password_is_not_leaked_either(scenario: Scenario) -> None:
    texts = [post.body for run in scenario.runs.values() for post in run.posts]
    texts += [mail.raw for run in scenario.runs.values() for mail in run.emails]
    texts += list(scenario.logs.values())
    assert not [text for text in texts if WMS_ROTATED_PASSWORD in text]


def _logged_errors(scenario: Scenario, run: Run) -> dict[str, str]:
    """Each failed task's exception as its own log recorded it, cut to its first error line."""
    found: dict[str, str] = {}
    for path, text in scenario.logs.items():
        match = re.search(rf"run_id={re.escape(run.run_id)}/task_id=([^/]+)/", path)
        if not match or match.group(1) not in _failed(run):
            continue
        for line in text.splitlines():
            if '"error_detail"' in line:
                [detail, *_] = json.loads(line)["error_detail"]
                found[match.group(1)] = first_error_line(detail["exc_value"])
    return found


def _assert_names_every_failed_task(text: str, run: Run, scenario: Scenario, *, slack: bool) -> None:
    failed = _failed(run)
    errors = _logged_errors(scenario, run)
    assert failed
    assert errors.keys() == failed, "every failed task's log records its exception"
    assert DAG_ID in text
    assert run.run_id in text
    for task in failed:
        assert task in text, task
        # its first error line, as its log has it (escaped the channel's way)
        assert (slack_escape(errors[task]) if slack else errors[task]) in text, (task, errors[task])
        # its log link in the api-server's UI, at the try that failed
        link = rf"https?://\S+/dags/{DAG_ID}/runs/{run.run_id}/tasks/{re.escape(task)}\?try_number=1"
        assert re.search(link, text), task
