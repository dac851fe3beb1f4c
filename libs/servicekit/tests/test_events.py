from datetime import UTC, datetime

import pytest
from pydantic import BaseModel

from servicekit.events import EventEnvelope, EventRegistry
from servicekit.tracing import TraceContext, set_trace, trace_id_of

registry = EventRegistry(source="/services/test")


@registry.register("thing.happened", 1)
class ThingHappened(BaseModel):
    thing_id: str
    at: datetime


@registry.register("thing.happened", 2)
class ThingHappenedV2(BaseModel):
    thing_id: str
    at: datetime
    by: str


def test_envelope_is_a_cloudevent_carrying_the_request_context() -> None:
    set_trace(TraceContext(request_id="r1", correlation_id="c1", traceparent="00-" + "a" * 32 + "-" + "b" * 16 + "-01"))
    env = registry.envelope(ThingHappened(thing_id="t1", at=datetime(2026, 1, 2, tzinfo=UTC)), subject="t1")
    assert env.specversion == "1.0"
    assert (env.type, env.dataversion, env.subject, env.source) == ("thing.happened", 1, "t1", "/services/test")
    assert env.dataschema == "urn:proposal-platform:event:thing.happened:v1"
    assert env.correlationid == "c1"
    assert trace_id_of(env.traceparent) == "a" * 32
    assert env.data == {"thing_id": "t1", "at": "2026-01-02T00:00:00Z"}
    headers = dict(env.kafka_headers_text())
    assert headers["ce_type"] == "thing.happened" and headers["correlation_id"] == "c1"


def test_envelope_round_trips_through_bytes() -> None:
    env = registry.envelope(ThingHappenedV2(thing_id="t2", at=datetime.now(UTC), by="me"), subject="t2")
    back = EventEnvelope.from_bytes(env.to_bytes())
    assert back == env
    model = registry.model_for(back.type, back.dataversion)
    assert model is ThingHappenedV2
    assert model.model_validate(back.data) == ThingHappenedV2.model_validate(env.data)


def test_registry_dispatches_on_type_and_version_not_class() -> None:
    assert registry.model_for("thing.happened", 1) is ThingHappened
    assert registry.model_for("thing.happened", 2) is ThingHappenedV2
    assert registry.model_for("thing.happened", 3) is None
    assert registry.event_keys() == [("thing.happened", 1), ("thing.happened", 2)]


def test_registering_the_same_key_twice_fails() -> None:
    with pytest.raises(ValueError, match="registered twice"):
        registry.register("thing.happened", 1)(ThingHappened)


def test_unregistered_payload_cannot_be_enveloped() -> None:
    class Stray(BaseModel):
        x: int

    with pytest.raises(LookupError):
        registry.envelope(Stray(x=1), subject="s")


def test_json_schemas_are_named_by_type_and_version() -> None:
    schemas = registry.json_schemas()
    assert set(schemas) == {"thing.happened.v1", "thing.happened.v2"}
    assert schemas["thing.happened.v2"]["required"] == ["thing_id", "at", "by"]
