"""App factory of the evaluation service."""

from pathlib import Path

from fastapi import FastAPI

from evaluation_service.api import router
from evaluation_service.events.handlers import subscriptions
from evaluation_service.events.schemas import registry
from evaluation_service.settings import EvaluationSettings
from servicekit.runtime import service_app

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: EvaluationSettings | None = None) -> FastAPI:
    return service_app(
        title="Evaluation service",
        settings=settings or EvaluationSettings(),
        registry=registry,
        migrations=MIGRATIONS,
        router=router,
        subscriptions=subscriptions,
    )
