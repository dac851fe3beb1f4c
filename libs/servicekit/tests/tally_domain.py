"""A tiny domain for the infrastructure tests: named counters."""

from pydantic import BaseModel
from sqlmodel import Field, SQLModel

from servicekit.events import EventRegistry


class Tally(SQLModel, table=True):
    __tablename__ = "test_tally"

    name: str = Field(primary_key=True)
    count: int = 0


registry = EventRegistry(source="/tests/tally")


@registry.register("tally.bumped", 1)
class TallyBumped(BaseModel):
    name: str
    seq: int


@registry.register("tally.broken", 1)
class TallyBroken(BaseModel):
    name: str
