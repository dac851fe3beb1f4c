"""E-mail deliveries against a real SMTP server (aiosmtpd) in the test process: the message
arrives with a text and an HTML part; a server that is down, then up, gets it exactly once;
a refused recipient is given up on with the error kept; replicas claim disjoint rows."""

import asyncio
import email
import email.policy
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractAsyncContextManager
from email.message import Message
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from fastapi import FastAPI
from notification_world import World
from sqlmodel import col, select

from devstack import free_port
from devstack.kafka import KafkaBroker
from devstack.keys import DevKeys
from notification_service.domain.delivery import Sender, backoff
from notification_service.main import create_app
from notification_service.models import Channel, Contact, Delivery, DeliveryStatus, Notification
from notification_service.settings import NotificationSettings
from servicekit.db import Database
from servicekit.runtime import service_runtime

pytestmark = pytest.mark.integration

Serve = Callable[[FastAPI], AbstractAsyncContextManager[httpx.AsyncClient]]
REFUSED = "nobody@refused.example"


class Mailbox:
    """What the SMTP server received; refuses one address with a permanent 550."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if address == REFUSED:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.content if isinstance(envelope.content, bytes) else str(envelope.content).encode()
        self.messages.append((list(envelope.rcpt_tos), email.message_from_bytes(content, policy=email.policy.default)))
        return "250 Message accepted"


@pytest.fixture
def smtp_port() -> int:
    return free_port()


@pytest.fixture
def mailbox() -> Mailbox:
    return Mailbox()


def start_smtp(mailbox: Mailbox, port: int) -> Controller:
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    return controller


@pytest.fixture
def smtp_server(mailbox: Mailbox, smtp_port: int) -> Iterator[Controller]:
    controller = start_smtp(mailbox, smtp_port)
    yield controller
    controller.stop()


def settings_for(base: NotificationSettings, port: int, **overrides: Any) -> NotificationSettings:
    return base.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": port,
            "smtp_timeout_s": 5.0,
            "delivery_poll_interval_s": 0.1,
            "delivery_backoff_base_s": 0.3,
            "delivery_backoff_max_s": 1.0,
            **overrides,
        }
    )


async def deliveries(app: FastAPI) -> list[Delivery]:
    async with service_runtime(app).database.session(read_only=True) as session:
        return list((await session.exec(select(Delivery).order_by(col(Delivery.id)))).all())


async def until(check: Callable[[], Any], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


async def set_email(client: httpx.AsyncClient, headers: dict[str, str], address: str) -> None:
    answer = await client.put(
        "/notifications/contact", json={"email": address, "phone": "13800138000"}, headers=headers
    )
    assert answer.status_code == 201, answer.text


async def test_an_event_is_mailed_with_text_and_html_parts_and_no_address_is_logged(
    serve: Serve,
    notification_settings: NotificationSettings,
    kafka: KafkaBroker,
    namespace: str,
    dev_keys: DevKeys,
    smtp_server: Controller,
    smtp_port: int,
    mailbox: Mailbox,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    app = create_app(settings_for(notification_settings, smtp_port))
    async with serve(app) as client:
        world = World(app, dev_keys, kafka.bootstrap, namespace)
        me = world.member_headers(world.lead)
        await set_email(client, me, "Liu.Yang@Example.org")
        # The owner sees the contact in full; staff see it masked; another member not at all.
        mine = (await client.get("/notifications/contact", headers=me)).json()
        assert mine["email"] == "liu.yang@example.org" and mine["phone"] == "13800138000" and not mine["masked"]
        recipient = f"member:{world.lead}"
        staff = dev_keys.headers("staff", body_id="body-1")
        masked = (await client.get(f"/recipients/{recipient}/contact", headers=staff)).json()
        assert masked == {**masked, "email": "l***@example.org", "phone": "138****8000", "masked": True}
        other = await client.get(f"/recipients/{recipient}/contact", headers=world.member_headers(world.stranger))
        assert other.status_code == 403
        admin = (await client.get(f"/recipients/{recipient}/contact", headers=dev_keys.headers("admin"))).json()
        assert admin["email"] == "liu.yang@example.org"
        bad = await client.put("/notifications/contact", json={"email": "not-an-address"}, headers=me)
        assert bad.status_code == 422 and "email" in bad.text

        await world.send("proposal.events", [world.envelope(world.registered())])
        await until(lambda: _has(mailbox, 1), "the e-mail")
        [(to, message)] = mailbox.messages
        assert to == ["liu.yang@example.org"]
        assert message["Subject"] == "提案已立案" and message["Message-ID"]
        parts = {part.get_content_type(): part for part in message.walk() if not part.is_multipart()}
        assert set(parts) == {"text/plain", "text/html"}
        assert "0012" in parts["text/plain"].get_content() and "<h2>提案已立案</h2>" in parts["text/html"].get_content()
        [row] = await deliveries(app)
        await until(lambda: _status(app, DeliveryStatus.sent), "the delivery marked sent")
        # The cosigner has no address: an inbox notification, no delivery.
        assert len(await world.notifications(f"member:{world.cosigner}")) == 1
        assert row.recipient == recipient and row.channel == Channel.email
    logged = "\n".join(r.getMessage() + str(getattr(r, "fields", "")) for r in caplog.records)
    assert "example.org" not in logged.lower() and "13800138000" not in logged


async def _has(mailbox: Mailbox, count: int) -> bool:
    return len(mailbox.messages) >= count


async def _status(app: FastAPI, status: DeliveryStatus) -> bool:
    rows = await deliveries(app)
    return bool(rows) and all(r.status == status for r in rows)


async def test_a_server_that_is_down_then_up_gets_the_message_exactly_once(
    serve: Serve,
    notification_settings: NotificationSettings,
    kafka: KafkaBroker,
    namespace: str,
    dev_keys: DevKeys,
    smtp_port: int,
    mailbox: Mailbox,
) -> None:
    app = create_app(settings_for(notification_settings, smtp_port))
    async with serve(app) as client:
        world = World(app, dev_keys, kafka.bootstrap, namespace)
        await set_email(client, world.unit_headers(), "office@unit.example")
        await world.send("assignment.events", [world.envelope(world.overdue())])

        async def failed_twice() -> bool:
            rows = await deliveries(app)
            return bool(rows) and rows[0].attempts >= 2

        await until(failed_twice, "two failed attempts while the server is down")
        [row] = await deliveries(app)
        assert row.status == DeliveryStatus.pending and row.last_error and "@" not in row.last_error
        controller = start_smtp(mailbox, smtp_port)
        try:
            await until(lambda: _status(app, DeliveryStatus.sent), "the delivery after the server came up")
            await asyncio.sleep(1.5)  # longer than the back-off: a second send would have happened by now
            assert len(mailbox.messages) == 1
            [row] = await deliveries(app)
            assert row.sent_at is not None and row.locked_by is None
        finally:
            controller.stop()


async def test_a_refused_recipient_is_given_up_at_once_and_too_many_failures_too(
    serve: Serve,
    notification_settings: NotificationSettings,
    kafka: KafkaBroker,
    namespace: str,
    dev_keys: DevKeys,
    smtp_server: Controller,
    smtp_port: int,
) -> None:
    app = create_app(settings_for(notification_settings, smtp_port, delivery_max_attempts=2))
    async with serve(app) as client:
        world = World(app, dev_keys, kafka.bootstrap, namespace)
        await set_email(client, world.unit_headers(), REFUSED)
        await world.send("assignment.events", [world.envelope(world.overdue())])
        await until(lambda: _status(app, DeliveryStatus.failed), "the refused delivery given up")
        [row] = await deliveries(app)
        assert row.attempts == 1 and row.last_error == "recipient refused (550)"

    # A server that never answers: given up after delivery_max_attempts, the error kept; a row
    # whose recipient has no address any more is skipped.
    dead_port = free_port()
    app = create_app(settings_for(notification_settings, dead_port, delivery_max_attempts=2))
    async with serve(app):
        async with service_runtime(app).database.session() as session:
            session.add(Contact(recipient="unit:u-x", email="x@unit.example", updated_by="test"))
            for recipient in ("unit:u-x", "unit:u-gone"):
                n = Notification(recipient=recipient, event_id="e-1", event_type="t", kind="k", title="t", body="b")
                session.add(n)
                session.add(Delivery(notification_id=n.id, event_id="e-1", recipient=recipient, channel=Channel.email))
            await session.commit()

        async def settled() -> bool:
            return all(r.status != DeliveryStatus.pending for r in await deliveries(app) if r.event_id == "e-1")

        await until(settled, "both deliveries settled")
        failed, skipped = [r for r in await deliveries(app) if r.event_id == "e-1"]
        assert (failed.status, failed.attempts, failed.last_error) == (DeliveryStatus.failed, 2, "SMTPConnectError")
        assert skipped.status == DeliveryStatus.skipped


async def test_two_replicas_claim_disjoint_rows(database_url: str, notification_settings: NotificationSettings) -> None:
    from notification_service.main import MIGRATIONS
    from servicekit.migrations import upgrade_async

    await upgrade_async(MIGRATIONS, database_url)
    database = Database(database_url)
    try:
        async with database.session() as session:
            for i in range(10):
                n = Notification(
                    recipient=f"unit:u{i}", event_id=f"e{i}", event_type="t", kind="k", title="t", body="b"
                )
                session.add(n)
                session.add(
                    Delivery(notification_id=n.id, event_id=f"e{i}", recipient=n.recipient, channel=Channel.email)
                )
            await session.commit()
        settings = notification_settings.model_copy(update={"delivery_batch_size": 6})
        one, two = Sender(database=database, settings=settings), Sender(database=database, settings=settings)
        first, second = await asyncio.gather(one.claim(), two.claim())
        assert not set(first) & set(second)
        assert len(first) + len(second) == 10
        assert await one.claim() == []  # all held under a lease
    finally:
        await database.dispose()


def test_backoff_grows_exponentially_with_jitter_and_a_cap() -> None:
    import random

    rng = random.Random(7)
    delays = [backoff(n, base_s=30, max_s=3600, rng=rng) for n in range(1, 10)]
    for n, delay in enumerate(delays, start=1):
        nominal = min(3600, 30 * 2 ** (n - 1))
        assert 0.5 * nominal <= delay <= 1.5 * nominal
    assert len({round(d, 6) for d in delays}) == len(delays)
