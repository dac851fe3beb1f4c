"""App factory of the proposal service."""

import asyncio
from pathlib import Path

from fastapi import FastAPI

from proposal_service import text
from proposal_service.api import router
from proposal_service.events.handlers import subscriptions
from proposal_service.events.schemas import registry
from proposal_service.settings import ProposalSettings
from servicekit.runtime import service_app, service_runtime

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: ProposalSettings | None = None) -> FastAPI:
    settings = settings or ProposalSettings()
    app = service_app(
        title="Proposal service",
        settings=settings,
        registry=registry,
        migrations=MIGRATIONS,
        router=router,
        subscriptions=subscriptions,
    )
    if settings.preload_tokenizer:  # otherwise jieba loads on first use (cn_text.tokenizer), keeping idle RSS low
        service_runtime(app).start_with("tokenizer", lambda: asyncio.to_thread(text.warm_up))
    return app
