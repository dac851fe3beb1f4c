"""Open sign-ins: the gateway refuses an access token whose sign-in has ended (ADR 11).

Every access token the gateway issues at sign-in or refresh names its sign-in in the ``sid``
claim (the refresh-token family, ``AccountSession``). Logging out, a reused refresh token and
deactivating the account revoke the sign-in; from then on the gateway answers that token
with 401 on every request through it, instead of letting it live until it expires. The
services are reachable only through the gateway (README, "Security"), so they need not check.

The answer "still open" is cached for ``cache_s`` seconds per process (a primary-key lookup
otherwise on every request); a revocation made by this process drops its cache entries at
once, one made by another replica is seen within ``cache_s``. Tokens without ``sid`` are
minted only by holders of the signing key (operators' tools, the demo loader, tests) and are
not tied to a sign-in.
"""

import time

from gateway_service.accounts.models import AccountSession
from servicekit.auth import Principal, TokenVerifier, unauthorized
from servicekit.db import Database

# Bounds the cache's memory under many distinct sign-ins; it is only a cache.
_MAX_ENTRIES = 50_000


class OpenSessions:
    def __init__(self, database: Database, *, cache_s: float) -> None:
        self.database = database
        self.cache_s = cache_s
        self._open: dict[str, tuple[float, str]] = {}  # sid -> (checked at, account id)

    async def is_open(self, sid: str) -> bool:
        cached = self._open.get(sid)
        if cached is not None and time.monotonic() - cached[0] < self.cache_s:
            return True
        async with self.database.session(read_only=True) as session:
            row = await session.get(AccountSession, sid[:36])
        if row is None or row.revoked_at is not None:
            self._open.pop(sid, None)
            return False
        if len(self._open) >= _MAX_ENTRIES:
            self._open.clear()
        self._open[sid] = (time.monotonic(), row.account_id)
        return True

    def forget(self, sid: str) -> None:
        """This process just revoked ``sid``."""
        self._open.pop(sid, None)

    def forget_account(self, account_id: str) -> None:
        """This process just revoked every sign-in of ``account_id``."""
        for sid in [s for s, (_, account) in self._open.items() if account == account_id]:
            self._open.pop(sid, None)


class GatewayVerifier(TokenVerifier):
    """The services' token check plus the gateway's own: the token's sign-in is still open."""

    def __init__(self, sessions: OpenSessions, *, issuer: str, audience: str, jwks: str | None) -> None:
        # Only its own keys, from memory (GatewaySettings sets auth_jwks); never a URL.
        super().__init__(issuer=issuer, audience=audience, jwks=jwks)
        self.sessions = sessions

    async def verify(self, token: str) -> Principal:
        principal = await super().verify(token)
        if principal.session_id is not None and not await self.sessions.is_open(principal.session_id):
            raise unauthorized("this sign-in has ended (signed out, or the account was deactivated); sign in again")
        return principal
