"""A disposable Redis server for tests (the Celery broker): loopback, a password, nothing saved to disk.

Started from Debian's `redis-server`, which is installed first when it is missing and this user may
(root with apt-get, as for PostgreSQL); otherwise `RedisUnavailableError` says what to install. A test
that needs Redis fails without it; it is never skipped.
"""

from __future__ import annotations

import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from throwaway_postgres.server import free_port, install_debian_package

DEBIAN_PACKAGE = "redis-server"
START_TIMEOUT = 30.0


class RedisUnavailableError(RuntimeError):
    """No Redis server could be started; the message says why and what to install."""


@dataclass(frozen=True)
class RedisInfo:
    host: str
    port: int
    password: str

    def url(self, db: int = 0) -> str:
        """A redis:// URL with the password (Celery's broker_url form)."""
        return f"redis://:{quote(self.password, safe='')}@{self.host}:{self.port}/{db}"


def _find_binary() -> Path | None:
    found = shutil.which("redis-server") or (
        "/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None
    )
    return Path(found) if found else None


def ping(info: RedisInfo, timeout: float = 2.0) -> bool:
    """True when the server answers AUTH and PING (RESP over a plain socket; standard library only)."""
    try:
        with socket.create_connection((info.host, info.port), timeout=timeout) as sock:
            sock.sendall(_command("AUTH", info.password) + _command("PING"))
            answer = b""
            while answer.count(b"\r\n") < 2:
                chunk = sock.recv(256)
                if not chunk:
                    return False
                answer += chunk
    except OSError:
        return False
    return answer.split(b"\r\n")[:2] == [b"+OK", b"+PONG"]


def _command(*parts: str) -> bytes:
    encoded = [part.encode() for part in parts]
    return b"*%d\r\n" % len(encoded) + b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in encoded)


class RedisServer:
    """One `redis-server` process in a temporary directory, stopped (and the directory removed) by stop()."""

    def __init__(self, base_dir: Path | None = None) -> None:
        self._base_dir = base_dir
        self._dir: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self.info: RedisInfo | None = None

    def start(self) -> RedisInfo:
        binary = _find_binary()
        if binary is None:
            install_debian_package(DEBIAN_PACKAGE, RedisUnavailableError)
            binary = _find_binary()
        if binary is None:
            raise RedisUnavailableError(
                f"{DEBIAN_PACKAGE} was installed but redis-server is still not found."
            )
        self._dir = Path(tempfile.mkdtemp(prefix="wms-redis-", dir=self._base_dir))
        password, port = secrets.token_urlsafe(18), free_port()
        config = self._dir / "redis.conf"
        # The password goes in a file readable by this user alone, never on a command line (ps).
        config.touch(mode=0o600)
        config.write_text(
            "\n".join(
                [
                    "bind 127.0.0.1",
                    f"port {port}",
                    f"requirepass {password}",
                    f"dir {self._dir}",
                    'save ""',
                    "appendonly no",
                    "protected-mode yes",
                    "daemonize no",
                    f"logfile {self._dir / 'redis.log'}",
                    "",
                ]
            )
        )
        self._process = subprocess.Popen(
            [str(binary), str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        info = RedisInfo("127.0.0.1", port, password)
        deadline = time.monotonic() + START_TIMEOUT
        while not ping(info):
            if self._process.poll() is not None or time.monotonic() > deadline:
                log = (self._dir / "redis.log").read_text(errors="replace")[-2000:] if self._dir else ""
                self.stop()
                raise RedisUnavailableError(f"redis-server did not start:\n{log}")
            time.sleep(0.1)
        self.info = info
        return info

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None
