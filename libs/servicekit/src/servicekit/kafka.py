"""One idempotent Kafka producer per service process, started lazily.

A service must start, and keep serving writes, while Kafka is down; so
nothing here blocks start-up: the producer is created on first use, and a
producer that failed is thrown away and made anew on the next use.
"""

import asyncio
import contextlib
import logging

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

log = logging.getLogger(__name__)


class KafkaUnavailable(RuntimeError):
    pass


class KafkaConnector:
    def __init__(self, bootstrap_servers: str, *, client_id: str, request_timeout_ms: int = 10_000) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.client_id = client_id
        self.request_timeout_ms = request_timeout_ms
        self._producer: AIOKafkaProducer | None = None
        self._lock = asyncio.Lock()

    async def producer(self) -> AIOKafkaProducer:
        async with self._lock:
            if self._producer is None:
                producer = AIOKafkaProducer(
                    bootstrap_servers=self.bootstrap_servers,
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

    async def ensure_topics(self, topics: list[str], *, partitions: int, replication_factor: int) -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap_servers, client_id=f"{self.client_id}-admin")
        await admin.start()
        try:
            existing = set(await admin.list_topics())
            missing = [
                NewTopic(t, num_partitions=partitions, replication_factor=replication_factor)
                for t in topics
                if t not in existing
            ]
            if missing:
                with contextlib.suppress(TopicAlreadyExistsError):  # another replica was first
                    await admin.create_topics(missing)
        finally:
            await admin.close()

    async def close(self) -> None:
        await self.reset()
