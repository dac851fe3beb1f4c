"""Transactional outbox and its relay.

A use case adds its events to the outbox in the same transaction as its
domain rows (``Outbox.add``); nothing is published before that transaction
commits, and nothing committed is lost. The relay reads pending rows in
order, publishes them with the idempotent producer (acks=all) and marks them
published.

Replicas: only the holder of a lease row publishes, so with N replicas the
order of each aggregate's events is kept (rows are published in commit
order by one publisher). A holder that dies loses the lease after
``lease_s``; another replica takes over. A holder that stalls past its lease
may publish a batch twice; consumers' inboxes drop the duplicates.
"""

import asyncio
import contextlib
import json
import logging
import uuid
import weakref
from datetime import datetime, timedelta

from pydantic import BaseModel
from sqlalchemy import Column, Index, Text, event, insert, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from servicekit.db import Database, UTCDateTime, utcnow
from servicekit.events import EventEnvelope, EventRegistry
from servicekit.kafka import KafkaConnector
from servicekit.telemetry import Publishing

log = logging.getLogger(__name__)

_PENDING_FLAG = "outbox_pending"
_LEASE_NAME = "outbox-relay"


class OutboxMessage(SQLModel, table=True):
    __tablename__ = "outbox_message"
    __table_args__ = (
        Index(
            "ix_outbox_message_unpublished",
            "position",
            postgresql_where=text("published_at IS NULL"),
            sqlite_where=text("published_at IS NULL"),
        ),
    )

    # Autoincrementing position = commit order within one writer; the relay publishes in it.
    position: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(max_length=64, unique=True)
    topic: str = Field(max_length=200)
    message_key: str = Field(max_length=200)
    event_type: str = Field(max_length=200)
    envelope: str = Field(sa_column=Column(Text, nullable=False))
    headers: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(sa_type=UTCDateTime, default_factory=utcnow)
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class OutboxLease(SQLModel, table=True):
    __tablename__ = "outbox_lease"

    name: str = Field(primary_key=True, max_length=100)
    holder: str = Field(max_length=100)
    expires_at: datetime = Field(sa_type=UTCDateTime)


class Outbox:
    """Writes a service's events into the outbox of the caller's transaction."""

    def __init__(self, registry: EventRegistry, topic: str) -> None:
        self.registry = registry
        self.topic = topic

    def add(
        self, session: AsyncSession, payload: BaseModel, *, subject: str, causation_id: str | None = None
    ) -> EventEnvelope:
        envelope = self.registry.envelope(payload, subject=subject, causation_id=causation_id)
        session.add(
            OutboxMessage(
                event_id=envelope.id,
                topic=self.topic,
                message_key=subject,
                event_type=envelope.type,
                envelope=envelope.model_dump_json(),
                headers=json.dumps(dict(envelope.kafka_headers_text())),
            )
        )
        session.sync_session.info[_PENDING_FLAG] = True
        return envelope


_relays: "weakref.WeakSet[OutboxRelay]" = weakref.WeakSet()


@event.listens_for(Session, "after_commit")
def _wake_relays(session: Session) -> None:
    # Publish right after the commit instead of waiting for the next poll.
    if session.info.pop(_PENDING_FLAG, False):
        for relay in list(_relays):
            relay.wake()


@event.listens_for(Session, "after_rollback")
def _forget_pending(session: Session) -> None:
    session.info.pop(_PENDING_FLAG, None)


class OutboxRelay:
    def __init__(
        self,
        *,
        database: Database,
        kafka: KafkaConnector,
        batch_size: int = 500,
        poll_interval_s: float = 0.05,
        max_poll_interval_s: float = 1.0,
        lease_s: float = 10.0,
    ) -> None:
        self.database = database
        self.kafka = kafka
        self.batch_size = batch_size
        self.poll_interval_s = poll_interval_s
        self.max_poll_interval_s = max_poll_interval_s
        self.lease_s = lease_s
        self.holder = f"relay-{uuid.uuid4()}"
        self._lease_until: datetime | None = None
        self._wake = asyncio.Event()
        self._stopping = False
        self.published_total = 0
        _relays.add(self)

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        """Asks ``run`` to return after the batch it is publishing (graceful shutdown)."""
        self._stopping = True
        self._wake.set()

    async def release_lease(self) -> None:
        """Gives the lease up at shutdown, so another replica publishes at once, not after ``lease_s``."""
        if self._lease_until is None:
            return
        self._lease_until = None
        try:
            async with self.database.session() as session:
                await session.exec(
                    update(OutboxLease)
                    .where(col(OutboxLease.name) == _LEASE_NAME)
                    .where(col(OutboxLease.holder) == self.holder)
                    .values(expires_at=utcnow() - timedelta(seconds=1))
                )
                await session.commit()
        except Exception as exc:  # noqa: BLE001 - the lease then just expires
            log.warning("outbox relay cannot release its lease: %s", exc)

    async def run(self) -> None:
        failures = 0
        idle_wait = self.poll_interval_s
        while not self._stopping:
            # Cleared before reading, so a commit that lands during a publish wakes the next round.
            self._wake.clear()
            try:
                published = await self.publish_pending() if await self.hold_lease() else 0
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - the relay must outlive any outage
                failures += 1
                if failures == 1:
                    log.warning("outbox relay cannot publish: %s", exc)
                await self.kafka.reset()
                await asyncio.sleep(min(5.0, 0.2 * 2**failures))
                continue
            if published >= self.batch_size:
                continue
            # Polling finds other replicas' rows; an idle relay polls less and less
            # often (up to max_poll_interval_s), while local commits wake it at once.
            idle_wait = self.poll_interval_s if published else min(idle_wait * 2, self.max_poll_interval_s)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), idle_wait)

    async def hold_lease(self) -> bool:
        """Takes or renews the publishing lease; True while this relay holds it."""
        now = utcnow()
        if self._lease_until and now < self._lease_until - timedelta(seconds=self.lease_s / 2):
            return True
        until = now + timedelta(seconds=self.lease_s)
        async with self.database.session() as session:
            result = await session.exec(
                update(OutboxLease)
                .where(col(OutboxLease.name) == _LEASE_NAME)
                .where((col(OutboxLease.holder) == self.holder) | (col(OutboxLease.expires_at) < now))
                .values(holder=self.holder, expires_at=until)
            )
            held = result.rowcount == 1
            if not held and await session.get(OutboxLease, _LEASE_NAME) is None:
                try:
                    await session.exec(
                        insert(OutboxLease).values(name=_LEASE_NAME, holder=self.holder, expires_at=until)
                    )
                    held = True
                except IntegrityError:
                    held = False
            await session.commit()
        self._lease_until = until if held else None
        return held

    async def publish_pending(self) -> int:
        """Publishes one batch of pending rows in order; returns how many were published."""
        async with self.database.session(read_only=True) as session:
            rows = (
                await session.exec(
                    select(OutboxMessage)
                    .where(OutboxMessage.published_at.is_(None))  # type: ignore[union-attr]
                    .order_by(OutboxMessage.position)  # type: ignore[arg-type]
                    .limit(self.batch_size)
                )
            ).all()
        if not rows:
            return 0
        producer = await self.kafka.producer()
        futures = []
        spans = Publishing()
        for row in rows:
            stored = json.loads(row.headers)
            spans.start(
                traceparent=stored.get("traceparent"), topic=row.topic, event_id=row.event_id, event_type=row.event_type
            )
            headers = [(k, v.encode()) for k, v in stored.items()]
            futures.append(
                await producer.send(row.topic, row.envelope.encode(), key=row.message_key.encode(), headers=headers)
            )
        results = await asyncio.gather(*futures, return_exceptions=True)
        spans.end(results)
        sent = [
            row.position for row, result in zip(rows, results, strict=True) if not isinstance(result, BaseException)
        ]
        if sent:
            async with self.database.session() as session:
                await session.exec(
                    update(OutboxMessage).where(col(OutboxMessage.position).in_(sent)).values(published_at=utcnow())
                )
                await session.commit()
            self.published_total += len(sent)
        failed = next((r for r in results if isinstance(r, BaseException)), None)
        if failed is not None:
            raise failed
        return len(sent)
