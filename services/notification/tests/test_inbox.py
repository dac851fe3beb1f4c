"""Events from real Kafka become inbox notifications, once each, on SQLite and PostgreSQL; the
inbox API shows a recipient only their own."""

from typing import Any

import httpx
import pytest
from contract_events import contract_event
from fastapi import FastAPI
from notification_world import World
from sqlalchemy import delete

from devstack.kafka import KafkaBroker
from devstack.keys import DevKeys
from devstack.topics import read_topic
from notification_service.settings import NotificationSettings
from servicekit.inbox import InboxMessage
from servicekit.runtime import service_runtime

pytestmark = pytest.mark.integration


def problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    return body


async def test_events_become_each_recipients_notifications_once(
    notification: tuple[FastAPI, httpx.AsyncClient],
    kafka: KafkaBroker,
    namespace: str,
    dev_keys: DevKeys,
    notification_settings: NotificationSettings,
) -> None:
    app, client = notification
    world = World(app, dev_keys, kafka.bootstrap, namespace)
    registered = world.envelope(world.registered())
    key_marked = world.envelope(
        contract_event(
            "proposal.key_marked.v1", **world.ref(), key=True, supervising_leader=None
        )  # ignored, never dead-lettered
    )
    await world.send(
        "proposal.events", [world.envelope(world.submitted()), registered, key_marked, registered]
    )  # the registration delivered twice
    # Topics are not ordered with each other: the proposers are known once proposal.registered is in.
    await world.until(f"member:{world.lead}", 1)
    assigned = world.envelope(world.assigned())
    await world.send("assignment.events", [assigned, world.envelope(world.overdue())])

    lead = await world.until(f"member:{world.lead}", 2)
    unit = await world.until(f"unit:{world.unit}", 2)
    assert [n.kind for n in lead] == ["proposal_registered", "proposal_assigned"]
    assert [n.kind for n in unit] == ["assignment_created", "assignment_overdue"]
    assert "市民政局" in lead[1].body and "0012" in lead[1].body
    assert len(await world.notifications(f"member:{world.cosigner}")) == 2

    # A replay past the inbox (its rows purged, the events read again) adds nothing either.
    async with service_runtime(app).database.session() as session:
        await session.exec(delete(InboxMessage))  # type: ignore[call-overload]
        await session.commit()
    await world.send("proposal.events", [registered])
    await world.send("assignment.events", [assigned, world.envelope(world.overdue())])
    unit = await world.until(f"unit:{world.unit}", 3)
    assert len(await world.notifications(f"member:{world.lead}")) == 2
    assert len(unit) == 3  # only the new overdue event
    dead = await read_topic(kafka.bootstrap, notification_settings.dead_letter_topic, expect=0, timeout=3)
    assert dead == []

    # The inbox API: the caller's own, newest first, in cursor pages.
    me = world.member_headers(world.lead)
    first = await client.get("/notifications", params={"limit": 1}, headers=me)
    assert first.status_code == 200, first.text
    page = first.json()
    assert [i["kind"] for i in page["items"]] == ["proposal_assigned"] and page["next_cursor"]
    second = (await client.get("/notifications", params={"cursor": page["next_cursor"]}, headers=me)).json()
    assert [i["kind"] for i in second["items"]] == ["proposal_registered"] and second["next_cursor"] is None
    assert (await client.get("/notifications/unread-count", headers=me)).json() == {"unread": 2}

    # Another member neither sees nor marks it.
    other = world.member_headers(world.stranger)
    assert (await client.get("/notifications", headers=other)).json() == {"items": [], "next_cursor": None}
    target = page["items"][0]["id"]
    problem(await client.post(f"/notifications/{target}/read", headers=other), 404, "not_found")
    assert (await client.get("/notifications/unread-count", headers=me)).json() == {"unread": 2}

    read = await client.post(f"/notifications/{target}/read", headers=me)
    assert read.status_code == 200 and read.json()["read"] is True
    unread = (await client.get("/notifications", params={"unread": "true"}, headers=me)).json()
    assert [i["kind"] for i in unread["items"]] == ["proposal_registered"]
    assert (await client.post("/notifications/read-all", headers=me)).json() == {"marked": 1}
    assert (await client.get("/notifications/unread-count", headers=me)).json() == {"unread": 0}

    # A unit's staff read the unit's inbox, a body's staff their shared inbox (none of these events is
    # theirs); an account without an inbox (an administrator) and the anonymous are refused.
    units = (await client.get("/notifications", headers=world.unit_headers())).json()
    assert [i["kind"] for i in units["items"]] == ["assignment_overdue", "assignment_overdue", "assignment_created"]
    staff = await client.get("/notifications", headers=dev_keys.headers("staff", body_id="body-1"))
    assert staff.status_code == 200 and staff.json()["items"] == []
    problem(await client.get("/notifications", headers=dev_keys.headers("admin")), 403, "forbidden")
    problem(await client.get("/notifications"), 401, "unauthorized")
    problem(await client.get("/notifications", params={"cursor": "nonsense"}, headers=me), 422, "invalid_cursor")
