"""Who is calling: bearer-token verification that every service does itself.

The gateway signs short-lived access tokens (EdDSA, Ed25519); each service
verifies them with the gateway's public keys, so a request that bypasses the
gateway is no more trusted than one through it (DESIGN section 3, ADR 6).
The algorithm is pinned, and issuer, audience, expiry and the key id are
checked. A request without a token is the anonymous public; a request with a
bad token is a 401, never silently anonymous.

Keys come only from what the service was configured with: ``auth_jwks`` (a
JWKS document, JSON, pinned in the environment) and/or ``auth_jwks_url`` (the
configured gateway's JWKS endpoint). There is no default address: a service
given neither trusts no token at all. An unknown key id may trigger a refetch
from ``auth_jwks_url`` (so key rotation needs no restart), but at most one
fetch per ``refetch_interval_s``, however many unknown key ids arrive, and
concurrent requests wait for the one fetch in flight instead of starting their
own (issue 10: a flood of forged key ids must not become a flood of fetches).
"""

import asyncio
import json
import logging
import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Any

import httpx
import jwt
from fastapi import Depends, Request

from servicekit.errors import Problem

log = logging.getLogger(__name__)

ALGORITHM = "EdDSA"


class Role(StrEnum):
    member = "member"  # 委员 / 代表
    staff = "staff"  # 提案委 staff of one body
    unit_staff = "unit_staff"  # staff of one handling unit
    leader = "leader"  # supervising leader (督办)
    admin = "admin"
    system = "system"  # another government system, by API key


@dataclass(frozen=True)
class Principal:
    """The caller as the token describes them. ``anonymous`` is the public."""

    subject: str
    role: Role | None
    body_id: str | None = None
    member_id: str | None = None
    unit_id: str | None = None
    name: str | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)
    # The sign-in (``sid`` claim) the token belongs to; the gateway refuses tokens
    # of ended sign-ins (ADR 11). None for tokens minted without one.
    session_id: str | None = None

    @property
    def anonymous(self) -> bool:
        return self.role is None

    def is_staff_of(self, body_id: str) -> bool:
        return self.role in (Role.staff, Role.leader) and self.body_id == body_id

    @property
    def actor(self) -> str:
        """How the audit trail names the caller."""
        return self.subject if self.role is None else f"{self.role}:{self.subject}"


ANONYMOUS = Principal(subject="anonymous", role=None)


def unauthorized(detail: str) -> Problem:
    return Problem(401, "unauthorized", "Unauthorized", detail, headers={"WWW-Authenticate": 'Bearer realm="api"'})


def forbidden(detail: str) -> Problem:
    return Problem(403, "forbidden", "Forbidden", detail)


class TokenVerifier:
    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        jwks: str | None = None,
        jwks_url: str | None = None,
        leeway_s: float = 30,
        refetch_interval_s: float = 30,
    ) -> None:
        self.issuer = issuer
        self.audience = audience
        self.jwks_url = jwks_url or None
        self.leeway_s = leeway_s
        self.refetch_interval_s = refetch_interval_s
        # Pinned keys stay trusted whatever a fetch returns; fetched keys are replaced
        # by each successful fetch, so a key the gateway retired stops verifying.
        self._pinned: dict[str, Any] = self._parse(jwks) if jwks else {}
        self._fetched: dict[str, Any] = {}
        self._fetched_at: float | None = None
        self._fetch: asyncio.Task[None] | None = None
        self.fetches = 0  # how many fetches were started (for tests and metrics)
        if not self._pinned and not self.jwks_url:
            log.warning("no auth_jwks or auth_jwks_url configured: every bearer token will be refused")

    @property
    def _keys(self) -> dict[str, Any]:
        return {**self._fetched, **self._pinned}

    @staticmethod
    def _parse(document: str | dict[str, Any]) -> dict[str, Any]:
        data = json.loads(document) if isinstance(document, str) else document
        keys = {}
        for entry in data.get("keys", []):
            if entry.get("kty") == "OKP" and entry.get("crv") == "Ed25519" and entry.get("kid"):
                keys[entry["kid"]] = jwt.PyJWK(entry, algorithm=ALGORITHM).key
        return keys

    async def _refetch(self) -> None:
        """Fetches ``jwks_url`` once per ``refetch_interval_s`` at most; callers arriving while
        a fetch runs wait for that one."""
        if not self.jwks_url:
            return
        if self._fetch is None or self._fetch.done():
            now = time.monotonic()
            if self._fetched_at is not None and now - self._fetched_at < self.refetch_interval_s:
                return
            # Stamped before the fetch, so that a failing or slow endpoint is not retried
            # by every request either.
            self._fetched_at = now
            self.fetches += 1
            self._fetch = asyncio.create_task(self._fetch_once(self.jwks_url))
        # shield: one caller giving up (client gone) must not cancel the others' fetch.
        await asyncio.shield(self._fetch)

    async def _fetch_once(self, url: str) -> None:
        try:
            async with httpx.AsyncClient(timeout=5, follow_redirects=False) as client:
                response = await client.get(url)
                response.raise_for_status()
                self._fetched = self._parse(response.json())
        except (httpx.HTTPError, ValueError, AttributeError, jwt.PyJWTError) as exc:
            log.warning("cannot fetch JWKS from %s: %s", url, exc)

    async def verify(self, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise unauthorized("the token is malformed") from None
        if header.get("alg") != ALGORITHM:
            raise unauthorized("the token's algorithm is not accepted")
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise unauthorized("the token names no key")
        if kid not in self._keys:
            await self._refetch()
        key = self._keys.get(kid)
        if key is None:
            raise unauthorized("the token is signed with an unknown key")
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway_s,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError:
            raise unauthorized("the token has expired") from None
        except jwt.PyJWTError:
            raise unauthorized("the token is invalid") from None
        if claims.get("typ") != "access":
            raise unauthorized("the token is not an access token")
        try:
            role = Role(str(claims.get("role")))
        except ValueError:
            raise unauthorized("the token carries an unknown role") from None
        return Principal(
            subject=str(claims["sub"]),
            role=role,
            body_id=claims.get("body_id"),
            member_id=claims.get("member_id"),
            unit_id=claims.get("unit_id"),
            name=claims.get("name"),
            scopes=frozenset(str(claims.get("scope", "")).split()),
            session_id=str(claims["sid"]) if claims.get("sid") else None,
        )


async def current_principal(request: Request) -> Principal:
    """The caller of this request; anonymous without an Authorization header.

    A principal that in-process middleware already verified for this very request
    (the gateway resolves its caller once, early) is taken as it is."""
    resolved = getattr(request.state, "principal", None)
    if isinstance(resolved, Principal):
        return resolved
    header = request.headers.get("authorization")
    if not header:
        return ANONYMOUS
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise unauthorized("use an Authorization: Bearer token")
    verifier: TokenVerifier = request.app.state.runtime.verifier
    return await verifier.verify(token.strip())


PrincipalDep = Annotated[Principal, Depends(current_principal)]


async def signed_in(principal: PrincipalDep) -> Principal:
    if principal.anonymous:
        raise unauthorized("sign in first")
    return principal


SignedInDep = Annotated[Principal, Depends(signed_in)]
