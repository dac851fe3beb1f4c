"""Manual check: aiokafka against devstack's broker, across a SIGKILL + restart.

Run: .venv/bin/python tools/devstack/check_kafka.py
"""

import asyncio
import time

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from devstack.kafka import KafkaBroker

TOPIC = "check-topic"
GROUP = "check-group"


async def produce(producer: AIOKafkaProducer, start: int, count: int) -> None:
    for i in range(start, start + count):
        await producer.send_and_wait(TOPIC, f"v{i}".encode(), key=f"k{i % 7}".encode())


async def consume(bootstrap: str, count: int) -> list[str]:
    """Read `count` messages in the group, committing offsets by hand."""
    consumer = AIOKafkaConsumer(
        TOPIC,
        bootstrap_servers=bootstrap,
        group_id=GROUP,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    seen: list[str] = []
    try:
        while len(seen) < count:
            batches = await consumer.getmany(timeout_ms=1000)
            for records in batches.values():
                seen.extend(r.value.decode() for r in records if r.value is not None)
            await consumer.commit()
        committed = {
            tp.partition: await consumer.committed(tp)
            for tp in (TopicPartition(TOPIC, p) for p in range(3))
        }
        print("committed offsets:", committed)
    finally:
        await consumer.stop()
    return seen


async def main() -> None:
    with KafkaBroker() as broker:
        print("bootstrap", broker.bootstrap)
        # One producer for the whole run: it must survive the broker's crash.
        producer = AIOKafkaProducer(
            bootstrap_servers=broker.bootstrap, enable_idempotence=True, acks="all"
        )
        await producer.start()
        try:
            await produce(producer, 0, 100)
            t = time.monotonic()
            first = await consume(broker.bootstrap, 100)
            print(f"first group consume took {time.monotonic() - t:.1f} s")
            assert sorted(first) == sorted(f"v{i}" for i in range(100)), first

            broker.kill()
            t = time.monotonic()
            broker.restart()
            print(f"restart after SIGKILL took {time.monotonic() - t:.1f} s")

            t = time.monotonic()
            await produce(producer, 100, 10)
            print(f"first sends after restart took {time.monotonic() - t:.1f} s")
        finally:
            await producer.stop()
        second = await consume(broker.bootstrap, 10)
        # Resuming from the committed offsets means only the new messages.
        assert sorted(second) == sorted(f"v{i}" for i in range(100, 110)), second
    print("OK")


if __name__ == "__main__":
    asyncio.run(main())
