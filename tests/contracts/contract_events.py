"""Other services' events for a service's tests, built from the published contracts
(contracts/events/<type>.v<N>.json), never from the producer's package: a test can send only
what the producer publishes, and the service under test is tested against the contract."""

import functools
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from pydantic_core import to_jsonable_python

from servicekit.events import EventEnvelope, EventKey, wrap

CONTRACTS = Path(__file__).resolve().parents[2] / "contracts"
# jsonschema checks "date-time" only with an optional package; the producers' own parser will do.
FORMATS = jsonschema.FormatChecker()
FORMATS.checks("date-time", raises=ValueError)(datetime.fromisoformat)


@dataclass(frozen=True)
class ContractEvent:
    """One event's JSON data, as its producer's outbox would publish it."""

    key: EventKey
    source: str
    data: dict[str, Any]

    def envelope(self, *, subject: str) -> EventEnvelope:
        return wrap(self.source, self.key, self.data, subject=subject)


def contract_event(name: str, /, **fields: Any) -> ContractEvent:
    """The event ``name`` (``<type>.v<N>``, as its contract file) with the given fields, the others
    at their contract defaults, checked against the contract."""
    schema = _schema(name)
    unknown = fields.keys() - schema["properties"].keys()
    if unknown:  # the generated schemas allow extra properties; a producer never sends them
        raise ValueError(f"{name} has no field {', '.join(sorted(unknown))}")
    defaults = {k: p["default"] for k, p in schema["properties"].items() if "default" in p and k not in fields}
    data = to_jsonable_python({**fields, **defaults})  # the producer's pydantic JSON (dates, datetimes)
    jsonschema.Draft202012Validator(schema, format_checker=FORMATS).validate(data)
    event_type, _, version = name.rpartition(".v")
    return ContractEvent((event_type, int(version)), _sources()[name], data)


def published(topic: str) -> list[EventKey]:
    """What the producer publishes on ``topic`` (contracts/asyncapi.yaml)."""
    messages = _asyncapi()["channels"][topic]["messages"]
    return [(event_type, int(version)) for event_type, _, version in (key.rpartition(".v") for key in messages)]


@functools.cache
def _schema(name: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((CONTRACTS / "events" / f"{name}.json").read_text())
    return schema


@functools.cache
def _asyncapi() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((CONTRACTS / "asyncapi.yaml").read_text())
    return document


@functools.cache
def _sources() -> dict[str, str]:
    """The CloudEvents source of each event: its producer's, from the topic it is published on
    ("<service>.events" → "/services/<service>", as each service names its registry)."""
    return {
        key: f"/services/{topic.removesuffix('.events')}"
        for topic, channel in _asyncapi()["channels"].items()
        for key in channel["messages"]
    }
