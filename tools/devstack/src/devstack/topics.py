"""Reading a topic from the start, for tests and benchmarks that check what was published,
and publishing into one in another service's place."""

import asyncio
import time

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition

from servicekit.events import EventEnvelope


async def read_topic(
    bootstrap: str, topic: str, *, expect: int | None = None, timeout: float = 30.0, idle: float = 1.0
) -> list[ConsumerRecord[bytes, bytes]]:
    """All records of ``topic`` (every partition, from offset 0, no consumer group).

    Stops when ``expect`` records were read and ``idle`` seconds passed without
    more (so extra, unwanted records are caught too), or at ``timeout``.
    """
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None)
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


async def publish(bootstrap: str, topic: str, envelopes: list[EventEnvelope]) -> None:
    """Sends events as another service's outbox relay would (key = subject, envelope headers),
    for tests that play the part of that service."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True)
    await producer.start()
    try:
        for envelope in envelopes:
            headers = [(k, v.encode()) for k, v in envelope.kafka_headers_text()]
            await producer.send_and_wait(
                topic, envelope.to_bytes(), key=(envelope.subject or "").encode(), headers=headers
            )
    finally:
        await producer.stop()
