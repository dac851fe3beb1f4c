"""RFC 9457 problem+json for every error a service returns.

Domain code raises ``Problem`` (or a subclass) with a machine-readable code;
validation errors name the field; anything unexpected becomes a bare 500
problem without internals (the details go to the log, with the request id).
"""

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from servicekit.problem_i18n import ZH, row_problems, translate, wants_chinese
from servicekit.tracing import current_trace

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"


def problem_type(code: str) -> str:
    return f"urn:proposal-platform:problem:{code}"


class Problem(Exception):
    """An error meant for the client, rendered as problem+json."""

    def __init__(
        self,
        status: int,
        code: str,
        title: str,
        detail: str | None = None,
        *,
        errors: list[dict[str, Any]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail or title)
        self.status = status
        self.code = code
        self.title = title
        self.detail = detail
        self.errors = errors
        self.headers = headers


class NotFound(Problem):
    def __init__(self, what: str, ident: str) -> None:
        super().__init__(404, "not_found", "Not Found", f"{what} {ident} does not exist or is not visible to you")


def conflict(code: str, detail: str) -> Problem:
    """409: the request clashes with the resource's current state; ``code`` says how."""
    return Problem(409, code, "Conflict", detail)


def invalid(code: str, field: str, detail: str) -> Problem:
    """422 naming the one body field at fault, shaped like the framework's own validation errors."""
    return Problem(422, code, "Validation Failed", detail, errors=[{"in": "body", "field": field, "message": detail}])


def problem_response(
    request: Request, problem: Problem, *, pydantic_errors: list[dict[str, Any]] | None = None
) -> JSONResponse:
    """The problem as RFC 9457 JSON; its title, detail and field messages in zh-CN when the request
    asks for Chinese and the code is in the catalogue (problem_i18n), the code unchanged."""
    body: dict[str, Any] = {
        "type": problem_type(problem.code),
        "title": problem.title,
        "status": problem.status,
        "code": problem.code,
        "instance": request.url.path,
    }
    if problem.detail:
        body["detail"] = problem.detail
    chinese = wants_chinese(request.headers.get("accept-language"))
    if problem.errors:
        # An import's row problems are worded here, where the caller's language is known.
        body["errors"] = [row_problems([e], chinese=chinese)[0] if "row" in e else e for e in problem.errors]
    if request_id := current_trace().request_id:
        body["request_id"] = request_id
    headers = {**(problem.headers or {}), "Vary": "Accept-Language"}
    if chinese and translate(body, pydantic_errors):
        headers["Content-Language"] = ZH
    return JSONResponse(body, status_code=problem.status, media_type=PROBLEM_JSON, headers=headers)


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    412: "precondition_failed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
}


def _field_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    out = []
    for err in exc.errors():
        loc = [str(part) for part in err.get("loc", ())]
        where = loc[0] if loc else "body"
        field = where if err.get("type") == "json_invalid" else ".".join(loc[1:]) or where
        out.append({"in": where, "field": field, "message": err.get("msg"), "type": err.get("type")})
    return out


def install_problem_handlers(app: FastAPI) -> None:
    async def on_problem(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, Problem)
        return problem_response(request, exc)

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = _field_errors(exc)
        if any(e["type"] == "json_invalid" for e in errors):
            problem = Problem(
                400, "malformed_json", "Malformed JSON", "the request body is not valid JSON", errors=errors
            )
        else:
            fields = ", ".join(sorted({e["field"] for e in errors}))
            problem = Problem(422, "validation_failed", "Validation Failed", f"invalid fields: {fields}", errors=errors)
        return problem_response(request, problem, pydantic_errors=list(exc.errors()))

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        title = code.replace("_", " ").title()
        detail = exc.detail if isinstance(exc.detail, str) and exc.detail != title else None
        headers = exc.headers
        if exc.status_code == 405 and (allowed := allowed_methods(request)):
            headers = {**(headers or {}), "Allow": ", ".join(allowed)}
        return problem_response(request, Problem(exc.status_code, code, title, detail, headers=headers))

    async def on_database_error(request: Request, exc: Exception) -> JSONResponse:
        # A unique key taken by a concurrent request the use case did not lock against (two
        # first-time writes of the same settings row): the loser retries. Nothing was written.
        if isinstance(exc, IntegrityError):
            log.warning("concurrent write refused on %s %s: %s", request.method, request.url.path, exc)
            return problem_response(
                request,
                Problem(409, "concurrent_change", "Conflict", "a concurrent request changed this first; try again"),
            )
        # Values validation lets through but the database refuses, such as NUL characters,
        # which PostgreSQL text cannot hold. The session rolls back, so nothing is written.
        if not is_data_exception(exc):
            return await on_unexpected(request, exc)
        log.warning("database refused a value on %s %s: %s", request.method, request.url.path, exc)
        return problem_response(
            request, Problem(400, "invalid_value", "Invalid Value", "a value in the request cannot be stored")
        )

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(request, Problem(500, "internal_error", "Internal Server Error"))

    app.add_exception_handler(Problem, on_problem)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(DBAPIError, on_database_error)
    app.add_exception_handler(Exception, on_unexpected)


def _route_entries(routes: list[Any]) -> list[tuple[Any, set[str], bool]]:
    """(path regex, methods, has path parameters) of every route, those of included routers too
    (FastAPI keeps them behind an included-router object; its contexts carry the same fields)."""
    out: list[tuple[Any, set[str], bool]] = []
    for route in routes:
        contexts = getattr(route, "effective_route_contexts", None)
        for r in contexts() if callable(contexts) else [route]:
            regex, methods = getattr(r, "path_regex", None), getattr(r, "methods", None)
            if regex is not None and methods:  # mounts (the gateway's static clients) have none
                out.append((regex, set(methods), bool(getattr(r, "param_convertors", None))))
    return out


def allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at the request's path. Starlette's 405 names the methods of
    the first route whose path matched only, though RFC 9110 §10.2.1 wants all of them (GET and
    POST /items are two routes). A literal path is its own resource: /units/import allows POST
    only, though GET /units/{unit_id} would take "import" as an id."""
    path = request.scope["path"]
    matching = [(methods, params) for regex, methods, params in _route_entries(request.app.router.routes)
                if regex.match(path)]  # fmt: skip
    if any(not params for _, params in matching):
        matching = [(methods, params) for methods, params in matching if not params]
    return sorted({m for methods, _ in matching for m in methods})


def is_data_exception(exc: BaseException) -> bool:
    """A database error caused by a value (SQLSTATE class 22, "data exception"): DataError, or a
    driver error SQLAlchemy left untranslated, as asyncpg's CharacterNotInRepertoireError for a
    NUL character in a query parameter."""
    if isinstance(exc, DataError):
        return True
    cause: BaseException | None = exc
    while cause is not None:
        state = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
        if isinstance(state, str) and state.startswith("22"):
            return True
        cause = getattr(cause, "orig", None) if isinstance(cause, DBAPIError) else cause.__cause__
    return False


class FieldError(BaseModel):
    model_config = ConfigDict(extra="allow")

    field: str | None = None
    message: str | None = None


class ProblemDocument(BaseModel):
    """RFC 9457 problem details, as every error of the API is answered."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    code: str
    detail: str | None = None
    instance: str | None = None
    request_id: str | None = None
    errors: list[FieldError] | None = None


_PROBLEM_STATUSES = {
    400: "Bad request (malformed JSON, an invalid cursor or value)",
    401: "Not signed in, or the token is invalid",
    403: "Signed in, but not allowed",
    404: "Not found, or not visible to the caller",
    409: "Conflicts with the current state",
    412: "The If-Match precondition failed",
    413: "The request body is too large",
    422: "Validation failed; the fields are named",
    429: "Too many requests",
    503: "A service it depends on is unavailable",
}

# Declared on every route of every service, so the OpenAPI documents say what errors look like.
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"description": text, "model": ProblemDocument} for status, text in _PROBLEM_STATUSES.items()
}


def problem_media_type(document: dict[str, Any]) -> dict[str, Any]:
    """FastAPI documents error models as application/json; they are answered as problem+json."""
    for item in document.get("paths", {}).values():
        for operation in item.values():
            for status, response in operation.get("responses", {}).items():
                content = response.get("content", {})
                if status.isdigit() and int(status) >= 400 and "application/json" in content:
                    content[PROBLEM_JSON] = content.pop("application/json")
    return document
