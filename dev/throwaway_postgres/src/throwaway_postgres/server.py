"""Start, use and stop a throwaway PostgreSQL cluster."""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

_SERVER_USER = "wms_test"


class PostgresUnavailableError(RuntimeError):
    """No PostgreSQL server could be started; the message says why and what to install."""


@dataclass(frozen=True)
class ServerInfo:
    """Where a running server listens and how to log in."""

    host: str
    port: int
    user: str
    password: str

    def url(self, dbname: str = "postgres", driver: str = "postgresql+psycopg") -> str:
        """A SQLAlchemy-style URL for one database of this server, credentials included."""
        return (
            f"{driver}://{quote(self.user)}:{quote(self.password, safe='')}@{self.host}:{self.port}/{dbname}"
        )

    @classmethod
    def from_url(cls, url: str) -> ServerInfo:
        parts = urlsplit(url)
        if not (parts.hostname and parts.port and parts.username and parts.password is not None):
            raise ValueError("WMS_TEST_POSTGRES_URL must look like postgresql://user:password@host:port/db")
        return cls(parts.hostname, parts.port, parts.username, parts.password)


def _find_bindir() -> Path | None:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name))
    for candidate in reversed(candidates):
        if (Path(candidate) / "initdb").exists():
            return Path(candidate)
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


def install_debian_package(package: str, error: type[RuntimeError]) -> None:
    """Install one of Debian's packages with apt-get, or raise `error` saying why it cannot be."""
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise error(
            f"Debian's {package!r} package is not installed and this user cannot install it (needs root "
            "and apt-get)."
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", package]):
        result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise error(f"Installing {package} with {' '.join(command)!r} failed:\n{result.stderr[-2000:]}")


def _install_with_apt() -> None:
    try:
        install_debian_package("postgresql", PostgresUnavailableError)
    except PostgresUnavailableError as exc:
        raise PostgresUnavailableError(
            f"PostgreSQL server binaries (initdb, pg_ctl) are missing: {exc} Install Debian's 'postgresql' "
            "package, or set WMS_TEST_POSTGRES_URL to a server you run."
        ) from exc


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PostgresServer:
    """A PostgreSQL cluster in a temporary directory, owned by a non-root OS user.

    initdb refuses to run as root, so under root the cluster belongs to the `postgres` account that
    Debian's package creates.
    """

    def __init__(self, base_dir: Path | None = None) -> None:
        self._base_dir = base_dir
        self._dir: Path | None = None
        self.info: ServerInfo | None = None

    def _run(self, args: list[str], *, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        if os.geteuid() == 0:
            args = ["runuser", "-u", "postgres", "--", *args]
        return subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False)

    def start(self) -> ServerInfo:
        bindir = _find_bindir()
        if bindir is None:
            _install_with_apt()
            bindir = _find_bindir()
        if bindir is None:
            raise PostgresUnavailableError("PostgreSQL was installed but initdb is still not found.")
        if os.geteuid() == 0:
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError as exc:
                raise PostgresUnavailableError("Running as root needs the 'postgres' OS user.") from exc
        self._dir = Path(tempfile.mkdtemp(prefix="wms-pg-", dir=self._base_dir))
        data, sockets, pwfile = self._dir / "data", self._dir / "sock", self._dir / "pw"
        sockets.mkdir()
        password = secrets.token_urlsafe(18)
        pwfile.write_text(password)
        if os.geteuid() == 0:
            for path in (self._dir, sockets, pwfile):
                os.chown(path, owner.pw_uid, owner.pw_gid)
        init = self._run(
            [
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                _SERVER_USER,
                f"--pwfile={pwfile}",
                "--auth=scram-sha-256",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ],
        )
        pwfile.unlink()
        if init.returncode != 0:
            raise PostgresUnavailableError(f"initdb failed:\n{init.stdout[-1500:]}{init.stderr[-1500:]}")
        port = free_port()
        options = f"-p {port} -k {sockets} -h 127.0.0.1 -F -c max_connections=200 -c shared_buffers=128MB"
        started = self._run(
            [
                str(bindir / "pg_ctl"),
                "-D",
                str(data),
                "-o",
                options,
                "-l",
                str(self._dir / "server.log"),
                "-w",
                "-t",
                "60",
                "start",
            ],
        )
        if started.returncode != 0:
            log = (self._dir / "server.log").read_text(errors="replace")[-2000:]
            raise PostgresUnavailableError(f"pg_ctl start failed:\n{started.stderr}\n{log}")
        self._bindir = bindir
        self.info = ServerInfo("127.0.0.1", port, _SERVER_USER, password)
        return self.info

    def stop(self) -> None:
        if self._dir is None:
            return
        self._run([str(self._bindir / "pg_ctl"), "-D", str(self._dir / "data"), "-m", "immediate", "stop"])
        shutil.rmtree(self._dir, ignore_errors=True)
        self._dir = None

    @property
    def directory(self) -> Path | None:
        return self._dir


def run_sql(info: ServerInfo, sql: str, dbname: str = "postgres") -> str:
    """Run SQL through the psql client (standard library only); raise with psql's message on failure."""
    psql = shutil.which("psql") or str((_find_bindir() or Path("/usr/bin")) / "psql")
    env = {**os.environ, "PGPASSWORD": info.password}
    result = subprocess.run(
        [
            psql,
            "-h",
            info.host,
            "-p",
            str(info.port),
            "-U",
            info.user,
            "-d",
            dbname,
            "-v",
            "ON_ERROR_STOP=1",
            "-At",
            "-c",
            sql,
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"psql failed: {result.stderr.strip()}")
    return result.stdout


def create_database(info: ServerInfo, name: str) -> None:
    """Create an empty database (name must be a plain identifier)."""
    if not name.replace("_", "").isalnum():
        raise ValueError(f"database name must be alphanumeric/underscore, got {name!r}")
    run_sql(info, f'CREATE DATABASE "{name}"')


def start_postgres() -> tuple[PostgresServer | None, ServerInfo]:
    """Use the server in WMS_TEST_POSTGRES_URL if set, else start a new one (returned for stopping)."""
    url = os.environ.get("WMS_TEST_POSTGRES_URL")
    if url:
        return None, ServerInfo.from_url(url)
    server = PostgresServer()
    return server, server.start()
