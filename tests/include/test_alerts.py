"""One alert per failed run, naming every failed task with its first error line and log link; one
recovery alert after a failed run; never a secret, never markup from the error text."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from include.wms_pipeline import alerts
from include.wms_pipeline.alerts import (
    ERROR_XCOM_KEY,
    EmailRunNotifier,
    FailedTask,
    RunSummary,
    SlackRunNotifier,
    email_html,
    email_subject,
    first_error_line,
    record_task_failure,
    redact,
    slack_escape,
    slack_text,
    summarise_failed_run,
    summarise_recovery,
)
from local_runner.receivers import SmtpReceiver, WebhookReceiver

DAG_ID = "wms_incremental_sync"
RUN_ID = "scheduled__2026-01-05T04:00:00+00:00"


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("could not connect to postgresql+psycopg://etl:hunter2xyz@db:5432/dw", "hunter2xyz"),
        ('{"password": "hunter2xyz"}', "hunter2xyz"),
        ("client_secret=hunter2xyz&grant_type=client_credentials", "hunter2xyz"),
        ("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.abc", "eyJhbGciOiJIUzI1NiJ9"),
        ("login failed for wms with hunter2xyz", "hunter2xyz"),
    ],
)
def test_redact_removes_credentials(text: str, secret: str) -> None:
    assert secret not in redact(text, secrets=["hunter2xyz"])


@pytest.mark.parametrize(
    ("error", "line"),
    [
        ("HTTP 401: Invalid username/password.\nTraceback ...", "HTTP 401: Invalid username/password."),
        (
            "meltano run for order_hdr failed:\n\n  tap: 401 Client Error\nmore",
            "meltano run for order_hdr failed: tap: 401 Client Error",
        ),
        ("\n\n", "no error recorded"),
    ],
)
def test_first_error_line_keeps_the_line_that_says_what_went_wrong(error: str, line: str) -> None:
    assert first_error_line(error) == line


def test_first_error_line_is_bounded() -> None:
    assert len(first_error_line("x" * 10_000)) == alerts.ERROR_LINE_CHARS


class FakeTi:
    """The calls the callbacks make on a task instance, backed by a dict of XComs."""

    def __init__(self, xcoms: dict[tuple[str, int], Any] | None = None, previous: Any = None) -> None:
        self.task_id, self.dag_id, self.run_id, self.map_index, self.try_number = "t", DAG_ID, RUN_ID, -1, 1
        self.xcoms = dict(xcoms or {})
        self.previous = previous

    def xcom_push(self, key: str, value: Any) -> None:
        self.xcoms[(self.task_id, self.map_index)] = {key: value}

    def xcom_pull(self, *, task_ids: str, key: str, map_indexes: int | None) -> Any:
        return (self.xcoms.get((task_ids, -1 if map_indexes is None else map_indexes)) or {}).get(key)

    def get_previous_dagrun(self) -> Any:
        return self.previous


def test_a_failed_task_records_its_first_error_line_and_sends_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(alerts, "_known_secrets", lambda: ["hunter2xyz"])
    ti = FakeTi()
    ti.task_id, ti.try_number = "extract_load_order_hdr", 3
    record_task_failure({"ti": ti, "exception": RuntimeError("401 for wms password hunter2xyz\nTraceback")})
    assert ti.xcoms == {
        ("extract_load_order_hdr", -1): {
            ERROR_XCOM_KEY: {"error": "401 for wms password ***", "try_number": 3},
        }
    }


@pytest.fixture
def api_base_url(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("AIRFLOW__API__BASE_URL", "https://airflow.example.com")
    monkeypatch.setattr(alerts, "_known_secrets", lambda: ["hunter2xyz"])
    return "https://airflow.example.com"


def _failure_context(ti: FakeTi, states: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    from airflow.sdk.execution_time.task_runner import RuntimeTaskInstance

    def get_task_states(*, dag_id: str, run_ids: list[str]) -> dict[str, Any]:
        assert (dag_id, run_ids) == (DAG_ID, [RUN_ID])
        return {RUN_ID: states}

    monkeypatch.setattr(RuntimeTaskInstance, "get_task_states", staticmethod(get_task_states))
    dag = SimpleNamespace(dag_id=DAG_ID, task_ids=["extract_load_order_hdr", "extract_load_order_dtl", "x.y"])
    return {
        "dag": dag,
        "ti": ti,
        "run_id": RUN_ID,
        "reason": "task_failure",
        "data_interval_start": datetime(2026, 1, 5, 4, tzinfo=UTC),
        "data_interval_end": datetime(2026, 1, 5, 6, tzinfo=UTC),
    }


def test_the_run_summary_names_every_failed_task_with_its_error_and_log(
    api_base_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ti = FakeTi(
        {
            ("extract_load_order_hdr", -1): {ERROR_XCOM_KEY: {"error": "401 hunter2xyz", "try_number": 2}},
            ("extract_load_order_dtl", 3): {ERROR_XCOM_KEY: {"error": "504 Gateway", "try_number": 1}},
        }
    )
    states = {
        "extract_load_order_hdr": "failed",
        "extract_load_order_dtl_3": "failed",  # how get_task_states names a mapped instance
        "x.y": "upstream_failed",
        "extracts_done": "upstream_failed",
        "extract_load_item": "success",
    }
    summary = summarise_failed_run(_failure_context(ti, states, monkeypatch))
    assert summary.failed == (
        FailedTask(
            "extract_load_order_dtl",
            3,
            1,
            "504 Gateway",
            f"{api_base_url}/dags/{DAG_ID}/runs/scheduled__2026-01-05T04%3A00%3A00%2B00%3A00"
            "/tasks/extract_load_order_dtl/mapped/3?try_number=1",
        ),
        FailedTask(
            "extract_load_order_hdr",
            -1,
            2,
            "401 ***",
            f"{api_base_url}/dags/{DAG_ID}/runs/scheduled__2026-01-05T04%3A00%3A00%2B00%3A00"
            "/tasks/extract_load_order_hdr?try_number=2",
        ),
    )
    assert summary.not_run == 2
    text = slack_text(summary)
    assert "2 failed task(s)" in text
    assert "`extract_load_order_dtl[3]` (try 1)" in text
    assert "2 task(s) did not run because an upstream task failed" in text
    assert "2026-01-05T04:00:00+00:00 → 2026-01-05T06:00:00+00:00" in text


def test_a_task_without_a_recorded_error_is_still_named(
    api_base_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A task killed from outside (out of memory, heartbeat lost) never ran its own callback."""
    summary = summarise_failed_run(_failure_context(FakeTi(), {"x.y": "failed"}, monkeypatch))
    [task] = summary.failed
    assert (task.task_id, task.try_number) == ("x.y", None)
    assert "see the log" in task.error
    assert task.log_url.endswith("/tasks/x.y")


def test_when_the_tasks_cannot_be_listed_the_alert_still_names_the_last_failed_task(
    api_base_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow.sdk.execution_time.task_runner import RuntimeTaskInstance

    def unreachable(**_: Any) -> dict[str, Any]:
        raise ConnectionError("api-server down")

    context = _failure_context(FakeTi(), {}, monkeypatch)
    monkeypatch.setattr(RuntimeTaskInstance, "get_task_states", staticmethod(unreachable))
    summary = summarise_failed_run(context)
    assert [task.task_id for task in summary.failed] == ["t"]
    assert "could not list the run's failed tasks (ConnectionError)" in summary.note
    assert summary.note in slack_text(summary)


@pytest.mark.parametrize(
    ("previous", "recovers"),
    [
        (SimpleNamespace(run_id="scheduled__earlier", state="failed"), True),
        (SimpleNamespace(run_id="scheduled__earlier", state="success"), False),
        (None, False),
    ],
)
def test_a_recovery_is_announced_only_after_a_failed_run(previous: Any, recovers: bool) -> None:
    context = {"dag": SimpleNamespace(dag_id=DAG_ID), "ti": FakeTi(previous=previous), "run_id": RUN_ID}
    summary = summarise_recovery(context)
    assert (summary is not None) == recovers
    if summary is not None:
        assert summary.previous_run_id == "scheduled__earlier"
        assert "recovered" in slack_text(summary)
        assert "scheduled__earlier" in email_html(summary)
        assert "recovered" in email_subject(summary)


def _summary(*failed: FailedTask, note: str = "") -> RunSummary:
    return RunSummary(
        "failed", DAG_ID, RUN_ID, "manual run (no data interval)", "task_failure", failed, note=note
    )


HOSTILE = "x` <!channel> ``` <https://evil.example|Runbook> & <b>y</b>"


def test_every_field_of_the_slack_message_is_escaped() -> None:
    summary = RunSummary(
        "failed",
        HOSTILE,
        HOSTILE,
        HOSTILE,
        HOSTILE,
        (FailedTask(HOSTILE, -1, 1, HOSTILE, HOSTILE),),
        note=HOSTILE,
    )
    text = slack_text(summary)
    assert "<!channel>" not in text
    assert "<https://evil" not in text
    assert text.count("```") == 2, "only the task's own code block"
    assert text.count("`") == 2 * 2 + 3 * 2, "only the message's own code spans and block"


def test_every_field_of_the_email_is_escaped() -> None:
    task = FailedTask(HOSTILE, -1, 1, HOSTILE, "https://a.example/?x=1&y='2'")
    page = email_html(RunSummary("failed", HOSTILE, HOSTILE, HOSTILE, HOSTILE, (task,), note=HOSTILE))
    assert "<b>y</b>" not in page
    assert "&lt;b&gt;y&lt;/b&gt;" in page
    assert "href='https://a.example/?x=1&amp;y=&#x27;2&#x27;'" in page


def test_slack_escape_leaves_no_control_sequence_slack_would_act_on() -> None:
    """Slack's formatting reference: `&`, `<` and `>` are control characters, written `&amp;`,
    `&lt;`, `&gt;`; a backtick run could close the code block the text sits in."""
    escaped = slack_escape("<!here> <https://evil.example|Runbook> a & b ``` `x`")
    assert escaped.startswith("&lt;!here&gt; &lt;https://evil.example|Runbook&gt; a &amp; b ")
    assert "`" not in escaped
    assert "<" not in escaped
    assert ">" not in escaped


def test_a_storm_of_failed_tasks_is_one_bounded_message() -> None:
    failed = [FailedTask(f"extract_load_e{i}", i, 1, "401", "https://x") for i in range(45)]
    summary = _summary(*failed)
    text = slack_text(summary)
    assert text.count("```") == 2 * alerts.LISTED_TASKS
    assert "… and 25 more failed task(s)" in text
    assert "45 task(s)" in email_subject(summary)
    assert len(email_subject(summary)) < 200


@pytest.fixture
def slack(monkeypatch: pytest.MonkeyPatch) -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as receiver:
        monkeypatch.setenv("AIRFLOW_CONN_WMS_ALERTS_SLACK", json.dumps(receiver.connection("T0/B0/tok")))
        monkeypatch.setattr(alerts, "_known_secrets", lambda: [])
        yield receiver


def _dag() -> Any:
    from airflow.sdk import DAG

    return DAG(DAG_ID, schedule=None)


def test_a_success_after_a_success_posts_nothing(slack: WebhookReceiver) -> None:
    previous = SimpleNamespace(run_id="scheduled__earlier", state="success")
    SlackRunNotifier("recovered")({"dag": _dag(), "ti": FakeTi(previous=previous)})
    assert slack.wait_for(1, timeout=2) == []


def test_a_success_after_a_failure_posts_one_recovery(slack: WebhookReceiver) -> None:
    previous = SimpleNamespace(run_id="scheduled__earlier", state="failed")
    SlackRunNotifier("recovered")({"dag": _dag(), "ti": FakeTi(previous=previous), "run_id": RUN_ID})
    [post] = slack.wait_for(1, timeout=10)
    assert "WMS sync recovered" in post.json()["text"]
    assert "scheduled__earlier" in post.json()["text"]


def test_a_callback_given_a_serialized_dag_still_posts(slack: WebhookReceiver) -> None:
    """`airflow dags test` passes the DAG callbacks a SerializedDAG, which cannot render templates:
    the notifiers render nothing, so the message still goes out."""
    previous = SimpleNamespace(run_id="scheduled__earlier", state="failed")
    serialized = SimpleNamespace(dag_id=DAG_ID)  # no get_template_env, like SerializedDAG
    SlackRunNotifier("recovered")({"dag": serialized, "ti": FakeTi(previous=previous), "run_id": RUN_ID})
    [post] = slack.wait_for(1, timeout=10)
    assert "WMS sync recovered" in post.json()["text"]


def test_the_email_goes_to_the_variable_s_recipients(monkeypatch: pytest.MonkeyPatch) -> None:
    with SmtpReceiver() as smtp:
        monkeypatch.setenv("AIRFLOW_CONN_WMS_ALERTS_SMTP", json.dumps(smtp.connection()))
        monkeypatch.setenv("AIRFLOW_VAR_WMS_ALERT_EMAILS", "oncall@example.com; data@example.com")
        monkeypatch.setattr(alerts, "_known_secrets", lambda: [])
        previous = SimpleNamespace(run_id="scheduled__earlier", state="failed")
        context = {"dag": SimpleNamespace(dag_id=DAG_ID), "ti": FakeTi(previous=previous), "run_id": RUN_ID}
        EmailRunNotifier("recovered")(context)
        [message] = smtp.wait_for(1, timeout=10)
    assert sorted(message.recipients) == ["data@example.com", "oncall@example.com"]
    assert "recovered" in message.subject.lower()
