"""Request bodies are validated as strictly as JSON allows, through FastAPI, with the field named."""

from datetime import date
from enum import StrEnum
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import AwareDatetime, ConfigDict
from sqlmodel import Field, SQLModel

from servicekit.errors import install_problem_handlers
from servicekit.inputs import StrictInput


class Kind(StrEnum):
    cppcc = "cppcc"


class Phase(StrictInput, SQLModel):
    days: int


class Base(SQLModel):
    term: int = Field(ge=1)


class Request(StrictInput, Base):
    model_config = ConfigDict(extra="forbid")
    published: bool = False
    starts_on: date
    at: AwareDatetime | None = None
    kind: Kind = Kind.cppcc
    weight: float = 0.5
    phases: list[Phase] = []


def app() -> FastAPI:
    api = FastAPI()
    install_problem_handlers(api)

    @api.post("/r")
    async def accept(body: Request) -> dict[str, Any]:
        return body.model_dump(mode="json")

    return api


VALID = {"term": 1, "starts_on": "2026-03-01", "at": "2026-03-01T09:00:00+08:00", "kind": "cppcc", "weight": 1}


async def post(body: dict[str, Any]) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app()), base_url="http://test") as client:
        return await client.post("/r", json=body)


async def test_json_strings_for_dates_times_and_enums_and_integers_for_floats_pass() -> None:
    answer = await post({**VALID, "phases": [{"days": 3}]})
    assert answer.status_code == 200, answer.text
    assert answer.json()["starts_on"] == "2026-03-01" and answer.json()["weight"] == 1.0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"term": "15"}, "term"),
        ({"term": True}, "term"),
        ({"term": 1.0}, "term"),
        ({"published": "true"}, "published"),
        ({"published": 1}, "published"),
        ({"weight": "0.5"}, "weight"),
        ({"phases": [{"days": "3"}]}, "phases.0.days"),
    ],
)
async def test_values_of_the_wrong_json_type_are_refused_naming_the_field(change: dict[str, Any], field: str) -> None:
    answer = await post({**VALID, **change})
    assert answer.status_code == 422, answer.text
    assert [e["field"] for e in answer.json()["errors"]] == [field]


def test_models_built_in_code_from_python_values_still_validate() -> None:
    built = Request(term=2, starts_on=date(2026, 3, 1), kind=Kind.cppcc)
    assert built.starts_on == date(2026, 3, 1)
    assert Request.model_validate({"term": 2, "starts_on": date(2026, 3, 1)}).term == 2
