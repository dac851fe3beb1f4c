"""Who is calling: bearer-token verification that every service does itself.

The gateway signs short-lived access tokens (EdDSA, Ed25519); each service
verifies them with the gateway's public keys, so a request that bypasses the
gateway is no more trusted than one through it (DESIGN section 3, ADR 6).
The algorithm is pinned, and issuer, audience, expiry and the key id are
checked. A request without a token is the anonymous public; a request with a
bad token is a 401, never silently anonymous.

Keys come from ``auth_jwks`` (a JWKS document, JSON, from the environment)
or are fetched from ``auth_jwks_url`` (the gateway's JWKS endpoint) and
cached; an unknown key id triggers one refetch, so key rotation needs no
restart.
"""

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
        self.jwks_url = jwks_url
        self.leeway_s = leeway_s
        self.refetch_interval_s = refetch_interval_s
        self._keys: dict[str, Any] = self._parse(jwks) if jwks else {}
        self._fetched_at = 0.0

    @staticmethod
    def _parse(document: str | dict[str, Any]) -> dict[str, Any]:
        data = json.loads(document) if isinstance(document, str) else document
        keys = {}
        for entry in data.get("keys", []):
            if entry.get("kty") == "OKP" and entry.get("crv") == "Ed25519" and entry.get("kid"):
                keys[entry["kid"]] = jwt.PyJWK(entry, algorithm=ALGORITHM).key
        return keys

    async def _refetch(self) -> None:
        if not self.jwks_url or time.monotonic() - self._fetched_at < self.refetch_interval_s:
            return
        self._fetched_at = time.monotonic()
        try:
            async with httpx.AsyncClient(timeout=5) as client:
                response = await client.get(self.jwks_url)
                response.raise_for_status()
                self._keys.update(self._parse(response.json()))
        except (httpx.HTTPError, ValueError, jwt.PyJWTError) as exc:
            log.warning("cannot fetch JWKS from %s: %s", self.jwks_url, exc)

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
        )


async def current_principal(request: Request) -> Principal:
    """The caller of this request; anonymous without an Authorization header."""
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
