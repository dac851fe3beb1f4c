"""Rebuilding the projections from the event history gives the same figures (issue 5, item 4).

The session of test_statistics is planted on real Kafka for two bodies (the second with
every event twice, each topic reversed) and consumed by a live service on SQLite; its
ratings, rules and weights (owned data, restored from a backup in real life) are copied
into a fresh target, on SQLite and on PostgreSQL; ``rebuild`` replays the topics into it and
a second app on the rebuilt database, without consumer, serves the very same JSON."""

import asyncio
import importlib.util
import sys
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import SQLModel, select

from devstack.kafka import KafkaBroker
from devstack.keys import DevKeys
from devstack.topics import publish
from evaluation_service.main import MIGRATIONS, create_app
from evaluation_service.models import Evaluation, EvaluationRules, PerformanceWeights, RatedItem, StatItem
from evaluation_service.rebuild import CLEARED, INFRASTRUCTURE, OWNED, PROJECTIONS, NotEmpty, main, rebuild
from evaluation_service.settings import EvaluationSettings
from servicekit.db import Database
from servicekit.events import EventEnvelope
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


def test_every_table_is_classified() -> None:
    """A new table must be declared rebuilt (projection), owned or infrastructure."""
    classified = {m.__tablename__ for m in (*PROJECTIONS, *OWNED, *INFRASTRUCTURE)}
    assert set(SQLModel.metadata.tables) - {"alembic_version"} <= classified
    assert not {m.__tablename__ for m in CLEARED} & {m.__tablename__ for m in OWNED}


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


async def _figures(scene: Any, client: httpx.AsyncClient) -> dict[str, Any]:
    """Every statistics view the planted sessions have, as the service serves them."""
    out: dict[str, Any] = {}
    for body in ("body-1", "body-2"):
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
        filing = await client.get("/statistics/filing", headers=staff)
        if filing.status_code != 404:  # the filed counts, where the route exists
            out[f"{body} filing"] = (filing.status_code, filing.json())
    return out


async def _copy_owned(source: str, target: str) -> None:
    """Restores the owned tables into the target, as a backup restore would."""
    await upgrade_async(MIGRATIONS, target)
    src, dst = Database(source), Database(target)
    try:
        async with src.engine.connect() as read, dst.engine.begin() as write:
            for model in OWNED:
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
