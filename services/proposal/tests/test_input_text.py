"""Titles and names refuse invisible and misleading characters: C0 and C1 controls, bidirectional
overrides and isolates (a name that displays as another), lone surrogates; the error names the field."""

from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from proposal_service.models import BodyCreate, CategoryCreate, MemberCreate, ProposalCreate, ProposalUpdate

BAD = ["\u202e", "\u202a", "\u2066", "\u2069", "\x85", "\x9f", "\x80", "\x00", "\x1b", "\ud800"]
PROPOSAL = {"session_id": "s", "kind": "individual", "title": "关于加强养老服务的建议", "content": "建议。"}
CASES: list[tuple[type[BaseModel], dict[str, Any], str]] = [
    (ProposalCreate, PROPOSAL, "title"),
    (ProposalCreate, PROPOSAL, "content"),
    (ProposalCreate, {**PROPOSAL, "kind": "group", "group_name": "民建市委"}, "group_name"),
    (ProposalUpdate, {"title": "新标题"}, "title"),
    (ProposalUpdate, {"group_name": "民建市委"}, "group_name"),
    (BodyCreate, {"name": "政协武汉市委员会", "kind": "cppcc", "level": "municipal"}, "name"),
    (CategoryCreate, {"name": "城市建设"}, "name"),
    (MemberCreate, {"name": "王芳"}, "name"),
]


@pytest.mark.parametrize("bad", BAD, ids=[f"U+{ord(c):04X}" for c in BAD])
@pytest.mark.parametrize(("model", "valid", "field"), CASES, ids=[f"{m.__name__}.{f}" for m, _, f in CASES])
def test_a_control_or_bidi_character_is_refused_naming_the_field(
    model: type[BaseModel], valid: dict[str, Any], field: str, bad: str
) -> None:
    model.model_validate(valid)  # the valid input passes
    with pytest.raises(ValidationError) as caught:
        model.model_validate({**valid, field: f"{valid[field][:2]}{bad}{valid[field][2:]}"})
    assert [e["loc"] for e in caught.value.errors()] == [(field,)]


def test_line_breaks_stay_allowed_in_the_text_of_an_item_not_in_names() -> None:
    ProposalCreate.model_validate({**PROPOSAL, "content": "一、现状\r\n二、建议\t措施"})
    with pytest.raises(ValidationError):
        CategoryCreate.model_validate({"name": "城市\n建设"})
