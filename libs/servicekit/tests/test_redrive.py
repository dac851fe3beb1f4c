"""The dead-letter redrive command on the real (SASL_SSL, ACL'd) broker: a dry run shows and sends
nothing; --apply re-publishes each dead letter to its source topic with its key and original
headers; a second run re-publishes only what was dead-lettered since."""

import asyncio

import pytest
from aiokafka import AIOKafkaProducer

from devstack.kafka import KafkaBroker
from devstack.topics import read_topic
from servicekit.redrive import main


def dead_letter(n: int, source: str) -> tuple[bytes, bytes, list[tuple[str, bytes]]]:
    headers = [
        ("ce_id", f"event-{n}".encode()),
        ("ce_type", b"proposal.submitted"),
        ("traceparent", f"00-{'a' * 32}-{n:016x}-01".encode()),
        ("dlt_error", b"KeyError: 'x'"),
        ("dlt_original_topic", source.encode()),
        ("dlt_original_partition", b"0"),
        ("dlt_original_offset", str(n).encode()),
        ("dlt_consumer_group", b"assignment-service"),
    ]
    return f"key-{n}".encode(), f'{{"id": "event-{n}"}}'.encode(), headers


async def send(kafka: KafkaBroker, topic: str, letters: list[tuple[bytes, bytes, list[tuple[str, bytes]]]]) -> None:
    producer = AIOKafkaProducer(**kafka.client_config().kwargs(), acks="all")
    await producer.start()
    try:
        for key, value, headers in letters:
            await producer.send_and_wait(topic, value, key=key, headers=headers)
    finally:
        await producer.stop()


def test_dry_run_then_apply_then_nothing_new(
    kafka: KafkaBroker, namespace: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    dlt, source = f"{namespace}assignment-service.dlt", f"{namespace}proposal.events"
    kafka.create_topics(dlt, source)
    admin = kafka.client_config()
    for name, value in kafka.service_env("assignment").items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("ASSIGNMENT_KAFKA_NAMESPACE", namespace)
    # The service's own principal may not write proposal.events: the operator runs it as admin.
    monkeypatch.setenv("ASSIGNMENT_KAFKA_SASL_USERNAME", admin.sasl_username or "")
    monkeypatch.setenv("ASSIGNMENT_KAFKA_SASL_PASSWORD", admin.sasl_password or "")
    asyncio.run(send(kafka, dlt, [dead_letter(n, source) for n in range(2)]))

    assert main(["assignment", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "2 dead letters would be re-published" in out and "id=event-0" in out and f"-> {source}" in out
    assert asyncio.run(read_topic(admin.bootstrap_servers, source, timeout=3, idle=0.5)) == []

    assert main(["assignment", "--apply"]) == 0
    assert "2 dead letters re-published" in capsys.readouterr().out
    records = asyncio.run(read_topic(admin.bootstrap_servers, source, timeout=10, idle=0.5))
    assert sorted((r.key, r.value) for r in records) == [
        (b"key-0", b'{"id": "event-0"}'),
        (b"key-1", b'{"id": "event-1"}'),
    ]
    for record in records:
        headers = dict(record.headers)
        assert not [k for k in headers if k.startswith("dlt_")], headers
        n = int(record.key.decode().split("-")[1])  # type: ignore[union-attr]
        assert headers["ce_id"] == f"event-{n}".encode()
        assert headers["traceparent"] == f"00-{'a' * 32}-{n:016x}-01".encode()

    # Already redriven: only a newer dead letter goes.
    asyncio.run(send(kafka, dlt, [dead_letter(2, source)]))
    assert main(["assignment", "--apply"]) == 0
    assert "1 dead letters re-published" in capsys.readouterr().out
    records = asyncio.run(read_topic(admin.bootstrap_servers, source, timeout=10, idle=0.5))
    assert sorted(r.key for r in records) == [b"key-0", b"key-1", b"key-2"]  # type: ignore[type-var]
