"""Each consumer's reader models (events/consumed.py) against the producers' published schemas
(contracts/events/<type>.v<N>.json): a producer change that removes, renames, retypes or makes
nullable a field some consumer reads fails here, before deployment, not in the consumer's
dead-letter topic. Producers may still add fields, and consumers may ignore any."""

import copy
import importlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from devstack.stack import SERVICES
from servicekit.events import EventKey

CONTRACTS = Path(__file__).resolve().parents[2] / "contracts" / "events"

Schema = dict[str, Any]


def _published(key: EventKey) -> Schema:
    event_type, version = key
    schema: Schema = json.loads((CONTRACTS / f"{event_type}.v{version}.json").read_text(encoding="utf-8"))
    return schema


def _alternatives(node: Schema, defs: Schema) -> list[Schema]:
    """The shapes a value may take: anyOf and oneOf flattened, $ref resolved, a type list split."""
    if "$ref" in node:
        return _alternatives(defs[node["$ref"].removeprefix("#/$defs/")], defs)
    for union in ("anyOf", "oneOf"):
        if union in node:
            return [alt for member in node[union] for alt in _alternatives(member, defs)]
    if isinstance(node.get("type"), list):
        return [{**node, "type": t} for t in node["type"]]
    if "type" not in node and "enum" in node:  # an enum of strings (pydantic names no type for some)
        return [{**node, "type": "string"}]
    return [node]


def _accepts(reader: Schema, producer: Schema, path: str, rdefs: Schema, pdefs: Schema) -> list[str]:
    """Why ``reader`` (one alternative) does not accept every value of ``producer`` (one alternative)."""
    if not reader.get("type"):
        return []  # the reader takes anything
    rtype, ptype = reader["type"], producer.get("type")
    if ptype is None:
        return [f"{path}: the producer sends any JSON value, the reader expects {rtype}"]
    if not (rtype == ptype or (rtype, ptype) == ("number", "integer")):
        return [f"{path}: the producer sends {ptype}, the reader expects {rtype}"]
    if reader.get("format") and reader.get("format") != producer.get("format"):
        return [f"{path}: the reader parses format {reader['format']}, the producer sends {producer.get('format')}"]
    if "enum" in reader and not ("enum" in producer and set(producer["enum"]) <= set(reader["enum"])):
        return [f"{path}: the producer may send values outside the reader's {reader['enum']}"]
    if rtype == "array":
        return _compatible(reader.get("items", {}), producer.get("items", {}), f"{path}[]", rdefs, pdefs)
    if rtype == "object" and "properties" in reader:
        return _model_problems(reader, producer, rdefs, pdefs, f"{path}.")
    return []


def _compatible(reader: Schema, producer: Schema, path: str, rdefs: Schema, pdefs: Schema) -> list[str]:
    """Every shape the producer may send must be one the reader accepts (null only if it takes None)."""
    problems = []
    readers = _alternatives(reader, rdefs)
    for sent in _alternatives(producer, pdefs):
        reasons = [_accepts(r, sent, path, rdefs, pdefs) for r in readers]
        if all(reasons):
            problems.append(f"{path}: may be null" if sent.get("type") == "null" else reasons[0][0])
    return problems


def _model_problems(reader: Schema, producer: Schema, rdefs: Schema, pdefs: Schema, prefix: str = "") -> list[str]:
    problems = []
    sent, always = producer.get("properties", {}), set(producer.get("required", []))
    for name, field in reader.get("properties", {}).items():
        path = prefix + name
        if name not in sent:  # read with a default it would always get: a rename the reader missed
            problems.append(f"{path}: not in the producer's schema")
            continue
        if name in reader.get("required", []) and name not in always:
            problems.append(f"{path}: required by the reader, optional in the producer's schema")
        problems += _compatible(field, sent[name], path, rdefs, pdefs)
    return problems


def incompatibilities(model: type[BaseModel], published: Schema) -> list[str]:
    """What in ``published`` the reader ``model`` cannot read; empty when it reads every event."""
    reader = model.model_json_schema(mode="validation")
    return _model_problems(reader, published, reader.get("$defs", {}), published.get("$defs", {}))


def _reader_models() -> list[tuple[str, EventKey, type[BaseModel]]]:
    """(consumer, event key, reader model) of every consumer's subscription table."""
    found = []
    for service in SERVICES:
        try:
            handlers = importlib.import_module(f"{service}_service.events.handlers")
        except ModuleNotFoundError:
            continue  # not a consumer (the gateway)
        found += [(service, key, model) for key, (model, _) in handlers.subscriptions.handlers.items()]
    return found


READERS = _reader_models()


@pytest.mark.parametrize(
    ("consumer", "key", "model"), READERS, ids=[f"{c}:{k[0]}.v{k[1]}:{m.__name__}" for c, k, m in READERS]
)
def test_the_reader_model_reads_what_the_producer_publishes(
    consumer: str, key: EventKey, model: type[BaseModel]
) -> None:
    problems = incompatibilities(model, _published(key))
    assert not problems, f"{consumer} cannot read {key[0]} v{key[1]} with {model.__name__}: {problems}"


def test_every_consumer_is_checked() -> None:
    assert {c for c, _, _ in READERS} == {"proposal", "assignment", "evaluation", "notification"}


# The checker fails on what would break the consumer. The reader is a model as a consumer writes
# one, the producer's schema proposal.registered v1 as published, then broken one way each.
class RegisteredReader(BaseModel):
    proposal_id: str
    number: int
    lead_member_id: str | None
    registered_at: str
    cosigner_member_ids: list[str] = []
    body_name: str | None = None


def _renamed(schema: Schema) -> None:
    schema["properties"]["proposal_ref"] = schema["properties"].pop("proposal_id")
    schema["required"] = ["proposal_ref" if r == "proposal_id" else r for r in schema["required"]]


BREAKS: dict[str, Callable[[Schema], None]] = {
    "removed": lambda s: (s["properties"].pop("number"), s["required"].remove("number")),
    "renamed": _renamed,
    "optional": lambda s: s["required"].remove("number"),
    "retyped": lambda s: s["properties"]["number"].update(type="string"),
    "nullable": lambda s: s["properties"].update(number={"anyOf": [{"type": "integer"}, {"type": "null"}]}),
    "items retyped": lambda s: s["properties"]["cosigner_member_ids"].update(items={"type": "integer"}),
    "optional field renamed": lambda s: s["properties"].update(body_title=s["properties"].pop("body_name")),
    "optional field retyped": lambda s: s["properties"].update(body_name={"type": "integer"}),
}


def test_the_checker_accepts_the_published_schema_and_additions() -> None:
    published = _published(("proposal.registered", 1))
    assert incompatibilities(RegisteredReader, published) == []
    published["properties"]["added_within_v1"] = {"type": "string"}
    assert incompatibilities(RegisteredReader, published) == []


@pytest.mark.parametrize("name", list(BREAKS))
def test_the_checker_fails_a_breaking_producer_change(name: str) -> None:
    broken = copy.deepcopy(_published(("proposal.registered", 1)))
    BREAKS[name](broken)
    assert incompatibilities(RegisteredReader, broken), f"a {name} field went unnoticed"
