"""HTTP transport: a ThreadingHTTPServer in a background thread (pytest-httpserver / moto server style)."""

from __future__ import annotations

import socket
import struct
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from .config import SimulatorConfig
from .control import PREFIX, handle_control
from .protocol import Protocol, Request, Response
from .simulator import Simulator


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    server_version = "wms-simulator"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        """Silence per-request stderr logging; ``Simulator.requests`` records requests instead."""

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        split = urlsplit(self.path)
        request = Request(
            method=self.command,
            path=split.path,
            query=split.query,
            headers={name.lower(): value for name, value in self.headers.items()},
            body=body,
            root=self.server.root,
        )
        sim = self.server.sim
        if split.path.startswith(PREFIX):
            response = handle_control(sim, request)
        else:
            response = self.server.protocol.handle(request)
            status = 0 if response.fault == "reset" else response.status  # 0: no answer was sent
            sim.log_request(self.command, split.path, split.query, status)
        self._write(response)

    do_GET = do_HEAD = do_POST = do_DELETE = do_PUT = do_PATCH = _serve  # noqa: N815 - stdlib hook names

    def _write(self, response: Response) -> None:
        if response.fault == "reset":
            # SO_LINGER 0 makes close() send a TCP RST instead of a clean FIN
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            return
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        if "Content-Length" not in response.headers:
            self.send_header("Content-Length", str(len(response.body)))
        if response.fault == "truncated":
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(response.body[: len(response.body) // 2])
            self.close_connection = True
            return
        self.end_headers()
        self.wfile.write(response.body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], sim: Simulator) -> None:
        super().__init__(address, _Handler)
        self.sim = sim
        self.protocol = Protocol(sim)
        self.root = ""


class SimulatorServer:
    """Serves one ``Simulator`` over HTTP on a background thread; a context manager."""

    def __init__(self, sim: Simulator, host: str = "127.0.0.1", port: int = 0) -> None:
        self.sim = sim
        self.host = host
        self.port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def config(self) -> SimulatorConfig:
        return self.sim.config

    @property
    def root(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """What a client puts in its base_url: ``http://127.0.0.1:PORT/<env>``."""
        return f"{self.root}/{self.sim.config.environment}"

    @property
    def token_url(self) -> str:
        return f"{self.root}/oauth2/v1/token"

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> SimulatorServer:
        if self.running:
            return self
        self._server = _Server((self.host, self.port), self.sim)
        self.port = self._server.server_address[1]
        self._server.root = self.root
        self.sim.root = self.root
        self._thread = threading.Thread(target=self._server.serve_forever, name="wms-simulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def serve_forever(self) -> None:
        """Start and block until ``stop()`` is called from another thread or a signal handler."""
        self.start()
        # A local reference: stop() clears self._thread from another thread while we wait on it.
        thread = self._thread
        assert thread is not None
        while thread.is_alive():
            thread.join(timeout=0.5)

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()
