"""Digests instead of floods: 100 assignments to one unit become 100 inbox items but one e-mail and
one SMS; the digest window holds the first until it has passed; the hourly cap counts a digest once.

The senders are driven by hand (no SMTP host or SMS gateway configured at start, so no loop runs):
what is pending when a sender runs is what the test arranged, whatever the machine's speed."""

import json
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from fastapi import FastAPI
from notification_world import World, served
from sqlmodel import col, select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from test_email import Mailbox

from devstack import free_port
from devstack.kafka import KafkaBroker
from devstack.keys import DevKeys
from notification_service.domain.delivery import Sender
from notification_service.domain.sms import SEGMENT, TEMPLATES_BY_NAME, SmsSender, render
from notification_service.main import create_app
from notification_service.models import Channel, Delivery, DeliveryStatus
from notification_service.settings import NotificationSettings
from servicekit.db import utcnow
from servicekit.runtime import service_runtime

pytestmark = pytest.mark.integration

Serve = Callable[[FastAPI], AbstractAsyncContextManager[httpx.AsyncClient]]
FLOOD = 100


class SmsGateway:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.app = Starlette(routes=[Route("/sms", self.send, methods=["POST"])])

    async def send(self, request: Request) -> Response:
        self.calls.append(await request.json())
        return JSONResponse({"Code": "OK", "BizId": f"m-{len(self.calls)}"})


async def deliveries(app: FastAPI, channel: Channel) -> list[Delivery]:
    async with service_runtime(app).database.session(read_only=True) as session:
        query = select(Delivery).where(Delivery.channel == channel).order_by(col(Delivery.id))
        return list((await session.exec(query)).all())


async def test_a_hundred_assignments_make_one_email_and_one_sms_and_a_hundred_inbox_items(
    serve: Serve, notification_settings: NotificationSettings, kafka: KafkaBroker, namespace: str, dev_keys: DevKeys
) -> None:
    mailbox, smtp_port = Mailbox(), free_port()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    sms = SmsGateway()
    try:
        async with served(sms.app) as sms_url:
            app = create_app(notification_settings)  # no SMTP host, no SMS gateway: nothing sends yet
            async with serve(app) as client:
                world = World(app, dev_keys, kafka.bootstrap, namespace)
                contact = {"email": "zfj@unit.example.org", "phone": "13800138000", "sms_enabled": True}
                answer = await client.put("/notifications/contact", json=contact, headers=world.unit_headers())
                assert answer.status_code == 201, answer.text
                await world.send("assignment.events", [world.envelope(world.assigned()) for _ in range(FLOOD)])
                recipient = f"unit:{world.unit}"
                inbox = await world.until(recipient, FLOOD)
                assert len(inbox) == FLOOD and {n.kind for n in inbox} == {"assignment_created"}

                database = service_runtime(app).database
                settings = notification_settings.model_copy(
                    update={
                        "smtp_host": "127.0.0.1",
                        "smtp_port": smtp_port,
                        "sms_gateway_url": f"{sms_url}/sms",
                        "delivery_batch_size": 5,  # the digest is not limited to the claimed batch
                    }
                )
                mail_sender = Sender(database=database, settings=settings)
                sms_sender = SmsSender(database=database, settings=settings)
                try:
                    while await mail_sender.send_due() or await sms_sender.send_due():
                        pass
                finally:
                    await sms_sender.close()

                assert len(mailbox.messages) == 1
                [(to, message)] = mailbox.messages
                assert to == ["zfj@unit.example.org"]
                assert message["Subject"] == f"新交办提案（共 {FLOOD} 条）"
                assert isinstance(message, EmailMessage)
                text = message.get_body(preferencelist=("plain",))
                assert text is not None
                content = text.get_content()
                assert "1. " in content and "50. " in content and f"另有 {FLOOD - 50} 条" in content
                assert len(sms.calls) == 1
                [call] = sms.calls
                assert call["TemplateCode"] == "digest"
                text = render(call["SignName"], TEMPLATES_BY_NAME["digest"], json.loads(call["TemplateParam"]))
                assert text == f"【提案办理平台】您有{FLOOD}条“新交办提案”通知，请登录平台查看。"
                assert len(text) <= SEGMENT

                for channel in (Channel.email, Channel.sms):
                    rows = await deliveries(app, channel)
                    assert len(rows) == FLOOD
                    assert {r.status for r in rows} == {DeliveryStatus.sent}
                    first = rows[0].id
                    assert {r.digest_id for r in rows} == {first}  # all carried by the first row's message
                    assert {r.attempts for r in rows} == {1}
                # The hourly cap counts that digest as one message, not a hundred.
                assert await mail_sender.capped_until(recipient) is None

                # The next assignment, after the digest went out, is a message of its own.
                await world.send("assignment.events", [world.envelope(world.assigned())])
                await world.until(recipient, FLOOD + 1)
                while await mail_sender.send_due():
                    pass
                assert len(mailbox.messages) == 2
                assert mailbox.messages[1][1]["Subject"] == "新交办提案"
                last = (await deliveries(app, Channel.email))[-1]
                assert last.status == DeliveryStatus.sent and last.digest_id is None
    finally:
        smtp.stop()


async def test_the_digest_window_holds_a_message_until_it_has_passed(
    serve: Serve, notification_settings: NotificationSettings, kafka: KafkaBroker, namespace: str, dev_keys: DevKeys
) -> None:
    app = create_app(notification_settings)
    async with serve(app) as client:
        world = World(app, dev_keys, kafka.bootstrap, namespace)
        answer = await client.put(
            "/notifications/contact", json={"email": "u@x.example.org"}, headers=world.unit_headers()
        )
        assert answer.status_code == 201
        await world.send("assignment.events", [world.envelope(world.assigned())])
        await world.until(f"unit:{world.unit}", 1)
        settings = notification_settings.model_copy(
            update={"smtp_host": "127.0.0.1", "smtp_port": free_port(), "digest_window_s": 3600}
        )
        sender = Sender(database=service_runtime(app).database, settings=settings)
        assert await sender.send_due() == 1  # claimed, and put back to wait: no attempt, no connection
        [row] = await deliveries(app, Channel.email)
        assert row.status == DeliveryStatus.pending and row.attempts == 0 and row.last_error is None
        held = row.next_attempt_at - row.created_at
        assert timedelta(seconds=3599) <= held <= timedelta(seconds=3601)
        assert row.next_attempt_at > utcnow()
        assert await sender.send_due() == 0  # not due again before the window ends
