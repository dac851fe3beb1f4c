"""contracts/ generated from code: each service's OpenAPI document, the JSON Schema of
every event payload, and an AsyncAPI 3.0 document of the topics.

    python -m devstack.contracts write   # regenerate contracts/ (./dev contracts)
    python -m devstack.contracts check   # exit 1 when contracts/ differs from the code

The drift test runs ``render`` and compares with the committed files.
"""

import importlib
import json
import sys
from pathlib import Path
from typing import Any

import yaml

from devstack.stack import SERVICES

ROOT = Path(__file__).resolve().parents[4]
CONTRACTS = ROOT / "contracts"
# The gateway serves the public document from its own package (it cannot read contracts/ when installed),
# so the packaged file is the one copy; contracts/openapi/public.json is a symlink to it, for the clients.
PACKAGED_PUBLIC = ROOT / "services" / "gateway" / "src" / "gateway_service" / "public_openapi.json"
PUBLIC = "openapi/public.json"


def _dump_json(document: Any) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def _service(name: str) -> tuple[Any, Any, Any]:
    """(app, event registry, subscriptions or None) of a service, without starting it."""
    main = importlib.import_module(f"{name}_service.main")
    schemas = importlib.import_module(f"{name}_service.events.schemas")
    try:
        handlers = importlib.import_module(f"{name}_service.events.handlers")
        subscriptions = handlers.subscriptions
    except ModuleNotFoundError:
        subscriptions = None
    return main.create_app(), schemas.registry, subscriptions


def render() -> dict[str, str]:
    """Every contract file, by its path relative to contracts/."""
    files: dict[str, str] = {}
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    consumers: list[tuple[str, Any]] = []
    documents: dict[str, dict[str, Any]] = {}
    for name in SERVICES:
        app, registry, subscriptions = _service(name)
        documents[name] = app.openapi()
        files[f"openapi/{name}.json"] = _dump_json(documents[name])
        topic = f"{name}.events"
        channel_messages = {}
        for key, schema in registry.json_schemas().items():
            files[f"events/{key}.json"] = _dump_json(schema)
            schemas[key] = {"$ref": f"./events/{key}.json"}
            event_type, _, version = key.rpartition(".v")
            messages[key] = {
                "name": event_type,
                "title": f"{event_type} v{version}",
                "contentType": "application/cloudevents+json",
                "correlationId": {"location": "$message.header#/correlation_id"},
                "headers": {"$ref": "#/components/schemas/kafkaHeaders"},
                "payload": {"$ref": f"#/components/schemas/{key}"},
                "bindings": {
                    "kafka": {"key": {"type": "string", "description": "the aggregate id (CloudEvents subject)"}}
                },
            }
            channel_messages[key] = {"$ref": f"#/components/messages/{key}"}
        channels[topic] = {
            "address": topic,
            "description": f"events published by the {name} service",
            "messages": channel_messages,
        }
        if channel_messages:
            operations[f"{name}Publishes"] = {
                "action": "send",
                "channel": {"$ref": f"#/channels/{topic}"},
                "summary": f"the {name} service's outbox relay",
            }
        if subscriptions is not None:
            consumers.append((name, subscriptions))
    for name, subscriptions in consumers:
        for topic in subscriptions.topics:
            handled = sorted(f"{t}.v{v}" for t, v in subscriptions.handlers)
            operations[f"{name}Consumes_{topic.replace('.', '_')}"] = {
                "action": "receive",
                "channel": {"$ref": f"#/channels/{topic}"},
                "summary": f"consumer group {name}-service",
                "messages": [
                    {"$ref": f"#/channels/{topic}/messages/{key}"}
                    for key in handled
                    if key in channels[topic]["messages"]
                ],
            }
    schemas["kafkaHeaders"] = {
        "type": "object",
        "properties": {
            h: {"type": "string"}
            for h in (
                "content-type",
                "ce_id",
                "ce_type",
                "ce_dataversion",
                "correlation_id",
                "causation_id",
                "traceparent",
            )
        },
    }
    asyncapi = {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Proposal platform events",
            "version": "1.0.0",
            "description": "One topic per producing service; each message is a structured-mode CloudEvent whose data is the payload below, keyed by the aggregate id. Consumers dispatch on (type, dataversion).",
        },
        "defaultContentType": "application/cloudevents+json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }
    files["asyncapi.yaml"] = yaml.safe_dump(asyncapi, allow_unicode=True, sort_keys=True, width=120)
    public_openapi = importlib.import_module("gateway_service.public_openapi")
    gateway = documents.pop("gateway")
    files["openapi/public.json"] = _dump_json(public_openapi.merge(gateway, documents))
    return files


def _link_public(target: Path) -> None:
    link = target / PUBLIC
    relative = Path("..", "..", PACKAGED_PUBLIC.relative_to(ROOT))
    if link.is_symlink() and Path(link.readlink()) == relative:
        return
    link.unlink(missing_ok=True)
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(relative)


def write(target: Path = CONTRACTS) -> None:
    files = render()
    public = files.pop(PUBLIC)
    for old in target.rglob("*"):
        if old.is_file() and str(old.relative_to(target)) not in files and old.name != "README.md":
            old.unlink()
    for rel, text in files.items():
        path = target / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    if target == CONTRACTS:
        PACKAGED_PUBLIC.write_text(public)
        _link_public(target)
    else:
        (target / PUBLIC).write_text(public)


def drift(target: Path = CONTRACTS) -> list[str]:
    """Paths under contracts/ that differ from what the code generates (the public document read
    through its symlink, so from the gateway's package), and the symlink itself when it is a copy."""
    files = render()
    committed = {
        str(p.relative_to(target)): p.read_text() for p in target.rglob("*") if p.is_file() and p.name != "README.md"
    }
    stale = sorted(p for p in files.keys() | committed.keys() if files.get(p) != committed.get(p))
    link = target / PUBLIC
    if target == CONTRACTS and not (link.is_symlink() and link.resolve() == PACKAGED_PUBLIC.resolve()):
        stale.append(f"{PUBLIC} (must be a symlink to {PACKAGED_PUBLIC.relative_to(ROOT)})")
    return stale


def main() -> None:
    action = sys.argv[1] if len(sys.argv) > 1 else "write"
    if action == "write":
        write()
        print(f"contracts written to {CONTRACTS}")
    else:
        changed = drift()
        for path in changed:
            print(f"differs: contracts/{path}")
        sys.exit(1 if changed else 0)


if __name__ == "__main__":
    main()
