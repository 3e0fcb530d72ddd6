"""Failure alerts: Slack webhook and SMTP notifiers, with one message that carries what
on-call needs (DAG, task, run, interval, try, log link, the first lines of the error) and no secret.

A channel whose connection (or recipient list) is not configured is skipped with a warning, so a
deployment can run with Slack only, email only, or neither.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from airflow.providers.smtp.notifications.smtp import SmtpNotifier
from airflow.sdk import BaseHook

from include.wms_pipeline import settings
from include.wms_pipeline.slack import SlackWebhookMessage

log = logging.getLogger(__name__)

ERROR_LINES = 8
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


@dataclass(frozen=True)
class FailureSummary:
    dag_id: str
    task_id: str
    run_id: str
    interval: str
    try_number: str
    log_url: str
    error: str


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


def summarise_failure(context: Mapping[str, Any], secrets: Iterable[str] = ()) -> FailureSummary:
    """What an alert says about a failed task instance."""
    ti = context.get("ti") or context.get("task_instance")
    dag = context.get("dag")
    start, end = context.get("data_interval_start"), context.get("data_interval_end")
    interval = (
        f"{start.isoformat()} → {end.isoformat()}" if start and end else "manual run (no data interval)"
    )
    error = str(context.get("exception") or "no exception recorded")
    excerpt = "\n".join(error.strip().splitlines()[:ERROR_LINES])[:1500]
    return FailureSummary(
        dag_id=getattr(dag, "dag_id", None) or str(getattr(ti, "dag_id", "?")),
        task_id=str(getattr(ti, "task_id", "?")),
        run_id=str(context.get("run_id") or getattr(ti, "run_id", "?")),
        interval=interval,
        try_number=str(getattr(ti, "try_number", "?")),
        log_url=str(getattr(ti, "log_url", "") or ""),
        error=redact(excerpt, secrets),
    )


# A backtick in text placed inside a code span or block could close it; this look-alike cannot.
_INERT_BACKTICK = "\u02cb"  # MODIFIER LETTER GRAVE ACCENT


def slack_escape(text: str) -> str:
    """Text that Slack shows as written: `&`, `<`, `>` escaped as Slack's formatting reference asks
    (so no `<link|label>`, `<!channel>` or `<@user>` can form), and backticks made inert so the text
    cannot end the code span or block it is placed in."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return escaped.replace("`", _INERT_BACKTICK)


def slack_text(summary: FailureSummary) -> str:
    s = {name: slack_escape(str(value)) for name, value in vars(summary).items()}
    return (
        f":red_circle: *WMS sync failed*: `{s['dag_id']}` / `{s['task_id']}`\n"
        f"*Run:* {s['run_id']}\n*Data interval:* {s['interval']}\n*Try:* {s['try_number']}\n"
        f"*Log:* {s['log_url']}\n```{s['error']}```\n"
        "Runbook: docs/runbook.md"
    )


def email_subject(summary: FailureSummary) -> str:
    return f"[WMS sync] {summary.dag_id}.{summary.task_id} failed (try {summary.try_number})"


def email_html(summary: FailureSummary) -> str:
    rows = [
        ("DAG", summary.dag_id),
        ("Task", summary.task_id),
        ("Run", summary.run_id),
        ("Data interval", summary.interval),
        ("Try", summary.try_number),
    ]
    cells = "".join(f"<tr><th align='left'>{k}</th><td>{html.escape(v)}</td></tr>" for k, v in rows)
    link = html.escape(summary.log_url)
    return (
        f"<h3>WMS sync task failed</h3><table>{cells}</table>"
        f"<p><a href='{link}'>Task log</a></p><pre>{html.escape(summary.error)}</pre>"
        "<p>Runbook: docs/runbook.md</p>"
    )


def _connection_or_none(conn_id: str) -> Any:
    """The connection, or None when it is not configured (any lookup failure means that)."""
    try:
        return BaseHook.get_connection(conn_id)
    except Exception:
        return None


def _connection_configured(conn_id: str) -> bool:
    return _connection_or_none(conn_id) is not None


class SlackFailureNotifier(SlackWebhookMessage):
    """Slack webhook alert for a failed task."""

    def __init__(self, slack_webhook_conn_id: str = settings.SLACK_CONN_ID) -> None:
        super().__init__(slack_webhook_conn_id=slack_webhook_conn_id, text="")

    def notify(self, context: Any) -> None:
        if not _connection_configured(self.slack_webhook_conn_id):
            log.warning("Slack alert skipped: connection %r is not configured", self.slack_webhook_conn_id)
            return
        self.text = slack_text(summarise_failure(context, _known_secrets()))
        super().notify(context)


class EmailFailureNotifier(SmtpNotifier):
    """Email alert for a failed task; recipients from the Airflow Variable `wms_alert_emails`."""

    def __init__(self, smtp_conn_id: str = settings.SMTP_CONN_ID) -> None:
        super().__init__(
            to="{{ var.value.get('" + settings.ALERT_EMAILS_VARIABLE + "', '') }}",
            smtp_conn_id=smtp_conn_id,
            subject="",
            html_content="",
        )

    def notify(self, context: Any) -> None:
        recipients = [r.strip() for r in str(self.to or "").replace(";", ",").split(",") if r.strip()]
        if not recipients or not _connection_configured(self.smtp_conn_id):
            log.warning(
                "Email alert skipped: set Variable %s and connection %r",
                settings.ALERT_EMAILS_VARIABLE,
                self.smtp_conn_id,
            )
            return
        summary = summarise_failure(context, _known_secrets())
        self.to = recipients
        self.subject = email_subject(summary)
        self.html_content = email_html(summary)
        super().notify(context)


def failure_notifiers() -> list[Any]:
    """The callbacks every task gets through default_args."""
    return [SlackFailureNotifier(), EmailFailureNotifier()]
