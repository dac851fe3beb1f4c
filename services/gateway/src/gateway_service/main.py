"""App factory of the gateway."""

import logging
from functools import partial
from pathlib import Path

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.middleware import Middleware

from gateway_service.accounts.service import Identity, ensure_bootstrap_admin
from gateway_service.accounts.sessions import GatewayVerifier
from gateway_service.api import router
from gateway_service.caller import CallerMiddleware, CallerResolver
from gateway_service.events.schemas import registry
from gateway_service.idempotency import IdempotencyStore
from gateway_service.proxy import Upstreams
from gateway_service.ratelimit import RateLimitMiddleware
from gateway_service.settings import GatewaySettings
from gateway_service.webapps import mount_web_apps
from servicekit.runtime import ServiceRuntime, service_app, service_runtime

MIGRATIONS = Path(__file__).parent / "migrations"

log = logging.getLogger(__name__)


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or GatewaySettings()
    app = service_app(title="Gateway", settings=settings, registry=registry, migrations=MIGRATIONS, router=router)
    runtime = service_runtime(app)
    # What the routes take (api/deps.py, accounts/api.py), each built whole with what it uses.
    identity = Identity.from_settings(settings, runtime.database)
    # The gateway's verifier also refuses tokens of ended sign-ins (ADR 11); the gateway's own
    # routes get it through runtime.verifier too.
    runtime.verifier = GatewayVerifier(
        identity.sessions, issuer=settings.auth_issuer, audience=settings.auth_audience, jwks=settings.auth_jwks
    )
    callers = CallerResolver(settings.trusted_proxies, verifier=runtime.verifier, database=runtime.database)
    upstreams = Upstreams(settings, metrics=runtime.metrics)
    app.state.identity = identity
    app.state.callers = callers
    app.state.upstreams = upstreams  # tests put a fake service behind it
    app.state.idempotency = IdempotencyStore(runtime.database, ttl_s=settings.idempotency_ttl_s)
    mount_web_apps(app, settings.member_app_dir, settings.console_app_dir)
    # Innermost (appended, not inserted in front): a 429 goes out through the request-id, security
    # headers and CORS middleware like every other answer.
    app.user_middleware.append(
        Middleware(
            RateLimitMiddleware,
            auth_per_minute=settings.rate_limit_auth_per_minute,
            write_per_minute=settings.rate_limit_write_per_minute,
            read_per_minute=settings.rate_limit_read_per_minute,
            api_key_per_minute=settings.rate_limit_api_key_per_minute,
            storage_uri=settings.rate_limit_storage_uri,
        )
    )
    # Added after the rate limiter, so it runs before it: the caller is known once, first.
    app.add_middleware(CallerMiddleware, resolver=callers)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=[
                "Authorization",
                "Content-Type",
                "Idempotency-Key",
                "If-Match",
                "If-None-Match",
                "X-Request-ID",
            ],
            expose_headers=[
                "ETag",
                "Location",
                "Retry-After",
                "X-Request-ID",
                "RateLimit-Limit",
                "RateLimit-Remaining",
            ],
            max_age=600,
        )
    runtime.on_shutdown(upstreams.close)
    runtime.on_startup(partial(_start_identity, runtime, settings, identity))
    return app


async def _start_identity(runtime: ServiceRuntime, settings: GatewaySettings, identity: Identity) -> None:
    """After migrations: the warning about a throw-away key, and the first administrator."""
    if settings.signing_key_generated:
        log.warning(
            "no GATEWAY_SIGNING_KEY set: signing with key %s generated for this process only; its tokens "
            "die with it and other replicas reject them (python -m gateway_service.accounts keygen makes one)",
            identity.tokens.kid,
        )
    if settings.bootstrap_admin_username and settings.bootstrap_admin_password:
        async with runtime.database.session() as session:
            await ensure_bootstrap_admin(
                session=session,
                passwords=identity.passwords,
                username=settings.bootstrap_admin_username,
                password=settings.bootstrap_admin_password.get_secret_value(),
            )
