"""Rebuilding the projections from the event history gives the same figures (issue 5, item 4).

The session of test_statistics is planted on real Kafka for two bodies (the second with
every event twice, each topic reversed) and consumed by a live service on SQLite; its
ratings, rules and weights (owned data, restored from a backup in real life) are copied
into a fresh target, on SQLite and on PostgreSQL; ``rebuild`` replays the topics into it
(not the ratings: the target holds them already) and a second app on the rebuilt database,
without consumer, serves the very same JSON.

Then the members rate through the live service's API instead (one of them changes a rating),
its outbox relay publishes evaluation.submitted on evaluation.events, and the command
rebuilds into a target with no ratings at all (only the rules and weights restored): the
ratings come back from the service's own topic, comments aside, and the figures are the same."""

import asyncio
import importlib.util
import sys
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel, col, select

from devstack.kafka import KafkaBroker
from devstack.keys import DevKeys
from devstack.topics import publish, read_topic
from evaluation_service.events.schemas import registry as evaluation_events
from evaluation_service.main import MIGRATIONS, create_app
from evaluation_service.models import Evaluation, EvaluationRules, PerformanceWeights, RatedItem, StatItem
from evaluation_service.rebuild import (
    CLEARED,
    INFRASTRUCTURE,
    OWNED,
    PROJECTIONS,
    NotEmpty,
    main,
    rating_subscriptions,
    rebuild,
)
from evaluation_service.settings import EvaluationSettings
from servicekit.db import Database
from servicekit.events import EventEnvelope
from servicekit.inbox import InboxMessage
from servicekit.migrations import upgrade_async
from servicekit.replay import TopicReplay
from servicekit.runtime import service_runtime

pytestmark = pytest.mark.integration

Serve = Callable[[FastAPI], AbstractAsyncContextManager[httpx.AsyncClient]]


def _scenario() -> ModuleType:
    """test_statistics' planted year and helpers (test folders are not packages here)."""
    name = "evaluation_rebuild_scenario"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("test_statistics.py"))
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


S = _scenario()


async def test_every_table_is_classified(tmp_path: Path) -> None:
    """A new table must be declared rebuilt (projection), owned or infrastructure. The tables are
    the ones the service's migrations create (the shared metadata holds other services' too)."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'tables.db'}"
    await upgrade_async(MIGRATIONS, url)
    engine = create_async_engine(url)
    async with engine.connect() as connection:
        tables = set(await connection.run_sync(lambda sync: inspect(sync).get_table_names()))
    await engine.dispose()
    classified = {m.__tablename__ for m in (*PROJECTIONS, *OWNED, *INFRASTRUCTURE)}
    assert tables - {"alembic_version"} == classified
    assert not {m.__tablename__ for m in CLEARED} & {m.__tablename__ for m in OWNED}


def test_the_rating_table_decides_every_type_the_service_publishes() -> None:
    """A new event type on evaluation.events must be rebuilt from or ignored explicitly."""
    handled, ignored = set(rating_subscriptions.handlers), rating_subscriptions.ignored
    assert handled == {("evaluation.submitted", 1)}
    assert handled | ignored == set(evaluation_events._models) and not handled & ignored


def _settings(database_url: str, kafka: KafkaBroker, namespace: str, keys: DevKeys) -> EvaluationSettings:
    return EvaluationSettings(
        database_url=database_url,
        kafka_bootstrap_servers=kafka.bootstrap,
        kafka_namespace=namespace,
        auth_jwks=keys.jwks,
        auth_jwks_url=None,
    )


@asynccontextmanager
async def _without_consumer(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """The app without its lifespan: no migrations, relay or consumer; routes on its database."""
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://service") as client:
            yield client
    finally:
        await service_runtime(app).database.dispose()


async def _figures(
    scene: Any, client: httpx.AsyncClient, bodies: Iterable[str] = ("body-1", "body-2")
) -> dict[str, Any]:
    """Every statistics view the planted sessions have, as the service serves them."""
    out: dict[str, Any] = {}
    for body in bodies:
        staff = scene.staff(body)
        views: list[tuple[str, dict[str, str]]] = [
            ("/statistics", {}),
            ("/statistics", {"session_id": S.SESSION}),
            ("/statistics", {"session_id": S.OTHER_SESSION}),
            ("/statistics", {"session_id": S.SESSION, "kind": "individual"}),
            ("/statistics", {"session_id": S.SESSION, "category": "城市建设"}),
            ("/statistics/units", {"session_id": S.SESSION}),
            ("/statistics/units", {}),
        ]
        for path, params in views:
            response = await client.get(path, params={"body_id": body, **params}, headers=staff)
            assert response.status_code == 200, response.text
            out[f"{body} {path} {sorted(params.items())}"] = response.json()
    # The filed counts across bodies (administrators only).
    filing = await client.get("/statistics/filing", headers=scene.keys.headers("admin", subject="admin"))
    assert filing.status_code == 200, filing.text
    out["filing"] = filing.json()
    return out


async def _copy_owned(source: str, target: str, models: Iterable[type[SQLModel]] = OWNED) -> None:
    """Restores the owned tables into the target, as a backup restore would."""
    await upgrade_async(MIGRATIONS, target)
    src, dst = Database(source), Database(target)
    try:
        async with src.engine.connect() as read, dst.engine.begin() as write:
            for model in models:
                table = model.__table__  # type: ignore[attr-defined]
                rows = [dict(row._mapping) for row in (await read.execute(table.select())).all()]
                if rows:
                    await write.execute(table.insert(), rows)
    finally:
        await src.dispose()
        await dst.dispose()


async def test_rebuild_from_the_topics_gives_the_same_figures(
    database_url: str, kafka: KafkaBroker, namespace: str, serve: Serve, dev_keys: DevKeys, tmp_path: Path
) -> None:
    live_url = f"sqlite+aiosqlite:///{tmp_path / 'live.db'}"
    live = create_app(_settings(live_url, kafka, namespace, dev_keys))
    async with serve(live) as client:
        scene = S.Scene(client, live, dev_keys, kafka.bootstrap, namespace)
        await scene.plant(S.plant("body-1"))
        await scene.plant(S.plant("body-2"), shuffled=True)
        # Owned data beside the ratings: a body's weights and evaluation rules.
        weights = {"on_time": 0.5, "satisfaction": 0.3, "contact": 0.1, "outcome": 0.1}
        put = await client.put("/bodies/body-2/performance-weights", json=weights, headers=scene.staff("body-2"))
        assert put.status_code == 200, put.text
        async with service_runtime(live).database.session() as session:
            session.add(EvaluationRules(body_id="body-2", unrated_policy="counted_satisfied"))
            await session.commit()
        # An event type the service does not know: dead-lettered live, rejected by the replay.
        unknown = EventEnvelope(
            source="proposal", type="proposal.unheard_of", subject="x", dataschema="x", dataversion=1, data={}
        )
        await publish(kafka.bootstrap, f"{namespace}proposal.events", [unknown])
        expected = await _figures(scene, client)
    assert expected[f"body-1 /statistics {sorted({'session_id': S.SESSION}.items())}"] == {
        "body_id": "body-1",
        **S.EXPECTED,
    }
    assert expected[f"body-2 /statistics {sorted({'session_id': S.SESSION}.items())}"]["unrated_policy"] == (
        "counted_satisfied"
    )

    await _copy_owned(live_url, database_url)
    target = _settings(database_url, kafka, namespace, dev_keys)
    seen: list[tuple[str, int, int]] = []
    result = await rebuild(target, progress=lambda r: seen.append((r.topic, r.read, r.total)))
    # The ratings were restored: evaluation.events is not replayed over them.
    assert result.ratings_skipped and "already holds 12 rows" in result.ratings_skipped
    assert {t.topic for t in result.topics} == {f"{namespace}proposal.events", f"{namespace}assignment.events"}

    year = S.plant("x")
    per_body = {"proposal": len(year.proposal), "assignment": len(year.assignment)}
    by_topic = {t.topic.removeprefix(namespace): t for t in result.topics}
    for kind, count in per_body.items():
        report: TopicReplay = by_topic[f"{kind}.events"]
        extra = 1 if kind == "proposal" else 0  # the unknown event
        # body-1 once, body-2 twice over: duplicates are skipped by the inbox.
        assert report.total == report.read == 3 * count + extra
        assert report.applied == 2 * count
        assert report.rejected == extra
        last = [(read, total) for topic, read, total in seen if topic == report.topic][-1]
        assert last == (report.total, report.total)
    assert [r.offset for r in result.rejected] and "unknown event type" in result.rejected[0].error
    assert result.complete

    async with _without_consumer(create_app(target)) as rebuilt:
        assert await _figures(scene, rebuilt) == expected

    # Rounds whose every entitled proposer is satisfied are closed again (i1, and i3's second
    # round; i2 waits for the proposer of the item merged into it).
    db = Database(database_url)
    try:
        async with db.session(read_only=True) as session:
            items = (await session.exec(select(RatedItem).where(RatedItem.body_id == "body-1"))).all()
            assert sum(i.completed for i in items) == 2
            assert len((await session.exec(select(Evaluation))).all()) == 12
            assert (await session.get(PerformanceWeights, "body-2")) is not None
    finally:
        await db.dispose()

    # A second run refuses a database with projection rows; --force replaces them.
    with pytest.raises(NotEmpty):
        await rebuild(target)
    again = await rebuild(target, force=True)
    assert again.applied == result.applied
    async with _without_consumer(create_app(target)) as rebuilt:
        assert await _figures(scene, rebuilt) == expected


async def _rows(url: str) -> list[dict[str, Any]]:
    """The ratings, as dicts in key order."""
    db = Database(url)
    try:
        async with db.session(read_only=True) as session:
            rows = (await session.exec(select(Evaluation))).all()
            return sorted(
                ({f: getattr(r, f) for f in Evaluation.model_fields} for r in rows),
                key=lambda r: (r["proposal_id"], r["round"], r["unit_id"], r["member_id"]),
            )
    finally:
        await db.dispose()


async def _until_consumed(app: FastAPI, ids: set[str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        async with service_runtime(app).database.session(read_only=True) as session:
            seen = (await session.exec(select(InboxMessage.event_id).where(col(InboxMessage.event_id).in_(ids)))).all()
        if len(seen) == len(ids):
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the evaluation service never consumed the events")


async def test_rebuild_restores_the_ratings_from_the_services_own_topic(
    database_url: str,
    kafka: KafkaBroker,
    namespace: str,
    serve: Serve,
    dev_keys: DevKeys,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    year = S.plant("body-1")
    year.ratings = []  # made through the API below, not planted
    i3 = year.ids["i3"]
    # i3's rehandling (round 2) comes once its first round was rated unsatisfied.
    rehandled = [e for e in year.assignment if e.subject == i3 and e.data.get("round") == 2]
    year.assignment = [e for e in year.assignment if e not in rehandled]
    assert len(rehandled) == 2

    live_url = f"sqlite+aiosqlite:///{tmp_path / 'live.db'}"
    live = create_app(_settings(live_url, kafka, namespace, dev_keys))
    async with serve(live) as client:
        scene = S.Scene(client, live, dev_keys, kafka.bootstrap, namespace)
        await scene.plant(year)

        async def rate(name: str, unit: str, result: str, status: int = 201) -> None:
            member = f"m-{name}"
            headers = dev_keys.headers("member", subject=member, body_id="body-1", member_id=member)
            rating = {"contact": "satisfied", "attitude": "satisfied", "result": result, "comment": f"{name}: {result}"}
            response = await client.post(
                f"/proposals/{year.ids[name]}/evaluations", json={"unit_id": unit, **rating}, headers=headers
            )
            assert response.status_code == status, response.text

        # The ratings test_statistics plants, made by the members themselves; i1's changed afterwards.
        await rate("i1", "u1", "unsatisfied")
        await rate("i2", "u2", "basically_satisfied")
        await rate("i3", "u1", "unsatisfied")
        await rate("i4", "u3", "unsatisfied")
        await rate("i11", "u1", "unsatisfied")
        await rate("i1", "u1", "satisfied", status=200)
        await publish(kafka.bootstrap, f"{namespace}assignment.events", rehandled)
        await _until_consumed(live, {e.id for e in rehandled})
        await rate("i3", "u1", "satisfied")
        # Owned data beside the ratings, restored from a backup below: a body's weights.
        weights = {"on_time": 0.4, "satisfaction": 0.4, "contact": 0.1, "outcome": 0.1}
        put = await client.put("/bodies/body-1/performance-weights", json=weights, headers=scene.staff("body-1"))
        assert put.status_code == 200, put.text
        expected = await _figures(scene, client, ["body-1"])
        # The relay publishes what the ratings wrote into the outbox.
        records = await read_topic(kafka.bootstrap, f"{namespace}evaluation.events", expect=13)
        types = Counter(EventEnvelope.from_bytes(r.value or b"").type for r in records)
        assert types == {"evaluation.submitted": 7, "evaluation.unsatisfied": 4, "evaluation.completed": 2}
    live_rows = await _rows(live_url)
    assert len(live_rows) == 6 and all(r["comment"] for r in live_rows)
    changed = next(r for r in live_rows if r["proposal_id"] == year.ids["i1"])
    assert changed["result"] == "satisfied" and changed["updated_at"] > changed["submitted_at"]
    # The figures test_statistics gets from planted ratings.
    assert expected[f"body-1 /statistics {sorted({'session_id': S.SESSION}.items())}"] == {
        "body_id": "body-1",
        **S.EXPECTED,
    }

    # A target with the rules and weights restored, and no ratings.
    await _copy_owned(live_url, database_url, [EvaluationRules, PerformanceWeights])
    assert await _rows(database_url) == []
    capsys.readouterr()
    args = ["--database-url", database_url, "--bootstrap", kafka.bootstrap, "--namespace", namespace]
    assert await asyncio.to_thread(main, args) == 0
    err = capsys.readouterr().err
    assert "ratings:" not in err
    assert f"{namespace}evaluation.events: 13/13 read, 7 applied, 6 skipped (duplicate or ignored), 0 rejected" in err
    for topic in ("proposal", "assignment"):
        assert f"{namespace}{topic}.events: " in err
    assert err.index(f"{namespace}assignment.events: ") < err.index(f"{namespace}evaluation.events: ")

    rebuilt_rows = await _rows(database_url)
    assert [{**r, "comment": None} for r in live_rows] == rebuilt_rows
    target = _settings(database_url, kafka, namespace, dev_keys)
    async with _without_consumer(create_app(target)) as rebuilt:
        assert await _figures(scene, rebuilt, ["body-1"]) == expected
    db = Database(database_url)
    try:
        async with db.session(read_only=True) as session:
            items = (await session.exec(select(RatedItem).where(RatedItem.body_id == "body-1"))).all()
            assert sum(i.completed for i in items) == 2  # i1, and i3's second round
    finally:
        await db.dispose()

    # --force replaces the projections and keeps the rebuilt ratings: not replayed twice.
    again = await rebuild(target, force=True)
    assert again.ratings_skipped and "already holds 6 rows" in again.ratings_skipped
    assert "ratings: the evaluation table already holds 6 rows" in capsys.readouterr().err
    assert await _rows(database_url) == rebuilt_rows
    async with _without_consumer(create_app(target)) as rebuilt:
        assert await _figures(scene, rebuilt, ["body-1"]) == expected


async def _plant_projection_row(url: str) -> None:
    await upgrade_async(MIGRATIONS, url)
    db = Database(url)
    try:
        async with db.session() as session:
            session.add(StatItem(proposal_id="p", body_id="b"))
            await session.commit()
    finally:
        await db.dispose()


def test_the_command_line_refuses_and_reports(
    kafka: KafkaBroker, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    namespace = f"t{uuid.uuid4().hex[:10]}."
    args = ["--bootstrap", kafka.bootstrap, "--namespace", namespace]
    # No topic of this namespace exists: nothing to replay, and the history is reported incomplete.
    url = f"sqlite+aiosqlite:///{tmp_path / 'target.db'}"
    assert main(["--database-url", url, *args]) == 2
    err = capsys.readouterr().err
    assert f"{namespace}proposal.events: no such topic" in err and "rebuilt: 0 events applied" in err

    used = f"sqlite+aiosqlite:///{tmp_path / 'used.db'}"
    asyncio.run(_plant_projection_row(used))
    assert main(["--database-url", used, *args]) == 1
    assert "refused: the database already holds projection rows (stat_item: 1)" in capsys.readouterr().err
    assert main(["--database-url", used, *args, "--force"]) == 2
    assert f"{namespace}evaluation.events: no such topic" in capsys.readouterr().err
    # --skip-ratings leaves the service's own topic alone, and says so.
    fresh = f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
    assert main(["--database-url", fresh, *args, "--skip-ratings"]) == 2
    err = capsys.readouterr().err
    assert "ratings: not replayed (--skip-ratings)" in err and f"{namespace}evaluation.events: no such" not in err
