"""App factory of the proposal service."""

from pathlib import Path

from fastapi import FastAPI

from proposal_service.api import router
from proposal_service.events.schemas import registry
from proposal_service.settings import ProposalSettings
from servicekit.runtime import service_app

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: ProposalSettings | None = None) -> FastAPI:
    return service_app(
        title="Proposal service",
        settings=settings or ProposalSettings(),
        registry=registry,
        migrations=MIGRATIONS,
        router=router,
    )
