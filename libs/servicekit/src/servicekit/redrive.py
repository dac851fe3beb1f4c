"""Dead-letter redrive: re-publish a service's dead letters to the topics they came from.

    python -m servicekit.redrive assignment --dry-run   # shows what would be re-published
    python -m servicekit.redrive assignment --apply     # re-publishes it

The service's own settings (its environment variables) name the dead-letter topic, the
namespace and the brokers. Its Kafka principal may not write other services' topics (ADR 10):
run the command with the admin principal's credentials in ``<SERVICE>_KAFKA_SASL_USERNAME`` /
``<SERVICE>_KAFKA_SASL_PASSWORD``.

Each dead letter goes back to its ``dlt_original_topic`` with its original key, value and
headers (the ``dlt_*`` headers the consumer added are dropped), so every consumer of that topic
sees the event again: those that applied it skip it (their inbox has its id), the one that failed
applies it now, or dead-letters it again if the cause is not fixed. ``--apply`` commits its
position in the consumer group ``<dead-letter topic>.redrive``, so a second run re-publishes
only what was dead-lettered since; a dry run commits nothing.
"""

import argparse
import asyncio
import importlib
import sys
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from servicekit.kafka import KafkaClientConfig
from servicekit.settings import ServiceSettings

_DLT_PREFIX = "dlt_"


@dataclass(frozen=True)
class DeadLetter:
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]]
    source_topic: str | None
    error: str

    def header(self, name: str) -> str:
        return next((v.decode(errors="replace") for k, v in self.headers if k == name), "")

    def describe(self) -> str:
        key = (self.key or b"").decode(errors="replace")
        return (
            f"@{self.partition}:{self.offset} -> {self.source_topic or '(no dlt_original_topic)'} key={key}"
            f" type={self.header('ce_type') or '?'} id={self.header('ce_id') or '?'} error={self.error[:200]}"
        )


@dataclass
class RedriveResult:
    dead_letters: list[DeadLetter]
    republished: int = 0

    @property
    def unroutable(self) -> list[DeadLetter]:
        return [d for d in self.dead_letters if d.source_topic is None]


async def redrive(config: KafkaClientConfig, dead_letter_topic: str, *, apply: bool) -> RedriveResult:
    """Reads ``dead_letter_topic`` from the group's committed position (or the start) up to its end
    at the time of the call; re-publishes each dead letter when ``apply``."""
    group = f"{dead_letter_topic}.redrive"
    consumer = AIOKafkaConsumer(
        **config.kwargs(), group_id=group, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        # The whole cluster's metadata (as servicekit.replay): naming a missing topic could create it.
        cluster = await consumer._client.fetch_all_metadata()
        partitions = sorted(cluster.partitions_for_topic(dead_letter_topic) or ())
        tps = [TopicPartition(dead_letter_topic, p) for p in partitions]
        if not tps:
            return RedriveResult([])
        consumer.assign(tps)
        ends = await consumer.end_offsets(tps)
        found: list[DeadLetter] = []
        for tp in tps:
            while await consumer.position(tp) < ends[tp]:
                batch = await consumer.getmany(tp, timeout_ms=1000, max_records=500)
                for record in batch.get(tp, []):
                    if record.offset >= ends[tp]:
                        break
                    headers = [(k, bytes(v)) for k, v in record.headers or ()]
                    lookup = {k: v.decode(errors="replace") for k, v in headers}
                    found.append(
                        DeadLetter(
                            partition=tp.partition,
                            offset=record.offset,
                            key=record.key,
                            value=record.value,
                            headers=[(k, v) for k, v in headers if not k.startswith(_DLT_PREFIX)],
                            source_topic=lookup.get("dlt_original_topic") or None,
                            error=lookup.get("dlt_error", ""),
                        )
                    )
        result = RedriveResult(found)
        if not apply:
            return result
        if result.unroutable:
            raise ValueError(f"{len(result.unroutable)} dead letters name no dlt_original_topic; nothing re-published")
        producer = AIOKafkaProducer(**config.kwargs(), enable_idempotence=True, acks="all")
        await producer.start()
        try:
            for letter in found:
                assert letter.source_topic is not None
                await producer.send_and_wait(letter.source_topic, letter.value, key=letter.key, headers=letter.headers)
                result.republished += 1
        finally:
            await producer.stop()
        # Only once everything is re-published: an interrupted run is repeated whole (the
        # consumers' inboxes drop what they see twice).
        await consumer.commit({tp: ends[tp] for tp in tps})
        return result
    finally:
        await consumer.stop()


def service_settings(service: str) -> ServiceSettings:
    """The settings of ``service`` (e.g. ``assignment``), read from its environment variables."""
    module = importlib.import_module(f"{service}_service.settings")
    settings_class = next(
        v
        for k, v in vars(module).items()
        if k.endswith("Settings")
        and isinstance(v, type)
        and issubclass(v, ServiceSettings)
        and v is not ServiceSettings
    )
    settings: ServiceSettings = settings_class()
    return settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m servicekit.redrive", description=__doc__.split("\n")[0])
    parser.add_argument("service", help="the service whose dead letters to redrive, e.g. assignment")
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--dry-run", action="store_true", help="show what would be re-published")
    mode.add_argument("--apply", action="store_true", help="re-publish to the source topics")
    args = parser.parse_args(argv)
    settings = service_settings(args.service)
    topic = settings.dead_letter_topic
    result = asyncio.run(redrive(KafkaClientConfig.from_settings(settings), topic, apply=args.apply))
    for letter in result.dead_letters:
        print(f"{topic}{letter.describe()}")
    if args.apply:
        print(f"{result.republished} dead letters re-published from {topic}")
    else:
        print(f"{len(result.dead_letters)} dead letters would be re-published from {topic} (dry run)")
    if result.unroutable:
        print(f"{len(result.unroutable)} name no dlt_original_topic and cannot be re-published", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
