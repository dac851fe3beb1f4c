"""Replaying topics from the start into a service's database, to rebuild its projections.

``replay`` reads every partition of the given topics from its earliest offset up to the end
offsets captured when it starts: no consumer group (manual assignment, nothing committed, the
live service's group is left alone), one partition after the other in (topic, partition)
order. Each partition's records go through the live consumer's own code
(``EventConsumer.apply_together``, then ``EventConsumer.process`` one by one), so the inbox
dedupes by event id, ignored types are skipped and handlers run exactly as they do live.

Two differences from the live consumer, both on purpose:

- a record the live consumer would dead-letter (malformed envelope, unknown type or version,
  a handler that keeps failing) is *recorded* in the result, not produced to the dead-letter
  topic again: the live service dead-lettered it already;
- there is no outbox: a replay must not publish again what the service published when it
  first saw the events, so a handler that emits (``ReceivedEvent.emit``) fails and its record
  is rejected.
"""

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from servicekit.db import Database
from servicekit.inbox import EventConsumer, Subscriptions
from servicekit.kafka import KafkaClientConfig, KafkaConnector

log = logging.getLogger(__name__)


@dataclass
class Rejected:
    """A record the live consumer would have dead-lettered."""

    topic: str
    partition: int
    offset: int
    error: str


@dataclass
class TopicReplay:
    """One topic's replay: records in the captured range, read, applied (new to the inbox)
    and rejected; the rest of the read ones were duplicates or ignored types."""

    topic: str
    total: int = 0
    read: int = 0
    applied: int = 0
    rejected: int = 0
    exists: bool = True
    # Partitions whose first offset is not 0: retention deleted the start of their history.
    truncated: dict[int, int] = field(default_factory=dict)

    @property
    def skipped(self) -> int:
        return self.read - self.applied - self.rejected


@dataclass
class ReplayResult:
    topics: list[TopicReplay]
    rejected: list[Rejected]

    @property
    def applied(self) -> int:
        return sum(t.applied for t in self.topics)

    @property
    def complete(self) -> bool:
        """Every topic existed and still holds its whole history."""
        return all(t.exists and not t.truncated for t in self.topics)


Progress = Callable[[TopicReplay], None]


class _ReplayConsumer(EventConsumer):
    """The live consumer's apply path, with dead letters recorded instead of produced."""

    def __init__(self, *, database: Database, subscriptions: Subscriptions, topics: list[str]) -> None:
        super().__init__(
            database=database,
            # Never used: nothing is produced (see _dead_letter); no outbox either.
            kafka=KafkaConnector("unused:0", client_id="replay"),
            subscriptions=subscriptions,
            topics=topics,
            group_id="replay",
            dead_letter_topic="",
            outbox=None,
        )
        self.rejected: list[Rejected] = []

    async def _dead_letter(self, message: ConsumerRecord[bytes, bytes], error: str) -> None:
        log.warning("replay rejects %s[%d]@%d: %s", message.topic, message.partition, message.offset, error)
        self.rejected.append(Rejected(message.topic, message.partition, message.offset, error))
        self.dead_lettered_total += 1


async def replay(
    *,
    database: Database,
    kafka: KafkaClientConfig,
    subscriptions: Subscriptions,
    topics: list[str],
    progress: Progress | None = None,
    batch_size: int = 500,
    stall_timeout_s: float = 60.0,
) -> ReplayResult:
    """Applies every record of ``topics`` (already namespaced) up to their end offsets at the
    start; see the module docstring. ``progress`` is called after each batch."""
    consumer = AIOKafkaConsumer(
        **kafka.kwargs(),
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        client_id="replay",
    )
    applier = _ReplayConsumer(database=database, subscriptions=subscriptions, topics=topics)
    await consumer.start()
    try:
        # The whole cluster's metadata: a request naming a missing topic could make the
        # broker auto-create it, with its default partition count.
        cluster = await consumer._client.fetch_all_metadata()
        existing = cluster.topics()
        reports = [TopicReplay(topic=t, exists=t in existing) for t in topics]
        plan: list[tuple[TopicReplay, TopicPartition]] = []
        for report in reports:
            if report.exists:
                partitions = sorted(cluster.partitions_for_topic(report.topic) or ())
                plan += [(report, TopicPartition(report.topic, p)) for p in partitions]
        tps = [tp for _, tp in plan]
        if not tps:
            for report in reports:
                if progress:
                    progress(report)
            return ReplayResult(reports, applier.rejected)
        consumer.assign(tps)
        consumer.pause(*tps)  # each partition is fetched on its own turn only
        starts = await consumer.beginning_offsets(tps)
        ends = await consumer.end_offsets(tps)
        for report, tp in plan:
            report.total += ends[tp] - starts[tp]
            if starts[tp] > 0:
                report.truncated[tp.partition] = starts[tp]
        for report in reports:
            if progress:
                progress(report)
        for report, tp in plan:
            await _replay_partition(
                consumer, applier, report, tp, starts[tp], ends[tp], progress, batch_size, stall_timeout_s
            )
        return ReplayResult(reports, applier.rejected)
    finally:
        await consumer.stop()


async def _replay_partition(
    consumer: AIOKafkaConsumer,
    applier: _ReplayConsumer,
    report: TopicReplay,
    tp: TopicPartition,
    start: int,
    end: int,
    progress: Progress | None,
    batch_size: int,
    stall_timeout_s: float,
) -> None:
    if end <= start:
        return
    consumer.seek(tp, start)
    consumer.resume(tp)
    last_progress = time.monotonic()
    while await consumer.position(tp) < end:
        batch = await consumer.getmany(tp, timeout_ms=1000, max_records=batch_size)
        messages = [m for m in batch.get(tp, []) if m.offset < end]
        if not messages:
            if time.monotonic() - last_progress > stall_timeout_s:
                raise TimeoutError(f"no records from {tp.topic}[{tp.partition}] for {stall_timeout_s}s before {end}")
            await asyncio.sleep(0)
            continue
        last_progress = time.monotonic()
        applied, rejected = applier.applied_total, len(applier.rejected)
        if not await applier.apply_together(messages):
            for message in messages:
                await applier.process(message)
        report.read += len(messages)
        report.applied += applier.applied_total - applied
        report.rejected += len(applier.rejected) - rejected
        if progress:
            progress(report)
    consumer.pause(tp)
