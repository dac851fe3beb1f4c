"""A service of the tally domain for the shutdown test, run by uvicorn as a process of its own:
a slow route, an outbox relay and a consumer of tally events. It borrows the assignment
service's Kafka identity and topics (ADR 10): those are the ACLs the broker grants."""

import asyncio
from pathlib import Path

from fastapi import APIRouter, FastAPI
from pydantic_settings import SettingsConfigDict
from sqlmodel.ext.asyncio.session import AsyncSession
from tally_domain import Tally, TallyBumped, registry

from servicekit.inbox import ReceivedEvent, Subscriptions
from servicekit.runtime import service_app
from servicekit.settings import ServiceSettings


class SlowSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ASSIGNMENT_", extra="ignore")

    service_name: str = "assignment"
    migrate_on_start: bool = False
    log_json: bool = False
    # The file the slow route touches once it has the request, so the test knows when to SIGTERM.
    started_marker: str = ""


subscriptions = Subscriptions(["proposal.events"])


@subscriptions.on("tally.bumped", 1, TallyBumped)
async def bump(session: AsyncSession, event: ReceivedEvent[TallyBumped]) -> None:
    tally = await session.get(Tally, event.payload.name) or Tally(name=event.payload.name)
    tally.count += 1
    session.add(tally)


def create_app() -> FastAPI:
    settings = SlowSettings()
    router = APIRouter()

    @router.get("/slow")
    async def slow(seconds: float) -> dict[str, str]:
        await asyncio.to_thread(Path(settings.started_marker).touch)
        await asyncio.sleep(seconds)
        return {"status": "done"}

    return service_app(
        title="Slow",
        settings=settings,
        registry=registry,
        migrations=Path("."),
        router=router,
        subscriptions=subscriptions,
    )
