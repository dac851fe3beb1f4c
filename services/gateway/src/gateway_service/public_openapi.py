"""The one public OpenAPI 3.1 document: the gateway's own operations and every allow-listed route
with the request and response schemas of the service operation it forwards to, under its public
path and operation id, and OpenAPI links from the operations that create a resource to those that
use it (``LINKS``), which schemathesis follows in its stateful tests.

It is made to generate a typed client (ADR 26): every schema has a title of its own; the security
schemes are declared (``bearerAuth``, ``apiKey``) with each operation's ``security``: a bearer token,
an API key where a scope opens the operation (api_keys.SCOPES), nothing where the request needs no
credentials (``OPEN``) and an empty alternative ``{}`` where an anonymous request is answered
(``PUBLIC_READS``); and the Idempotency-Key header is a parameter of every operation the gateway
honours it on (Route.takes_idempotency_key), beside the services' own If-Match.

It is built from the services' documents by ``python -m devstack.contracts write`` (the gateway
cannot import the services) into ``public_openapi.json`` beside this module, which the gateway
serves at /api/v1/openapi.json; the contracts drift test keeps it current.
"""

import copy
import json
from pathlib import Path
from typing import Any

from gateway_service.api_keys.models import SCOPES
from gateway_service.routes import ROUTES

DOCUMENT = Path(__file__).with_name("public_openapi.json")
PREFIX = "#/components/schemas/"

ID = "$response.body#/id"
# Links: source operation id → (target operation id, target parameter, value from the source's success
# response). A target "parameter" named ``body.<field>`` sets that field of the target's request body and
# leaves the rest generated. The rows for one target form one link, named after the target.
LINKS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "create_body": (
        ("get_body", "body_id", ID),
        ("create_session", "body_id", ID),
        ("list_sessions", "body_id", ID),
        ("create_category", "body_id", ID),
        ("list_categories", "body_id", ID),
        ("create_member", "body_id", ID),
        ("list_members", "body_id", ID),
    ),
    "create_session": (
        ("get_session", "session_id", ID),
        ("update_session", "session_id", ID),
        ("draft_proposal", "body.session_id", ID),
    ),
    "draft_proposal": (
        ("get_proposal", "proposal_id", ID),
        ("edit_proposal", "proposal_id", ID),
        ("submit_proposal", "proposal_id", ID),
        ("withdraw_proposal", "proposal_id", ID),
        ("invite_cosigners", "proposal_id", ID),
        ("get_proposal_timeline", "proposal_id", ID),
        ("list_similar_proposals", "proposal_id", ID),
        ("get_dossier", "proposal_id", ID),
    ),
    "submit_proposal": (
        ("get_proposal", "proposal_id", ID),
        ("register_proposal", "proposal_id", ID),
        ("decline_proposal", "proposal_id", ID),
        ("withdraw_proposal", "proposal_id", ID),
    ),
    "register_proposal": (
        ("mark_key_proposal", "proposal_id", ID),
        ("change_proposal_category", "proposal_id", ID),
        ("get_proposal_timeline", "proposal_id", ID),
        ("open_ballot", "body.proposal_id", ID),
        ("open_ballot", "body.session_id", "$response.body#/session_id"),
        ("open_ballot", "body.body_id", "$response.body#/body_id"),
    ),
    "open_ballot": (
        ("get_ballot", "ballot_id", ID),
        ("cast_ballot_vote", "ballot_id", ID),
        ("close_ballot", "ballot_id", ID),
    ),
    "create_api_key": (("revoke_api_key", "key_id", ID),),
    "create_account": (
        ("get_account", "account_id", ID),
        ("activate_account", "account_id", ID),
        ("deactivate_account", "account_id", ID),
    ),
    "create_unit": (("get_unit", "unit_id", ID),),
    "request_adjustment": (("decide_adjustment", "request_id", ID),),
    "request_extension": (("decide_extension", "extension_id", ID),),
}
BODY = "body."

BEARER = "bearerAuth"
API_KEY = "apiKey"
SECURITY_SCHEMES: dict[str, dict[str, Any]] = {
    BEARER: {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "an access token of the gateway's (POST /api/v1/auth/login, /auth/refresh or "
        "/auth/activate): a JWT signed with EdDSA, short-lived; every service verifies it too",
    },
    API_KEY: {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": "a key for another system, issued by an administrator (POST /api/v1/api-keys); it opens "
        "only the operations of its scopes, which each operation lists under x-api-key-scopes",
    },
}
# Operations that take no credentials at all: signing in, the keys, this document, health.
OPEN = frozenset(
    {"login", "refresh_tokens", "logout", "activate_with_code", "get_jwks", "get_public_openapi", "health_live",
     "health_ready"}
)  # fmt: skip
# Reads the door forwards without credentials and whose service answers an anonymous caller (what
# the public may see: registered items of published sessions, published statistics ...; an item the
# public may not see is a 404, as it is to a signed-in caller who may not) instead of refusing it
# with 401 or 403. A token, or a key, may see more. tests/contracts checks this against the code.
PUBLIC_READS = frozenset(
    {"list_bodies", "get_body", "list_sessions", "get_session", "list_categories", "list_proposals", "get_proposal",
     "list_similar_proposals", "get_proposal_timeline", "get_dossier", "open_data_items", "list_units", "get_unit",
     "get_handling_rules", "get_handling_proposal", "list_proposal_assignments", "list_replies",
     "get_handling_plan", "get_assignment", "list_handling_records", "list_evaluations", "get_evaluation_rules",
     "get_statistics", "get_unit_statistics", "get_performance_weights", "get_annual_report"}
)  # fmt: skip
IDEMPOTENCY_KEY: dict[str, Any] = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "makes a retry safe: the gateway keeps the first answer to a request with this key (for the "
    "same caller, method and path) for a day (GATEWAY_IDEMPOTENCY_TTL_S), and a repeat gets that answer again, "
    "marked Idempotent-Replayed: true, without the work being done twice; the same key with another body is a "
    "422 idempotency_key_reused, a repeat while the first still runs a 409 idempotency_in_progress with "
    "Retry-After, a key that is not 1 to 255 characters a 400. A 5xx answer is not kept: a retry runs again.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
}


def merge(gateway: dict[str, Any], services: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """``gateway``'s own paths, plus each route's upstream operation. A service's schema whose name is
    taken by a different schema is renamed, title included, with the service's name in front
    (Role → AssignmentRole)."""
    merged = copy.deepcopy(gateway)
    merged["info"] = {"title": "提案办理平台 API", "version": gateway["info"]["version"]}
    paths: dict[str, Any] = {p: item for p, item in merged["paths"].items() if not _proxied(p, item)}
    schemas: dict[str, Any] = merged.setdefault("components", {}).setdefault("schemas", {})
    renames: dict[str, dict[str, str]] = {}
    for service, document in services.items():
        own = document.get("components", {}).get("schemas", {})
        renames[service] = {
            name: service.title() + name for name, schema in own.items() if name in schemas and schemas[name] != schema
        }
        for name, schema in own.items():
            new_name = renames[service].get(name, name)
            schemas[new_name] = _renamed(schema if new_name == name else _titled(new_name, schema), renames[service])
    for route in ROUTES:
        upstream = services[route.service]["paths"][route.upstream_path][route.method.lower()]
        operation = _renamed(copy.deepcopy(upstream), renames[route.service])
        operation.update(operationId=route.operation_id, summary=route.summary, tags=[route.service])
        if route.takes_idempotency_key:
            operation["parameters"] = [*operation.get("parameters", []), IDEMPOTENCY_KEY]
        paths.setdefault(route.path, {})[route.method.lower()] = operation
    merged["paths"] = dict(sorted(paths.items()))
    merged["components"]["schemas"] = dict(sorted(schemas.items()))
    merged["components"]["securitySchemes"] = SECURITY_SCHEMES
    _add_security(merged["paths"])
    _add_links(merged["paths"])
    return merged


def _titled(name: str, schema: Any) -> Any:
    """A renamed schema's title is its new name: two schemas with one title make a typed client's
    generator name two types alike (or silently merge them)."""
    if isinstance(schema, dict) and "title" in schema:
        return {**schema, "title": name}
    return schema


def _add_security(paths: dict[str, Any]) -> None:
    """Each operation's ``security``: who may call it (see ``OPEN``, ``PUBLIC_READS``, ``SCOPES``)."""
    scopes: dict[str, list[str]] = {}
    for scope, operation_ids in sorted(SCOPES.items()):
        for operation_id in operation_ids:
            scopes.setdefault(operation_id, []).append(scope)
    for item in paths.values():
        for operation in item.values():
            operation_id = operation["operationId"]
            if operation_id in OPEN:
                operation["security"] = []
                continue
            alternatives: list[dict[str, list[str]]] = [{BEARER: []}]
            if operation_id in scopes:
                alternatives.append({API_KEY: []})
                operation["x-api-key-scopes"] = scopes[operation_id]
            if operation_id in PUBLIC_READS:
                alternatives.append({})
            operation["security"] = alternatives


def _add_links(paths: dict[str, Any]) -> None:
    """Each ``LINKS`` row on its source's success response. A row naming an unknown operation or
    parameter is written all the same: the gateway's tests report it, not a fuzz run that skips it."""
    operations = {op.get("operationId"): op for item in paths.values() for op in item.values()}
    for source, rows in LINKS.items():
        if source not in operations:
            continue
        links: dict[str, dict[str, Any]] = {}
        for target, parameter, expression in rows:
            link = links.setdefault(target, {"operationId": target})
            if parameter.startswith(BODY):
                link.setdefault("requestBody", {})[parameter[len(BODY) :]] = expression
            else:
                link.setdefault("parameters", {})[parameter] = expression
        success_response(operations[source])["links"] = links


def success_response(operation: dict[str, Any]) -> dict[str, Any]:
    """The operation's one 2xx response, the one its links start from."""
    (response,) = (r for code, r in operation["responses"].items() if code.startswith("2"))
    result: dict[str, Any] = response
    return result


def _renamed(value: Any, renames: dict[str, str]) -> Any:
    """``value`` with its references to renamed schemas pointing at the new names."""
    if isinstance(value, dict):
        ref = value.get("$ref")
        if isinstance(ref, str) and ref.startswith(PREFIX) and ref[len(PREFIX) :] in renames:
            return {**value, "$ref": PREFIX + renames[ref[len(PREFIX) :]]}
        return {k: _renamed(v, renames) for k, v in value.items()}
    if isinstance(value, list):
        return [_renamed(v, renames) for v in value]
    return value


def _proxied(path: str, item: dict[str, Any]) -> bool:
    return any(route.path == path and route.method.lower() in item for route in ROUTES)


def load() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(DOCUMENT.read_text(encoding="utf-8"))
    return document
