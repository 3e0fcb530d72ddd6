"""Alerts: one Slack message and one email per failed DAG run, one of each when a run recovers.

What on-call gets, and how it is built from Airflow 3.3's own callbacks:

- Every task's `on_failure_callback` (`record_task_failure`, through `default_args`) sends nothing.
  It runs on the worker, in the failed task's own process, the only place that holds the exception:
  it pushes the error's first line (redacted) and the try number as the XCom `wms_alert_error` of
  the failed task instance. The XCom lives in the metadata DB, so nothing depends on a worker's disk.
- The DAG's `on_failure_callback` (`SlackRunNotifier("failed")`, `EmailRunNotifier("failed")`) runs
  once per failed run. In Airflow 3 the scheduler hands it to the dag-processor
  (`DagCallbackRequest` -> `airflow.dag_processing.processor._execute_dag_callbacks`), which runs it
  with the Task SDK's comms to the api-server. Through them it asks for every task state of the run
  (`RuntimeTaskInstance.get_task_states`) and for each failed task's XCom: the message lists every
  failed task with its first error line and its log link in the api-server's UI.
  Reading the task logs instead (Airflow's log reader) needs the metadata DB and the log storage in
  the dag-processor; the XCom needs neither, and is cleared by Airflow when a task is retried.
- The DAG's `on_success_callback` (`...("recovered")`) sends its message only when the run before
  this one (by logical date, `RuntimeTaskInstance.get_previous_dagrun`) failed.

If the run's tasks cannot be listed (e.g. `airflow dags test`, where DAG callbacks run inside the
CLI without the api-server's comms), the failure message still goes out, naming the last failed task
from the callback's context. A channel whose connection (or recipient list) is not configured is
skipped with a warning, so a deployment can run with Slack only, email only, or neither.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote

from airflow.providers.smtp.notifications.smtp import SmtpNotifier
from airflow.sdk import BaseHook

from include.wms_pipeline import settings
from include.wms_pipeline.slack import SlackWebhookMessage

log = logging.getLogger(__name__)

ERROR_XCOM_KEY = "wms_alert_error"
ERROR_LINE_CHARS = 300
# A partitioned full sync can fail dozens of tasks at once: the message names this many, then counts.
LISTED_TASKS = 20
Outcome = Literal["failed", "recovered"]
# Why Airflow failed the run (the DAG callback's `reason`), in on-call's words.
REASONS = {
    "task_failure": "a task failed",
    "timed_out": "the run exceeded its dagrun_timeout: Airflow stopped it and skipped its unfinished tasks",
    "all_tasks_deadlocked": "no task could run any more (deadlock): see the run's grid",
}

_URI_CREDENTIALS = re.compile(r"(?P<scheme>[a-zA-Z][\w+.-]*://)[^\s/@:]*:[^\s/@]*@")
_KEY_VALUE_SECRET = re.compile(
    r"(?i)(?P<key>password|passwd|pwd|secret|token|client_secret|api_key)(?P<sep>\"?\s*[:=]\s*\"?)[^\s\"',;&]+"
)
_AUTH_HEADER = re.compile(r"(?i)(?P<scheme>basic|bearer)\s+[A-Za-z0-9._~+/=-]{8,}")


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """Remove credentials from text: known secret values, URI userinfo, key=value secrets, auth headers."""
    for secret in sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True):
        text = text.replace(secret, "***")
    text = _URI_CREDENTIALS.sub(r"\g<scheme>***@", text)
    text = _KEY_VALUE_SECRET.sub(r"\g<key>\g<sep>***", text)
    return _AUTH_HEADER.sub(r"\g<scheme> ***", text)


def first_error_line(error: str) -> str:
    """The error's first line; a heading that ends in ':' (e.g. "meltano run for x failed:") keeps
    the line after it, which is where the tools' own error starts."""
    lines = [line.strip() for line in error.strip().splitlines() if line.strip()]
    if not lines:
        return "no error recorded"
    first = lines[0]
    if first.endswith(":") and len(lines) > 1:
        first = f"{first} {lines[1]}"
    return first[:ERROR_LINE_CHARS]


@dataclass(frozen=True)
class FailedTask:
    task_id: str
    map_index: int
    try_number: int | None
    error: str
    log_url: str

    @property
    def label(self) -> str:
        return self.task_id if self.map_index < 0 else f"{self.task_id}[{self.map_index}]"


@dataclass(frozen=True)
class RunSummary:
    """What one alert says about one DAG run."""

    outcome: Outcome
    dag_id: str
    run_id: str
    interval: str
    reason: str
    failed: tuple[FailedTask, ...] = ()
    not_run: int = 0  # tasks that never ran because an upstream task failed
    previous_run_id: str = ""  # recovered: the failed run before this one
    note: str = ""  # why the failed tasks could not all be listed


def _known_secrets() -> list[str]:
    """Passwords of the project's connections, so an error that quotes one is still redacted."""
    found: list[str] = []
    for conn_id in (
        settings.WMS_CONN_ID,
        settings.WAREHOUSE_CONN_ID,
        settings.SLACK_CONN_ID,
        settings.SMTP_CONN_ID,
    ):
        conn = _connection_or_none(conn_id)
        if conn is not None and conn.password:
            found.append(conn.password)
    return found


def task_log_url(dag_id: str, run_id: str, task_id: str, map_index: int, try_number: int | None) -> str:
    """The task's log in the api-server's UI, as Airflow's own `ti.log_url` builds it."""
    from airflow.configuration import conf

    base = conf.get("api", "base_url", fallback="http://localhost:8080/").rstrip("/")
    mapped = f"/mapped/{map_index}" if map_index >= 0 else ""
    tried = f"?try_number={try_number}" if try_number else ""
    return f"{base}/dags/{quote(dag_id)}/runs/{quote(run_id)}/tasks/{quote(task_id)}{mapped}{tried}"


def record_task_failure(context: Mapping[str, Any]) -> None:
    """Task `on_failure_callback`: keep the error's first line for the run's one alert (sends nothing)."""
    ti = context.get("ti") or context.get("task_instance")
    if ti is None:
        return
    error = first_error_line(str(context.get("exception") or "no exception recorded"))
    try:
        ti.xcom_push(
            key=ERROR_XCOM_KEY,
            value={"error": redact(error, _known_secrets()), "try_number": getattr(ti, "try_number", None)},
        )
    except Exception:  # the alert still names the task, without its error line
        log.exception("Could not record the error line for the run's alert")


def _interval(context: Mapping[str, Any]) -> str:
    dag_run = context.get("dag_run")
    start = context.get("data_interval_start") or getattr(dag_run, "data_interval_start", None)
    end = context.get("data_interval_end") or getattr(dag_run, "data_interval_end", None)
    return f"{start.isoformat()} → {end.isoformat()}" if start and end else "manual run (no data interval)"


def _value(state: Any) -> str:
    """A state enum's value (`failed`), or the string itself."""
    return str(getattr(state, "value", state))


def _split_state_key(key: str, task_ids: set[str]) -> tuple[str, int]:
    """`get_task_states` names a mapped task instance `<task_id>_<map_index>`."""
    if key in task_ids:
        return key, -1
    task_id, _, index = key.rpartition("_")
    if task_id in task_ids and index.isdigit():
        return task_id, int(index)
    return key, -1


def _failed_task(ti: Any, dag_id: str, run_id: str, task_id: str, map_index: int) -> FailedTask:
    recorded: Any = None
    try:
        recorded = ti.xcom_pull(
            task_ids=task_id, key=ERROR_XCOM_KEY, map_indexes=map_index if map_index >= 0 else None
        )
    except Exception:
        log.exception("Could not read the recorded error of %s", task_id)
    if not isinstance(recorded, Mapping):
        recorded = {}
    try_number = recorded.get("try_number")
    try_number = int(try_number) if isinstance(try_number, int) else None
    error = str(recorded.get("error") or "no error line recorded (see the log)")
    url = task_log_url(dag_id, run_id, task_id, map_index, try_number)
    return FailedTask(task_id, map_index, try_number, error, url)


def summarise_failed_run(context: Mapping[str, Any]) -> RunSummary:
    """Every failed task of the run (from the api-server), with its recorded first error line."""
    from airflow.sdk.execution_time.task_runner import RuntimeTaskInstance

    dag = context.get("dag")
    ti = context.get("ti")
    dag_id = str(getattr(dag, "dag_id", None) or getattr(ti, "dag_id", "?"))
    run_id = str(context.get("run_id") or getattr(ti, "run_id", "?"))
    failed: list[FailedTask] = []
    not_run = 0
    note = ""
    try:
        states = RuntimeTaskInstance.get_task_states(dag_id=dag_id, run_ids=[run_id]).get(run_id, {})
        task_ids = set(getattr(dag, "task_ids", ()) or ())
        for key, raw_state in sorted(states.items()):
            state = _value(raw_state)
            if state == "failed":
                task_id, map_index = _split_state_key(key, task_ids)
                failed.append(_failed_task(ti, dag_id, run_id, task_id, map_index))
            elif state == "upstream_failed":
                not_run += 1
    except Exception as exc:
        log.exception("Could not list the failed tasks of %s %s", dag_id, run_id)
        note = f"could not list the run's failed tasks ({type(exc).__name__}); see the run's grid"
        if ti is not None:
            index = getattr(ti, "map_index", None)
            last = str(ti.task_id)
            failed.append(_failed_task(ti, dag_id, run_id, last, -1 if index is None else int(index)))
    secrets = _known_secrets()
    failed = [
        FailedTask(t.task_id, t.map_index, t.try_number, redact(t.error, secrets), t.log_url) for t in failed
    ]
    return RunSummary(
        outcome="failed",
        dag_id=dag_id,
        run_id=run_id,
        interval=_interval(context),
        reason=REASONS.get(str(context.get("reason")), str(context.get("reason") or "a task failed")),
        failed=tuple(failed),
        not_run=not_run,
        note=note,
    )


def summarise_recovery(context: Mapping[str, Any]) -> RunSummary | None:
    """The recovery, or None when the run before this one (by logical date) did not fail."""
    ti = context.get("ti")
    dag = context.get("dag")
    if ti is None:
        return None  # no task ran: nothing to compare with
    try:
        previous = ti.get_previous_dagrun()
    except Exception:
        log.exception("Could not read the previous run: no recovery message")
        return None
    if previous is None or _value(getattr(previous, "state", None)) != "failed":
        return None
    return RunSummary(
        outcome="recovered",
        dag_id=str(getattr(dag, "dag_id", None) or ti.dag_id),
        run_id=str(context.get("run_id") or ti.run_id),
        interval=_interval(context),
        reason="success",
        previous_run_id=str(previous.run_id),
    )


def summarise(outcome: Outcome, context: Mapping[str, Any]) -> RunSummary | None:
    return summarise_failed_run(context) if outcome == "failed" else summarise_recovery(context)


# A backtick in text placed inside a code span or block could close it; this look-alike cannot.
_INERT_BACKTICK = "\u02cb"  # MODIFIER LETTER GRAVE ACCENT


def slack_escape(text: str) -> str:
    """Text that Slack shows as written: `&`, `<`, `>` escaped as Slack's formatting reference asks
    (so no `<link|label>`, `<!channel>` or `<@user>` can form), and backticks made inert so the text
    cannot end the code span or block it is placed in."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return escaped.replace("`", _INERT_BACKTICK)


def _try(task: FailedTask) -> str:
    return f"try {task.try_number}" if task.try_number else "try ?"


def slack_text(summary: RunSummary) -> str:
    e = slack_escape
    head = f"*Run:* {e(summary.run_id)}\n*Data interval:* {e(summary.interval)}\n"
    if summary.outcome == "recovered":
        return (
            f":large_green_circle: *WMS sync recovered*: `{e(summary.dag_id)}`\n{head}"
            f"*After the failed run:* {e(summary.previous_run_id)}\n"
            "This run succeeded; the failure alerted before needs no more action."
        )
    lines = [
        f":red_circle: *WMS sync run failed*: `{e(summary.dag_id)}`, "
        f"{len(summary.failed)} failed task(s)\n{head}*Reason:* {e(summary.reason)}"
    ]
    for task in summary.failed[:LISTED_TASKS]:
        lines.append(f"• `{e(task.label)}` ({_try(task)}) {e(task.log_url)}\n```{e(task.error)}```")
    lines += _tail(summary, e)
    return "\n".join(lines)


def _tail(summary: RunSummary, escape: Any) -> list[str]:
    tail = []
    if len(summary.failed) > LISTED_TASKS:
        tail.append(f"… and {len(summary.failed) - LISTED_TASKS} more failed task(s): see the run's grid")
    if summary.not_run:
        tail.append(f"{summary.not_run} task(s) did not run because an upstream task failed.")
    if summary.note:
        tail.append(escape(summary.note))
    tail.append("Runbook: docs/runbook.md")
    return tail


def email_subject(summary: RunSummary) -> str:
    if summary.outcome == "recovered":
        return f"[WMS sync] {summary.dag_id} recovered (run {summary.run_id})"
    names = ", ".join(task.label for task in summary.failed[:3])
    more = ", …" if len(summary.failed) > 3 else ""
    return f"[WMS sync] {summary.dag_id} run failed: {len(summary.failed)} task(s) ({names}{more})"


def email_html(summary: RunSummary) -> str:
    h = html.escape
    rows = [("DAG", summary.dag_id), ("Run", summary.run_id), ("Data interval", summary.interval)]
    if summary.outcome == "recovered":
        rows.append(("After the failed run", summary.previous_run_id))
        cells = "".join(f"<tr><th align='left'>{k}</th><td>{h(v)}</td></tr>" for k, v in rows)
        return (
            f"<h3>WMS sync recovered</h3><table>{cells}</table>"
            "<p>This run succeeded; the failure alerted before needs no more action.</p>"
        )
    rows.append(("Reason", summary.reason))
    cells = "".join(f"<tr><th align='left'>{k}</th><td>{h(v)}</td></tr>" for k, v in rows)
    tasks = "".join(
        f"<tr><td>{h(t.label)}</td><td>{h(_try(t))}</td><td><pre>{h(t.error)}</pre></td>"
        f"<td><a href='{h(t.log_url)}'>log</a></td></tr>"
        for t in summary.failed[:LISTED_TASKS]
    )
    tail = "".join(f"<p>{h(line)}</p>" for line in _tail(summary, lambda text: text))
    return (
        f"<h3>WMS sync run failed: {len(summary.failed)} task(s)</h3><table>{cells}</table>"
        "<table border='1' cellpadding='4'><tr><th>Task</th><th>Try</th><th>First error line</th>"
        f"<th>Log</th></tr>{tasks}</table>{tail}"
    )


def _connection_or_none(conn_id: str) -> Any:
    """The connection, or None when it is not configured (any lookup failure means that)."""
    try:
        return BaseHook.get_connection(conn_id)
    except Exception:
        return None


def _connection_configured(conn_id: str) -> bool:
    return _connection_or_none(conn_id) is not None


class _Untemplated:
    """Our notifiers build every field in Python (`notify`), so nothing is rendered with Jinja: no
    template can meet a hostile value, and no rendering depends on the DAG object the caller passes.
    (Under `airflow dags test` a DAG callback gets a SerializedDAG, which has no `get_template_env`:
    BaseNotifier's rendering raised AttributeError there and no alert was sent.)"""

    def render_template_fields(self, context: Any, jinja_env: Any = None) -> None:
        return None


class SlackRunNotifier(_Untemplated, SlackWebhookMessage):
    """DAG callback: the run's one Slack message (failed, or recovered after a failed run)."""

    def __init__(self, outcome: Outcome, slack_webhook_conn_id: str = settings.SLACK_CONN_ID) -> None:
        super().__init__(slack_webhook_conn_id=slack_webhook_conn_id, text="")
        self.outcome: Outcome = outcome

    def notify(self, context: Any) -> None:
        if not _connection_configured(self.slack_webhook_conn_id):
            log.warning("Slack alert skipped: connection %r is not configured", self.slack_webhook_conn_id)
            return
        summary = summarise(self.outcome, context)
        if summary is None:
            return
        self.text = slack_text(summary)
        super().notify(context)


class EmailRunNotifier(_Untemplated, SmtpNotifier):
    """DAG callback: the run's one email; recipients from the Airflow Variable `wms_alert_emails`."""

    def __init__(self, outcome: Outcome, smtp_conn_id: str = settings.SMTP_CONN_ID) -> None:
        super().__init__(to="", smtp_conn_id=smtp_conn_id, subject="", html_content="")
        self.outcome: Outcome = outcome

    def notify(self, context: Any) -> None:
        from airflow.sdk import Variable

        listed = Variable.get(settings.ALERT_EMAILS_VARIABLE, default="") or ""
        recipients = [r.strip() for r in str(listed).replace(";", ",").split(",") if r.strip()]
        if not recipients or not _connection_configured(self.smtp_conn_id):
            log.warning(
                "Email alert skipped: set Variable %s and connection %r",
                settings.ALERT_EMAILS_VARIABLE,
                self.smtp_conn_id,
            )
            return
        summary = summarise(self.outcome, context)
        if summary is None:
            return
        self.to = recipients
        self.subject = email_subject(summary)
        self.html_content = email_html(summary)
        if self.from_email is None:
            # Read here, not by the provider: it would re-render the field with the DAG's Jinja env.
            conn = _connection_or_none(self.smtp_conn_id)
            self.from_email = conn.extra_dejson.get("from_email") if conn is not None else None
        super().notify(context)


def task_callbacks() -> dict[str, Any]:
    """What every task gets through default_args: it records its error; it sends nothing."""
    return {"on_failure_callback": [record_task_failure]}


def dag_callbacks() -> dict[str, Any]:
    """The DAG's own callbacks: one message per channel per failed run, one per recovery."""
    return {
        "on_failure_callback": [SlackRunNotifier("failed"), EmailRunNotifier("failed")],
        "on_success_callback": [SlackRunNotifier("recovered"), EmailRunNotifier("recovered")],
    }
