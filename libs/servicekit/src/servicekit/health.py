"""Liveness and readiness endpoints."""

import asyncio
from collections.abc import Awaitable, Callable

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

Check = Callable[[], Awaitable[None]]


class Health(BaseModel):
    status: str
    checks: dict[str, str] = {}


def health_router(checks: dict[str, Check], *, timeout_s: float = 2.0) -> APIRouter:
    router = APIRouter(prefix="/health", tags=["health"])

    @router.get("/live", operation_id="health_live", response_model=Health)
    async def live() -> Health:
        return Health(status="ok")

    @router.get(
        "/ready",
        operation_id="health_ready",
        response_model=Health,
        responses={503: {"model": Health, "description": "a dependency is unreachable"}},
    )
    async def ready() -> JSONResponse:
        async def run(check: Check) -> str:
            try:
                await asyncio.wait_for(check(), timeout_s)
            except Exception as exc:  # noqa: BLE001 - reported, not raised
                return f"unreachable: {type(exc).__name__}"
            return "ok"

        results = await asyncio.gather(*(run(c) for c in checks.values()))
        report = dict(zip(checks, results, strict=True))
        ok = all(r == "ok" for r in results)
        body = Health(status="ok" if ok else "unavailable", checks=report)
        return JSONResponse(body.model_dump(), status_code=200 if ok else 503)

    return router
