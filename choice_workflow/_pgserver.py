"""A throwaway PostgreSQL server for tests and benchmarks (private).

``initdb`` refuses to run as root, so as root the server runs as the ``postgres``
system user (through ``runuser``); otherwise as the current user. Data and socket live
in a fresh temporary directory; the server listens on a free loopback port with trust
authentication (it never leaves this machine) and is stopped by its pid.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path


class ServerUnavailable(RuntimeError):
    """The PostgreSQL binaries are missing or the server would not start."""


def find_bindir() -> Path | None:
    """The directory of the newest installed ``initdb``/``pg_ctl``/``postgres``."""
    env = os.environ.get("PG_BINDIR")
    candidates = [env] if env else []
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version_key, reverse=True)
    for c in candidates:
        if c and all((Path(c) / exe).exists() for exe in ("initdb", "pg_ctl", "postgres")):
            return Path(c)
    return None


def _version_key(path: str) -> int:
    try:
        return int(Path(path).parent.name)
    except ValueError:
        return 0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresServer:
    """A private PostgreSQL server; use as a context manager or call start/stop."""

    def __init__(self) -> None:
        bindir = find_bindir()
        if bindir is None:
            raise ServerUnavailable("PostgreSQL binaries not found (install Debian's postgresql)")
        self.bindir = bindir
        self.port = _free_port()
        self.root = Path(tempfile.mkdtemp(prefix="cw-pg-"))
        self.data = self.root / "data"
        self.sockets = self.root / "sock"
        self.pid: int | None = None
        self._as_postgres = os.geteuid() == 0
        self.user = "postgres" if self._as_postgres else _current_user()

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        cmd = list(args)
        if self._as_postgres:
            runuser = shutil.which("runuser")
            if runuser is None:
                raise ServerUnavailable("running as root, but runuser is missing")
            cmd = [runuser, "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=120)  # noqa: S603

    def start(self) -> PostgresServer:
        """initdb, then start the server and wait until it accepts connections."""
        self.sockets.mkdir()
        if self._as_postgres:
            shutil.chown(self.root, "postgres")
            shutil.chown(self.sockets, "postgres")
        init = self._run(
            str(self.bindir / "initdb"),
            "-D",
            str(self.data),
            "-A",
            "trust",
            "-U",
            self.user,
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        )
        if init.returncode != 0:
            raise ServerUnavailable(f"initdb failed: {init.stderr.strip()[-500:]}")
        opts = (
            f"-p {self.port} -k {self.sockets} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=60"
        )
        ctl = self._run(
            str(self.bindir / "pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            opts,
            "-l",
            str(self.root / "server.log"),
            "-w",
            "-t",
            "60",
            "start",
        )
        if ctl.returncode != 0:
            log = (
                (self.root / "server.log").read_text(errors="replace")[-800:]
                if (self.root / "server.log").exists()
                else ""
            )
            raise ServerUnavailable(f"pg_ctl start failed: {ctl.stderr.strip()[-300:]} {log}")
        pidfile = self.data / "postmaster.pid"
        self.pid = int(pidfile.read_text().splitlines()[0])
        return self

    def restart(self) -> None:
        """Restart the server ("fast": every connection is closed), as an operator would."""
        ctl = self._run(
            str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "server.log"),
            "-m", "fast", "-w", "-t", "60", "restart",
        )  # fmt: skip
        if ctl.returncode != 0:
            raise ServerUnavailable(f"pg_ctl restart failed: {ctl.stderr.strip()[-300:]}")
        self.pid = int((self.data / "postmaster.pid").read_text().splitlines()[0])

    def url(self, database: str = "postgres", driver: str = "postgresql+psycopg") -> str:
        """A SQLAlchemy URL for ``database`` on this server."""
        return f"{driver}://{self.user}@127.0.0.1:{self.port}/{database}"

    def dsn(self, database: str = "postgres") -> str:
        """A libpq connection string for ``database``."""
        return f"host=127.0.0.1 port={self.port} user={self.user} dbname={database}"

    def create_database(self, name: str) -> str:
        """Create a fresh database; return its SQLAlchemy URL."""
        import psycopg  # noqa: PLC0415 - psycopg is the optional postgres extra
        from psycopg import sql  # noqa: PLC0415 - psycopg is the optional postgres extra

        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.url(name)

    def stop(self) -> None:
        """Stop the server by its pid and remove its files."""
        if self.pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGINT)  # "fast" shutdown
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    os.kill(self.pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.05)
            else:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self.pid, signal.SIGKILL)
            self.pid = None
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _current_user() -> str:
    import getpass  # noqa: PLC0415 - only where the server is started

    return getpass.getuser()


@contextlib.contextmanager
def running_server() -> Iterator[PostgresServer]:
    """Start a server for the ``with`` block."""
    server = PostgresServer()
    try:
        server.start()
        yield server
    finally:
        server.stop()
