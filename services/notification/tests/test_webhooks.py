"""Webhooks to a local HTTP receiver that fails twice: signed, retried with back-off until it
answers 2xx, the deliveries visible to their owner only, and sent again on request."""

import asyncio
import json
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import httpx
import pytest
from contract_events import contract_event
from fastapi import FastAPI
from notification_world import World, served
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from devstack.kafka import KafkaBroker
from devstack.keys import DevKeys
from gateway_service.main import create_app as create_gateway
from gateway_service.settings import GatewaySettings
from notification_service.domain.webhooks import SIGNATURE_HEADER, TargetRefused, check_target, verify
from notification_service.main import create_app
from notification_service.models import WebhookSubscription
from notification_service.settings import NotificationSettings
from servicekit.runtime import service_runtime

pytestmark = pytest.mark.integration

Serve = Callable[[FastAPI], AbstractAsyncContextManager[httpx.AsyncClient]]


class Receiver:
    """Answers 500 to the first ``failures`` calls, then 204; keeps what it got."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls: list[tuple[dict[str, str], bytes]] = []
        self.app = Starlette(routes=[Route("/hook", self.hook, methods=["POST"])])

    async def hook(self, request: Request) -> Response:
        self.calls.append((dict(request.headers), await request.body()))
        return Response(status_code=500 if len(self.calls) <= self.failures else 204)


async def until(check: Callable[[], Any], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


async def test_a_webhook_is_signed_retried_until_delivered_and_redelivered_on_request(
    serve: Serve,
    notification_settings: NotificationSettings,
    kafka: KafkaBroker,
    namespace: str,
    dev_keys: DevKeys,
) -> None:
    settings = notification_settings.model_copy(
        update={
            "delivery_poll_interval_s": 0.1,
            "delivery_backoff_base_s": 0.2,
            "delivery_backoff_max_s": 0.5,
            "webhook_allow_private_targets": True,  # the receiver listens on 127.0.0.1
        }
    )
    receiver = Receiver(failures=2)
    app = create_app(settings)
    async with served(receiver.app) as receiver_url, serve(app) as client:
        system = dev_keys.headers("system", subject="api-key-1", scope="webhooks:manage")
        refused = await client.post(
            "/webhooks", json={"url": f"{receiver_url}/hook", "event_types": ["x.y"]}, headers=system
        )
        assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "event_types"
        bad_url = await client.post("/webhooks", json={"url": "ftp://example.org"}, headers=system)
        assert bad_url.status_code == 422 and "url" in bad_url.text
        member = dev_keys.headers("member", member_id="m-1")
        assert (await client.post("/webhooks", json={"url": f"{receiver_url}/hook"}, headers=member)).status_code == 403

        made = await client.post(
            "/webhooks", json={"url": f"{receiver_url}/hook", "event_types": ["proposal.registered"]}, headers=system
        )
        assert made.status_code == 201, made.text
        hook = made.json()
        secret = hook["secret"]
        assert [h["id"] for h in (await client.get("/webhooks", headers=system)).json()["items"]] == [hook["id"]]
        assert "secret" not in (await client.get("/webhooks", headers=system)).json()["items"][0]

        world = World(app, dev_keys, kafka.bootstrap, namespace)
        registered = world.envelope(world.registered())
        key_marked = world.envelope(
            contract_event("proposal.key_marked.v1", **world.ref(), key=True, supervising_leader=None)
        )
        await world.send("proposal.events", [registered, key_marked])
        await world.send("assignment.events", [world.envelope(world.overdue())])  # not subscribed

        async def delivered() -> bool:
            rows = (await client.get(f"/webhooks/{hook['id']}/deliveries", headers=system)).json()["items"]
            return bool(rows) and rows[0]["status"] == "sent"

        await until(delivered, "the delivery after two failures")
        assert len(receiver.calls) == 3
        for headers, body in receiver.calls:
            assert verify(secret, body, headers[SIGNATURE_HEADER.lower()])
            assert not verify(secret, body + b" ", headers[SIGNATURE_HEADER.lower()])
            assert not verify("another secret", body, headers[SIGNATURE_HEADER.lower()])
            assert headers["x-event-id"] == registered.id and json.loads(body)["id"] == registered.id
            assert json.loads(body)["data"]["number_label"] == "0012"
        [row] = (await client.get(f"/webhooks/{hook['id']}/deliveries", headers=system)).json()["items"]
        assert (row["attempts"], row["last_status_code"], row["event_type"]) == (3, 204, "proposal.registered")

        # Another system sees neither the subscription nor its deliveries.
        other = dev_keys.headers("system", subject="api-key-2", scope="webhooks:manage")
        assert (await client.get("/webhooks", headers=other)).json() == {"items": [], "next_cursor": None}
        assert (await client.get(f"/webhooks/{hook['id']}/deliveries", headers=other)).status_code == 404
        redo = f"/webhooks/{hook['id']}/deliveries/{row['id']}/redeliver"
        assert (await client.post(redo, headers=other)).status_code == 404

        again = await client.post(redo, headers=system)
        assert again.status_code == 200 and again.json()["status"] == "pending"
        await until(delivered, "the redelivery")
        assert len(receiver.calls) == 4 and receiver.calls[3][0]["x-event-id"] == registered.id
        [row] = (await client.get(f"/webhooks/{hook['id']}/deliveries", headers=system)).json()["items"]
        assert row["attempts"] == 1 and row["status"] == "sent"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_another_system_subscribes_with_its_api_key_through_the_gateway(
    notification_settings: NotificationSettings,
    kafka: KafkaBroker,
    namespace: str,
    dev_keys: DevKeys,
    tmp_path: Path,
) -> None:
    receiver = Receiver(failures=0)
    app = create_app(
        notification_settings.model_copy(
            update={"delivery_poll_interval_s": 0.1, "webhook_allow_private_targets": True}
        )
    )
    async with served(receiver.app) as receiver_url, served(app) as notification_url:
        gateway = create_gateway(
            GatewaySettings(
                database_url=f"sqlite+aiosqlite:///{tmp_path / 'gateway.db'}",
                kafka_bootstrap_servers=kafka.bootstrap,
                kafka_namespace=namespace,
                signing_key=SecretStr(dev_keys.private_pem),
                signing_key_id=dev_keys.kid,
                notification_url=notification_url,  # type: ignore[arg-type]
                password_hash_time_cost=1,
                password_hash_memory_cost=8,
                password_hash_parallelism=1,
                bootstrap_admin_username="admin",
                bootstrap_admin_password=SecretStr("an admin password"),
            )
        )
        async with served(gateway) as gateway_url, httpx.AsyncClient(base_url=f"{gateway_url}/api/v1") as client:
            signed_in = await client.post("/auth/login", json={"username": "admin", "password": "an admin password"})
            admin = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}

            async def key(scopes: list[str]) -> dict[str, str]:
                made = await client.post("/api-keys", json={"name": "市12345热线", "scopes": scopes}, headers=admin)
                assert made.status_code == 201, made.text
                return {"X-API-Key": made.json()["key"]}

            hotline, reader = await key(["webhooks:manage"]), await key(["items:read"])
            body = {"url": f"{receiver_url}/hook", "event_types": ["assignment.created"]}
            assert (await client.post("/webhooks", json=body, headers=reader)).status_code == 403
            made = await client.post("/webhooks", json=body, headers=hotline)
            assert made.status_code == 201, made.text
            hook = made.json()

            world = World(app, dev_keys, kafka.bootstrap, namespace)
            created = world.envelope(world.assigned())
            await world.send("assignment.events", [created])

            async def delivered() -> bool:
                rows = (await client.get(f"/webhooks/{hook['id']}/deliveries", headers=hotline)).json()["items"]
                return bool(rows) and rows[0]["status"] == "sent"

            await until(delivered, "the delivery through the gateway's key")
            [(headers, content)] = receiver.calls
            assert verify(hook["secret"], content, headers[SIGNATURE_HEADER.lower()])
            assert headers["x-event-id"] == created.id
            assert (await client.get("/webhooks", headers=reader)).status_code == 403


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/x",
        "http://10.1.2.3/x",
        "http://169.254.169.254/latest",
        "http://[::1]:8000/",
        "http://0.0.0.0/",
    ],
)
async def test_internal_addresses_are_refused_as_webhook_targets(url: str) -> None:
    with pytest.raises(TargetRefused):
        await check_target(url, allow_private=False)
    await check_target(url, allow_private=True)


async def test_a_public_address_is_a_fine_target() -> None:
    await check_target("https://8.8.8.8/hook", allow_private=False)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_the_service_does_not_post_into_the_internal_network(
    serve: Serve, notification_settings: NotificationSettings, kafka: KafkaBroker, namespace: str, dev_keys: DevKeys
) -> None:
    receiver = Receiver(failures=0)
    app = create_app(notification_settings.model_copy(update={"delivery_poll_interval_s": 0.1}))
    async with served(receiver.app) as receiver_url, serve(app) as client:
        system = dev_keys.headers("system", subject="api-key-1", scope="webhooks:manage")
        for url in (f"{receiver_url}/hook", "http://localhost:9/hook", "http://[::1]/hook"):
            refused = await client.post("/webhooks", json={"url": url}, headers=system)
            assert refused.status_code == 422 and refused.json()["code"] == "webhook_target_refused", url
        # One made before the rule (or by a name that now resolves inward) is refused when sending.
        async with service_runtime(app).database.session() as session:
            row = WebhookSubscription(owner="api-key:1", url=f"{receiver_url}/hook", secret="s")
            session.add(row)
            await session.commit()
        world = World(app, dev_keys, kafka.bootstrap, namespace)
        await world.send("assignment.events", [world.envelope(world.assigned())])

        async def settled() -> bool:
            rows = (await client.get(f"/webhooks/{row.id}/deliveries", headers=dev_keys.headers("admin"))).json()[
                "items"
            ]
            return bool(rows) and rows[0]["status"] == "failed"

        await until(settled, "the refused delivery")
        [delivery] = (await client.get(f"/webhooks/{row.id}/deliveries", headers=dev_keys.headers("admin"))).json()[
            "items"
        ]
        assert delivery["attempts"] == 1 and delivery["last_error"] == "the host is not a public address"
        assert receiver.calls == []
