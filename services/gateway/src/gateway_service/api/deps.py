"""What the gateway's routes take from the request: the caller (worked out once, by
``CallerMiddleware``) and the parts built with the app (main.py)."""

from typing import Annotated

from fastapi import Depends, Request

from gateway_service.caller import Caller, CallerResolver, caller_in, remember
from gateway_service.idempotency import IdempotencyStore
from gateway_service.proxy import Upstreams


async def current_caller(request: Request) -> Caller:
    """The caller the middleware found; resolved again here when a lookup failed there (the
    database), so that the failure is answered like any other in a route."""
    caller = caller_in(request.scope)
    if not caller.complete:
        callers: CallerResolver = request.app.state.callers
        caller = await callers.resolve(request.scope, strict=True)
        remember(request.scope, caller)
    return caller


CurrentCaller = Annotated[Caller, Depends(current_caller)]


async def upstreams_of(request: Request) -> Upstreams:
    upstreams: Upstreams = request.app.state.upstreams
    return upstreams


UpstreamsDep = Annotated[Upstreams, Depends(upstreams_of)]


async def idempotency_of(request: Request) -> IdempotencyStore:
    store: IdempotencyStore = request.app.state.idempotency
    return store


IdempotencyDep = Annotated[IdempotencyStore, Depends(idempotency_of)]
