"""A Slack webhook message whose Slack SDK is imported only when a message is sent.

The Slack provider's notifier imports slack_sdk and aiohttp when its module loads (0.3 s). The DAGs
create their Slack notifiers while they are parsed, so with the provider's class every DAG parse and
every task would pay that import. This class renders its fields the same way and hands the rendered
text to the provider's notifier only when it sends: synchronously for the DAG's run callbacks, and
asynchronously in the triggerer for deadline alerts.
"""

from __future__ import annotations

from typing import Any

from airflow.sdk import BaseNotifier


class SlackWebhookMessage(BaseNotifier):
    """`text` (a template) posted to the Slack Incoming Webhook of `slack_webhook_conn_id`."""

    template_fields = ("slack_webhook_conn_id", "text")

    def __init__(self, *, slack_webhook_conn_id: str, text: str, context: Any = None) -> None:
        # The triggerer passes `context` when it builds a deadline alert's callback.
        super().__init__(context=context)
        self.slack_webhook_conn_id = slack_webhook_conn_id
        self.text = text

    def _provider_notifier(self) -> Any:
        from airflow.providers.slack.notifications.slack_webhook import SlackWebhookNotifier

        return SlackWebhookNotifier(slack_webhook_conn_id=self.slack_webhook_conn_id, text=self.text)

    def notify(self, context: Any) -> None:
        self._provider_notifier().notify(context)

    async def async_notify(self, context: Any) -> None:
        await self._provider_notifier().async_notify(context)
