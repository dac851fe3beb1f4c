"""Notifications end to end: a joint item filed and registered through the gateway tells its
proposers, in their own inboxes, with the services running as real processes; the cosign
invitation is also mailed, to the demo's mail catcher (`./dev run`'s, .eml files)."""

import asyncio
import email
import email.policy
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from devstack.filing import FilingDesk
from devstack.mailcatcher import MailCatcher
from devstack.stack import Stack

pytestmark = pytest.mark.e2e

CATCHER = MailCatcher(Path(tempfile.mkdtemp(prefix="e2e-mail-")))
STACK_ENV = {**CATCHER.service_env(), "NOTIFICATION_DELIVERY_POLL_INTERVAL_S": "0.2"}


@pytest.fixture(scope="module", autouse=True)
def mail_catcher() -> Iterator[MailCatcher]:
    CATCHER.start()
    try:
        yield CATCHER
    finally:
        CATCHER.stop()


@pytest.fixture(scope="module")
def desk(stack: Stack) -> FilingDesk:
    async def open_desk() -> FilingDesk:
        async with httpx.AsyncClient(base_url=stack.gateway_url) as client:
            return await FilingDesk.open(client, stack.keys)

    return asyncio.run(open_desk())


async def test_an_invitation_reaches_the_inbox_and_the_mail_and_registration_tells_both(
    stack: Stack, desk: FilingDesk, mail_catcher: MailCatcher
) -> None:
    async with httpx.AsyncClient(base_url=f"{stack.gateway_url}/api/v1", timeout=60) as client:
        lead, cosigner, other = desk.member(0), desk.member(1), desk.member(2)
        address = f"cosigner-{uuid.uuid4().hex[:8]}@demo.example.org"  # both stacks mail the one catcher
        contact = await client.put("/notifications/contact", json={"email": address}, headers=cosigner)
        assert contact.status_code in (200, 201), contact.text
        body = {**desk.draft_body(title="关于增设社区助餐点的建议"), "kind": "joint"}
        item = (await client.post("/proposals", json=body, headers=lead)).json()
        invited = await client.post(
            f"/proposals/{item['id']}/cosigners", json={"member_ids": [desk.members[1]["id"]]}, headers=lead
        )
        assert invited.status_code == 200, invited.text

        async def inbox(headers: dict[str, str], count: int) -> list[dict[str, object]]:
            deadline = time.monotonic() + 60
            while True:
                answer = await client.get("/notifications", headers=headers)
                assert answer.status_code == 200, answer.text
                items: list[dict[str, object]] = answer.json()["items"]
                if len(items) >= count or time.monotonic() > deadline:
                    return items
                await asyncio.sleep(0.2)

        [invitation] = await inbox(cosigner, 1)
        assert invitation["kind"] == "cosign_invited" and "关于增设社区助餐点的建议" in str(invitation["body"])

        async def mailed_to(to: str) -> email.message.EmailMessage:
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                for path in mail_catcher.messages():
                    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
                    if message["To"] == to:
                        return message  # type: ignore[return-value]
                await asyncio.sleep(0.3)
            raise AssertionError(f"no mail to {to} in {mail_catcher.directory}")

        mail = await mailed_to(address)
        assert mail["Subject"] == "联名邀请"
        text = mail.get_body(preferencelist=("plain",))
        assert text is not None and "关于增设社区助餐点的建议" in text.get_content()

        await client.post(f"/proposals/{item['id']}/cosign", json={"accept": True}, headers=cosigner)
        assert (await client.post(f"/proposals/{item['id']}/submit", headers=lead)).status_code == 200
        registered = (await client.post(f"/proposals/{item['id']}/register", headers=desk.staff())).json()

        for headers, earlier in ((lead, "cosign_accepted"), (cosigner, "cosign_invited")):
            note, first = await inbox(headers, 2)  # newest first
            assert (note["kind"], first["kind"]) == ("proposal_registered", earlier)
            assert note["proposal_id"] == item["id"]
            assert registered["number_label"] in str(note["body"]) and "关于增设社区助餐点的建议" in str(note["body"])
        assert (await client.get("/notifications", headers=other)).json()["items"] == []
        assert (await client.get("/notifications/unread-count", headers=lead)).json() == {"unread": 2}


async def test_a_unit_sees_its_overdue_reminder(stack: Stack, desk: FilingDesk) -> None:
    """The demo's overdue item (c02, assigned on paper months ago) in miniature: an item assigned
    with a past assigned_on is overdue; the deadline scan (./dev run's demo loader runs it once the
    data is in) tells the unit in its inbox, and an overdue reminder is sent even in quiet hours."""
    async with httpx.AsyncClient(base_url=f"{stack.gateway_url}/api/v1", timeout=60) as client:
        admin = stack.keys.headers("admin", subject="e2e-admin")
        code = f"E2E-OD-{uuid.uuid4().hex[:6].upper()}"
        csv = f"编号,名称,上级编号,类型\n{code},市发展和改革委员会{code[-6:]},,department\n"
        imported = await client.post("/units/import", content=csv.encode(), headers=admin)
        assert imported.status_code in (200, 201), imported.text
        units = (await client.get("/units", params={"limit": 200}, headers=admin)).json()["items"]
        unit_id = next(u["id"] for u in units if u["code"] == code)
        unit = stack.keys.headers("unit_staff", subject=f"e2e-{code}", unit_id=unit_id)

        async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=60) as gateway:  # the desk adds /api/v1
            item = await desk.file(gateway, title="关于加快建设城市数字公共基础设施的建议")
        registered = await client.post(f"/proposals/{item['id']}/register", headers=desk.staff())
        assert registered.status_code == 200, registered.text

        async def assign() -> httpx.Response:
            body = {"units": [{"unit_id": unit_id, "role": "lead"}], "assigned_on": "2026-03-02"}
            return await client.post(f"/proposals/{item['id']}/assignments", json=body, headers=desk.staff())

        deadline = time.monotonic() + 60
        while (answer := await assign()).status_code != 200 and time.monotonic() < deadline:
            await asyncio.sleep(0.3)  # the assignment service has not seen the registration yet
        assert answer.status_code == 200, answer.text
        [assignment] = answer.json()
        assert assignment["due_date"] < time.strftime("%Y-%m-%d")

        scan = await client.post("/supervision/scan", headers=desk.staff())
        assert scan.status_code == 200, scan.text
        assert scan.json()["working_day"] is False or scan.json()["overdue"] >= 1

        if not scan.json()["working_day"]:
            pytest.skip("the deadline scanner reminds on working days only; today is not one")
        deadline = time.monotonic() + 60
        kinds: list[str] = []
        while "assignment_overdue" not in kinds and time.monotonic() < deadline:
            inbox = await client.get("/notifications", headers=unit)
            assert inbox.status_code == 200, inbox.text
            kinds = [n["kind"] for n in inbox.json()["items"]]
            await asyncio.sleep(0.3)
        overdue = next(n for n in inbox.json()["items"] if n["kind"] == "assignment_overdue")
        assert overdue["proposal_id"] == item["id"]
        assert "关于加快建设城市数字公共基础设施的建议" in overdue["body"]
        assert (await client.get("/notifications/unread-count", headers=unit)).json()["unread"] >= 2  # assigned too
