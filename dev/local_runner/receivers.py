"""Local stand-ins for the alert channels: an SMTP server and a Slack-style webhook receiver.

Both run in threads of the calling process, listen on 127.0.0.1 only and keep what they receive in
memory, so a test (or `scripts/local-run --ui`) can point the `wms_alerts_smtp` and `wms_alerts_slack`
connections at them and read back exactly what Airflow delivered.

    with SmtpReceiver(login="alerts", password="s3cret") as smtp, WebhookReceiver() as slack:
        smtp.connection()  # AIRFLOW_CONN_WMS_ALERTS_SMTP (JSON)
        slack.connection("T000/B000/token")  # AIRFLOW_CONN_WMS_ALERTS_SLACK (JSON)
        ...
        smtp.messages, slack.posts
"""

from __future__ import annotations

import email
import email.policy
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self, TypeVar

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from local_runner.simulator import free_port

HOST = "127.0.0.1"
T = TypeVar("T")


@dataclass(frozen=True)
class ReceivedEmail:
    """One message as the SMTP server received it."""

    mail_from: str
    recipients: tuple[str, ...]
    raw: str  # headers and body exactly as sent (what a secret scan must look at)
    message: EmailMessage
    authenticated_as: str | None

    @property
    def subject(self) -> str:
        return str(self.message["Subject"] or "")

    def text(self) -> str:
        """Every text part, decoded (HTML included): what the recipient reads."""
        parts = [
            part.get_content()
            for part in self.message.walk()
            if part.get_content_maintype() == "text" and not part.is_multipart()
        ]
        return "\n".join(str(part) for part in parts)


@dataclass(frozen=True)
class ReceivedPost:
    """One HTTP POST the webhook receiver got."""

    path: str
    headers: dict[str, str]
    body: str

    def json(self) -> Any:
        return json.loads(self.body)


class _Handler:
    """aiosmtpd handler: keeps every accepted message."""

    def __init__(self, sink: list[ReceivedEmail], *, require_login: bool) -> None:
        self._sink = sink
        self._require_login = require_login

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        if self._require_login and not session.authenticated:
            return "530 5.7.0 Authentication required"
        content = envelope.original_content or b""
        raw = content.decode("utf-8", errors="replace")
        message = email.message_from_bytes(content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        login = session.auth_data.login if isinstance(session.auth_data, LoginPassword) else None
        self._sink.append(
            ReceivedEmail(
                mail_from=str(envelope.mail_from),
                recipients=tuple(envelope.rcpt_tos),
                raw=raw,
                message=message,
                authenticated_as=login.decode() if isinstance(login, bytes) else None,
            )
        )
        return "250 Message accepted for delivery"


@dataclass
class SmtpReceiver:
    """A plain SMTP server (no TLS) that accepts AUTH LOGIN/PLAIN with one login and password.

    Messages are only accepted after a successful login when `login` is set, so a received message
    also proves the connection's credentials were used. The password never leaves this object.
    """

    login: str | None = None
    password: str | None = None
    from_email: str = "wms-sync-alerts@example.com"
    messages: list[ReceivedEmail] = field(default_factory=list)
    failed_logins: int = 0
    port: int = 0
    _controller: Controller | None = None

    def start(self) -> Self:
        self.port = free_port()
        self._controller = Controller(
            _Handler(self.messages, require_login=self.login is not None),
            hostname=HOST,
            port=self.port,
            authenticator=self._authenticate,
            # Loopback only, so AUTH without TLS is fine; login is enforced by the handler at DATA
            # time (aiosmtpd's auth_required would warn on every connection without TLS).
            auth_require_tls=False,
        )
        self._controller.start()
        return self

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and self.login is not None
            and auth_data.login.decode() == self.login
            and auth_data.password.decode() == (self.password or "")
        )
        if not ok:
            self.failed_logins += 1
        return AuthResult(success=ok, auth_data=auth_data if ok else None)

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def connection(self) -> dict[str, Any]:
        """The Airflow connection (`conn_type` smtp) that delivers to this server."""
        conn: dict[str, Any] = {
            "conn_type": "smtp",
            "host": HOST,
            "port": self.port,
            "extra": {
                "from_email": self.from_email,
                "disable_ssl": True,
                "disable_tls": True,
                "timeout": 10,
                "retry_limit": 1,
            },
        }
        if self.login is not None:
            conn["login"] = self.login
            conn["password"] = self.password or ""
        return conn

    def wait_for(self, count: int, timeout: float = 30.0) -> list[ReceivedEmail]:
        return _wait(lambda: self.messages, count, timeout)


class WebhookReceiver:
    """A threaded HTTP server that answers every POST with Slack's `200 ok` and records it."""

    def __init__(self) -> None:
        self.posts: list[ReceivedPost] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the webhook receiver is not running")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self) -> Self:
        posts = self.posts

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode("utf-8", errors="replace")
                posts.append(ReceivedPost(self.path, dict(self.headers.items()), body))
                reply = b"ok"
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, format: str, *args: Any) -> None:
                """Silent: the request path carries the webhook token."""

        self._server = ThreadingHTTPServer((HOST, 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="webhook", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def connection(self, token: str) -> dict[str, Any]:
        """The Airflow connection (`conn_type` slackwebhook): endpoint in host, token in password.

        SlackWebhookHook posts to `host + "/" + password` when host carries a scheme, so the token
        stays in the secret field exactly as with hooks.slack.com.
        """
        return {"conn_type": "slackwebhook", "host": f"{self.base_url}/services", "password": token}

    def wait_for(self, count: int, timeout: float = 30.0) -> list[ReceivedPost]:
        return _wait(lambda: self.posts, count, timeout)


def _wait(items: Callable[[], list[T]], count: int, timeout: float) -> list[T]:
    """The received items once at least `count` arrived (or whatever arrived when time is up)."""
    deadline = time.monotonic() + timeout
    while len(items()) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    return list(items())
