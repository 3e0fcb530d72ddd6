"""A Slack webhook message renders its template and reaches the webhook, from a task callback
(synchronously) and from the triggerer (awaited, as deadline alerts run), against a local receiver."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from include.wms_pipeline.slack import SlackWebhookMessage
from local_runner.receivers import WebhookReceiver

CONN_ID = "wms_test_slack"
TOKEN = "T000/B000/hook-token-test"
TEXT = "late: `{{ dag_run.dag_id }}` run `{{ dag_run.run_id }}`"
CONTEXT = {"dag_run": SimpleNamespace(dag_id="wms_incremental_sync", run_id="scheduled__x")}


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as slack:
        monkeypatch.setenv(f"AIRFLOW_CONN_{CONN_ID.upper()}", json.dumps(slack.connection(TOKEN)))
        yield slack


def _texts(receiver: WebhookReceiver) -> list[Any]:
    return [post.json()["text"] for post in receiver.wait_for(1, timeout=10)]


def test_a_task_callback_posts_the_rendered_text(receiver: WebhookReceiver) -> None:
    SlackWebhookMessage(slack_webhook_conn_id=CONN_ID, text=TEXT)(dict(CONTEXT))
    assert _texts(receiver) == ["late: `wms_incremental_sync` run `scheduled__x`"]
    assert receiver.posts[0].path == f"/services/{TOKEN}"


def test_the_triggerer_awaits_it_with_the_context(receiver: WebhookReceiver) -> None:
    async def as_the_triggerer_does() -> None:
        await SlackWebhookMessage(slack_webhook_conn_id=CONN_ID, text=TEXT, context=dict(CONTEXT))

    asyncio.run(as_the_triggerer_does())
    assert _texts(receiver) == ["late: `wms_incremental_sync` run `scheduled__x`"]
