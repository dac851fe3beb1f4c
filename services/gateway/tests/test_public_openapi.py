"""The public document's links name real operations, parameters and response fields, so a renamed
route or field fails here rather than silently dropping out of the stateful fuzz run."""

import re
from typing import Any

import pytest

from gateway_service.public_openapi import BODY, LINKS, PREFIX, load, success_response

DOCUMENT = load()
OPERATIONS: dict[str, dict[str, Any]] = {
    op["operationId"]: op for item in DOCUMENT["paths"].values() for op in item.values()
}
ROWS = [(source, *row) for source, rows in LINKS.items() for row in rows]


def _resolved(schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith(PREFIX):
        return _resolved(DOCUMENT["components"]["schemas"][ref[len(PREFIX) :]])
    return schema


def _json_schema(content: dict[str, Any]) -> dict[str, Any]:
    return _resolved(content["application/json"]["schema"])


@pytest.mark.parametrize(("source", "target", "parameter", "expression"), ROWS, ids=lambda v: str(v))
def test_each_link_names_real_operations_parameters_and_fields(
    source: str, target: str, parameter: str, expression: str
) -> None:
    assert source in OPERATIONS, f"no operation {source}"
    assert target in OPERATIONS, f"no operation {target}"
    # The value comes from a field the source's success response always has.
    match = re.fullmatch(r"\$response\.body#/(\w+)", expression)
    assert match, f"unexpected expression {expression}"
    produced = _json_schema(success_response(OPERATIONS[source])["content"])
    assert match[1] in produced.get("required", []), f"{source}'s response has no {match[1]}"
    # ... and goes where the target takes it.
    if parameter.startswith(BODY):
        accepted = _json_schema(OPERATIONS[target]["requestBody"]["content"])
        assert parameter[len(BODY) :] in accepted["properties"], f"{target}'s body has no {parameter}"
    else:
        names = {p["name"] for p in OPERATIONS[target].get("parameters", [])}
        assert parameter in names, f"{target} has no parameter {parameter}"


def test_the_served_document_carries_every_link() -> None:
    for source, rows in LINKS.items():
        links = success_response(OPERATIONS[source])["links"]
        assert set(links) == {target for target, _, _ in rows}
        for target, link in links.items():
            assert link["operationId"] == target
    # Only the table's: a link no row explains would be a hand edit of the generated file.
    sources = {op["operationId"] for op in OPERATIONS.values() for r in op["responses"].values() if "links" in r}
    assert sources == set(LINKS)


def test_a_path_parameter_link_fills_every_path_parameter_of_its_target() -> None:
    for source, rows in LINKS.items():
        for target in {t for t, _, _ in rows}:
            given = {p for t, p, _ in rows if t == target}
            path = {p["name"] for p in OPERATIONS[target].get("parameters", []) if p["in"] == "path"}
            assert path <= given, f"{source} → {target} leaves {path - given} to chance"
