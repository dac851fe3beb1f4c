"""The gateway's coarse check, before a request is forwarded (each service then applies its own
object-level rules, ADR 6): a bearer token must verify here already; an API key becomes a token
of the gateway's own (api_keys.py); and nothing changes data anonymously."""

from fastapi import Request

from gateway_service.api_keys import ApiKeyAuthority
from gateway_service.routes import Route
from servicekit.auth import TokenVerifier, unauthorized

READS = frozenset({"GET", "HEAD", "OPTIONS"})


class Door:
    def __init__(self, api_keys: ApiKeyAuthority) -> None:
        self.api_keys = api_keys
        self.verifier: TokenVerifier | None = None

    def bind(self, verifier: TokenVerifier) -> None:
        self.verifier = verifier

    async def authorization_for(self, request: Request, route: Route) -> str | None:
        """The Authorization header to forward: the caller's own (verified), one for their API key,
        or None for an anonymous read."""
        token = await self.api_keys.token_for(request, route.operation_id)
        if token is not None:
            return f"Bearer {token}"
        header = request.headers.get("authorization")
        if header:
            scheme, _, value = header.partition(" ")
            if scheme.lower() != "bearer" or not value.strip():
                raise unauthorized("use an Authorization: Bearer token")
            assert self.verifier is not None
            await self.verifier.verify(value.strip())
            return header
        if route.method not in READS:
            raise unauthorized("sign in, or use an API key, to change anything")
        return None
