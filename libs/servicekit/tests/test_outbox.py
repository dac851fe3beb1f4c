"""The relay against real Kafka, on SQLite and PostgreSQL."""

import asyncio
import uuid
from collections import defaultdict

import pytest
from sqlmodel import func, select
from tally_domain import TallyBumped, registry

from devstack.kafka import KafkaBroker
from devstack.topics import read_topic
from servicekit.db import Database
from servicekit.events import EventEnvelope
from servicekit.kafka import KafkaConnector
from servicekit.outbox import Outbox, OutboxMessage, OutboxRelay

pytestmark = pytest.mark.integration


def make_relay(database: Database, kafka: KafkaBroker, **kwargs: float) -> OutboxRelay:
    return OutboxRelay(
        database=database,
        kafka=KafkaConnector(kafka.client_config(), client_id="test-relay"),
        poll_interval_s=0.02,
        **kwargs,
    )


async def test_outbox_row_is_written_by_the_callers_transaction_only(database: Database) -> None:
    outbox = Outbox(registry, "t")
    async with database.session() as session:
        outbox.add(session, TallyBumped(name="a", seq=1), subject="a")
        await session.rollback()
    async with database.session() as session:
        before = (await session.exec(select(func.count()).select_from(OutboxMessage))).one()
        env = outbox.add(session, TallyBumped(name="a", seq=2), subject="a")
        await session.commit()
        row = (await session.exec(select(OutboxMessage))).one()
        assert (row.event_id, row.message_key, row.event_type, row.topic) == (env.id, "a", "tally.bumped", "t")
        assert EventEnvelope.model_validate_json(row.envelope) == env
        assert row.published_at is None
        after = (await session.exec(select(func.count()).select_from(OutboxMessage))).one()

    assert (before, after) == (0, 1)


async def test_relay_publishes_exactly_the_committed_events(database: Database, kafka: KafkaBroker) -> None:
    topic = f"outbox-{uuid.uuid4().hex}"
    kafka.create_topics(topic)  # the broker does not auto-create topics
    outbox = Outbox(registry, topic)
    committed = []
    async with database.session() as session:
        for seq in range(3):
            committed.append(outbox.add(session, TallyBumped(name="x", seq=seq), subject="x").id)
        await session.commit()
    async with database.session() as session:
        for seq in range(3, 5):
            outbox.add(session, TallyBumped(name="x", seq=seq), subject="x")
        await session.rollback()

    relay = make_relay(database, kafka)
    assert await relay.publish_pending() == 3
    assert await relay.publish_pending() == 0  # marked published, not sent again
    await relay.kafka.close()

    records = await read_topic(kafka.client_config(), topic, expect=3)
    ids = [EventEnvelope.from_bytes(r.value or b"").id for r in records]
    assert ids == committed
    assert {r.key for r in records} == {b"x"}
    assert dict(records[0].headers)["ce_type"] == b"tally.bumped"


async def test_two_relays_publish_every_event_once_in_order(database: Database, kafka: KafkaBroker) -> None:
    """Two replicas' relays on one database: no event twice, none lost, each key's order kept."""
    topic = f"outbox-{uuid.uuid4().hex}"
    kafka.create_topics(topic)  # the broker does not auto-create topics
    outbox = Outbox(registry, topic)
    relays = [make_relay(database, kafka, lease_s=5.0) for _ in range(2)]
    tasks = [asyncio.create_task(r.run()) for r in relays]
    expected: dict[str, list[int]] = defaultdict(list)
    for batch in range(40):
        async with database.session() as session:
            for i in range(5):
                name = f"k{(batch + i) % 7}"
                seq = batch * 5 + i
                outbox.add(session, TallyBumped(name=name, seq=seq), subject=name)
                expected[name].append(seq)
            await session.commit()
        await asyncio.sleep(0.005)
    records = await read_topic(kafka.client_config(), topic, expect=200, timeout=60, idle=2.0)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    for relay in relays:
        await relay.kafka.close()

    envelopes = [EventEnvelope.from_bytes(r.value or b"") for r in records]
    assert len({e.id for e in envelopes}) == len(envelopes) == 200
    seen: dict[str, list[int]] = defaultdict(list)
    for env in envelopes:  # read_topic returns each partition in offset order
        seen[env.subject].append(env.data["seq"])
    assert seen == expected
    assert sorted(r.published_total for r in relays)[0] == 0  # only the lease holder published
