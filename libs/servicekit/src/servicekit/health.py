"""Liveness and readiness endpoints."""

import asyncio
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from servicekit.errors import PROBLEM_JSON, ProblemDocument, problem_type

Check = Callable[[], Awaitable[None]]


class Health(BaseModel):
    status: str
    checks: dict[str, str] = {}


class NotReady(ProblemDocument):
    """The 503 problem of /health/ready, with each dependency's check."""

    checks: dict[str, str]


def health_router(checks: dict[str, Check], *, timeout_s: float = 2.0) -> APIRouter:
    router = APIRouter(prefix="/health", tags=["health"])

    @router.get("/live", operation_id="health_live", response_model=Health)
    async def live() -> Health:
        return Health(status="ok")

    @router.get(
        "/ready",
        operation_id="health_ready",
        response_model=Health,
        responses={503: {"model": NotReady, "description": "a dependency is unreachable"}},
    )
    async def ready(request: Request) -> JSONResponse:
        async def run(check: Check) -> str:
            try:
                await asyncio.wait_for(check(), timeout_s)
            except Exception as exc:  # noqa: BLE001 - reported, not raised
                return f"unreachable: {type(exc).__name__}"
            return "ok"

        results = await asyncio.gather(*(run(c) for c in checks.values()))
        report = dict(zip(checks, results, strict=True))
        if all(r == "ok" for r in results):
            return JSONResponse(Health(status="ok", checks=report).model_dump())
        failed = ", ".join(name for name, result in report.items() if result != "ok")
        problem = NotReady(
            type=problem_type("not_ready"),
            title="Service Unavailable",
            status=503,
            code="not_ready",
            detail=f"unreachable: {failed}",
            instance=str(request.url.path),
            checks=report,
        )
        return JSONResponse(problem.model_dump(exclude_none=True), status_code=503, media_type=PROBLEM_JSON)

    return router
