"""App factory of the gateway."""

from pathlib import Path

from fastapi import FastAPI

from gateway_service.api import proxy_router
from gateway_service.events.schemas import registry
from gateway_service.proxy import Upstreams
from gateway_service.settings import GatewaySettings
from servicekit.runtime import service_app, service_runtime

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or GatewaySettings()
    upstreams = Upstreams(settings)
    app = service_app(
        title="Gateway", settings=settings, registry=registry, migrations=MIGRATIONS, router=proxy_router(upstreams)
    )
    service_runtime(app).on_shutdown(upstreams.close)
    return app
