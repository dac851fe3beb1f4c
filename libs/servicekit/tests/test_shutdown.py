"""Graceful shutdown on SIGTERM, on a real service process (slow_service.py under uvicorn): it stops
taking requests, answers the one in flight, commits the offsets of the events it applied, and hands
its relay lease back at once instead of leaving it to expire."""

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.producer import AIOKafkaProducer
from tally_domain import Tally, TallyBumped, registry

from devstack import free_port
from devstack.kafka import KafkaBroker
from servicekit.db import Database, utcnow
from servicekit.outbox import OutboxLease

EVENTS = 20


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.1)


async def committed_and_end(kafka: KafkaBroker, topic: str, group: str) -> tuple[int, int]:
    """The group's committed offsets and the topic's end offsets, each summed over the partitions."""
    config = kafka.client_config().kwargs()
    consumer = AIOKafkaConsumer(**config)
    admin = AIOKafkaAdminClient(**config)
    await consumer.start()
    await admin.start()
    try:
        # The topic was made with the default 3 partitions (kafka_partitions, create_topics).
        tps = [TopicPartition(topic, p) for p in range(3)]
        ends = await consumer.end_offsets(tps)
        committed = await admin.list_consumer_group_offsets(group, partitions=tps)
        return sum(max(committed[tp].offset, 0) for tp in tps if tp in committed), sum(ends.values())
    finally:
        await consumer.stop()
        await admin.close()


def start_service(port: int, env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    with log_path.open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "slow_service:create_app", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


async def test_sigterm_answers_the_request_in_flight_commits_offsets_and_releases_the_lease(
    kafka: KafkaBroker, namespace: str, database: Database, database_url: str, tmp_path: Path
) -> None:
    port, marker = free_port(), tmp_path / "slow-started"
    env = {
        **os.environ,
        **kafka.service_env("assignment"),
        "ASSIGNMENT_KAFKA_NAMESPACE": namespace,
        "ASSIGNMENT_DATABASE_URL": database_url,
        "ASSIGNMENT_STARTED_MARKER": str(marker),
        "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent), os.environ.get("PYTHONPATH", "")]),
    }
    process = start_service(port, env, tmp_path / "service.log")
    topic, group = f"{namespace}proposal.events", f"{namespace}assignment-service"
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:

            async def ready() -> bool:
                try:
                    return (await client.get("/health/ready")).status_code == 200
                except httpx.TransportError:
                    return False

            await eventually(ready)

            async def leased() -> bool:
                async with database.session() as session:
                    return await session.get(OutboxLease, "outbox-relay") is not None

            await eventually(leased)
            kafka.create_topics(topic)
            producer = AIOKafkaProducer(**kafka.client_config().kwargs(), acks="all")
            await producer.start()
            try:
                for seq in range(EVENTS):
                    envelope = registry.envelope(TallyBumped(name="t", seq=seq), subject="t")
                    await producer.send_and_wait(topic, envelope.to_bytes(), key=b"t")
            finally:
                await producer.stop()

            async def applied() -> bool:
                async with database.session() as session:
                    row = await session.get(Tally, "t")
                    return row is not None and row.count == EVENTS

            await eventually(applied)

            slow = asyncio.create_task(client.get("/slow", params={"seconds": 3}))
            while not marker.exists():
                assert not slow.done(), slow.result().text
                await asyncio.sleep(0.05)
            process.send_signal(signal.SIGTERM)
            answer = await slow
            assert answer.status_code == 200 and answer.json() == {"status": "done"}
            # No new request is taken once the shutdown has begun.
            try:
                refused = (await client.get("/health/live")).status_code != 200
            except httpx.TransportError:
                refused = True
            assert refused
        # uvicorn raises the signal again once its shutdown is done: dying of it is the clean exit.
        assert await asyncio.to_thread(process.wait, 60) in (0, -signal.SIGTERM)
    finally:
        if process.poll() is None:
            process.kill()

    async with database.session() as session:
        lease = await session.get(OutboxLease, "outbox-relay")
    assert lease is not None and lease.expires_at <= utcnow(), "the lease was left to expire"
    committed, end = await committed_and_end(kafka, topic, group)
    assert committed == end == EVENTS
