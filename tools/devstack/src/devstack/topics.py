"""Reading a topic from the start, for tests and benchmarks that check what was published,
and publishing into one in another service's place.

Both take a client configuration (``KafkaBroker.client_config()``), or a bare address: a
broker this process launched is then reached as its ``admin`` (``client_config_for``).
"""

import asyncio
import time
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from devstack.kafka import client_config_for
from servicekit.events import EventEnvelope
from servicekit.kafka import KafkaClientConfig, raise_topic_errors


def _kwargs(kafka: KafkaClientConfig | str) -> dict[str, Any]:
    return (client_config_for(kafka) if isinstance(kafka, str) else kafka).kwargs()


async def read_topic(
    kafka: KafkaClientConfig | str, topic: str, *, expect: int | None = None, timeout: float = 30.0, idle: float = 1.0
) -> list[ConsumerRecord[bytes, bytes]]:
    """All records of ``topic`` (every partition, from offset 0, no consumer group).

    Stops when ``expect`` records were read and ``idle`` seconds passed without
    more (so extra, unwanted records are caught too), or at ``timeout``.
    """
    consumer = AIOKafkaConsumer(**_kwargs(kafka), enable_auto_commit=False, group_id=None)
    await consumer.start()
    records: list[ConsumerRecord[bytes, bytes]] = []
    try:
        deadline = time.monotonic() + timeout
        partitions: set[int] | None = None
        while partitions is None and time.monotonic() < deadline:
            partitions = consumer.partitions_for_topic(topic)
            if partitions is None:
                await consumer._client.force_metadata_update()  # the topic may not exist yet
                await asyncio.sleep(0.2)
        if partitions is None:
            return records
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        last_new = time.monotonic()
        while time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=200)
            for messages in batch.values():
                records.extend(messages)
                last_new = time.monotonic()
            done = expect is None or len(records) >= expect
            if done and time.monotonic() - last_new >= idle:
                break
        return records
    finally:
        await consumer.stop()


async def publish(
    kafka: KafkaClientConfig | str, topic: str, envelopes: list[EventEnvelope], *, partitions: int = 3
) -> None:
    """Sends events as another service's outbox relay would (key = subject, envelope headers),
    for tests that play the part of that service. A missing topic is made first, with
    ``partitions`` (the services' default), as that service would at its start: the broker
    never auto-creates topics."""
    kwargs = _kwargs(kafka)
    admin = AIOKafkaAdminClient(**kwargs)
    await admin.start()
    try:
        if topic not in await admin.list_topics():
            response = await admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)])
            raise_topic_errors(response)
    finally:
        await admin.close()
    producer = AIOKafkaProducer(**kwargs, enable_idempotence=True)
    await producer.start()
    try:
        for envelope in envelopes:
            headers = [(k, v.encode()) for k, v in envelope.kafka_headers_text()]
            await producer.send_and_wait(
                topic, envelope.to_bytes(), key=(envelope.subject or "").encode(), headers=headers
            )
    finally:
        await producer.stop()
