"""A single-node Kafka (KRaft, combined broker+controller) run from Maven jars.

The jars come from deploy/kafka/pom.xml through Maven and are cached outside
the git tree, so nothing but Maven Central and a JDK is needed.
"""

import fcntl
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from types import TracebackType
from typing import Self

from devstack import free_port

__all__ = ["KafkaBroker", "ensure_jars", "kafka_version"]

_POM_NS = {"m": "http://maven.apache.org/POM/4.0.0"}
# Logged (INFO, by kafka.server.KafkaRaftServer) once the broker is unfenced
# and its listeners process requests; deploy/kafka/log4j2.properties keeps
# that logger at INFO for this reason.
_STARTED_LINE = b"Kafka Server started"


def _deploy_dir() -> Path:
    """Find deploy/kafka: above this file (editable install) or above the cwd."""
    for start in (Path(__file__).resolve().parent, Path.cwd().resolve()):
        for parent in (start, *start.parents):
            candidate = parent / "deploy" / "kafka"
            if (candidate / "pom.xml").is_file():
                return candidate
    raise FileNotFoundError("deploy/kafka/pom.xml not found above the devstack package or the cwd")


def kafka_version() -> str:
    """The Kafka version pinned in deploy/kafka/pom.xml (the single source of truth)."""
    root = ET.parse(_deploy_dir() / "pom.xml").getroot()
    version = root.findtext("m:properties/m:kafka.version", namespaces=_POM_NS)
    if not version:
        raise ValueError("deploy/kafka/pom.xml has no <kafka.version> property")
    return version.strip()


def _cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "proposal-platform"


def ensure_jars() -> Path:
    """Return the directory holding the broker's jars, fetching them if needed.

    A marker holding the pom's hash is written only after a complete copy, so
    an interrupted download, or a pom changed since (e.g. another log4j
    version), is fetched again. A file lock keeps parallel test workers from
    running Maven into the same directory at once.
    """
    pom = _deploy_dir() / "pom.xml"
    digest = hashlib.sha256(pom.read_bytes()).hexdigest()
    home = _cache_root() / f"kafka-{kafka_version()}"
    libs = home / "libs"
    marker = home / "complete"
    home.mkdir(parents=True, exist_ok=True)
    with open(home / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if marker.is_file() and marker.read_text() == digest:
            return libs
        mvn = shutil.which("mvn")
        if mvn is None:
            raise RuntimeError("Maven (mvn) is needed to fetch the Kafka jars")
        print("fetching Kafka jars through Maven...", file=sys.stderr, flush=True)
        marker.unlink(missing_ok=True)
        shutil.rmtree(libs, ignore_errors=True)
        # Output is kept for errors only: even -q -B prints stray ANSI codes.
        result = subprocess.run(
            [
                mvn, "-q", "-B", "-f", str(pom),
                "dependency:copy-dependencies",
                "-DincludeScope=runtime",
                f"-DoutputDirectory={libs}",
            ],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
        )  # fmt: skip
        if result.returncode != 0:
            raise RuntimeError(f"Maven failed to fetch the Kafka jars:\n{result.stdout}{result.stderr}")
        marker.write_text(digest)
        print(f"Kafka jars cached in {libs}", file=sys.stderr, flush=True)
    return libs


def _java() -> str:
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").is_file():
        return str(Path(java_home) / "bin" / "java")
    java = shutil.which("java")
    if java is None:
        raise RuntimeError("a Java runtime (java) is needed to run Kafka")
    return java


class KafkaBroker:
    """One local Kafka node in KRaft mode, acting as broker and controller.

    Ports are chosen on the first start and kept, so ``restart()`` after
    ``kill()`` or ``stop()`` comes back at the same bootstrap address with the
    same data. Broker output goes to ``data_dir/broker.log``. Without a
    ``data_dir`` a temporary one is made and removed on leaving the ``with``
    block.
    """

    def __init__(self, data_dir: Path | None = None, port: int | None = None) -> None:
        self._own_dir = data_dir is None
        self.data_dir = Path(tempfile.mkdtemp(prefix="kafka-")) if data_dir is None else data_dir
        self.port = port
        self.controller_port: int | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        if self.port is None:
            raise RuntimeError("the broker has not been started")
        return f"127.0.0.1:{self.port}"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "broker.log"

    def is_running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self, timeout: float = 60) -> None:
        """Start the broker and return once it serves client requests."""
        if self.is_running():
            raise RuntimeError("the broker is already running")
        libs = ensure_jars()
        if self.port is None:
            self.port = free_port()
        while self.controller_port is None or self.controller_port == self.port:
            self.controller_port = free_port()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        config = self._write_config()
        classpath = f"{libs}/*"
        java = _java()
        if not (self.data_dir / "kafka-logs" / "meta.properties").is_file():
            self._format_storage(java, classpath, config)

        log4j = _deploy_dir() / "log4j2.properties"
        # Only output written after this offset counts as this run's readiness
        # line, since the log file is appended to across restarts.
        offset = self.log_file.stat().st_size if self.log_file.exists() else 0
        with open(self.log_file, "ab") as log:
            self._proc = subprocess.Popen(
                [
                    java, "-Xms256m", "-Xmx512m", "-Djava.awt.headless=true",
                    f"-Dlog4j2.configurationFile={log4j}",
                    "-cp", classpath, "kafka.Kafka", str(config),
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                # Own process group: Ctrl-C in a terminal or pytest's signal
                # handling must not reach the broker behind our back.
                start_new_session=True,
            )  # fmt: skip
        try:
            self._wait_ready(offset, timeout)
        except BaseException:
            self.kill()
            raise

    def stop(self, timeout: float = 30) -> None:
        """Shut the broker down cleanly (SIGTERM), killing it if it hangs."""
        if self._proc is None:
            return
        if self._proc.poll() is None:
            os.killpg(self._proc.pid, signal.SIGTERM)
            try:
                self._proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        self._proc = None

    def kill(self) -> None:
        """SIGKILL the broker at once, as a crash would (for fault tests)."""
        if self._proc is None:
            return
        if self._proc.poll() is None:
            os.killpg(self._proc.pid, signal.SIGKILL)
        self._proc.wait()
        self._proc = None

    def restart(self, timeout: float = 60) -> None:
        """Start again on the same ports and data (stopping first if running)."""
        self.stop()
        self.start(timeout)

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
        if self._own_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def _write_config(self) -> Path:
        path = self.data_dir / "server.properties"
        plaintext = f"PLAINTEXT://127.0.0.1:{self.port}"
        props = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.voters": f"1@127.0.0.1:{self.controller_port}",
            "listeners": f"{plaintext},CONTROLLER://127.0.0.1:{self.controller_port}",
            "advertised.listeners": plaintext,
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "log.dirs": str(self.data_dir / "kafka-logs"),
            # A single node cannot host the default three replicas.
            "offsets.topic.replication.factor": "1",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            "num.partitions": "3",
            "auto.create.topics.enable": "true",
            # Tests join groups one consumer at a time; don't wait 3 s for more.
            "group.initial.rebalance.delay.ms": "0",
            # After a SIGKILL the controller refuses the restarted broker's
            # registration until the old one's session expires (9 s by
            # default); a short session makes kill-and-restart tests quick.
            "broker.heartbeat.interval.ms": "500",
            "broker.session.timeout.ms": "3000",
        }
        path.write_text("".join(f"{key}={value}\n" for key, value in props.items()))
        return path

    def _format_storage(self, java: str, classpath: str, config: Path) -> None:
        """Format the KRaft log dir; done once so a restart keeps the data."""
        base = [java, "-Xmx256m", "-cp", classpath, "kafka.tools.StorageTool"]
        uuid = subprocess.run([*base, "random-uuid"], check=True, capture_output=True, text=True)
        cluster_id = uuid.stdout.split()[-1]
        with open(self.log_file, "ab") as log:
            subprocess.run(
                [*base, "format", "-t", cluster_id, "-c", str(config)],
                check=True,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def _wait_ready(self, offset: int, timeout: float) -> None:
        assert self._proc is not None and self.port is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(
                    f"Kafka exited with code {self._proc.returncode} while starting;"
                    f" see {self.log_file}:\n{self._log_tail()}"
                )
            if self._logged_started(offset) and self._port_open():
                return
            time.sleep(0.1)
        raise TimeoutError(f"Kafka not ready within {timeout} s; see {self.log_file}:\n{self._log_tail()}")

    def _logged_started(self, offset: int) -> bool:
        with open(self.log_file, "rb") as log:
            log.seek(offset)
            return _STARTED_LINE in log.read()

    def _port_open(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return True
        except OSError:
            return False

    def _log_tail(self, lines: int = 20) -> str:
        text = self.log_file.read_text(errors="replace") if self.log_file.exists() else ""
        return "\n".join(text.splitlines()[-lines:])
