"""Unit names and plan titles refuse controls and bidirectional overrides, naming the field."""

from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from assignment_service.models import PlanCreate, UnitCreate

TASK = {"number": "1", "title": "建设任务", "lead_unit": "U1"}
CASES: list[tuple[type[BaseModel], dict[str, Any], tuple[str | int, ...]]] = [
    (UnitCreate, {"code": "U1", "name": "市住建局"}, ("name",)),
    (PlanCreate, {"title": "办理方案", "tasks": [TASK]}, ("title",)),
    (PlanCreate, {"title": "办理方案", "tasks": [TASK]}, ("tasks", 0, "title")),
]


@pytest.mark.parametrize("bad", ["\u202e", "\x85", "\u2066", "\x1b"])
@pytest.mark.parametrize(("model", "valid", "loc"), CASES)
def test_a_control_or_bidi_character_is_refused_naming_the_field(
    model: type[BaseModel], valid: dict[str, Any], loc: tuple[str | int, ...], bad: str
) -> None:
    model.model_validate(valid)
    data: Any = {**valid, "tasks": [dict(TASK)]} if "tasks" in valid else dict(valid)
    target = data
    for part in loc[:-1]:
        target = target[part]
    target[loc[-1]] = f"市{bad}住建局"
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data)
    assert [e["loc"] for e in caught.value.errors()] == [loc]
