"""Rate limits per route class (sign-in, writes, reads) and caller, with the `limits` library's
moving window; answers 429 problem+json with Retry-After, and RateLimit-* headers on every
limited route (draft-ietf-httpapi-ratelimit-headers).

The caller is the one ``CallerMiddleware`` worked out before (caller.py): the verified token's
subject, the verified API key's id, or else the real client address, so a junk credential or
another spelling of the same token gets no budget of its own. Counters live where
``rate_limit_storage_uri`` says: in memory, per gateway replica (with N replicas a caller gets up
to N times the limit), or in Redis, shared by every replica.
"""

import math
import time

from limits import RateLimitItem, RateLimitItemPerMinute
from limits.aio.storage import MemoryStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway_service.caller import caller_in
from servicekit.errors import Problem, problem_response

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class RateLimitMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        auth_per_minute: int,
        write_per_minute: int,
        read_per_minute: int,
        api_key_per_minute: int,
        storage_uri: str = "memory://",
    ) -> None:
        self.app = app
        self.limiter = MovingWindowRateLimiter(self.storage(storage_uri))
        self.limits: dict[str, RateLimitItem] = {
            "auth": RateLimitItemPerMinute(auth_per_minute),
            "write": RateLimitItemPerMinute(write_per_minute),
            "read": RateLimitItemPerMinute(read_per_minute),
            "api_key": RateLimitItemPerMinute(api_key_per_minute),
        }

    @staticmethod
    def storage(uri: str) -> Storage:
        if uri == "memory://":
            return MemoryStorage()
        # The asyncio client of the redis package (the one pinned), not limits' default, coredis.
        storage = storage_from_string(f"async+{uri}", implementation="redispy")
        assert isinstance(storage, Storage)
        return storage

    @staticmethod
    def route_class(method: str, path: str) -> str | None:
        if not (path.startswith("/api/") or path.startswith("/.well-known/")):
            return None  # health checks and docs are not limited
        if path.startswith("/api/v1/auth/"):
            return "auth"
        return "write" if method in WRITES else "read"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        kind = self.route_class(scope["method"], scope["path"])
        if kind is None:
            await self.app(scope, receive, send)
            return
        who = caller_in(scope).key
        if who.startswith("key:"):
            kind = "api_key"  # another system's key has its own budget for everything it calls
        item = self.limits[kind]
        allowed = await self.limiter.hit(item, kind, who)
        stats = await self.limiter.get_window_stats(item, kind, who)
        reset = max(0, math.ceil(stats.reset_time - time.time()))
        headers = {
            "RateLimit-Limit": str(item.amount),
            "RateLimit-Remaining": str(stats.remaining),
            "RateLimit-Reset": str(reset),
            "RateLimit-Policy": f'{item.amount};w={item.get_expiry()};comment="{kind}"',
        }
        if not allowed:
            problem = Problem(
                429,
                "rate_limited",
                "Too Many Requests",
                f"more than {item.amount} {kind} requests a minute; retry in {reset} s",
                headers={**headers, "Retry-After": str(max(1, reset))},
            )
            await problem_response(Request(scope), problem)(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).update(headers)
            await send(message)

        await self.app(scope, receive, send_with_headers)
