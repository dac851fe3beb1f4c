"""App factory of the assignment service."""

from pathlib import Path

from fastapi import FastAPI

from assignment_service.api import router
from assignment_service.events.handlers import subscriptions
from assignment_service.events.schemas import registry
from assignment_service.settings import AssignmentSettings
from servicekit.runtime import service_app

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: AssignmentSettings | None = None) -> FastAPI:
    return service_app(
        title="Assignment service",
        settings=settings or AssignmentSettings(),
        registry=registry,
        migrations=MIGRATIONS,
        router=router,
        subscriptions=subscriptions,
    )
