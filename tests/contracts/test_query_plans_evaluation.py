"""No request of the evaluation service reads a whole table (the machinery: query_plans.py): items,
replies and merges told to it through Kafka as its producers would (rating_scene.Scene), then the
routes members, staff, leaders, units and administrators use: ratings, ballots, statistics, the
annual report and exports, the rules."""

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager

import httpx
import pytest
from contract_events import contract_event
from fastapi import FastAPI
from query_plans import Captured, assert_no_full_scans, capture, ok
from rating_scene import BODY, SATISFIED, Scene
from sqlmodel import SQLModel

from devstack.kafka import KafkaBroker
from devstack.keys import DevKeys
from evaluation_service.main import create_app
from evaluation_service.settings import EvaluationSettings
from servicekit.db import utcnow
from servicekit.runtime import service_runtime

pytestmark = pytest.mark.integration

Serve = Callable[[FastAPI], AbstractAsyncContextManager[httpx.AsyncClient]]

# Tables a full read of which is fine, each with why it stays small.
SMALL_TABLES = {
    "filing_count": "a counter per kind and category (a few dozen rows whatever the items), summed whole by "
    "/statistics/filing",
}


async def _known(scene: Scene) -> None:
    """Waits until the service has the scene's item among its statistics (it learns it from Kafka)."""
    from evaluation_service.models import StatItem

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        async with service_runtime(scene.app).database.session(read_only=True) as session:
            if await session.get(StatItem, scene.pid) is not None:
                return
        await asyncio.sleep(0.1)
    raise AssertionError("the evaluation service never learned of the item")


@pytest.fixture
async def scenes(
    database_url: str, kafka: KafkaBroker, namespace: str, serve: Serve, dev_keys: DevKeys
) -> AsyncIterator[tuple[list[Scene], Captured, str]]:
    settings = EvaluationSettings(
        database_url=database_url,
        kafka_bootstrap_servers=kafka.bootstrap,
        kafka_namespace=namespace,
        auth_jwks=dev_keys.jwks,
        auth_jwks_url=None,
    )
    app = create_app(settings)
    async with serve(app) as client:
        made = [Scene(client, app, dev_keys, kafka.bootstrap, namespace) for _ in range(3)]
        yield made, capture(app), database_url


async def test_evaluation_request_paths_read_no_table_in_full(scenes: tuple[list[Scene], Captured, str]) -> None:
    (s, t, plenary), captured, url = scenes
    c = s.client
    for scene in (s, t):
        await scene.registered()
        await scene.replied(units=("u-1", "u-2"))
        await scene.until_rated_item(1)
    # a plenary recommendation (建议案) for an assembly ballot
    await plenary.send(
        "proposal.events",
        [
            contract_event(
                "proposal.registered.v1",
                proposal_id=plenary.pid, body_id=BODY, session_id="s", kind="plenary", number=1, number_label="建0001",
                title="关于加快建设国家中心城市的建议案", content="c", category_id=None, category=None,
                lead_member_id=None, lead_proposer=None, cosigner_member_ids=[], group_name="政协常委会", key=False,
                registered_at=utcnow(),
            )
        ],
    )  # fmt: skip
    await plenary.replied()
    await _known(plenary)
    admin = s.keys.headers("admin", subject="admin")
    leader = s.keys.headers("leader", subject="leader", body_id=BODY)
    electors = [s.people["lead"], s.people["cosigner"], s.people["merged"], t.people["lead"], t.people["cosigner"]]

    with captured.recorded():
        # writes: ratings (new and changed), the rules and weights, a ballot opened, voted on, closed
        for scene in (s, t):
            url_ = f"/proposals/{scene.pid}/evaluations"
            for who in ("lead", "cosigner", "merged"):
                ok(await c.post(url_, json={"unit_id": "u-1", **SATISFIED}, headers=scene.member(who)), 201)
            changed = {"unit_id": "u-1", **SATISFIED, "result": "unsatisfied", "comment": "改为不满意"}
            ok(await c.post(url_, json=changed, headers=scene.member("lead")))
        rules = ok(await c.get(f"/bodies/{BODY}/evaluation-rules"))
        rules = {k: v for k, v in rules.items() if k in ("window_days", "cosigners_rate", "unrated_policy")}
        ok(await c.put(f"/bodies/{BODY}/evaluation-rules", json=rules, headers=s.staff()))
        weights = {"on_time": 0.3, "satisfaction": 0.4, "contact": 0.1, "outcome": 0.2}
        ok(await c.get(f"/bodies/{BODY}/performance-weights"))
        ok(await c.put(f"/bodies/{BODY}/performance-weights", json=weights, headers=s.staff()))
        opening = {
            "body_id": BODY,
            "session_id": "s",
            "proposal_id": plenary.pid,
            "title": "建议案民主测评",
            "member_ids": electors,
        }
        ballot = ok(await c.post("/ballots", json=opening, headers=s.staff()), 201)
        for who in ("lead", "cosigner"):
            ok(await c.post(f"/ballots/{ballot['id']}/votes", json={"option": "satisfied"}, headers=s.member(who)), 201)
        ok(await c.post(f"/ballots/{ballot['id']}/close", headers=s.staff()))
        again = ok(await c.post("/ballots", json={**opening, "title": "再测评"}, headers=s.staff()), 201)
        ok(await c.post(f"/ballots/{again['id']}/votes", json={"option": "satisfied"}, headers=s.member("lead")), 201)
        # reads: items, ratings and windows by each caller; ballots listed with each filter
        callers: tuple[dict[str, str], ...] = (
            s.staff(),
            leader,
            s.unit("u-1"),
            s.unit("u-9"),
            s.member("lead"),
            s.member("stranger"),
            admin,
            {},
        )
        for headers in callers:
            for scene in (s, t, plenary):
                await c.get(f"/proposals/{scene.pid}", headers=headers)
                await c.get(f"/proposals/{scene.pid}/evaluations", headers=headers)
                await c.get(f"/proposals/{scene.pid}/rating-window", headers=headers)
            await c.get(f"/ballots/{ballot['id']}", headers=headers)
            for params in (
                {},
                {"session_id": "s"},
                {"proposal_id": plenary.pid},
                {"status": "open"},
                {"session_id": "s", "status": "closed"},
            ):
                response = await c.get("/ballots", params={"body_id": BODY, "limit": 1, **params}, headers=headers)
                if response.status_code == 200 and response.json()["next_cursor"]:
                    cursor = response.json()["next_cursor"]
                    more = {"body_id": BODY, "limit": 1, **params, "cursor": cursor}
                    ok(await c.get("/ballots", params=more, headers=headers))
        # statistics, the annual report and exports
        for headers in (s.staff(), leader):
            for params in (
                {},
                {"session_id": "s"},
                {"session_id": "s", "kinds": "individual,joint,group"},
                {"session_id": "s", "exclude_kinds": "plenary,motion", "key": "false"},
                {"session_id": "s", "category": "经济发展", "collective": "false"},
                {"kind": "joint"},
            ):
                ok(await c.get("/statistics", params={"body_id": BODY, **params}, headers=headers))
            ok(await c.get("/statistics/units", params={"body_id": BODY, "session_id": "s"}, headers=headers))
            ok(await c.get("/statistics/units", params={"body_id": BODY}, headers=headers))
            for fmt in ("html", "csv"):
                report = {"body_id": BODY, "session_id": "s", "format": fmt}
                assert (await c.get("/reports/annual", params=report, headers=headers)).status_code == 200
            for export in ({}, {"session_id": "s", "kinds": "joint", "category": "未分类", "format": "xlsx"}):
                assert (
                    await c.get("/exports/items", params={"body_id": BODY, **export}, headers=headers)
                ).status_code == 200
        ok(await c.get("/statistics/filing", headers=admin))

    await assert_no_full_scans(url, captured, SQLModel.metadata.tables, small=SMALL_TABLES, at_least=30)
