"""SMS through an HTTP SMS gateway (a local receiver here): sent only to recipients who turned
it on, retried when the gateway is unavailable, given up on a refusal."""

import asyncio
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from notification_world import World, served
from pydantic import SecretStr
from sqlmodel import col, select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from devstack.kafka import KafkaBroker
from devstack.keys import DevKeys
from notification_service.main import create_app
from notification_service.models import Channel, Delivery, DeliveryStatus
from notification_service.settings import NotificationSettings
from servicekit.runtime import service_runtime

pytestmark = pytest.mark.integration

Serve = Callable[[FastAPI], AbstractAsyncContextManager[httpx.AsyncClient]]
REFUSED = "13900000000"


class SmsGateway:
    """Answers 503 to the first call, refuses one number with 400, accepts the rest."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.app = Starlette(routes=[Route("/sms", self.send, methods=["POST"])])

    async def send(self, request: Request) -> Response:
        body: dict[str, Any] = await request.json()
        self.calls.append((request.headers.get("authorization", ""), body))
        if len(self.calls) == 1:
            return Response(status_code=503)
        if body["to"] == REFUSED:
            return JSONResponse({"error": "invalid number"}, status_code=400)
        return JSONResponse({"id": "m-1"})


async def until(check: Callable[[], Any], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


async def test_sms_goes_to_those_who_turned_it_on_with_retries_and_refusals_kept(
    serve: Serve,
    notification_settings: NotificationSettings,
    kafka: KafkaBroker,
    namespace: str,
    dev_keys: DevKeys,
) -> None:
    gateway = SmsGateway()
    async with served(gateway.app) as gateway_url:
        settings = notification_settings.model_copy(
            update={
                "sms_gateway_url": f"{gateway_url}/sms",
                "sms_gateway_token": SecretStr("sms-token"),
                "delivery_poll_interval_s": 0.1,
                "delivery_backoff_base_s": 0.2,
                "delivery_backoff_max_s": 0.5,
            }
        )
        app = create_app(settings)
        async with serve(app) as client:
            world = World(app, dev_keys, kafka.bootstrap, namespace)
            contacts = {
                world.lead: {"phone": "13800138000", "sms_enabled": True},
                world.cosigner: {"phone": "13700137000"},  # a phone number, SMS not turned on
                world.stranger: {"phone": REFUSED, "sms_enabled": True},
            }
            for member_id, contact in contacts.items():
                answer = await client.put(
                    "/notifications/contact", json=contact, headers=world.member_headers(member_id)
                )
                assert answer.status_code == 201, answer.text
                assert answer.json()["sms_enabled"] is contact.get("sms_enabled", False)
            no_phone = await client.put(
                "/notifications/contact", json={"sms_enabled": True}, headers=world.member_headers("m-none")
            )
            assert no_phone.json()["sms_enabled"] is False

            registered = world.registered()
            registered.cosigner_member_ids = [world.cosigner, world.stranger]
            await world.send("proposal.events", [world.envelope(registered)])

            async def settled() -> bool:
                async with service_runtime(app).database.session(read_only=True) as session:
                    rows = (await session.exec(select(Delivery).order_by(col(Delivery.id)))).all()
                return len(rows) == 2 and all(r.status != DeliveryStatus.pending for r in rows)

            await until(settled, "both SMS settled")
            async with service_runtime(app).database.session(read_only=True) as session:
                rows = {r.recipient: r for r in (await session.exec(select(Delivery))).all()}
            lead, stranger = rows[f"member:{world.lead}"], rows[f"member:{world.stranger}"]
            assert lead.channel == Channel.sms and lead.status == DeliveryStatus.sent
            assert stranger.status == DeliveryStatus.failed and stranger.last_error == "SMS gateway 400"
            assert f"member:{world.cosigner}" not in rows
            sent = [body for _, body in gateway.calls if body["to"] == "13800138000"]
            assert len(sent) in (1, 2)  # the first call of all met the 503 and was retried
            assert sent[-1]["text"].startswith("【提案办理平台】提案已立案：") and "0012" in sent[-1]["text"]
            assert all(auth == "Bearer sms-token" for auth, _ in gateway.calls)
            assert len(gateway.calls) == 3  # one 503, one refusal, one success: nothing sent twice
