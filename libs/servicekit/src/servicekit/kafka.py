"""One idempotent Kafka producer per service process, started lazily; and how every
Kafka client of a service reaches the brokers (``KafkaClientConfig``).

A service must start, and keep serving writes, while Kafka is down; so
nothing here blocks start-up: the producer is created on first use, and a
producer that failed is thrown away and made anew on the next use.
"""

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any, Literal, Self

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError, for_code
from aiokafka.helpers import create_ssl_context

from servicekit.settings import ServiceSettings

log = logging.getLogger(__name__)

SecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]


@dataclass(frozen=True)
class KafkaClientConfig:
    """Where the brokers are and how a client proves who it is (ADR 0010).

    Every Kafka client a service builds (producer, consumer, admin, replay) takes its
    connection arguments from ``kwargs()``, so none can forget the credentials.
    """

    bootstrap_servers: str
    security_protocol: SecurityProtocol = "PLAINTEXT"
    sasl_mechanism: str = "SCRAM-SHA-512"
    sasl_username: str | None = None
    sasl_password: str | None = field(default=None, repr=False)
    # PEM file of the CA that signed the brokers' certificates; None: the system's CAs.
    ssl_cafile: str | None = None

    @classmethod
    def from_settings(cls, settings: ServiceSettings) -> Self:
        password = settings.kafka_sasl_password
        return cls(
            bootstrap_servers=settings.kafka_bootstrap_servers,
            security_protocol=settings.kafka_security_protocol,
            sasl_mechanism=settings.kafka_sasl_mechanism,
            sasl_username=settings.kafka_sasl_username,
            sasl_password=password.get_secret_value() if password else None,
            ssl_cafile=settings.kafka_ssl_cafile,
        )

    def kwargs(self) -> dict[str, Any]:
        """The keyword arguments of any aiokafka client (producer, consumer, admin)."""
        kwargs: dict[str, Any] = {
            "bootstrap_servers": self.bootstrap_servers,
            "security_protocol": self.security_protocol,
        }
        if self.security_protocol in ("SSL", "SASL_SSL"):
            # Verifies the broker's certificate and host name against the CA (or the system's).
            kwargs["ssl_context"] = create_ssl_context(cafile=self.ssl_cafile)
        if self.security_protocol.startswith("SASL_"):
            kwargs |= {
                "sasl_mechanism": self.sasl_mechanism,
                "sasl_plain_username": self.sasl_username,
                "sasl_plain_password": self.sasl_password,
            }
        return kwargs


class KafkaUnavailable(RuntimeError):
    pass


def raise_topic_errors(response: Any) -> None:
    """Raises the first per-topic error of a CreateTopics response other than "already
    exists" (another replica or service was first). aiokafka returns them without raising,
    so a topic refused (say, before the ACLs that allow it are granted) went unnoticed."""
    for topic, code, *_ in response.topic_errors:
        if code and code != TopicAlreadyExistsError.errno:
            raise for_code(code)(f"cannot create topic {topic}")


class KafkaConnector:
    def __init__(self, config: KafkaClientConfig | str, *, client_id: str, request_timeout_ms: int = 10_000) -> None:
        # A bare "host:port" list is a PLAINTEXT broker.
        self.config = KafkaClientConfig(config) if isinstance(config, str) else config
        self.bootstrap_servers = self.config.bootstrap_servers
        self.client_id = client_id
        self.request_timeout_ms = request_timeout_ms
        self._producer: AIOKafkaProducer | None = None
        self._lock = asyncio.Lock()

    async def producer(self) -> AIOKafkaProducer:
        async with self._lock:
            if self._producer is None:
                producer = AIOKafkaProducer(
                    **self.config.kwargs(),
                    client_id=self.client_id,
                    enable_idempotence=True,
                    acks="all",
                    linger_ms=2,
                    # aiokafka's 16 KiB default makes send() wait on the broker every ~15 events.
                    max_batch_size=512 * 1024,
                    request_timeout_ms=self.request_timeout_ms,
                )
                try:
                    await producer.start()
                except Exception as exc:
                    await producer.stop()
                    raise KafkaUnavailable(f"cannot reach Kafka at {self.bootstrap_servers}: {exc}") from exc
                self._producer = producer
            return self._producer

    async def reset(self) -> None:
        """Drops the producer after a failure; the next use starts a fresh one."""
        async with self._lock:
            producer, self._producer = self._producer, None
        if producer is not None:
            try:
                await asyncio.wait_for(producer.stop(), timeout=5)
            except Exception:
                log.debug("producer stop after failure raised", exc_info=True)

    async def ping(self, timeout: float = 1.0) -> None:
        """Raises KafkaUnavailable unless some bootstrap broker accepts a connection."""
        errors = []
        for server in self.bootstrap_servers.split(","):
            host, _, port = server.strip().rpartition(":")
            try:
                _, writer = await asyncio.wait_for(asyncio.open_connection(host, int(port)), timeout)
            except (OSError, TimeoutError) as exc:
                errors.append(f"{server}: {exc or type(exc).__name__}")
                continue
            writer.close()
            return
        raise KafkaUnavailable("; ".join(errors))

    async def ensure_topics(
        self,
        topics: list[str],
        *,
        partitions: int,
        replication_factor: int,
        configs: dict[str, dict[str, str]] | None = None,
    ) -> None:
        """Creates the missing ``topics``, each with its ``configs`` (e.g. retention.ms); a topic
        that exists is left as it is (its configuration is the operator's)."""
        admin = AIOKafkaAdminClient(**self.config.kwargs(), client_id=f"{self.client_id}-admin")
        await admin.start()
        try:
            existing = set(await admin.list_topics())
            missing = [
                NewTopic(
                    t,
                    num_partitions=partitions,
                    replication_factor=replication_factor,
                    topic_configs=(configs or {}).get(t, {}),
                )
                for t in topics
                if t not in existing
            ]
            if missing:  # "already exists" (another replica was first) is no error
                raise_topic_errors(await admin.create_topics(missing))
        finally:
            await admin.close()

    async def close(self) -> None:
        await self.reset()
