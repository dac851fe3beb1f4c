"""App factory of the gateway."""

import logging
from functools import partial
from pathlib import Path

from fastapi import FastAPI

from gateway_service.accounts.service import Identity, ensure_bootstrap_admin
from gateway_service.api import gateway_router
from gateway_service.events.schemas import registry
from gateway_service.proxy import Upstreams
from gateway_service.settings import GatewaySettings
from servicekit.runtime import ServiceRuntime, service_app, service_runtime

MIGRATIONS = Path(__file__).parent / "migrations"

log = logging.getLogger(__name__)


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or GatewaySettings()
    upstreams = Upstreams(settings)
    identity = Identity.from_settings(settings)
    app = service_app(
        title="Gateway", settings=settings, registry=registry, migrations=MIGRATIONS, router=gateway_router(upstreams)
    )
    app.state.identity = identity
    runtime = service_runtime(app)
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
