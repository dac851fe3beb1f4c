"""A throwaway local PostgreSQL cluster from the machine's server binaries."""

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Self

from devstack import free_port

__all__ = ["PostgresCluster", "find_bindir"]

_SERVICE_USER = "postgres"
# Settings applied on every start; durability is traded for speed since the
# cluster only ever holds test data.
_SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
}


def find_bindir() -> Path:
    """Directory holding initdb/pg_ctl: pg_config's, else the newest Debian one."""
    pg_config = shutil.which("pg_config")
    if pg_config is not None:
        bindir = Path(
            subprocess.run([pg_config, "--bindir"], check=True, capture_output=True, text=True).stdout.strip()
        )
        # Debian's pg_config (from libpq-dev) can point at a bindir without the server.
        if (bindir / "initdb").is_file():
            return bindir
    candidates = [p for p in Path("/usr/lib/postgresql").glob("*/bin") if (p / "initdb").is_file()]
    if not candidates:
        raise FileNotFoundError("no PostgreSQL server binaries (initdb) found")
    return max(candidates, key=lambda p: [int(n) for n in re.findall(r"\d+", p.parent.name)])


def _locale() -> str:
    """C.UTF-8 where the system has it (glibc lists it as C.utf8), else C."""
    try:
        listed = subprocess.run(["locale", "-a"], check=False, capture_output=True, text=True).stdout
    except FileNotFoundError:
        return "C"
    names = {name.lower().replace("-", "") for name in listed.split()}
    return "C.UTF-8" if "c.utf8" in names else "C"


def _run(cmd: list[str]) -> None:
    """Run a PostgreSQL tool, raising with its output if it fails."""
    result = subprocess.run(cmd, check=False, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    if result.returncode != 0:
        output = result.stdout + result.stderr
        raise RuntimeError(f"{' '.join(cmd)} failed ({result.returncode}):\n{output}")


def _as_service_user() -> list[str]:
    """Command prefix that drops root: the server refuses to run as root."""
    if os.geteuid() != 0:
        return []
    try:
        subprocess.run(["id", "-u", _SERVICE_USER], check=True, capture_output=True)
    except subprocess.CalledProcessError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", _SERVICE_USER], check=True
        )
    return ["runuser", "-u", _SERVICE_USER, "--"]


class PostgresCluster:
    """A PostgreSQL cluster on 127.0.0.1 with trust auth for user "postgres".

    ``data_dir`` holds the cluster (``pgdata/``), its log and its unix
    socket; it must be reachable by the "postgres" user when run as root.
    Without one a temporary directory is used and removed by ``stop()``.
    """

    def __init__(self, data_dir: Path | None = None, port: int | None = None) -> None:
        self._own_dir = data_dir is None
        self.data_dir = Path(tempfile.mkdtemp(prefix="pg-")) if data_dir is None else data_dir
        self.port = port
        self.bindir = find_bindir()
        self._running = False

    @property
    def pgdata(self) -> Path:
        return self.data_dir / "pgdata"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "postgres.log"

    def start(self) -> None:
        if self.port is None:
            self.port = free_port()
        prefix = _as_service_user()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if prefix:
            shutil.chown(self.data_dir, _SERVICE_USER, _SERVICE_USER)
        # An existing cluster is reused so a caller-given data_dir survives stops.
        if not (self.pgdata / "PG_VERSION").is_file():
            _run([
                *prefix, str(self.bindir / "initdb"), "-D", str(self.pgdata),
                "-A", "trust", "-U", "postgres",
                "--encoding=UTF8", f"--locale={_locale()}",
            ])  # fmt: skip
        self._write_settings()
        _run([
            *prefix, str(self.bindir / "pg_ctl"), "start", "-w", "-t", "60",
            "-D", str(self.pgdata), "-l", str(self.log_file),
        ])  # fmt: skip
        self._running = True

    def _write_settings(self) -> None:
        """Write this run's port and socket dir to a file postgresql.conf includes."""
        conf = self.pgdata / "postgresql.conf"
        include = "include_if_exists = 'devstack.conf'\n"
        if include not in conf.read_text():
            with open(conf, "a") as f:
                f.write(include)
        settings = {
            **_SETTINGS,
            "port": str(self.port),
            "unix_socket_directories": f"'{self.data_dir}'",
        }
        (self.pgdata / "devstack.conf").write_text("".join(f"{k} = {v}\n" for k, v in settings.items()))

    def create_database(self, name: str) -> str:
        """Create database `name`; return its SQLAlchemy (asyncpg) URL."""
        if not self._running:
            raise RuntimeError("the cluster is not running")
        _run([str(self.bindir / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name])
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        """Stop the server (fast shutdown) and remove the directory if it is ours."""
        if self._running:
            _run([*_as_service_user(), str(self.bindir / "pg_ctl"), "stop", "-w", "-m", "fast", "-D", str(self.pgdata)])
            self._running = False
        if self._own_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
