"""The gateway's coarse check, before a request is forwarded (each service then applies its own
object-level rules, ADR 6): the caller (caller.py, worked out once per request) must have
presented a token that verified or a usable API key, or nothing at all; an API key becomes a
token of the gateway's own (api_keys/); and nothing changes data anonymously."""

from fastapi import Request

from gateway_service.accounts.tokens import TokenIssuer
from gateway_service.api_keys import service as api_keys
from gateway_service.caller import Caller
from gateway_service.routes import Route
from servicekit.auth import unauthorized

READS = frozenset({"GET", "HEAD", "OPTIONS"})


def authorization_for(request: Request, route: Route, caller: Caller, tokens: TokenIssuer) -> str | None:
    """The Authorization header to forward: the caller's own (verified), one for their API key
    (signed by ``tokens``), or None for an anonymous read."""
    if caller.problem is not None:
        raise caller.problem
    if caller.api_key is not None:
        return f"Bearer {api_keys.token_for(tokens=tokens, key=caller.api_key, operation_id=route.operation_id)}"
    if caller.principal is not None:
        # Normalised: the token the caller sent, in the one spelling the services parse.
        _, _, token = request.headers["authorization"].strip().partition(" ")
        return f"Bearer {token.strip()}"
    if route.method not in READS:
        raise unauthorized("sign in, or use an API key, to change anything")
    return None
