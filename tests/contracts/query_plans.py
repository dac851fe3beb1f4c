"""The machinery of the query-plan tests (test_query_plans*.py): the SQL a service's routes emit
is captured while representative requests run (SQLAlchemy's before_cursor_execute) and each
statement's plan is read back from the database (SQLite: EXPLAIN QUERY PLAN; PostgreSQL: EXPLAIN
with enable_seqscan off, so only a missing index leaves a Seq Scan). A full scan of a table that
is not allowed by name (``small``: a few rows per body, with the reason) fails the test."""

import re
import sqlite3
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import event
from sqlalchemy.ext.asyncio import create_async_engine

from servicekit.runtime import service_runtime


def ok(response: httpx.Response, status: int = 200) -> Any:
    """The JSON body of an answer that has ``status`` (the request and body shown when it has not)."""
    assert response.status_code == status, f"{response.request.method} {response.request.url}: {response.text}"
    return response.json() if response.content else None


class Captured:
    """The distinct statements (with their first parameters) read or written while recording."""

    def __init__(self) -> None:
        self.statements: dict[str, tuple[Any, ...]] = {}
        self.recording = False

    def __call__(self, _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, many: bool) -> None:
        if self.recording and re.match(r"\s*(SELECT|UPDATE|DELETE|WITH)\b", statement, re.IGNORECASE):
            if many:  # executemany: the plan of the first row's parameters stands for all
                parameters = parameters[0] if parameters else ()
            self.statements.setdefault(statement, tuple(parameters or ()))

    @contextmanager
    def recorded(self) -> Iterator[None]:
        self.recording = True
        try:
            yield
        finally:
            self.recording = False


def capture(app: FastAPI) -> Captured:
    """Listens to the statements of a started service app's engine (record inside ``recorded()``)."""
    captured = Captured()
    event.listen(service_runtime(app).database.engine.sync_engine, "before_cursor_execute", captured)
    return captured


def _normal(statement: str) -> str:
    return " ".join(statement.split())


def _sqlite_scans(path: str, statements: Mapping[str, tuple[Any, ...]], tables: set[str]) -> list[str]:
    found = []
    with sqlite3.connect(path) as conn:
        for statement, parameters in statements.items():
            plan = conn.execute(f"EXPLAIN QUERY PLAN {statement}", parameters).fetchall()
            for _id, _parent, _notused, detail in plan:
                match = re.match(r"SCAN (\w+)(?: AS \w+)?$", detail)
                if match and re.sub(r"_\d+$", "", match.group(1)) in tables:
                    found.append(f"{detail}\n    in: {statement}")
    return found


async def _postgres_scans(url: str, statements: Mapping[str, tuple[Any, ...]], tables: set[str]) -> list[str]:
    found = []
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            # Seq Scans are then chosen only where no index can answer (tiny tables look cheaper
            # to scan otherwise).
            await conn.exec_driver_sql("SET enable_seqscan = off")
            for statement, parameters in statements.items():
                plan = [r[0] for r in (await conn.exec_driver_sql(f"EXPLAIN {statement}", parameters)).all()]
                for line in plan:
                    match = re.search(r"Seq Scan on (\w+)", line)
                    if match and match.group(1) in tables:
                        found.append(f"{line.strip()}\n    in: {statement}")
    finally:
        await engine.dispose()
    return found


async def assert_no_full_scans(
    url: str,
    captured: Captured,
    tables: Collection[str],
    *,
    small: Mapping[str, str] | Collection[str] = (),
    known: Collection[str | re.Pattern[str]] = (),
    at_least: int = 10,
) -> None:
    """No captured statement reads one of ``tables`` in full, but for the ``small`` ones (table →
    why it stays a handful of rows) and the ``known`` statements (whitespace-normalised text, or a
    pattern matching its start: placeholders differ between SQLite and PostgreSQL)."""
    assert len(captured.statements) >= at_least, f"only {len(captured.statements)} statements captured"
    checked = set(tables) - set(small)

    def is_known(statement: str) -> bool:
        text = _normal(statement)
        return any(text == k if isinstance(k, str) else k.match(text) for k in known)

    statements = {s: p for s, p in captured.statements.items() if not is_known(s)}
    if url.startswith("sqlite"):
        scans = _sqlite_scans(url.split("///", 1)[1], statements, checked)
    else:
        scans = await _postgres_scans(url, statements, checked)
    assert not scans, "full table scans on request paths:\n" + "\n".join(scans)
