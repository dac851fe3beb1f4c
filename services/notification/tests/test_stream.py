"""Live updates: a client holds a Server-Sent Events stream open through the gateway and sees a
notification arrive once its event is consumed (the gateway streams, it does not buffer)."""

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from notification_world import World, served

from devstack.kafka import KafkaBroker
from devstack.keys import DevKeys
from gateway_service.main import create_app as create_gateway
from gateway_service.settings import GatewaySettings
from notification_service.main import create_app
from notification_service.settings import NotificationSettings

pytestmark = pytest.mark.integration


async def next_notification(lines: AsyncIterator[str]) -> dict[str, object]:
    event = None
    async for line in lines:
        if line.startswith("event: "):
            event = line.removeprefix("event: ")
        elif line.startswith("data: ") and event == "notification":
            data: dict[str, object] = json.loads(line.removeprefix("data: "))
            return data
    raise AssertionError("the stream ended")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_notification_reaches_an_open_stream_through_the_gateway(
    notification_settings: NotificationSettings,
    kafka: KafkaBroker,
    namespace: str,
    dev_keys: DevKeys,
    tmp_path: Path,
) -> None:
    app = create_app(notification_settings)
    async with served(app) as notification_url:
        gateway = create_gateway(
            GatewaySettings(
                database_url=f"sqlite+aiosqlite:///{tmp_path / 'gateway.db'}",
                kafka_bootstrap_servers=kafka.bootstrap,
                kafka_namespace=namespace,
                signing_key=dev_keys.private_pem,  # type: ignore[arg-type]
                signing_key_id=dev_keys.kid,
                notification_url=notification_url,  # type: ignore[arg-type]
                upstream_max_connections=1,  # an open stream must not take the one ordinary connection
            )
        )
        async with served(gateway) as gateway_url, httpx.AsyncClient(base_url=gateway_url) as client:
            world = World(app, dev_keys, kafka.bootstrap, namespace)
            # Warm up: the consumer has joined its group and applies events.
            await world.send("assignment.events", [world.envelope(world.overdue())])
            await world.until(f"unit:{world.unit}", 1)

            headers = world.unit_headers()
            async with client.stream("GET", "/api/v1/notifications/stream", headers=headers, timeout=30) as stream:
                assert stream.status_code == 200, await stream.aread()
                assert stream.headers["content-type"].startswith("text/event-stream")
                lines = stream.aiter_lines()
                sent = time.monotonic()
                await world.send("assignment.events", [world.envelope(world.assigned())])
                arrived = await asyncio.wait_for(next_notification(lines), timeout=10)
                latency = time.monotonic() - sent
                # Ordinary requests still go through while the stream holds its connection.
                count = await client.get("/api/v1/notifications/unread-count", headers=headers, timeout=30)
                assert count.status_code == 200 and count.json() == {"unread": 2}
            print(f"event published → notification on the stream through the gateway: {latency * 1000:.0f} ms")
            assert arrived["kind"] == "assignment_created" and arrived["read"] is False
            assert "市民政局" not in str(arrived["body"])  # the unit's own text, not the proposers'

            # An account without an inbox is refused at the service, and the refusal comes back whole.
            refused = await client.get("/api/v1/notifications/stream", headers=dev_keys.headers("admin"))
            assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
            anonymous = await client.get("/api/v1/notifications/stream")
            assert anonymous.status_code == 401
