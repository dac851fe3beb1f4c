"""Answers every service gives the same way: a 405 names all the methods of its path, a service
that is not ready says so in problem+json."""

import httpx
from fastapi import APIRouter, FastAPI

from servicekit.errors import conflict, install_problem_handlers, invalid
from servicekit.health import health_router


async def _unreachable() -> None:
    raise ConnectionError("no broker")


async def _fine() -> None:
    return None


async def _clash() -> None:
    raise conflict("already_closed", "the ballot closed yesterday")


async def _bad() -> None:
    raise invalid("deadline_passed", "deadline", "the deadline must be in the future")


def make_app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    router = APIRouter()
    # Two routes on one path, as FastAPI registers GET and POST /items.
    router.add_api_route("/items", lambda: [], methods=["GET"])
    router.add_api_route("/items", lambda: {}, methods=["POST"], status_code=201)
    router.add_api_route("/items/{item_id}", lambda item_id: {}, methods=["PATCH"])
    router.add_api_route("/items/import", lambda: {}, methods=["POST"])
    router.add_api_route("/clash", _clash, methods=["POST"])
    router.add_api_route("/bad", _bad, methods=["POST"])
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


async def test_the_shared_constructors_give_a_409_and_a_422_naming_the_field() -> None:
    async with await client() as c:
        clash = await c.post("/clash")
        bad = await c.post("/bad")
    assert clash.status_code == 409
    assert clash.headers["content-type"] == "application/problem+json"
    assert clash.json()["code"] == "already_closed"
    assert clash.json()["detail"] == "the ballot closed yesterday"
    assert bad.status_code == 422
    assert bad.json()["code"] == "deadline_passed"
    assert bad.json()["errors"] == [
        {"in": "body", "field": "deadline", "message": "the deadline must be in the future"}
    ]
