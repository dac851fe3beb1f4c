"""CloudEvents 1.0 envelope and the registry of typed event payloads.

Every event travels as a structured-mode CloudEvent (the whole envelope is
the JSON value of the Kafka message). Payloads are Pydantic models
registered under ``(type, version)``; consumers dispatch on that pair, never
on Python class names, so producer and consumer may use different classes for
the same contract (a consumer models only the fields it reads).
"""

import json
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from servicekit.db import utcnow
from servicekit.tracing import current_trace

P = TypeVar("P", bound=BaseModel)

EventKey = tuple[str, int]


def data_schema_uri(event_type: str, version: int) -> str:
    return f"urn:proposal-platform:event:{event_type}:v{version}"


class EventEnvelope(BaseModel):
    """A CloudEvents 1.0 envelope; ``dataversion``, ``correlationid``,
    ``causationid`` and ``traceparent`` are CloudEvents extension attributes."""

    model_config = ConfigDict(extra="allow")

    specversion: Literal["1.0"] = "1.0"
    id: str = Field(default_factory=lambda: str(uuid.uuid4()))
    source: str
    type: str
    subject: str
    time: datetime = Field(default_factory=utcnow)
    datacontenttype: Literal["application/json"] = "application/json"
    dataschema: str
    dataversion: int
    correlationid: str | None = None
    causationid: str | None = None
    traceparent: str | None = None
    data: dict[str, Any]

    @property
    def key(self) -> EventKey:
        return (self.type, self.dataversion)

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> "EventEnvelope":
        return cls.model_validate_json(raw)

    def kafka_headers_text(self) -> list[tuple[str, str]]:
        """Headers that let brokers, tools and tracers read ids without parsing the value."""
        headers = {
            "content-type": "application/cloudevents+json",
            "ce_id": self.id,
            "ce_type": self.type,
            "ce_dataversion": str(self.dataversion),
            "correlation_id": self.correlationid,
            "causation_id": self.causationid,
            "traceparent": self.traceparent,
        }
        return [(k, v) for k, v in headers.items() if v]


def wrap(
    source: str, key: EventKey, data: dict[str, Any], *, subject: str, causation_id: str | None = None
) -> EventEnvelope:
    """The envelope of an event's JSON data, with correlation and trace ids from the current request
    (apart from EventRegistry.envelope so that tests can wrap data built from contracts/ alike)."""
    event_type, version = key
    trace = current_trace()
    return EventEnvelope(
        source=source,
        type=event_type,
        subject=subject,
        dataschema=data_schema_uri(event_type, version),
        dataversion=version,
        correlationid=trace.correlation_id,
        causationid=causation_id or trace.causation_id,
        traceparent=trace.traceparent,
        data=data,
    )


class EventRegistry:
    """The payload models a service knows, each under one ``(type, version)``."""

    def __init__(self, source: str) -> None:
        self.source = source
        self._models: dict[EventKey, type[BaseModel]] = {}
        self._keys: dict[type[BaseModel], EventKey] = {}

    def register(self, event_type: str, version: int) -> Callable[[type[P]], type[P]]:
        def decorate(model: type[P]) -> type[P]:
            key = (event_type, version)
            if key in self._models:
                raise ValueError(f"event {event_type} v{version} registered twice")
            self._models[key] = model
            self._keys[model] = key
            return model

        return decorate

    def model_for(self, event_type: str, version: int) -> type[BaseModel] | None:
        return self._models.get((event_type, version))

    def key_of(self, payload: BaseModel) -> EventKey:
        try:
            return self._keys[type(payload)]
        except KeyError:
            raise LookupError(f"{type(payload).__name__} is not a registered event payload") from None

    def envelope(self, payload: BaseModel, *, subject: str, causation_id: str | None = None) -> EventEnvelope:
        """Wraps a payload, taking correlation and trace ids from the current request."""
        data = json.loads(payload.model_dump_json())
        return wrap(self.source, self.key_of(payload), data, subject=subject, causation_id=causation_id)

    def json_schemas(self) -> dict[str, dict[str, Any]]:
        """JSON Schema of every payload, named ``<type>.v<version>``, for contracts/."""
        out: dict[str, dict[str, Any]] = {}
        for (event_type, version), model in sorted(self._models.items()):
            schema = model.model_json_schema()
            schema["$id"] = data_schema_uri(event_type, version)
            schema["title"] = f"{event_type} v{version}"
            out[f"{event_type}.v{version}"] = schema
        return out

    def event_keys(self) -> list[EventKey]:
        return sorted(self._models)
