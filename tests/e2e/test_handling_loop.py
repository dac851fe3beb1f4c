"""One item's whole life through the gateway, with the four services as real processes:
filed and cosigned, registered, assigned, replied, rated unsatisfied, rehandled, replied
again, rated satisfied, closed, and each service's view agreeing (SQLite and PostgreSQL)."""

import asyncio
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from devstack.filing import FilingDesk
from devstack.stack import Stack

pytestmark = pytest.mark.e2e

UNITS = "编号,名称,上级编号,类型\nE2E-WH,武汉市人民政府,,government\nE2E-SWJ,市水务局,E2E-WH,department\nE2E-HS,洪山区水务和湖泊局,E2E-WH,department\n"


async def until(fetch: Callable[[], Any], check: Callable[[Any], bool], timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        response = await fetch()
        if (response.status_code == 200 and check(response.json())) or time.monotonic() > deadline:
            assert response.status_code == 200, response.text
            return response.json()
        await asyncio.sleep(0.2)


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


async def test_an_item_is_handled_rated_rehandled_and_closed(stack: Stack) -> None:
    keys = stack.keys
    async with httpx.AsyncClient(base_url=f"{stack.gateway_url}/api/v1", timeout=30) as c:
        desk = await FilingDesk.open(c, keys, prefix="")
        admin, staff, lead = keys.headers("admin", subject="e2e-admin"), desk.staff(), desk.member(0)
        units = {u["code"]: u["id"] for u in ok(await c.get("/units"))["items"]}
        if "E2E-SWJ" not in units:
            ok(await c.post("/units/import", content=UNITS.encode(), headers=admin))
            units = {u["code"]: u["id"] for u in ok(await c.get("/units"))["items"]}

        def unit(code: str) -> dict[str, str]:
            return keys.headers("unit_staff", subject=f"e2e-{code}", unit_id=units[code])

        body = {**desk.draft_body(title="关于治理南湖片区渍水的建议", category="城市建设"), "kind": "joint"}
        item = ok(await c.post("/proposals", json=body, headers=lead), 201)
        pid = item["id"]
        ok(await c.post(f"/proposals/{pid}/cosigners", json={"member_ids": [desk.members[1]["id"]]}, headers=lead))
        ok(await c.post(f"/proposals/{pid}/cosign", json={"accept": True}, headers=desk.member(1)))
        ok(await c.post(f"/proposals/{pid}/submit", headers=lead))
        ok(await c.post(f"/proposals/{pid}/register", headers=staff))

        await until(
            lambda: c.get(f"/handling/proposals/{pid}", headers=staff), lambda v: v["status"] == "awaiting_assignment"
        )
        separate = {
            "units": [
                {"unit_id": units["E2E-SWJ"], "role": "separate"},
                {"unit_id": units["E2E-HS"], "role": "separate"},
            ]
        }
        swj, hs = ok(await c.post(f"/proposals/{pid}/assignments", json=separate, headers=staff))
        await until(lambda: c.get(f"/proposals/{pid}", headers=lead), lambda v: v["status"] == "assigned")

        for assignment, code, outcome in ((swj, "E2E-SWJ", "A"), (hs, "E2E-HS", "C")):
            ok(await c.post(f"/assignments/{assignment['id']}/acknowledge", headers=unit(code)))
            ok(
                await c.post(
                    f"/assignments/{assignment['id']}/reply",
                    json={"text": "答复", "outcome": outcome},
                    headers=unit(code),
                ),
                201,
            )
        view = await until(lambda: c.get(f"/proposals/{pid}", headers=lead), lambda v: v["status"] == "replied")
        assert {u["unit_name"] for u in view["handling_units"]} == {"市水务局", "洪山区水务和湖泊局"}

        # The lead proposer is unsatisfied with one unit's result: that unit handles it again.
        satisfied = {"contact": "satisfied", "attitude": "satisfied", "result": "satisfied"}
        rate = f"/proposals/{pid}/evaluations"
        await until(lambda: c.get(rate, headers=lead), lambda v: True)  # the evaluation service knows the replies
        ok(await c.post(rate, json={"unit_id": units["E2E-SWJ"], **satisfied}, headers=lead), 201)
        ok(
            await c.post(rate, json={"unit_id": units["E2E-HS"], **satisfied, "result": "unsatisfied"}, headers=lead),
            201,
        )
        assert (
            await c.post(rate, json={"unit_id": units["E2E-HS"], **satisfied}, headers=desk.member(2))
        ).status_code == 404
        await until(lambda: c.get(f"/assignments/{hs['id']}", headers=unit("E2E-HS")), lambda v: v["round"] == 2)
        await until(lambda: c.get(f"/proposals/{pid}", headers=lead), lambda v: v["status"] == "rehandling")
        ok(
            await c.post(
                f"/assignments/{hs['id']}/reply",
                json={"text": "重新办理：已开工", "outcome": "A"},
                headers=unit("E2E-HS"),
            ),
            201,
        )

        # Round 2: everyone entitled rates satisfied, and the item is closed. The client names the
        # reply it rates, so a rating sent before the evaluation service has seen the new reply is
        # refused (409 reply_not_current) and retried, instead of landing on round 1.
        await until(lambda: c.get(f"/proposals/{pid}", headers=lead), lambda v: v["status"] == "replied")
        new_reply = next(
            r["id"]
            for r in ok(await c.get(f"/proposals/{pid}/replies", headers=lead))["items"]
            if r["current"] and r["round"] == 2
        )
        for member in (lead, desk.member(1)):
            for code in ("E2E-SWJ", "E2E-HS"):
                body = {"unit_id": units[code], **satisfied, "reply_id": new_reply}
                response = await c.post(rate, json=body, headers=member)
                deadline = time.monotonic() + 60
                while response.status_code == 409 and code == "E2E-HS" and time.monotonic() < deadline:
                    assert response.json()["code"] == "reply_not_current", response.text
                    await asyncio.sleep(0.2)
                    response = await c.post(rate, json=body, headers=member)
                # The unit not rehandled has no round-2 reply to rate.
                assert response.status_code == (201 if code == "E2E-HS" else 409), response.text
        view = await until(lambda: c.get(f"/proposals/{pid}", headers=lead), lambda v: v["status"] == "closed")
        timeline = [e["action"] for e in ok(await c.get(f"/proposals/{pid}/timeline", headers=lead))["items"]]
        assert timeline.count("handling.completed") == 2 and "evaluation.completed" in timeline
        ratings = ok(await c.get(rate, headers=staff))["items"]
        assert [(r["round"], r["result"]) for r in ratings if r["unit_name"] == "洪山区水务和湖泊局"] == [
            (1, "unsatisfied"),
            (2, "satisfied"),
            (2, "satisfied"),
        ]
        dossier = ok(await c.get(f"/proposals/{pid}/dossier", headers=staff))
        assert dossier["missing"] == [] and dossier["proposal"]["status"] == "closed"
        assert len(dossier["assignments"]) == 2 and len(dossier["replies"]) == 3 and len(dossier["evaluations"]) == 4
        assert [c["member_name"] for c in dossier["proposal"]["cosigners"]] == [desk.members[1]["name"]]
        replies = ok(await c.get(f"/proposals/{pid}/replies", headers=lead))["items"]
        assert sorted((r["round"], r["outcome"], r["current"]) for r in replies) == [
            (1, "A", True),
            (1, "C", False),
            (2, "A", True),
        ]
