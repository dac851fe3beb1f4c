"""Web Push as a browser sees it: a member subscribes through the API with the keys a browser
makes; a local push service receives the request, and the test decrypts the payload with the
subscription's private key and auth secret (http_ece, aes128gcm) and checks the VAPID
Authorization header (RFC 8292) against the service's public key. A push service answering 410
Gone ends that subscription; only the account that subscribed may remove one."""

import asyncio
import base64
import json
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import http_ece
import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import FastAPI
from notification_world import World, served
from py_vapid import Vapid, Vapid02
from pydantic import SecretStr
from sqlmodel import col, select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from devstack.kafka import KafkaBroker
from devstack.keys import DevKeys
from notification_service.main import create_app
from notification_service.models import Channel, Delivery, DeliveryStatus, PushSubscription
from notification_service.settings import NotificationSettings
from servicekit.runtime import service_runtime

pytestmark = pytest.mark.integration

Serve = Callable[[FastAPI], AbstractAsyncContextManager[httpx.AsyncClient]]


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Browser:
    """What PushManager.subscribe makes in a browser: a P-256 key pair and a 16-byte auth secret."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = b"0123456789abcdef"

    def subscription(self) -> dict[str, Any]:
        public = self.key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {"endpoint": self.endpoint, "keys": {"p256dh": b64url(public), "auth": b64url(self.auth)}}

    def decrypt(self, body: bytes) -> dict[str, Any]:
        plain = http_ece.decrypt(body, private_key=self.key, auth_secret=self.auth, version="aes128gcm")
        return json.loads(plain)  # type: ignore[no-any-return]


class PushService:
    """A push service: records each request; the /gone/ endpoints answer 410 (unsubscribed)."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str], bytes]] = []
        self.app = Starlette(routes=[Route("/{kind}/{token}", self.push, methods=["POST"])])

    async def push(self, request: Request) -> Response:
        self.requests.append((request.url.path, dict(request.headers), await request.body()))
        if request.path_params["kind"] == "gone":
            return Response(status_code=410)
        return Response(status_code=201)


async def until(check: Callable[[], Any], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


async def push_rows(app: FastAPI) -> list[Delivery]:
    async with service_runtime(app).database.session(read_only=True) as session:
        query = select(Delivery).where(Delivery.channel == Channel.push).order_by(col(Delivery.id))
        return list((await session.exec(query)).all())


async def test_a_push_is_encrypted_for_the_browser_signed_with_vapid_and_410_ends_a_subscription(
    serve: Serve, notification_settings: NotificationSettings, kafka: KafkaBroker, namespace: str, dev_keys: DevKeys
) -> None:
    vapid = Vapid()
    vapid.generate_keys()
    service = PushService()
    async with served(service.app) as push_url:
        settings = notification_settings.model_copy(
            update={
                "vapid_private_key": SecretStr(vapid.private_pem().decode()),
                "vapid_subject": "mailto:ops@example.org",
                "push_allow_private_targets": True,  # the push service here is on 127.0.0.1
                "delivery_poll_interval_s": 0.1,
                "delivery_backoff_base_s": 0.2,
                "delivery_backoff_max_s": 0.5,
            }
        )
        app = create_app(settings)
        async with serve(app) as client:
            world = World(app, dev_keys, kafka.bootstrap, namespace)
            lead, cosigner = world.member_headers(world.lead), world.member_headers(world.cosigner)
            key = (await client.get("/notifications/push/vapid-public-key", headers=lead)).json()["public_key"]
            assert unb64url(key)[0] == 4 and len(unb64url(key)) == 65

            phone, old_tablet = Browser(f"{push_url}/ok/lead-phone"), Browser(f"{push_url}/gone/lead-tablet")
            gone_only = Browser(f"{push_url}/gone/cosigner")
            made = {}
            for browser, headers in ((phone, lead), (old_tablet, lead), (gone_only, cosigner)):
                answer = await client.post(
                    "/notifications/push-subscriptions", json=browser.subscription(), headers=headers
                )
                assert answer.status_code == 201, answer.text
                made[browser.endpoint] = answer.json()["id"]
            again = await client.post("/notifications/push-subscriptions", json=phone.subscription(), headers=lead)
            assert again.status_code == 200 and again.json()["id"] == made[phone.endpoint]
            # Another account cannot remove the lead's subscription, nor see it.
            stranger = world.member_headers(world.stranger)
            refused = await client.delete(f"/notifications/push-subscriptions/{made[phone.endpoint]}", headers=stranger)
            assert refused.status_code == 404
            assert (await client.get("/notifications/push-subscriptions", headers=stranger)).json()["items"] == []

            await world.send("proposal.events", [world.envelope(world.registered())])

            async def settled() -> bool:
                rows = await push_rows(app)
                return len(rows) == 2 and all(r.status != DeliveryStatus.pending for r in rows)

            await until(settled, "both pushes settled")
            rows = {r.recipient: r for r in await push_rows(app)}
            assert rows[f"member:{world.lead}"].status == DeliveryStatus.sent
            failed = rows[f"member:{world.cosigner}"]
            assert failed.status == DeliveryStatus.failed and "410" in (failed.last_error or "")

            [(_, headers, body)] = [r for r in service.requests if r[0] == "/ok/lead-phone"]
            assert headers["content-encoding"] == "aes128gcm" and int(headers["ttl"]) > 0
            assert body[:16] != b"" and b"0012" not in body  # ciphertext, not the text
            message = phone.decrypt(body)
            assert message["kind"] == "proposal_registered" and message["title"] == "提案已立案"
            assert "0012" in message["body"] and message["count"] == 1
            with pytest.raises(http_ece.ECEException):  # another browser's keys cannot read it
                old_tablet.decrypt(body)

            scheme, _, params = headers["authorization"].partition(" ")
            assert scheme == "vapid"
            fields = dict(part.split("=", 1) for part in params.split(","))
            assert fields["k"] == key  # signed by the key the browser subscribed with
            assert Vapid02.verify(headers["authorization"])
            claims = json.loads(unb64url(fields["t"].split(".")[1]))
            assert claims["aud"] == push_url and claims["sub"] == "mailto:ops@example.org"
            assert time.time() < claims["exp"] <= time.time() + 24 * 3600

            # 410 Gone: those subscriptions are deleted, the live one stays.
            async with service_runtime(app).database.session(read_only=True) as session:
                endpoints = set((await session.exec(select(PushSubscription.endpoint))).all())
            assert endpoints == {phone.endpoint}
            mine = (await client.get("/notifications/push-subscriptions", headers=lead)).json()["items"]
            assert [s["endpoint"] for s in mine] == [phone.endpoint]

            # The preference: push turned off on the contact means no push row for the next event.
            answer = await client.put("/notifications/contact", json={"push_enabled": False}, headers=lead)
            assert answer.status_code == 201 and answer.json()["push_enabled"] is False
            await world.send("assignment.events", [world.envelope(world.assigned())])
            await world.until(f"member:{world.lead}", 2)
            assert len(await push_rows(app)) == 2
            # Unsubscribing removes it.
            gone = await client.delete(f"/notifications/push-subscriptions/{made[phone.endpoint]}", headers=lead)
            assert gone.status_code == 204
            assert (await client.get("/notifications/push-subscriptions", headers=lead)).json()["items"] == []


async def test_push_subscriptions_refuse_bad_input_by_field(
    notification: tuple[FastAPI, httpx.AsyncClient], dev_keys: DevKeys
) -> None:
    _, client = notification
    member = dev_keys.headers("member", subject="acc-m1", body_id="body-1", member_id="m1")
    good = Browser("https://push.example.org/send/abc").subscription()
    cases: list[tuple[dict[str, Any], str]] = [
        ({**good, "endpoint": "ftp://push.example.org/x"}, "endpoint"),
        ({**good, "endpoint": "http://["}, "endpoint"),
        ({**good, "endpoint": "http://127.0.0.1:9/x"}, "endpoint"),  # loopback: server-side request forgery
        ({**good, "keys": {"p256dh": b64url(b"\x04" + b"1" * 10), "auth": good["keys"]["auth"]}}, "keys"),
        ({**good, "keys": {"auth": good["keys"]["auth"]}}, "keys"),
    ]
    for body, field in cases:
        answer = await client.post("/notifications/push-subscriptions", json=body, headers=member)
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert any(field in str(e.get("field", "")) for e in answer.json().get("errors", [])), answer.text
    # An administrator has no inbox to push.
    admin = dev_keys.headers("admin")
    assert (await client.post("/notifications/push-subscriptions", json=good, headers=admin)).status_code == 403
    # Without a VAPID key the app is told push is off.
    answer = await client.get("/notifications/push/vapid-public-key", headers=member)
    assert answer.status_code == 200 and answer.json() == {"public_key": None}
