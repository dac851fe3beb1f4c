"""Search and similar items on the database's full-text index (ADR 0014): the service path, not the reference.

The labelled set through the service's path (rarest words, full-text candidates, a short list, stored words scored
with the corpus idf) keeps the reference's precision and recall; writes keep the index and the word counts in step;
the migration reindexes items stored before it.
"""

import json
import sqlite3
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from proposal_world import World, ok
from sqlmodel import select

from proposal_service.domain.search import DOCUMENTS
from proposal_service.main import MIGRATIONS
from proposal_service.models import WordCount
from proposal_service.text import (
    PROBE_BUDGET,
    PROBE_WORDS,
    SHORTLIST,
    SIMILARITY_THRESHOLD,
    Words,
    fts_terms,
    probe_words,
    rank_words,
    shortlist,
    smooth_idf,
    words,
)
from servicekit.migrations import alembic_config
from servicekit.runtime import service_runtime

PAIRS: list[dict[str, Any]] = json.loads((Path(__file__).parent / "data" / "similar_pairs.json").read_text("utf-8"))[
    "pairs"
]
PRECISION_FLOOR = RECALL_FLOOR = 0.90  # as test_text.py


# --- the service path on the labelled set, without a database ---


def test_the_service_path_keeps_precision_and_recall_on_the_labelled_set() -> None:
    ids = [f"{i}{side}" for i in range(len(PAIRS)) for side in ("a", "b")]
    texts = {f"{i}{side}": pair[side] for i, pair in enumerate(PAIRS) for side in ("a", "b")}
    stored = {i: words(t["title"], t["content"]) for i, t in texts.items()}
    indexed = {i: set(fts_terms(t["title"], t["content"]).split()) for i, t in texts.items()}
    df = Counter(w for found in stored.values() for w in set(found.full))
    idf = smooth_idf(df, len(ids))
    tp = fp = fn = 0
    for i, pair in enumerate(PAIRS):
        a, b = f"{i}a", f"{i}b"
        probes = probe_words(stored[a], df)
        assert 0 < len(probes) <= PROBE_WORDS
        postings = {w: [d for d in ids if d != a and w in indexed[d]] for w in probes}
        short = shortlist(stored[a], postings, idf)
        if pair["similar"]:
            assert b in short, f"pair {i}: the duplicate is not among the candidates"
        scores = dict(rank_words(stored[a], [(d, stored[d]) for d in short], idf, limit=len(short)))
        predicted = scores.get(b, 0.0) >= SIMILARITY_THRESHOLD
        tp += predicted and pair["similar"]
        fp += predicted and not pair["similar"]
        fn += not predicted and pair["similar"]
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    print(f"\nservice path at {SIMILARITY_THRESHOLD}: precision {precision:.3f} ({tp}/{tp + fp}), recall {recall:.3f}")
    assert precision >= PRECISION_FLOOR
    assert recall >= RECALL_FLOOR


def test_candidates_are_bounded_whatever_the_corpus() -> None:
    item = words("关于治理中心城区渍水点的建议", "汛期多处渍水点积水严重，建议改造排水管网，增设泵站。")
    df = dict.fromkeys(set(item.full), 50_000)  # every word is common
    probes = probe_words(item, df)
    assert len(probes) == 1  # the rarest word only: the budget is spent at once
    many = {w: [f"d{n}" for n in range(30_000)] for w in set(item.full)}
    assert len(shortlist(item, many, smooth_idf(df, 100_000))) == SHORTLIST
    rare = dict.fromkeys(set(item.full), 3)
    assert len(probe_words(item, rare)) == min(PROBE_WORDS, len(set(item.full)))
    assert sum(rare[w] for w in probe_words(item, rare)) <= PROBE_BUDGET
    assert probe_words(item, dict.fromkeys(set(item.full), 1)) == []  # no other document holds any of them


def test_stored_words_round_trip() -> None:
    found = words("关于加快5G基站建设的建议", "ＡＥＤ配置不足，PM2.5超标。")
    assert Words.parse(*found.serialise()) == found
    assert "5g" in found.title and "aed" in found.full
    assert all(len(w) <= 40 for w in words("x" * 60, "").full)


# --- the database path ---


async def _counts(w: World, *found: str) -> dict[str, int]:
    app: FastAPI = w.app  # type: ignore[attr-defined]
    async with service_runtime(app).database.session(read_only=True) as session:
        rows = (await session.exec(select(WordCount.word, WordCount.documents).where(WordCount.word.in_(found)))).all()  # type: ignore[attr-defined]
    return {word: n for word, n in rows} | {word: 0 for word in found if word not in dict(rows)}


@pytest.mark.integration
async def test_an_edit_replaces_the_index_and_the_word_counts(world: World) -> None:
    w, c = world, world.client
    item = await w.draft("刘洋", title="关于治理中心城区渍水点的建议", content="汛期渍水点积水严重。")
    mine = w.member("刘洋")

    async def found(q: str) -> list[str]:
        return [x["id"] for x in ok(await c.get("/proposals", params={"q": q}, headers=mine))["items"]]

    assert await found("渍水") == [item["id"]]
    assert await _counts(w, "渍水", "停车场", DOCUMENTS) == {"渍水": 1, "停车场": 0, DOCUMENTS: 1}
    changed = {"title": "关于增建社区停车场的建议", "content": "老旧小区停车位不足。"}
    headers = mine | {"If-Match": 'W/"1"'}
    ok(await c.patch(f"/proposals/{item['id']}", json=changed, headers=headers))
    assert await found("渍水") == []
    assert await found("停车场 小区") == [item["id"]]
    assert await _counts(w, "渍水", "停车场", DOCUMENTS) == {"渍水": 0, "停车场": 1, DOCUMENTS: 1}  # still one document


@pytest.mark.integration
async def test_similar_items_through_the_index_on_labelled_pairs(world: World) -> None:
    w, c = world, world.client
    chosen = [p for p in PAIRS if p["similar"]][:6] + [p for p in PAIRS if not p["similar"]][:6]
    filed_b = [await w.filed("王芳", **pair["b"]) for pair in chosen]
    for pair, b in zip(chosen, filed_b, strict=True):
        a = await w.filed("刘洋", **pair["a"])
        # the proposer sees only what is visible to them (not 王芳's submitted items); the staff see the body's
        similar = {
            s["id"]: s["score"] for s in ok(await c.get(f"/proposals/{a['id']}/similar", headers=w.staff()))["items"]
        }
        assert all(score >= SIMILARITY_THRESHOLD for score in similar.values())
        if pair["similar"]:
            assert b["id"] in similar, pair["a"]["title"]


def test_the_migration_reindexes_items_stored_before_it(tmp_path: Path) -> None:
    from alembic import command

    url = f"sqlite+aiosqlite:///{tmp_path}/p.db"
    config = alembic_config(MIGRATIONS, url)
    command.upgrade(config, "5b8b9fbdb336")  # the revision before the search documents
    engine = sa.create_engine(f"sqlite:///{tmp_path}/p.db")
    proposal = sa.Table("proposal", sa.MetaData(), autoload_with=engine)
    now = datetime.now(UTC)
    values: dict[str, object] = {"title": "关于治理中心城区渍水点的建议", "content": "汛期多处渍水点积水严重。"}
    for column in proposal.columns:  # any value for the other required columns (SQLite checks no foreign keys here)
        if column.name not in values and not column.nullable:
            python_type = column.type.python_type
            values[column.name] = {str: "p1", int: 1, bool: False}.get(python_type, now)
    values["id"] = "p1"
    with engine.begin() as connection:
        connection.execute(proposal.insert().values(**values))
    command.upgrade(config, "head")
    db = sqlite3.connect(tmp_path / "p.db")
    hits = db.execute(
        "SELECT d.proposal_id FROM searchdocument d WHERE d.id IN "
        '(SELECT rowid FROM search_fts WHERE search_fts MATCH \'"渍水" "积水"\')'
    ).fetchall()
    assert hits == [("p1",)]
    assert db.execute("SELECT documents FROM wordcount WHERE word = '渍水'").fetchone() == (1,)
    assert db.execute("SELECT documents FROM wordcount WHERE word = ''").fetchone() == (1,)  # the corpus size
    assert not db.execute("SELECT name FROM sqlite_master WHERE name = 'searchterm'").fetchall()
    db.close()
