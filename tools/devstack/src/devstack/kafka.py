"""A single-node Kafka (KRaft, combined broker+controller) run from Maven jars, secured.

The jars come from deploy/kafka/pom.xml through Maven and are cached outside
the git tree, so nothing but Maven Central and a JDK is needed.

The broker is secured as a deployment should be (ADR 0010): clients reach one
SASL_SSL listener and log in with SCRAM-SHA-512, one principal per service plus
``admin`` for tooling and tests; the StandardAuthorizer allows a service only
what its ACLs grant (``grant_namespace``); topics are never auto-created. The
launcher makes its own certificate authority and broker certificate (PEM files
under ``data_dir/tls``; the CA's private key is thrown away once it has signed)
and the principals' passwords (``data_dir/credentials.json``), both kept, so a
restart comes back with the same ones. The controller listener is SASL_SSL too,
with PLAIN and the broker's own static credentials (KRaft controllers cannot
use SCRAM, whose credentials live in the metadata they serve).
"""

import asyncio
import datetime as dt
import fcntl
import hashlib
import ipaddress
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.protocol.admin import CreateAclsRequest, CreateAclsRequest_v1
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from devstack import free_port
from servicekit.kafka import KafkaClientConfig, raise_topic_errors

__all__ = [
    "ADMIN",
    "CONSUMES",
    "SERVICE_PRINCIPALS",
    "KafkaBroker",
    "client_config_for",
    "ensure_jars",
    "kafka_version",
    "local_broker",
]

_POM_NS = {"m": "http://maven.apache.org/POM/4.0.0"}
# Logged (INFO, by kafka.server.KafkaRaftServer) once the broker is unfenced
# and its listeners process requests; deploy/kafka/log4j2.properties keeps
# that logger at INFO for this reason.
_STARTED_LINE = b"Kafka Server started"

ADMIN = "admin"  # tooling and tests: a super user, like the broker's own principal
_BROKER = "broker"  # the node's principal on its inter-broker and controller listeners
_MECHANISM = "SCRAM-SHA-512"
_SECURED_MARKER = "formatted-with-scram"

# Topics (by producing service) each service's consumer reads: the subscription tables in
# services/<name>/src/<name>_service/events/handlers.py (tests/security checks they agree).
CONSUMES: dict[str, tuple[str, ...]] = {
    "proposal": ("assignment", "evaluation"),
    "assignment": ("proposal", "evaluation"),
    # Its own topic too: the rebuild (python -m evaluation_service.rebuild) replays the ratings.
    "evaluation": ("proposal", "assignment", "evaluation"),
    "gateway": (),
    "notification": ("proposal", "assignment", "evaluation"),
}
SERVICE_PRINCIPALS = tuple(CONSUMES)

# Kafka's wire codes (org.apache.kafka.common.acl / resource).
_TOPIC, _GROUP = 2, 3
_LITERAL = 3
_READ, _WRITE, _CREATE, _DESCRIBE = 3, 4, 5, 8
_ALLOW = 3

# Brokers this process launched, by bootstrap address (see ``client_config_for``).
_LOCAL: dict[str, "KafkaBroker"] = {}


def local_broker(bootstrap: str) -> "KafkaBroker | None":
    """The broker this process launched at ``bootstrap``, if any."""
    return _LOCAL.get(bootstrap)


def client_config_for(bootstrap: str) -> KafkaClientConfig:
    """Client settings for a bare address: a broker this process launched is reached as its
    ``admin``; any other address as PLAINTEXT (a broker of someone else's, unsecured)."""
    broker = _LOCAL.get(bootstrap)
    return broker.client_config() if broker else KafkaClientConfig(bootstrap)


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
    block. Credentials and certificates are made on construction, so clients
    can be configured (``client_config``, ``service_env``) before the broker runs.
    """

    def __init__(self, data_dir: Path | None = None, port: int | None = None) -> None:
        self._own_dir = data_dir is None
        self.data_dir = Path(tempfile.mkdtemp(prefix="kafka-")) if data_dir is None else data_dir
        self.port = port
        self.controller_port: int | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.passwords = _stored_passwords(self.data_dir / "credentials.json")
        self.ca_file = _make_tls(self.data_dir / "tls")
        self._granted: set[str] = set()
        self._pending: set[str] = set()
        self._grant_lock = threading.Lock()
        if port is not None:
            _LOCAL[self.bootstrap] = self

    @property
    def bootstrap(self) -> str:
        if self.port is None:
            raise RuntimeError("the broker has not been started")
        return f"127.0.0.1:{self.port}"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "broker.log"

    def client_config(self, principal: str = ADMIN) -> KafkaClientConfig:
        """How a client logs in as ``principal`` (``admin`` or a service's name)."""
        return KafkaClientConfig(
            bootstrap_servers=self.bootstrap,
            security_protocol="SASL_SSL",
            sasl_mechanism=_MECHANISM,
            sasl_username=principal,
            sasl_password=self.passwords[principal],
            ssl_cafile=str(self.ca_file),
        )

    def service_env(self, service: str) -> dict[str, str]:
        """The environment variables that connect ``service`` as its own principal."""
        prefix = f"{service.upper()}_KAFKA_"
        config = self.client_config(service)
        return {
            f"{prefix}BOOTSTRAP_SERVERS": config.bootstrap_servers,
            f"{prefix}SECURITY_PROTOCOL": config.security_protocol,
            f"{prefix}SASL_MECHANISM": config.sasl_mechanism,
            f"{prefix}SASL_USERNAME": service,
            f"{prefix}SASL_PASSWORD": self.passwords[service],
            f"{prefix}SSL_CAFILE": str(self.ca_file),
        }

    def grant_namespace(self, namespace: str = "", timeout: float = 30) -> None:
        """Creates the services' ACLs for the topics and groups of ``namespace`` (idempotent).

        Literal ACLs, one set per namespace: a namespace is a prefix of the topic name, so a
        PREFIXED pattern cannot say "``<any namespace>proposal.events``". On a broker not
        running yet they are created as soon as it has started (they are kept in its metadata
        log across restarts). Safe to call inside an event loop (it runs on a thread of its own).
        """
        with self._grant_lock:
            if namespace in self._granted:
                return
            if not self.is_running():
                self._pending.add(namespace)
                return
            _run_async(lambda: self._create_acls(_namespace_acls(namespace)), timeout)
            self._granted.add(namespace)

    def create_topics(self, *names: str, partitions: int = 3, timeout: float = 30) -> None:
        """Creates the topics missing among ``names`` (as admin): the broker never auto-creates
        them, so a test that produces to a topic no service made creates it first."""
        _run_async(lambda: self._create_topics(names, partitions), timeout)

    async def _create_topics(self, names: tuple[str, ...], partitions: int) -> None:
        admin = AIOKafkaAdminClient(**self.client_config().kwargs(), client_id="devstack-topics")
        await admin.start()
        try:
            existing = set(await admin.list_topics())
            missing = [NewTopic(n, num_partitions=partitions, replication_factor=1) for n in names if n not in existing]
            if missing:
                raise_topic_errors(await admin.create_topics(missing))
        finally:
            await admin.close()

    async def _create_acls(self, creations: list[tuple[Any, ...]]) -> None:
        admin = AIOKafkaAdminClient(**self.client_config().kwargs(), client_id="devstack-acls")
        await admin.start()
        try:
            response = await admin._send_request(_CreateAcls(creations))
            errors = [(code, message) for code, message in response.creation_responses if code]
            if errors:
                raise RuntimeError(f"Kafka refused ACLs: {errors}")
        finally:
            await admin.close()

    def is_running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self, timeout: float = 60) -> None:
        """Start the broker and return once it serves client requests."""
        if self.is_running():
            raise RuntimeError("the broker is already running")
        libs = ensure_jars()
        if self.port is None:
            self.port = free_port()
        _LOCAL[self.bootstrap] = self
        while self.controller_port is None or self.controller_port == self.port:
            self.controller_port = free_port()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        config = self._write_config()
        classpath = f"{libs}/*"
        java = _java()
        if not (self.data_dir / "kafka-logs" / "meta.properties").is_file():
            self._format_storage(java, classpath, config)
        elif not (self.data_dir / _SECURED_MARKER).is_file():
            raise RuntimeError(
                f"{self.data_dir} holds a Kafka formatted without SCRAM credentials (before the broker"
                " was secured); delete it (./dev run --fresh) to start anew"
            )

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
            for namespace in sorted(self._pending):
                self.grant_namespace(namespace)
            self._pending.clear()
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
        client = f"SASL_SSL://127.0.0.1:{self.port}"
        broker_password = self.passwords[_BROKER]
        tls = self.data_dir / "tls"
        props = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.voters": f"1@127.0.0.1:{self.controller_port}",
            "listeners": f"{client},CONTROLLER://127.0.0.1:{self.controller_port}",
            "advertised.listeners": client,
            "listener.security.protocol.map": "SASL_SSL:SASL_SSL,CONTROLLER:SASL_SSL",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "SASL_SSL",
            # Clients and the broker itself log in with SCRAM (credentials from the format).
            "sasl.enabled.mechanisms": _MECHANISM,
            "sasl.mechanism.inter.broker.protocol": _MECHANISM,
            "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config": (
                "org.apache.kafka.common.security.scram.ScramLoginModule required"
                f' username="{_BROKER}" password="{broker_password}";'
            ),
            # The controller cannot use SCRAM (its credentials are in the metadata it serves):
            # PLAIN with one static user, the node itself, over TLS.
            "sasl.mechanism.controller.protocol": "PLAIN",
            "listener.name.controller.sasl.enabled.mechanisms": "PLAIN",
            "listener.name.controller.plain.sasl.jaas.config": (
                "org.apache.kafka.common.security.plain.PlainLoginModule required"
                f' username="{_BROKER}" password="{broker_password}" user_{_BROKER}="{broker_password}";'
            ),
            "ssl.keystore.type": "PEM",
            "ssl.keystore.location": str(tls / "broker.pem"),
            "ssl.truststore.type": "PEM",
            "ssl.truststore.location": str(self.ca_file),
            "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
            "super.users": f"User:{_BROKER};User:{ADMIN}",
            "allow.everyone.if.no.acl.found": "false",
            # Topics are made on purpose (by the services, see ADR 0010), never by a typo.
            "auto.create.topics.enable": "false",
            "log.dirs": str(self.data_dir / "kafka-logs"),
            # A single node cannot host the default three replicas.
            "offsets.topic.replication.factor": "1",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            "num.partitions": "3",
            # Tests join groups one consumer at a time; don't wait 3 s for more.
            "group.initial.rebalance.delay.ms": "0",
            # After a SIGKILL the controller refuses the restarted broker's
            # registration until the old one's session expires (9 s by
            # default); a short session makes kill-and-restart tests quick.
            "broker.heartbeat.interval.ms": "500",
            "broker.session.timeout.ms": "3000",
        }
        path.write_text("".join(f"{key}={value}\n" for key, value in props.items()))
        path.chmod(0o600)  # it holds the broker's password
        return path

    def _format_storage(self, java: str, classpath: str, config: Path) -> None:
        """Format the KRaft log dir with every principal's SCRAM credentials; done once so a
        restart keeps the data (and the credentials: they live in the metadata log)."""
        base = [java, "-Xmx256m", "-cp", classpath, "kafka.tools.StorageTool"]
        uuid = subprocess.run([*base, "random-uuid"], check=True, capture_output=True, text=True)
        cluster_id = uuid.stdout.split()[-1]
        scram: list[str] = []
        for name, password in self.passwords.items():
            scram += ["--add-scram", f"{_MECHANISM}=[name={name},password={password}]"]
        with open(self.log_file, "ab") as log:
            subprocess.run(
                [*base, "format", "-t", cluster_id, "-c", str(config), *scram],
                check=True,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        (self.data_dir / _SECURED_MARKER).touch()

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


class _CreateAcls(CreateAclsRequest):  # type: ignore[misc]  # aiokafka is untyped here
    """CreateAcls v1 with many bindings in one request (aiokafka's builds one, and its
    admin client has no create_acls); Kafka 4 no longer accepts v0."""

    def __init__(self, creations: list[tuple[Any, ...]]) -> None:
        self._creations = creations

    def build(self, request_struct_class: type[Any]) -> Any:
        return CreateAclsRequest_v1(self._creations)


def _namespace_acls(namespace: str) -> list[tuple[Any, ...]]:
    """(resource type, name, pattern, principal, host, operation, permission) for every service.

    A service writes only its own topic and dead-letter topic, reads only what it consumes,
    joins only its own group; it may create (and so describe) the topics it writes or reads,
    as each service makes its topics at start-up. WRITE on a topic is enough for the
    idempotent producer since Kafka 3.0 (KIP-679): no IDEMPOTENT_WRITE on the cluster.
    """
    acls: list[tuple[Any, ...]] = []

    def allow(principal: str, resource: int, name: str, operations: Iterable[int]) -> None:
        acls.extend((resource, name, _LITERAL, f"User:{principal}", "*", op, _ALLOW) for op in operations)

    for service, reads in CONSUMES.items():
        own = f"{namespace}{service}.events"
        dead_letters = f"{namespace}{service}-service.dlt"
        allow(service, _TOPIC, own, (_WRITE, _CREATE, _DESCRIBE))
        allow(service, _TOPIC, dead_letters, (_WRITE, _CREATE, _DESCRIBE))
        for producer in reads:
            allow(service, _TOPIC, f"{namespace}{producer}.events", (_READ, _CREATE, _DESCRIBE))
        allow(service, _GROUP, f"{namespace}{service}-service", (_READ,))
    return acls


T = TypeVar("T")


def _run_async(make: Callable[[], Awaitable[T]], timeout: float) -> T:
    """Runs a coroutine to completion on a thread of its own, so callers in or out of an
    event loop can use it."""
    result: list[T] = []
    error: list[BaseException] = []

    async def bounded() -> T:
        return await asyncio.wait_for(make(), timeout)

    def target() -> None:
        try:
            result.append(asyncio.run(bounded()))
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller
            error.append(exc)

    thread = threading.Thread(target=target, name="devstack-kafka-admin")
    thread.start()
    thread.join()
    if error:
        raise error[0]
    return result[0]


def _stored_passwords(path: Path) -> dict[str, str]:
    """Each principal's password, made once and kept (restarts reuse the formatted SCRAM
    credentials). Hex, so it needs no quoting in a JAAS line or a --add-scram argument."""
    principals = (_BROKER, ADMIN, *SERVICE_PRINCIPALS)
    passwords: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    missing = [p for p in principals if p not in passwords]
    if missing:
        passwords |= {p: secrets.token_hex(16) for p in missing}
        path.write_text(json.dumps(passwords, indent=2))
        path.chmod(0o600)
    return passwords


def _make_tls(directory: Path) -> Path:
    """A CA and a broker certificate for 127.0.0.1 and localhost, as PEM files; returns the
    CA's file. The CA's private key is never written: nothing else is to be signed with it."""
    ca_file, broker_file = directory / "ca.pem", directory / "broker.pem"
    if ca_file.is_file() and broker_file.is_file():
        return ca_file
    directory.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    valid = (now - dt.timedelta(minutes=5), now + dt.timedelta(days=3650))
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "proposal-platform dev Kafka CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(valid[0])
        .not_valid_after(valid[1])
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kafka-broker")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(valid[0])
        .not_valid_after(valid[1])
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
            critical=False,
        )
        .add_extension(
            # The node is a TLS client of its own controller and inter-broker listeners too.
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem_key = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    # Kafka's PEM keystore: the PKCS#8 key, then the certificate chain, in one file.
    fd = os.open(broker_file.with_suffix(".tmp"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem_key + cert.public_bytes(serialization.Encoding.PEM))
    broker_file.with_suffix(".tmp").replace(broker_file)
    ca_file.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    return ca_file
