"""Answers every service gives the same way: a 405 names all the methods of its path, a service
that is not ready says so in problem+json."""

import httpx
from fastapi import APIRouter, FastAPI

from servicekit.errors import install_problem_handlers
from servicekit.health import health_router


async def _unreachable() -> None:
    raise ConnectionError("no broker")


async def _fine() -> None:
    return None


def make_app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    router = APIRouter()
    # Two routes on one path, as FastAPI registers GET and POST /items.
    router.add_api_route("/items", lambda: [], methods=["GET"])
    router.add_api_route("/items", lambda: {}, methods=["POST"], status_code=201)
    router.add_api_route("/items/{item_id}", lambda item_id: {}, methods=["PATCH"])
    router.add_api_route("/items/import", lambda: {}, methods=["POST"])
    app.include_router(router)
    app.include_router(health_router({"database": _fine, "kafka": _unreachable}))
    return app


async def client() -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=make_app()), base_url="http://test")


async def test_a_405_allows_every_method_of_the_path_not_of_one_route() -> None:
    async with await client() as c:
        for method in ("OPTIONS", "PUT", "DELETE"):
            answer = await c.request(method, "/items")
            assert answer.status_code == 405
            assert answer.headers["content-type"] == "application/problem+json"
            assert answer.headers["allow"] == "GET, POST", method
        assert (await c.delete("/items/1")).headers["allow"] == "PATCH"
        # A literal path is its own resource, though /items/{item_id} would take "import" as an id.
        assert (await c.delete("/items/import")).headers["allow"] == "POST"


async def test_not_ready_is_a_503_problem_naming_the_failed_check() -> None:
    async with await client() as c:
        answer = await c.get("/health/ready")
    assert answer.status_code == 503
    assert answer.headers["content-type"] == "application/problem+json"
    body = answer.json()
    assert (body["status"], body["code"], body["title"]) == (503, "not_ready", "Service Unavailable")
    assert body["checks"] == {"database": "ok", "kafka": "unreachable: ConnectionError"}
    assert "kafka" in body["detail"] and body["instance"] == "/health/ready"
