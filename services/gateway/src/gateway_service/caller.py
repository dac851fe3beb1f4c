"""Who is calling, worked out once per request, before anything else reads it.

``CallerMiddleware`` runs first (outside the rate limiter) and puts one ``Caller`` in the
request's state: the real client address, and the verified bearer token or API key, if any.
The rate limiter keys on it, routes take it as ``CurrentCaller`` (api/deps.py): the door
(door.py) forwards or refuses by it, Idempotency-Key records are scoped by it, and the
gateway's own routes take its principal; nobody verifies the token a second time.

- A token that verifies (signature, claims, its sign-in still open) makes the caller its
  subject; a usable API key makes it the key's id. A junk or refused credential does not
  make a caller of its own: it is the client address (the door answers 401 as before), so
  inventing headers, or spelling one token differently, gets no fresh rate-limit budget.
- The client address is the TCP peer, unless the peer is one of ``trusted_proxies``: then
  the rightmost address in ``Forwarded`` (RFC 7239) or ``X-Forwarded-For`` that is not
  itself a trusted proxy. From anyone else those headers are ignored. (Run uvicorn with
  ``--no-proxy-headers`` so that the peer reaches the gateway unchanged.)
"""

import ipaddress
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway_service.api_keys import service as api_keys
from gateway_service.api_keys.models import HEADER as API_KEY_HEADER
from gateway_service.api_keys.models import ApiKey
from servicekit.auth import Principal, TokenVerifier, unauthorized
from servicekit.db import Database
from servicekit.errors import Problem

log = logging.getLogger(__name__)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Caller:
    address: str
    principal: Principal | None = None  # a bearer token that verified
    api_key: ApiKey | None = None  # an API key that is usable (known, not expired or revoked)
    problem: Problem | None = None  # why the credential presented is refused; the door answers it
    # False when a lookup failed (the database): CurrentCaller then resolves again, inside the
    # request's error handling.
    complete: bool = True

    @property
    def key(self) -> str:
        """Whose budget and whose Idempotency-Keys: the key, the subject, or the address."""
        if self.api_key is not None:
            return f"key:{self.api_key.id}"
        if self.principal is not None:
            return f"sub:{self.principal.subject}"
        return f"addr:{self.address}"


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """An address from a forwarding header entry ("1.2.3.4", "1.2.3.4:80", "[::1]:80", '"[::1]"')."""
    value = text.strip().strip('"')
    if value.startswith("["):
        value = value[1 : value.find("]")] if "]" in value else ""
    elif value.count(":") == 1:
        value = value.split(":", 1)[0]
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None  # "unknown", obfuscated identifiers, junk


def _forwarded_chain(headers: Headers) -> list[str]:
    """Client first, nearest proxy last."""
    forwarded = headers.getlist("forwarded")
    if forwarded:
        chain = []
        for element in ",".join(forwarded).split(","):
            for pair in element.split(";"):
                name, _, value = pair.partition("=")
                if name.strip().lower() == "for":
                    chain.append(value)
        return chain
    return [entry for entry in ",".join(headers.getlist("x-forwarded-for")).split(",") if entry.strip()]


def client_address(scope: Scope, trusted: Sequence[Network]) -> str:
    client = scope.get("client")
    peer = str(client[0]) if client else ""
    if not trusted:
        return peer
    current = _ip(peer)

    def is_trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
        return any(address.version == net.version and address in net for net in trusted)

    if current is None or not is_trusted(current):
        return peer
    # Walk from the nearest hop back: each trusted proxy vouches for the hop before it.
    for entry in reversed(_forwarded_chain(Headers(scope=scope))):
        hop = _ip(entry)
        if hop is None:
            break  # a hop we cannot read: the last one we could is the client as far as we know
        current = hop
        if not is_trusted(hop):
            break
    return str(current)


def caller_in(scope: Scope) -> Caller:
    """The request's caller, put there by ``CallerMiddleware`` (main.py installs it outside all that reads it)."""
    caller: Caller = scope["state"]["caller"]
    return caller


class CallerResolver:
    def __init__(self, trusted_proxies: Sequence[Network], *, verifier: TokenVerifier, database: Database) -> None:
        self.trusted = list(trusted_proxies)
        self.verifier = verifier
        self.database = database

    async def resolve(self, scope: Scope, *, strict: bool = False) -> Caller:
        """``strict``: let a failing lookup raise (inside a route) instead of deferring it."""
        address = client_address(scope, self.trusted)
        headers = Headers(scope=scope)
        try:
            key = headers.get(API_KEY_HEADER)
            if key is not None:
                async with self.database.session(read_only=True) as session:
                    row = await api_keys.usable_key(session=session, key=key)
                if row is None:
                    return Caller(address, problem=api_keys.refused())
                return Caller(address, api_key=row)
            authorization = headers.get("authorization")
            if authorization is not None:
                scheme, _, token = authorization.strip().partition(" ")
                if scheme.lower() != "bearer" or not token.strip():
                    return Caller(address, problem=unauthorized("use an Authorization: Bearer token"))
                try:
                    return Caller(address, principal=await self.verifier.verify(token.strip()))
                except Problem as problem:
                    return Caller(address, problem=problem)
        except Exception:
            if strict:
                raise
            log.warning("could not resolve the caller before the request; resolving again in it", exc_info=True)
            return Caller(address, complete=False)
        return Caller(address)


def remember(scope: Scope, caller: Caller) -> None:
    state: dict[str, Any] = scope.setdefault("state", {})
    state["caller"] = caller
    if caller.principal is not None:
        # servicekit.auth.current_principal takes it from here for the gateway's own routes.
        state["principal"] = caller.principal


class CallerMiddleware:
    def __init__(self, app: ASGIApp, *, resolver: CallerResolver) -> None:
        self.app = app
        self.resolver = resolver

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            remember(scope, await self.resolver.resolve(scope))
        await self.app(scope, receive, send)
