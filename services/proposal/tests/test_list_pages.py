"""The proposal service's lists answer one page envelope ({items, next_cursor}, ADR 20): walked
page by page they repeat and skip nothing and keep their order; a cursor a list did not issue
is a 422 naming ``cursor``, never a 500."""

from typing import Any

import httpx
import pytest
from proposal_world import World, ok, problem

from servicekit.pagination import encode_cursor

pytestmark = pytest.mark.integration

NAMES = ("刘洋", "王芳", "陈刚", "赵敏", "王小明", "李雷", "韩梅梅")


@pytest.fixture
def world_names() -> tuple[str, ...]:
    return NAMES


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
    problem(await c.get(path), 401, "unauthorized")  # the public: sign in first
