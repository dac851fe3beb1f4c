"""The proposal service's lists answer one page envelope ({items, next_cursor}, ADR 20): walked
page by page they repeat and skip nothing and keep their order; a cursor a list did not issue
is a 422 naming ``cursor``, never a 500."""

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from proposal_world import World, ok, problem

from devstack.kafka import KafkaBroker
from devstack.keys import DevKeys
from proposal_service.main import create_app
from proposal_service.settings import ProposalSettings
from servicekit.pagination import encode_cursor

pytestmark = pytest.mark.integration

Serve = Callable[[FastAPI], AbstractAsyncContextManager[httpx.AsyncClient]]
NAMES = ("刘洋", "王芳", "陈刚", "赵敏", "王小明", "李雷", "韩梅梅")


@pytest.fixture
async def world(
    database_url: str, kafka: KafkaBroker, namespace: str, serve: Serve, dev_keys: DevKeys
) -> AsyncIterator[World]:
    app = create_app(
        ProposalSettings(
            database_url=database_url,
            kafka_bootstrap_servers=kafka.bootstrap,
            kafka_namespace=namespace,
            auth_jwks=dev_keys.jwks,
            auth_jwks_url=None,
        )
    )
    async with serve(app) as client:
        yield await World(client=client, keys=dev_keys).setup(names=NAMES)


async def walk(client: httpx.AsyncClient, path: str, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    for _ in range(50):
        page = ok(await client.get(path, params={**params, **({"cursor": cursor} if cursor else {})}, headers=headers))
        assert set(page) == {"items", "next_cursor"}, page
        assert len(page["items"]) <= int(params.get("limit", 50))
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("the pages never ended")


async def test_the_member_directory_pages_by_name_and_searches_names(world: World) -> None:
    w, c = world, world.client
    path = f"/bodies/{w.body['id']}/members"
    every = await walk(c, path, w.staff(), limit=3)
    assert sorted(m["id"] for m in every) == sorted(m["id"] for m in w.members.values())
    assert len({m["id"] for m in every}) == len(NAMES)
    assert [m["name"] for m in every] == [m["name"] for m in ok(await c.get(path, headers=w.staff()))["items"]]
    wangs = await walk(c, path, w.member("刘洋"), q="王", limit=1)
    assert sorted(m["name"] for m in wangs) == ["王小明", "王芳"]
    assert ok(await c.get(path, params={"q": "%"}, headers=w.staff()))["items"] == []  # no wildcard
    problem(await c.get(path, params={"cursor": "garbage"}, headers=w.staff()), 422, "invalid_cursor")
    body = problem(
        await c.get(path, params={"cursor": encode_cursor(["王芳", 3])}, headers=w.staff()), 422, "invalid_cursor"
    )
    assert [e["field"] for e in body["errors"]] == ["cursor"]
    problem(await c.get(path, params={"limit": 0}, headers=w.staff()), 422, "validation_failed")
    problem(await c.get(path), 403, "forbidden")
