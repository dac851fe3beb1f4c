"""The consumer loop against real Kafka, on SQLite and PostgreSQL."""

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable

import pytest
from aiokafka import AIOKafkaProducer
from sqlalchemy.exc import OperationalError
from sqlmodel.ext.asyncio.session import AsyncSession
from tally_domain import Tally, TallyBroken, TallyBumped, registry

from devstack.kafka import KafkaBroker
from devstack.topics import read_topic
from servicekit.db import Database
from servicekit.inbox import EventConsumer, ReceivedEvent, Subscriptions
from servicekit.kafka import KafkaConnector

pytestmark = pytest.mark.integration


def tally_subscriptions(topic: str, *, outage: list[int] | None = None) -> Subscriptions:
    """``outage``: how many more times the database "is down" when a bump is handled."""
    subs = Subscriptions(topics=[topic])

    @subs.on("tally.bumped", 1, TallyBumped)
    async def bump(session: AsyncSession, event: ReceivedEvent[TallyBumped]) -> None:
        if outage and outage[0] > 0:
            outage[0] -= 1
            raise OperationalError("UPDATE test_tally", {}, ConnectionRefusedError("database is down"))
        tally = await session.get(Tally, event.payload.name) or Tally(name=event.payload.name)
        tally.count += 1
        session.add(tally)

    @subs.on("tally.broken", 1, TallyBroken)
    async def always_fails(session: AsyncSession, event: ReceivedEvent[TallyBroken]) -> None:
        session.add(Tally(name="must-not-be-written", count=99))
        await session.flush()
        raise RuntimeError(f"cannot handle {event.payload.name}")

    return subs


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.1)


async def send(kafka: KafkaBroker, topic: str, values: list[tuple[bytes, bytes]]) -> None:
    kafka.create_topics(topic)  # the broker does not auto-create topics
    producer = AIOKafkaProducer(**kafka.client_config().kwargs(), acks="all")
    await producer.start()
    try:
        for key, value in values:
            await producer.send_and_wait(topic, value, key=key)
    finally:
        await producer.stop()


async def tally(database: Database, name: str) -> int:
    async with database.session() as session:
        row = await session.get(Tally, name)
        return row.count if row else 0


async def run_consumer(
    database: Database, kafka: KafkaBroker, topic: str, *, outage: list[int] | None = None
) -> tuple[EventConsumer, asyncio.Task[None]]:
    group = f"g-{uuid.uuid4().hex}"
    kafka.create_topics(f"{group}.dlt")
    consumer = EventConsumer(
        database=database,
        kafka=KafkaConnector(kafka.client_config(), client_id=group),
        subscriptions=tally_subscriptions(topic, outage=outage),
        group_id=group,
        dead_letter_topic=f"{group}.dlt",
        max_attempts=2,
        retry_backoff_s=0.01,
    )
    return consumer, asyncio.create_task(consumer.run())


async def stop(consumer: EventConsumer, task: asyncio.Task[None]) -> None:
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await consumer.kafka.close()


def bumped(name: str, seq: int) -> tuple[bytes, bytes]:
    return name.encode(), registry.envelope(TallyBumped(name=name, seq=seq), subject=name).to_bytes()


async def test_a_redelivered_event_is_applied_once(database: Database, kafka: KafkaBroker) -> None:
    topic = f"inbox-{uuid.uuid4().hex}"
    first, second = bumped("a", 1), bumped("a", 2)
    await send(kafka, topic, [first, first, second, first])
    consumer, task = await run_consumer(database, kafka, topic)
    await eventually(lambda: _equals(tally(database, "a"), 2))
    await asyncio.sleep(0.5)  # give a wrong third application the chance to happen
    assert await tally(database, "a") == 2
    await stop(consumer, task)


async def test_failing_unknown_and_malformed_messages_go_to_the_dead_letter_topic(
    database: Database, kafka: KafkaBroker
) -> None:
    topic = f"inbox-{uuid.uuid4().hex}"
    broken = registry.envelope(TallyBroken(name="b"), subject="b").to_bytes()
    unknown = registry.envelope(TallyBumped(name="b", seq=0), subject="b").model_copy(update={"dataversion": 9})
    # All on key "b" (one partition): what comes after the bad ones must still be applied.
    await send(
        kafka,
        topic,
        [(b"b", broken), (b"b", unknown.to_bytes()), (b"b", b"{not json"), bumped("b", 1), bumped("b", 2)],
    )
    consumer, task = await run_consumer(database, kafka, topic)
    await eventually(lambda: _equals(tally(database, "b"), 2))
    dead = await read_topic(kafka.client_config(), consumer.dead_letter_topic, expect=3)
    await stop(consumer, task)

    assert len(dead) == 3
    errors = [dict(r.headers)["dlt_error"].decode() for r in dead]
    assert "RuntimeError: cannot handle b" in errors[0]
    assert "unknown event type tally.bumped v9" in errors[1]
    assert "malformed CloudEvent" in errors[2]
    assert [r.value for r in dead] == [broken, unknown.to_bytes(), b"{not json"]
    assert all(dict(r.headers)["dlt_original_topic"] == topic.encode() for r in dead)
    assert await tally(database, "must-not-be-written") == 0  # the failed attempts were rolled back


async def test_a_database_outage_is_waited_out_not_dead_lettered(database: Database, kafka: KafkaBroker) -> None:
    topic = f"inbox-{uuid.uuid4().hex}"
    await send(kafka, topic, [bumped("d", 1), bumped("d", 2)])
    outage = [3]  # more failures than max_attempts (2): a message at fault would be dead-lettered by now
    consumer, task = await run_consumer(database, kafka, topic, outage=outage)
    await eventually(lambda: _equals(tally(database, "d"), 2), timeout=60)
    await stop(consumer, task)
    assert outage == [0]
    assert consumer.dead_lettered_total == 0


async def test_consumer_resumes_from_committed_offsets(database: Database, kafka: KafkaBroker) -> None:
    topic = f"inbox-{uuid.uuid4().hex}"
    await send(kafka, topic, [bumped("c", i) for i in range(5)])
    consumer, task = await run_consumer(database, kafka, topic)
    await eventually(lambda: _equals(tally(database, "c"), 5))
    await stop(consumer, task)
    await send(kafka, topic, [bumped("c", i) for i in range(5, 8)])
    again = EventConsumer(
        database=database,
        kafka=KafkaConnector(kafka.client_config(), client_id="again"),
        subscriptions=tally_subscriptions(topic),
        group_id=consumer.group_id,
        dead_letter_topic=consumer.dead_letter_topic,
    )
    task = asyncio.create_task(again.run())
    await eventually(lambda: _equals(tally(database, "c"), 8))
    await asyncio.sleep(0.5)
    await stop(again, task)
    assert again.applied_total == 3  # only the new ones: the first five were committed


async def _equals(value: Awaitable[int], expected: int) -> bool:
    return await value == expected
