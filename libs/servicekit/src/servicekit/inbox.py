"""Inbox and consumer loop: each event applied once, failures dead-lettered.

Per message, one transaction records the event id in the inbox (a
redelivered event is skipped) and applies the handler; offsets are committed
manually, after the messages before them are applied. A message that keeps
failing is sent to the service's dead-letter topic with the error, and the
partition moves on. An event whose (type, version) the service neither
handles nor explicitly ignores is dead-lettered too: it is a contract the
service does not know.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from servicekit.db import Database, UTCDateTime, utcnow
from servicekit.events import EventEnvelope, EventKey
from servicekit.kafka import KafkaConnector
from servicekit.outbox import Outbox
from servicekit.telemetry import consuming
from servicekit.tracing import TraceContext, child_traceparent, set_trace

log = logging.getLogger(__name__)

P = TypeVar("P", bound=BaseModel)
P_contra = TypeVar("P_contra", contravariant=True)

_INFRASTRUCTURE_ERRORS = (OperationalError, InterfaceError, ConnectionError, TimeoutError)


class InboxMessage(SQLModel, table=True):
    __tablename__ = "inbox_message"

    event_id: str = Field(primary_key=True, max_length=64)
    event_type: str = Field(max_length=200)
    source: str = Field(max_length=200)
    processed_at: datetime = Field(sa_type=UTCDateTime, default_factory=utcnow)


@dataclass(frozen=True)
class ReceivedEvent(Generic[P]):
    envelope: EventEnvelope
    payload: P
    outbox: Outbox | None = None

    def emit(self, session: AsyncSession, payload: BaseModel, *, subject: str) -> None:
        """Publishes an event this one caused, in the handler's transaction (through the outbox)."""
        if self.outbox is None:
            raise RuntimeError("this consumer was built without an outbox")
        self.outbox.add(session, payload, subject=subject, causation_id=self.envelope.id)


Handler = Callable[[AsyncSession, ReceivedEvent[Any]], Awaitable[None]]


class UseCase(Protocol[P_contra]):
    """A domain function applying a consumed event: its reader model passes whole, so a field
    the consumer reads is named once (in the model), not copied through keyword arguments."""

    def __call__(self, *, session: AsyncSession, event: P_contra) -> Awaitable[None]: ...


class Subscriptions:
    """A service's explicit table of the events it handles and the ones it ignores."""

    def __init__(self, topics: list[str]) -> None:
        self.topics = topics
        self.handlers: dict[EventKey, tuple[type[BaseModel], Handler]] = {}
        self.ignored: set[EventKey] = set()

    def on(self, event_type: str, version: int, model: type[P]) -> Callable[[Handler], Handler]:
        def decorate(handler: Handler) -> Handler:
            self.handlers[(event_type, version)] = (model, handler)
            return handler

        return decorate

    def use(self, event_type: str, version: int, model: type[P], use_case: UseCase[P]) -> None:
        """Applies ``(event_type, version)`` with ``use_case(session=…, event=<its model>)``."""

        async def handle(session: AsyncSession, received: ReceivedEvent[P]) -> None:
            await use_case(session=session, event=received.payload)

        self.on(event_type, version, model)(handle)

    def use_received(self, event_type: str, version: int, model: type[P], use_case: UseCase[ReceivedEvent[P]]) -> None:
        """As ``use``, for a use case that also needs the envelope (who sent it, when) or emits
        the events it causes: it gets the received event, its model at ``event.payload``."""

        async def handle(session: AsyncSession, received: ReceivedEvent[P]) -> None:
            await use_case(session=session, event=received)

        self.on(event_type, version, model)(handle)

    def ignore(self, event_type: str, version: int) -> None:
        self.ignored.add((event_type, version))


def _log_applied(envelope: EventEnvelope) -> None:
    # One line per applied event, under the event's trace and correlation ids (set by the
    # caller), so a request can be followed through every consumer's log.
    log.info(
        "applied %s from %s",
        envelope.type,
        envelope.source,
        extra={"fields": {"event_id": envelope.id, "event_type": envelope.type, "subject": envelope.subject}},
    )


class DeadLetter(Exception):
    """Raised for a message that no retry can fix; it goes straight to the dead-letter topic."""


class ConsumerObserver(Protocol):
    """Told each message's outcome and each partition's lag (servicekit.metrics implements it)."""

    def event(self, event_type: str, outcome: str) -> None: ...

    def partition_lag(self, topic: str, partition: int, lag: int) -> None: ...


class _Unobserved:
    def event(self, event_type: str, outcome: str) -> None:
        pass

    def partition_lag(self, topic: str, partition: int, lag: int) -> None:
        pass


class EventConsumer:
    def __init__(
        self,
        *,
        database: Database,
        kafka: KafkaConnector,
        subscriptions: Subscriptions,
        group_id: str,
        topics: list[str] | None = None,
        dead_letter_topic: str,
        max_attempts: int = 3,
        retry_backoff_s: float = 0.2,
        outbox: Outbox | None = None,
    ) -> None:
        self.outbox = outbox
        self.database = database
        self.kafka = kafka
        self.subscriptions = subscriptions
        self.topics = topics or subscriptions.topics
        self.group_id = group_id
        self.dead_letter_topic = dead_letter_topic
        self.max_attempts = max_attempts
        self.retry_backoff_s = retry_backoff_s
        self.applied_total = 0
        self.dead_lettered_total = 0
        self._stopping = False
        # Outcomes by type (applied, duplicate, ignored, dead_lettered) and lag: metrics.
        self.observer: ConsumerObserver = _Unobserved()

    def stop(self) -> None:
        """Asks ``run`` to return once the batch in hand is applied and its offsets committed."""
        self._stopping = True

    async def run(self) -> None:
        failures = 0
        while not self._stopping:
            consumer = AIOKafkaConsumer(
                *self.topics,
                **self.kafka.config.kwargs(),
                group_id=self.group_id,
                client_id=f"{self.kafka.client_id}-consumer",
                enable_auto_commit=False,
                auto_offset_reset="earliest",
            )
            try:
                await consumer.start()
                failures = 0
                await self._consume(consumer)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - reconnect after any outage
                failures += 1
                if failures == 1:
                    log.warning("consumer %s restarting after: %s", self.group_id, exc)
                await asyncio.sleep(min(5.0, 0.2 * 2**failures))
            finally:
                try:
                    await asyncio.wait_for(consumer.stop(), timeout=10)
                except Exception:
                    log.debug("consumer stop raised", exc_info=True)

    async def _consume(self, consumer: AIOKafkaConsumer) -> None:
        while not self._stopping:
            batch = await consumer.getmany(timeout_ms=500, max_records=500)
            if not batch:
                continue
            for messages in batch.values():
                if not await self.apply_together(messages):
                    for message in messages:
                        await self.process(message)
            # Committed only after every message before it was applied or dead-lettered.
            await consumer.commit(
                {TopicPartition(tp.topic, tp.partition): messages[-1].offset + 1 for tp, messages in batch.items()}
            )
            for tp, messages in batch.items():
                end = consumer.highwater(tp)
                if end is not None:
                    self.observer.partition_lag(tp.topic, tp.partition, end - (messages[-1].offset + 1))

    async def apply_together(self, messages: list[ConsumerRecord[bytes, bytes]]) -> bool:
        """Applies a partition's batch in one transaction, the fast path when a consumer is
        behind. False, with nothing written, when any message needs the careful path of
        ``process`` (retries, dead letters, a duplicate race); the caller then takes it."""
        if len(messages) < 2:
            return False
        try:
            envelopes = [EventEnvelope.from_bytes(m.value or b"") for m in messages]
        except ValidationError:
            return False
        handled = [e for e in envelopes if e.key not in self.subscriptions.ignored]
        if any(e.key not in self.subscriptions.handlers for e in handled):
            return False
        try:
            async with self.database.session() as session:
                ids = list({e.id for e in handled})
                seen = set(
                    (await session.exec(select(InboxMessage.event_id).where(col(InboxMessage.event_id).in_(ids)))).all()
                )
                applied: list[tuple[EventEnvelope, TraceContext]] = []
                duplicates: list[EventEnvelope] = []
                for envelope in handled:
                    if envelope.id in seen:
                        duplicates.append(envelope)
                        continue
                    seen.add(envelope.id)
                    model, handler = self.subscriptions.handlers[envelope.key]
                    with self._span(messages[0].topic, envelope) as span:
                        trace = self._enter_trace(envelope, span)
                        session.add(
                            InboxMessage(event_id=envelope.id, event_type=envelope.type, source=envelope.source)
                        )
                        await handler(
                            session, ReceivedEvent(envelope, model.model_validate(envelope.data), self.outbox)
                        )
                    applied.append((envelope, trace))
                await session.commit()
        except Exception as exc:  # noqa: BLE001 - the per-message path retries or dead-letters it
            log.debug("batch of %d falls back to one by one: %s", len(messages), exc)
            return False
        self.applied_total += len(applied)
        for envelope, trace in applied:
            set_trace(trace)
            _log_applied(envelope)
            self.observer.event(envelope.type, "applied")
        for envelope in duplicates:
            self.observer.event(envelope.type, "duplicate")
        for envelope in envelopes:
            if envelope.key in self.subscriptions.ignored:
                self.observer.event(envelope.type, "ignored")
        return True

    def _span(self, topic: str, envelope: EventEnvelope) -> AbstractContextManager[str | None]:
        """The OpenTelemetry span of handling ``envelope`` (servicekit.telemetry); a no-op when off."""
        return consuming(
            traceparent=envelope.traceparent,
            topic=topic,
            group=self.group_id,
            event_id=envelope.id,
            event_type=envelope.type,
        )

    @staticmethod
    def _enter_trace(envelope: EventEnvelope, span: str | None = None) -> TraceContext:
        trace = TraceContext(
            correlation_id=envelope.correlationid or envelope.id,
            causation_id=envelope.id,
            # The consumer span's own context when tracing, so emitted events name it as parent.
            traceparent=span or child_traceparent(envelope.traceparent),
        )
        set_trace(trace)
        return trace

    async def process(self, message: ConsumerRecord[bytes, bytes]) -> None:
        try:
            envelope = EventEnvelope.from_bytes(message.value or b"")
        except ValidationError as exc:
            await self._dead_letter(message, f"malformed CloudEvent: {exc.errors()[:3]}")
            self.observer.event("unparseable", "dead_lettered")
            return
        if envelope.key in self.subscriptions.ignored:
            self.observer.event(envelope.type, "ignored")
            return
        subscription = self.subscriptions.handlers.get(envelope.key)
        if subscription is None:
            await self._dead_letter(message, f"unknown event type {envelope.type} v{envelope.dataversion}")
            self.observer.event(envelope.type, "dead_lettered")
            return
        with self._span(message.topic, envelope) as span:
            self._enter_trace(envelope, span)
            await self._handle(message, envelope, *subscription)

    async def _handle(
        self, message: ConsumerRecord[bytes, bytes], envelope: EventEnvelope, model: type[BaseModel], handler: Handler
    ) -> None:
        """Applies ``envelope`` with retries; dead-letters it when no retry helps."""
        error: Exception | None = None
        for attempt in range(self.max_attempts):
            try:
                applied = await self._apply(envelope, model, handler)
                self.observer.event(envelope.type, "applied" if applied else "duplicate")
                return
            except (DeadLetter, ValidationError) as exc:
                error = exc
                break
            except _INFRASTRUCTURE_ERRORS:
                # The database is down or busy, not the message at fault: leave the
                # offset uncommitted and let the consumer loop retry after a back-off.
                raise
            except Exception as exc:  # noqa: BLE001 - retried, then dead-lettered
                error = exc
                log.warning("handling %s %s failed (attempt %d): %s", envelope.type, envelope.id, attempt + 1, exc)
                await asyncio.sleep(self.retry_backoff_s * 2**attempt)
        await self._dead_letter(message, f"{type(error).__name__}: {error}")
        self.observer.event(envelope.type, "dead_lettered")

    async def _apply(self, envelope: EventEnvelope, model: type[BaseModel], handler: Handler) -> bool:
        """Applies the event once; False when the inbox already had it (a duplicate)."""
        payload = model.model_validate(envelope.data)
        async with self.database.session() as session:
            if await session.get(InboxMessage, envelope.id) is not None:
                return False
            session.add(InboxMessage(event_id=envelope.id, event_type=envelope.type, source=envelope.source))
            await handler(session, ReceivedEvent(envelope, payload, self.outbox))
            try:
                await session.commit()
            except IntegrityError:
                # Another consumer (during a rebalance) applied it first: a duplicate, not a failure.
                await session.rollback()
                if await session.get(InboxMessage, envelope.id) is not None:
                    return False
                raise
        self.applied_total += 1
        _log_applied(envelope)
        return True

    async def _dead_letter(self, message: ConsumerRecord[bytes, bytes], error: str) -> None:
        log.error("dead-lettering %s[%d]@%d: %s", message.topic, message.partition, message.offset, error)
        headers = [
            *list(message.headers or ()),
            ("dlt_error", error[:4000].encode()),
            ("dlt_original_topic", message.topic.encode()),
            ("dlt_original_partition", str(message.partition).encode()),
            ("dlt_original_offset", str(message.offset).encode()),
            ("dlt_consumer_group", self.group_id.encode()),
        ]
        producer = await self.kafka.producer()
        # Awaited to the broker's ack: the offset is committed only once the dead letter is safe.
        await (await producer.send(self.dead_letter_topic, message.value, key=message.key, headers=headers))
        self.dead_lettered_total += 1
