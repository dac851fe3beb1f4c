"""Notifications end to end: a joint item filed and registered through the gateway tells its
proposers, in their own inboxes, with the services running as real processes."""

import asyncio
import time

import httpx
import pytest

from devstack.filing import FilingDesk
from devstack.stack import Stack

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def desk(stack: Stack) -> FilingDesk:
    async def open_desk() -> FilingDesk:
        async with httpx.AsyncClient(base_url=stack.gateway_url) as client:
            return await FilingDesk.open(client, stack.keys)

    return asyncio.run(open_desk())


async def test_registering_a_joint_item_tells_the_lead_and_the_cosigner(stack: Stack, desk: FilingDesk) -> None:
    async with httpx.AsyncClient(base_url=f"{stack.gateway_url}/api/v1", timeout=60) as client:
        lead, cosigner, other = desk.member(0), desk.member(1), desk.member(2)
        body = {**desk.draft_body(title="关于增设社区助餐点的建议"), "kind": "joint"}
        item = (await client.post("/proposals", json=body, headers=lead)).json()
        invited = await client.post(
            f"/proposals/{item['id']}/cosigners", json={"member_ids": [desk.members[1]["id"]]}, headers=lead
        )
        assert invited.status_code == 200, invited.text
        await client.post(f"/proposals/{item['id']}/cosign", json={"accept": True}, headers=cosigner)
        assert (await client.post(f"/proposals/{item['id']}/submit", headers=lead)).status_code == 200
        registered = (await client.post(f"/proposals/{item['id']}/register", headers=desk.staff())).json()

        async def inbox(headers: dict[str, str]) -> list[dict[str, object]]:
            deadline = time.monotonic() + 30
            while True:
                answer = await client.get("/notifications", headers=headers)
                assert answer.status_code == 200, answer.text
                items: list[dict[str, object]] = answer.json()["items"]
                if items or time.monotonic() > deadline:
                    return items
                await asyncio.sleep(0.2)

        for headers in (lead, cosigner):
            [note] = await inbox(headers)
            assert note["kind"] == "proposal_registered" and note["proposal_id"] == item["id"]
            assert registered["number_label"] in str(note["body"]) and "关于增设社区助餐点的建议" in str(note["body"])
        assert (await client.get("/notifications", headers=other)).json()["items"] == []
        assert (await client.get("/notifications/unread-count", headers=lead)).json() == {"unread": 1}
