"""Alerts carry what on-call needs and never a secret."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from include.wms_pipeline.alerts import (
    FailureSummary,
    email_html,
    redact,
    slack_escape,
    slack_text,
    summarise_failure,
)


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


def test_summary_has_the_fields_on_call_needs() -> None:
    ti = SimpleNamespace(
        task_id="extract_load_order_hdr",
        dag_id="wms_incremental_sync",
        try_number=2,
        log_url="http://airflow/log/1",
        run_id="scheduled__x",
    )
    context = {
        "ti": ti,
        "dag": SimpleNamespace(dag_id="wms_incremental_sync"),
        "run_id": "scheduled__x",
        "data_interval_start": datetime(2026, 1, 5, 4, tzinfo=UTC),
        "data_interval_end": datetime(2026, 1, 5, 6, tzinfo=UTC),
        "exception": RuntimeError("line 1 token=abcdef123\n" + "\n".join(f"line {i}" for i in range(2, 30))),
    }
    summary = summarise_failure(context)
    text = slack_text(summary)
    for expected in (
        "wms_incremental_sync",
        "extract_load_order_hdr",
        "scheduled__x",
        "2026-01-05T04:00:00",
        "http://airflow/log/1",
        "*Try:* 2",
        "line 1",
    ):
        assert expected in text
    assert "abcdef123" not in text
    assert "line 20" not in text, "only the first lines of the error"


def test_email_escapes_the_error_text() -> None:
    context = {
        "ti": SimpleNamespace(task_id="t", try_number=1, log_url=""),
        "run_id": "r",
        "exception": ValueError("<script>alert(1)</script>"),
    }
    html = email_html(summarise_failure(context))
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


def test_slack_escape_leaves_no_control_sequence_slack_would_act_on() -> None:
    """Slack's formatting reference: `&`, `<` and `>` are control characters, written `&amp;`,
    `&lt;`, `&gt;`; a backtick run could close the code block the text sits in."""
    escaped = slack_escape("<!here> <https://evil.example|Runbook> a & b ``` `x`")
    assert escaped.startswith("&lt;!here&gt; &lt;https://evil.example|Runbook&gt; a &amp; b ")
    assert "`" not in escaped
    assert "<" not in escaped
    assert ">" not in escaped


def test_every_field_of_the_slack_message_is_escaped() -> None:
    hostile = "x` <!channel> ```"
    summary = FailureSummary(hostile, hostile, hostile, hostile, hostile, hostile, hostile)
    text = slack_text(summary)
    assert "<!channel>" not in text
    assert text.count("```") == 2
    assert text.count("`") == 2 * 2 + 3 * 2, "only the message's own code spans and block"
