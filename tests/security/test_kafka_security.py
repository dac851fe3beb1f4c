"""The bus is secured (ADR 0010): SASL_SSL with SCRAM-SHA-512, one principal per service,
ACLs that let a service write only its own topics, read only what it consumes and join
only its own consumer group; topics are never auto-created.

On the old broker (PLAINTEXT, no authorizer, auto-created topics) every refusal asserted
here was a success. What a service may do is proven by the integration and e2e suites,
which run every service as its own principal; ``test_a_service_does_what_it_needs`` is the
positive control that keeps the refusals here from passing for a wrong reason.
"""

import uuid
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import (
    GroupAuthorizationFailedError,
    KafkaConnectionError,
    KafkaError,
    TopicAuthorizationFailedError,
    UnknownTopicOrPartitionError,
)

from devstack.kafka import CONSUMES, KafkaBroker
from servicekit.kafka import KafkaClientConfig, KafkaConnector

pytestmark = pytest.mark.integration

TIMEOUT_MS = 5_000  # refusals come at once; this only bounds a client that would wait for nothing


@pytest.fixture
async def topics(kafka: KafkaBroker, namespace: str) -> AsyncIterator[dict[str, str]]:
    """Every service's topic in this test's namespace, made by the admin, each holding one record."""
    names = {service: f"{namespace}{service}.events" for service in ("proposal", "assignment", "gateway")}
    admin = AIOKafkaAdminClient(**kafka.client_config().kwargs())
    await admin.start()
    try:
        await admin.create_topics([NewTopic(t, num_partitions=1, replication_factor=1) for t in names.values()])
    finally:
        await admin.close()
    producer = AIOKafkaProducer(**kafka.client_config().kwargs(), acks="all")
    await producer.start()
    try:
        for topic in names.values():
            await producer.send_and_wait(topic, b"seed", key=b"k")
    finally:
        await producer.stop()
    yield names


async def produce(config: KafkaClientConfig, topic: str) -> None:
    # Idempotent, as the services' producers are: WRITE on the topic is enough for it (KIP-679).
    producer = AIOKafkaProducer(**config.kwargs(), acks="all", enable_idempotence=True, request_timeout_ms=TIMEOUT_MS)
    await producer.start()
    try:
        await producer.send_and_wait(topic, b"forged", key=b"k")
    finally:
        await producer.stop()


async def read_one(config: KafkaClientConfig, topic: str, *, group: str | None = None) -> bytes | None:
    """The first record of ``topic``'s partition 0 (manually assigned; committed to ``group``)."""
    consumer = AIOKafkaConsumer(
        **config.kwargs(),
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        request_timeout_ms=TIMEOUT_MS,
    )
    await consumer.start()
    try:
        tp = TopicPartition(topic, 0)
        consumer.assign([tp])
        await consumer.seek_to_beginning(tp)
        await consumer._client.force_metadata_update()
        if topic in consumer._client.cluster.unauthorized_topics:
            # aiokafka only logs a refused topic and fetches nothing from it; say so here
            raise TopicAuthorizationFailedError(topic)
        batch = await consumer.getmany(tp, timeout_ms=TIMEOUT_MS)
        records = batch.get(tp, [])
        if group is not None and records:
            await consumer.commit({tp: records[0].offset + 1})
        return records[0].value if records else None
    finally:
        await consumer.stop()


async def test_a_service_does_what_it_needs(kafka: KafkaBroker, namespace: str, topics: dict[str, str]) -> None:
    proposal = kafka.client_config("proposal")
    # It makes its own topics at start-up (here its dead-letter topic is new).
    connector = KafkaConnector(proposal, client_id="security-test")
    dead_letters = f"{namespace}proposal-service.dlt"
    await connector.ensure_topics([topics["proposal"], dead_letters], partitions=1, replication_factor=1)
    await produce(proposal, topics["proposal"])
    await produce(proposal, dead_letters)
    assert await read_one(proposal, topics["assignment"], group=f"{namespace}proposal-service") == b"seed"


async def test_a_client_without_credentials_is_refused(kafka: KafkaBroker, topics: dict[str, str]) -> None:
    plaintext = KafkaClientConfig(kafka.bootstrap)  # as every client was before
    with pytest.raises(KafkaConnectionError):
        await read_one(plaintext, topics["proposal"])
    with pytest.raises(KafkaConnectionError):
        await produce(plaintext, topics["proposal"])
    # TLS alone, with the right CA, is no login either.
    tls_only = KafkaClientConfig(kafka.bootstrap, security_protocol="SSL", ssl_cafile=str(kafka.ca_file))
    with pytest.raises(KafkaConnectionError):
        await read_one(tls_only, topics["proposal"])


async def test_a_wrong_password_is_refused(kafka: KafkaBroker, topics: dict[str, str]) -> None:
    wrong = replace(kafka.client_config("proposal"), sasl_password="not-the-password")
    with pytest.raises(KafkaError):
        await read_one(wrong, topics["assignment"])
    with pytest.raises(KafkaError):
        await produce(wrong, topics["proposal"])
    # Nor does one principal's password open another's account.
    borrowed = replace(kafka.client_config("proposal"), sasl_username="admin")
    with pytest.raises(KafkaError):
        await read_one(borrowed, topics["assignment"])


async def test_a_broker_with_another_ca_is_not_trusted(kafka: KafkaBroker, topics: dict[str, str]) -> None:
    # The system's CAs did not sign the launcher's certificate: TLS is verified, not just used.
    unverified = replace(kafka.client_config("proposal"), ssl_cafile=None)
    with pytest.raises(KafkaConnectionError):
        await read_one(unverified, topics["assignment"])


async def test_a_service_cannot_write_another_services_topic(
    kafka: KafkaBroker, namespace: str, topics: dict[str, str]
) -> None:
    proposal = kafka.client_config("proposal")
    with pytest.raises(TopicAuthorizationFailedError):
        await produce(proposal, topics["assignment"])  # it consumes that topic; reading is not writing
    with pytest.raises(TopicAuthorizationFailedError):
        await produce(proposal, topics["gateway"])
    # The topic holds only what its owner (here the admin) wrote.
    assert await read_one(kafka.client_config(), topics["assignment"]) == b"seed"


async def test_a_service_cannot_read_a_topic_it_does_not_consume(
    kafka: KafkaBroker, namespace: str, topics: dict[str, str]
) -> None:
    with pytest.raises(TopicAuthorizationFailedError):
        await read_one(kafka.client_config("proposal"), topics["gateway"])
    with pytest.raises(TopicAuthorizationFailedError):
        await read_one(kafka.client_config("gateway"), topics["proposal"])  # the gateway consumes nothing
    assert await read_one(kafka.client_config(), topics["gateway"]) == b"seed"  # there was one to read


async def test_a_service_cannot_use_another_services_consumer_group(
    kafka: KafkaBroker, namespace: str, topics: dict[str, str]
) -> None:
    # Committing in the assignment service's group would move its offsets past events unapplied.
    with pytest.raises(GroupAuthorizationFailedError):
        await read_one(kafka.client_config("proposal"), topics["assignment"], group=f"{namespace}assignment-service")


async def test_another_namespace_is_out_of_reach(kafka: KafkaBroker, topics: dict[str, str]) -> None:
    # ACLs are literal, per namespace: a namespace nobody granted gives a service nothing.
    other = f"n{uuid.uuid4().hex[:8]}."
    kafka.create_topics(f"{other}proposal.events")
    with pytest.raises(TopicAuthorizationFailedError):
        await produce(kafka.client_config("proposal"), f"{other}proposal.events")


async def test_topics_are_not_auto_created(kafka: KafkaBroker) -> None:
    missing = f"never-made-{uuid.uuid4().hex[:8]}"
    with pytest.raises(UnknownTopicOrPartitionError):
        await produce(kafka.client_config(), missing)  # even the admin: the metadata never names it
    admin = AIOKafkaAdminClient(**kafka.client_config().kwargs())
    await admin.start()
    try:
        assert missing not in await admin.list_topics()
    finally:
        await admin.close()


@pytest.mark.parametrize("service", ["proposal", "assignment", "evaluation", "notification"])
def test_the_acls_follow_the_subscription_tables(service: str) -> None:
    """A service's READ ACLs are the topics its consumer subscribes to (a new subscription
    without its ACL would leave the consumer refused)."""
    handlers = pytest.importorskip(f"{service}_service.events.handlers")
    subscribed = {topic.removesuffix(".events") for topic in handlers.subscriptions.topics}
    assert subscribed <= set(CONSUMES[service])
    extra = set(CONSUMES[service]) - subscribed
    assert extra <= ({"evaluation"} if service == "evaluation" else set())  # the rebuild replays its own topic


async def test_a_refused_topic_creation_is_an_error_not_silence(kafka: KafkaBroker, namespace: str) -> None:
    # A service at start-up retries until its topics exist; aiokafka reports a refused topic
    # in the response only, so before this check a refusal (the ACLs not granted yet) passed
    # for success and the topic was never made.
    connector = KafkaConnector(kafka.client_config("proposal"), client_id="security-test")
    with pytest.raises(TopicAuthorizationFailedError):
        await connector.ensure_topics([f"{namespace}gateway.events"], partitions=1, replication_factor=1)
