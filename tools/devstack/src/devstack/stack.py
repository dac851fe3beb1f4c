"""The five services as real uvicorn processes, for the run command, e2e tests and benchmarks."""

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from devstack import free_ports
from devstack.kafka import KafkaBroker, local_broker
from devstack.keys import DevKeys

SERVICES = ("proposal", "assignment", "evaluation", "notification", "gateway")


def wait_http(url: str, *, timeout: float, expect: int = 200) -> None:
    """Polls ``url`` until it answers ``expect``; raises TimeoutError after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == expect:
                    return
                last = response.status
        except urllib.error.HTTPError as exc:
            last = exc.code
        except OSError as exc:
            last = exc
        time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer {expect} within {timeout}s (last: {last})")


@dataclass
class ServiceProcess:
    """One service under uvicorn, in its own process group so a kill takes all of it."""

    name: str
    port: int
    env: dict[str, str]
    log_path: Path
    workers: int = 1
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        command = [
            sys.executable, "-m", "uvicorn", "--factory", f"{self.name}_service.main:create_app",
            "--host", "127.0.0.1", "--port", str(self.port), "--no-access-log", "--log-level", "warning",
            "--workers", str(self.workers),
            # The gateway reads X-Forwarded-For / Forwarded itself, from its trusted_proxies only;
            # uvicorn would otherwise believe them from any local process (issue 10).
            "--no-proxy-headers",
        ]  # fmt: skip
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            command,
            env={**os.environ, **self.env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()

    def wait_live(self, timeout: float = 60) -> None:
        wait_http(f"{self.url}/health/live", timeout=timeout)

    def is_running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = 15) -> None:
        self._signal(signal.SIGTERM)
        if self.process is not None:
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()

    def kill(self) -> None:
        """SIGKILL, as a crash would: no shutdown code runs."""
        self._signal(signal.SIGKILL)
        if self.process is not None:
            self.process.wait()

    def _signal(self, signum: int) -> None:
        if self.is_running():
            assert self.process is not None
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signum)


class Stack:
    """The five services wired to one Kafka; databases are SQLite files in ``workdir``
    unless ``database_urls`` names others (e.g. PostgreSQL databases). A ``namespace``
    prefixes their topics and consumer groups, so stacks can share a broker.

    With ``replicas`` > 1 every service runs as that many processes on one database and in one
    consumer group, and the gateways are given every replica's address (they balance over them);
    ``services[name]`` is the first replica, ``replicas[name]`` all of them. Several replicas need
    a database they can share: PostgreSQL.

    On a broker of ours (``kafka``, or the ``kafka_bootstrap`` address of one this process
    launched) each service logs in as its own principal and the namespace's ACLs are
    granted; any other address is taken as a PLAINTEXT broker."""

    def __init__(
        self,
        *,
        workdir: Path,
        kafka_bootstrap: str | None = None,
        kafka: KafkaBroker | None = None,
        database_urls: dict[str, str] | None = None,
        ports: dict[str, int] | None = None,
        extra_env: dict[str, str] | None = None,
        workers: int = 1,
        replicas: int = 1,
        namespace: str = "",
        keys: DevKeys | None = None,
        admin_password: str | None = None,
    ) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        broker = kafka or (local_broker(kafka_bootstrap) if kafka_bootstrap else None)
        if broker is None and kafka_bootstrap is None:
            raise TypeError("Stack needs kafka or kafka_bootstrap")
        if broker is not None:
            broker.grant_namespace(namespace)
        # The gateway signs with the private key; every service trusts its public JWKS.
        self.keys = keys or DevKeys()
        if replicas < 1:
            raise ValueError("replicas must be at least 1")
        ports = ports or dict(zip(SERVICES, free_ports(len(SERVICES)), strict=True))
        # The first replica on ``ports``, the others on free ones (all distinct).
        spare = iter(free_ports(len(SERVICES) * (replicas - 1), besides=tuple(ports.values())))
        replica_ports = {name: [ports[name]] + [next(spare) for _ in range(replicas - 1)] for name in SERVICES}
        urls = database_urls or {name: f"sqlite+aiosqlite:///{workdir / f'{name}.db'}" for name in SERVICES}
        self.services: dict[str, ServiceProcess] = {}
        self.replicas: dict[str, list[ServiceProcess]] = {}
        for name in SERVICES:
            prefix = name.upper() + "_"
            env = {
                f"{prefix}DATABASE_URL": urls[name],
                **(broker.service_env(name) if broker else {f"{prefix}KAFKA_BOOTSTRAP_SERVERS": str(kafka_bootstrap)}),
                f"{prefix}KAFKA_NAMESPACE": namespace,
                # Pinned: the services trust exactly this run's key and fetch nothing; the empty
                # URL overrides one inherited from the shell (issue 10).
                f"{prefix}AUTH_JWKS": self.keys.jwks,
                f"{prefix}AUTH_JWKS_URL": "",
                **(extra_env or {}),
            }
            if name == "gateway":
                env.update({"GATEWAY_SIGNING_KEY": self.keys.private_pem, "GATEWAY_SIGNING_KEY_ID": self.keys.kid})
                if admin_password:
                    env.update(
                        {
                            "GATEWAY_BOOTSTRAP_ADMIN_USERNAME": "admin",
                            "GATEWAY_BOOTSTRAP_ADMIN_PASSWORD": admin_password,
                        }
                    )
                env.update(
                    {
                        f"GATEWAY_{s.upper()}_URL": ",".join(f"http://127.0.0.1:{port}" for port in replica_ports[s])
                        for s in SERVICES
                        if s != name
                    }
                )
            self.replicas[name] = [
                ServiceProcess(name, port, env, workdir / (f"{name}.log" if i == 0 else f"{name}-{i}.log"), workers)
                for i, port in enumerate(replica_ports[name])
            ]
            self.services[name] = self.replicas[name][0]

    def __getitem__(self, name: str) -> ServiceProcess:
        return self.services[name]

    @property
    def gateway_url(self) -> str:
        return self.services["gateway"].url

    @property
    def processes(self) -> list[ServiceProcess]:
        """Every replica of every service."""
        return [process for replicas in self.replicas.values() for process in replicas]

    def start(self, timeout: float = 90) -> None:
        for service in self.processes:
            service.start()
        for service in self.processes:
            service.wait_live(timeout)

    def wait_ready(self, timeout: float = 90) -> None:
        for service in self.processes:
            wait_http(f"{service.url}/health/ready", timeout=timeout)
        # A process that could not bind its port has exited while another answered on it.
        if exited := [f"{p.name} ({p.log_path})" for p in self.processes if not p.is_running()]:
            raise RuntimeError(f"exited while the stack came up: {', '.join(exited)}")

    def stop(self) -> None:
        for service in self.processes:
            service._signal(signal.SIGTERM)
        for service in self.processes:
            service.stop()
