"""A tiny scripted lgfapi stand-in for HTTP-behaviour tests (the simulator covers the rest).

It serves one entity from an in-memory list with sequenced (cursor = last id) and paged
paging, `id__gte`/`id__lte` filters, 404 on an empty list, and answers queued in advance
(`script(...)`) before the normal answer, so each test states exactly which failure it meets.
"""

from __future__ import annotations

import base64
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

ENV_PATH = "/lgf_stub/wms/lgfapi/v10/entity/"
USERNAME = "stub_user"
PASSWORD = "stub-password-do-not-print"
CLIENT_ID = "stub-client"
CLIENT_SECRET = "stub-client-secret-do-not-print"


@dataclass
class ScriptedAnswer:
    """One canned answer: status, headers and raw body bytes."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    declared_length: int | None = None  # a Content-Length larger than the body = truncated


@dataclass
class SeenRequest:
    """What the stub received."""

    method: str
    path: str
    query: dict[str, str]
    authorization: str


def make_record(record_id: int, mod_ts: str = "2026-01-05T06:00:00.000000+00:00") -> dict[str, Any]:
    """An allocation-shaped record as lgfapi sends it."""
    return {
        "id": record_id,
        "url": f"http://stub/entity/allocation/{record_id}/",
        "create_ts": mod_ts,
        "mod_ts": mod_ts,
        "order_dtl_id": {"id": 1000 + record_id, "key": f"ORD{record_id},1", "url": ""},
        "status_id": 90,
        "alloc_qty": "16",
        "wave_id": None,
        "pick_user": "",
    }


class StubWMS:
    """Threaded HTTP server; `base_url` is what the tap's `base_url` setting takes."""

    def __init__(self, records: list[dict[str, Any]], *, token_ttl: int = 3600) -> None:
        self.records = sorted(records, key=lambda record: int(record["id"]))
        self.requests: list[SeenRequest] = []
        self.token_ttl = token_ttl
        self.valid_tokens: set[str] = set()
        self.tokens_issued = 0
        self.describe_status = 200
        self._scripted: dict[str, list[ScriptedAnswer]] = {}
        self._conditional: list[tuple[str, ScriptedAnswer]] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> StubWMS:
        """Serve in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()

    @property
    def origin(self) -> str:
        """`http://127.0.0.1:PORT`."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def base_url(self) -> str:
        """Everything before /wms/lgfapi."""
        return f"{self.origin}/lgf_stub"

    @property
    def token_url(self) -> str:
        """OAuth2 token endpoint."""
        return f"{self.origin}/oauth2/v1/token"

    # -- scripting ---------------------------------------------------------------------

    def script(self, kind: str, *answers: ScriptedAnswer) -> None:
        """Queue answers for the next requests of a kind: "list", "describe" or "token"."""
        with self._lock:
            self._scripted.setdefault(kind, []).extend(answers)

    def script_when(self, query_part: str, answer: ScriptedAnswer) -> None:
        """Answer the first list request whose query contains `query_part` with `answer`."""
        with self._lock:
            self._conditional.append((query_part, answer))

    def list_requests(self) -> list[SeenRequest]:
        """Requests to the allocation list (describe and token requests left out)."""
        return [seen for seen in self.requests if seen.path.endswith("/allocation/")]

    def revoke_tokens(self) -> None:
        """Make every issued token invalid, as an expiry mid-run would."""
        self.valid_tokens.clear()

    # -- protocol ----------------------------------------------------------------------

    def _next_scripted(self, kind: str) -> ScriptedAnswer | None:
        with self._lock:
            queue = self._scripted.get(kind) or []
            return queue.pop(0) if queue else None

    def _conditional_answer(self, query: str) -> ScriptedAnswer | None:
        with self._lock:
            for index, (query_part, answer) in enumerate(self._conditional):
                if query_part in query:
                    del self._conditional[index]
                    return answer
        return None

    def _authorized(self, authorization: str) -> bool:
        if authorization.startswith("Bearer "):
            return authorization.removeprefix("Bearer ") in self.valid_tokens
        expected = base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()
        return authorization == f"Basic {expected}"

    def answer(self, method: str, raw_path: str, authorization: str, body: bytes) -> ScriptedAnswer:
        """Decide the answer to one request."""
        parts = urlsplit(raw_path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        self.requests.append(SeenRequest(method, parts.path, query, authorization))
        if parts.path == "/oauth2/v1/token":
            return self._token(authorization)
        kind = "describe" if parts.path.endswith("/describe/") else "list"
        scripted = self._next_scripted(kind) or self._conditional_answer(parts.query)
        if scripted is not None:
            return scripted
        if not self._authorized(authorization):
            return _json(401, {"code": "NOT_AUTHENTICATED", "message": "Invalid credentials."})
        if kind == "describe":
            return self._describe()
        if parts.path != f"{ENV_PATH}allocation/":
            return _json(404, {"message": "Not found."})
        return self._list(query)

    def _token(self, authorization: str) -> ScriptedAnswer:
        scripted = self._next_scripted("token")
        if scripted is not None:
            return scripted
        expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if authorization != f"Basic {expected}":
            return _json(401, {"error": "invalid_client"})
        self.tokens_issued += 1
        token = f"token-{self.tokens_issued}"
        self.valid_tokens.add(token)
        return _json(200, {"access_token": token, "token_type": "Bearer", "expires_in": self.token_ttl})

    def _describe(self) -> ScriptedAnswer:
        if self.describe_status != 200:
            return _json(self.describe_status, {"message": "unavailable"})
        fields = {
            "id": {"type": "primary_key", "required": True},
            "create_ts": {"type": "datetime"},
            "mod_ts": {"type": "datetime"},
            "order_dtl_id": {"type": "foreign_key", "required": True},
            "status_id": {"type": "status"},
            "alloc_qty": {"type": "decimal"},
            "wave_id": {"type": "foreign_key"},
            "pick_user": {"type": "string", "max_length": 30},
        }
        return _json(200, {"parameters": list(fields), "fields": fields})

    def _list(self, query: dict[str, str]) -> ScriptedAnswer:
        page_size = int(query.get("page_size", "10"))
        rows = [
            record
            for record in self.records
            if int(query.get("id__gte", -(10**18))) <= record["id"] <= int(query.get("id__lte", 10**18))
        ]
        if query.get("page_mode") == "paged":
            page = int(query.get("page", "1"))
            chunk = rows[(page - 1) * page_size : page * page_size]
            more = page * page_size < len(rows)
            next_query = {**query, "page": str(page + 1)}
        else:
            after = (
                int(base64.b64decode(query["cursor"]).decode().removeprefix("p="))
                if "cursor" in query
                else None
            )
            remaining = [record for record in rows if after is None or record["id"] > after]
            chunk = remaining[:page_size]
            more = len(remaining) > page_size
            cursor = base64.b64encode(f"p={chunk[-1]['id']}".encode()).decode() if chunk else ""
            next_query = {**{k: v for k, v in query.items() if k != "cursor"}, "cursor": cursor}
        if not chunk:
            return _json(404, {"code": "NOT_FOUND", "message": "No results."})
        next_page = (
            f"{self.base_url}/wms/lgfapi/v10/entity/allocation/?{urlencode(sorted(next_query.items()))}"
        )
        return _json(200, {"next_page": next_page if more else None, "previous_page": None, "results": chunk})

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                answer = stub.answer(self.command, self.path, self.headers.get("Authorization", ""), body)
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(answer.declared_length or len(answer.body)))
                if answer.declared_length:
                    self.send_header("Connection", "close")
                    self.close_connection = True
                self.end_headers()
                self.wfile.write(answer.body)

            def do_GET(self) -> None:
                self._serve()

            def do_POST(self) -> None:
                self._serve()

            def log_message(self, format: str, *args: Any) -> None:
                return  # keep test output quiet

        return Handler


def _json(status: int, payload: Any, headers: dict[str, str] | None = None) -> ScriptedAnswer:
    return ScriptedAnswer(status, json.dumps(payload).encode(), headers or {})


def json_answer(status: int, payload: Any, headers: dict[str, str] | None = None) -> ScriptedAnswer:
    """A scripted JSON answer."""
    return _json(status, payload, headers)
