"""No request of the notification service reads a whole table (the machinery: query_plans.py): the
producers' events for a few items published on Kafka (notification_world.World) so that members and
units have inboxes, then the routes they, staff, administrators and API keys use: the inbox with its
cursors, read marks, contacts, quiet hours, push subscriptions and webhooks. The live stream
(/notifications/stream) needs real HTTP and is left out here."""

import asyncio
import base64
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from datetime import time
from time import monotonic

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import FastAPI
from notification_world import BODY, World
from query_plans import Captured, assert_no_full_scans, capture, ok
from sqlmodel import SQLModel

from devstack.kafka import KafkaBroker
from devstack.keys import DevKeys
from notification_service.main import create_app
from notification_service.settings import NotificationSettings

pytestmark = pytest.mark.integration

Serve = Callable[[FastAPI], AbstractAsyncContextManager[httpx.AsyncClient]]

# Tables a full read of which is fine, each with why it stays small.
SMALL_TABLES: dict[str, str] = {}


def _push_subscription(n: int) -> dict[str, object]:
    public = ec.generate_private_key(ec.SECP256R1()).public_key()
    raw = public.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    keys = {"p256dh": base64.urlsafe_b64encode(raw).rstrip(b"=").decode(), "auth": "MDEyMzQ1Njc4OWFiY2RlZg"}
    return {"endpoint": f"http://127.0.0.1:9/push/{n}", "keys": keys}


@pytest.fixture
async def worlds(
    database_url: str, kafka: KafkaBroker, namespace: str, serve: Serve, dev_keys: DevKeys
) -> AsyncIterator[tuple[list[World], httpx.AsyncClient, Captured, str]]:
    settings = NotificationSettings(
        database_url=database_url,
        kafka_bootstrap_servers=kafka.bootstrap,
        kafka_namespace=namespace,
        auth_jwks=dev_keys.jwks,
        auth_jwks_url=None,
        digest_window_s=0,
        sms_quiet_start=time(0),
        sms_quiet_end=time(0),
        webhook_allow_private_targets=True,
        push_allow_private_targets=True,
    )
    app = create_app(settings)
    async with serve(app) as client:
        made = [World(app, dev_keys, kafka.bootstrap, namespace) for _ in range(3)]
        yield made, client, capture(app), database_url


async def test_notification_request_paths_read_no_table_in_full(
    worlds: tuple[list[World], httpx.AsyncClient, Captured, str],
) -> None:
    made, c, captured, url = worlds
    w = made[0]
    for world in made:
        world.lead, world.unit = w.lead, w.unit  # one member and one unit with an inbox of several items
        await world.send("proposal.events", [world.envelope(world.submitted()), world.envelope(world.registered())])
    await w.until(f"member:{w.lead}", len(made))
    for world in made:
        await world.send("assignment.events", [world.envelope(world.assigned()), world.envelope(world.overdue())])
    await w.until(f"unit:{w.unit}", 2 * len(made))
    await w.until(f"member:{w.lead}", 2 * len(made))

    admin = w.keys.headers("admin", subject="admin")
    staff = w.keys.headers("staff", subject="staff", body_id=BODY)
    system = w.keys.headers("system", subject="api-key-1", scope="webhooks:manage")
    callers = (w.member_headers(w.lead), w.member_headers(w.cosigner), w.member_headers(w.stranger), w.unit_headers())

    with captured.recorded():
        # the inbox: pages (all, unread), the unread count, one read mark, then all
        for headers in callers:
            for params in ({}, {"unread": "true"}):
                page = ok(await c.get("/notifications", params={"limit": 2, **params}, headers=headers))
                if page["next_cursor"]:
                    more = {"limit": 2, **params, "cursor": page["next_cursor"]}
                    ok(await c.get("/notifications", params=more, headers=headers))
            ok(await c.get("/notifications/unread-count", headers=headers))
            await c.get("/notifications/contact", headers=headers)
        lead = w.member_headers(w.lead)
        first = ok(await c.get("/notifications", headers=lead))["items"][0]
        ok(await c.post(f"/notifications/{first['id']}/read", headers=lead))
        ok(await c.post("/notifications/read-all", headers=lead))
        ok(await c.post("/notifications/read-all", headers=w.unit_headers()))
        # contacts: one's own, anyone's by an administrator, read back masked by staff
        contact = {"email": "liuyang@example.org", "phone": "13800138000", "sms_enabled": True}
        ok(await c.put("/notifications/contact", json=contact, headers=lead), 201)
        ok(await c.put("/notifications/contact", json={"sms_enabled": False}, headers=lead))
        ok(await c.put(f"/recipients/unit:{w.unit}/contact", json={"email": "mzj@example.org"}, headers=admin), 201)
        for headers in (admin, staff, lead):
            await c.get(f"/recipients/member:{w.lead}/contact", headers=headers)
            await c.get(f"/recipients/unit:{w.unit}/contact", headers=headers)
        # the body's SMS quiet hours
        ok(await c.get(f"/notifications/bodies/{BODY}/quiet-hours", headers=staff))
        quiet = {"sms_quiet_start": "22:00", "sms_quiet_end": "07:00"}
        ok(await c.put(f"/notifications/bodies/{BODY}/quiet-hours", json=quiet, headers=staff))
        ok(await c.get(f"/notifications/bodies/{BODY}/quiet-hours", headers=admin))
        # push subscriptions: two devices, listed, one removed
        subscriptions = [
            ok(await c.post("/notifications/push-subscriptions", json=_push_subscription(n), headers=lead), 201)
            for n in range(2)
        ]
        ok(await c.post("/notifications/push-subscriptions", json=_push_subscription(0), headers=lead))
        ok(await c.get("/notifications/push-subscriptions", headers=lead))
        ok(await c.get("/notifications/push-subscriptions", headers=w.unit_headers()))
        ok(await c.delete(f"/notifications/push-subscriptions/{subscriptions[0]['id']}", headers=lead), 204)
        # webhooks: made by an API key, listed with a cursor, its deliveries, a redelivery
        hooks = [
            ok(await c.post("/webhooks", json={"url": f"http://127.0.0.1:9/hook/{n}"}, headers=system), 201)
            for n in range(3)
        ]
        page = ok(await c.get("/webhooks", params={"limit": 2}, headers=system))
        if page["next_cursor"]:
            ok(await c.get("/webhooks", params={"limit": 2, "cursor": page["next_cursor"]}, headers=system))
        ok(await c.get("/webhooks", headers=admin))

    # Events for the webhooks, consumed outside the recording (a handler's path, not a request's).
    await w.send("proposal.events", [w.envelope(w.registered()), w.envelope(w.registered())])
    deliveries_url, deadline = f"/webhooks/{hooks[0]['id']}/deliveries", monotonic() + 60
    while not (deliveries := ok(await c.get(deliveries_url, params={"limit": 1}, headers=system)))["next_cursor"]:
        assert monotonic() < deadline, "no webhook deliveries were made"
        await asyncio.sleep(0.1)

    with captured.recorded():
        ok(await c.get(deliveries_url, params={"limit": 1}, headers=system))
        ok(await c.get(deliveries_url, params={"limit": 1, "cursor": deliveries["next_cursor"]}, headers=system))
        redeliver = f"{deliveries_url}/{deliveries['items'][0]['id']}/redeliver"
        ok(await c.post(redeliver, headers=system))

    await assert_no_full_scans(url, captured, SQLModel.metadata.tables, small=SMALL_TABLES, at_least=15)
