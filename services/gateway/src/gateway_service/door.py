"""The gateway's coarse check, before a request is forwarded (each service then applies its own
object-level rules, ADR 6): the caller (caller.py, worked out once per request) must have
presented a token that verified or a usable API key, or nothing at all; an API key becomes a
token of the gateway's own (api_keys.py); and nothing changes data anonymously."""

from fastapi import Request

from gateway_service.api_keys import ApiKeyAuthority
from gateway_service.caller import CallerResolver
from gateway_service.routes import Route
from servicekit.auth import unauthorized

READS = frozenset({"GET", "HEAD", "OPTIONS"})


class Door:
    def __init__(self, api_keys: ApiKeyAuthority, callers: CallerResolver) -> None:
        self.api_keys = api_keys
        self.callers = callers

    async def authorization_for(self, request: Request, route: Route) -> str | None:
        """The Authorization header to forward: the caller's own (verified), one for their API key,
        or None for an anonymous read."""
        caller = await self.callers.caller_of(request)
        if caller.problem is not None:
            raise caller.problem
        if caller.api_key is not None:
            return f"Bearer {self.api_keys.token_for(caller.api_key, route.operation_id)}"
        if caller.principal is not None:
            # Normalised: the token the caller sent, in the one spelling the services parse.
            _, _, token = request.headers["authorization"].strip().partition(" ")
            return f"Bearer {token.strip()}"
        if route.method not in READS:
            raise unauthorized("sign in, or use an API key, to change anything")
        return None
