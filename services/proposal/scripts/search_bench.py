"""Search and similar items over a synthetic corpus, in-process (ADR 0014). Prints figures; asserts nothing.

    .venv/bin/python services/proposal/scripts/search_bench.py --items 10000 [--url postgresql+asyncpg://...]

Items are made of the labelled set's sentences (tests/data/similar_pairs.json) shuffled into ~1,000-character
bodies, all in one body and session, submitted. The index is written as the service writes it (analyse, then a
search document and word counts); timings are the domain functions on a database the migrations built.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from proposal_service.domain.queries import list_proposals
from proposal_service.domain.search import DOCUMENTS, analyse
from proposal_service.domain.similar import similar_items
from proposal_service.main import MIGRATIONS
from proposal_service.models import Proposal
from servicekit.auth import Principal, Role
from servicekit.db import Database
from servicekit.migrations import upgrade

PAIRS = json.loads((Path(__file__).parents[1] / "tests" / "data" / "similar_pairs.json").read_text("utf-8"))["pairs"]
QUERIES = ["停车", "小区", "教育", "渍水", "老旧小区 停车", "电动自行车充电", "博物馆"]


def corpus(n: int, seed: int = 0) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    docs = [pair[side] for pair in PAIRS for side in ("a", "b")]
    sentences = [s + "。" for d in docs for s in d["content"].split("。") if s]
    out = []
    for i in range(n):
        body = ""
        while len(body) < 1_000:
            body += rng.choice(sentences)
        out.append((f"{rng.choice(docs)['title']}（{i}）", body))
    return out


def load(url: str, items: list[tuple[str, str]]) -> None:
    async def run() -> None:
        engine = create_async_engine(url)
        async with engine.begin() as connection:
            await connection.run_sync(_load, items)
        async with engine.connect() as connection:
            await connection.run_sync(_sizes, sum(len(t.encode()) + len(c.encode()) for t, c in items))
        await engine.dispose()

    asyncio.run(run())


def _load(c: sa.Connection, items: list[tuple[str, str]]) -> None:
    meta = sa.MetaData()
    names = ("body", "session", "proposal", "searchdocument", "searchcontent")
    tables = {t: sa.Table(t, meta, autoload_with=c) for t in names}
    now = datetime.now(UTC)

    def filled(table: sa.Table, **given: object) -> dict[str, object]:
        values = dict(given)
        for column in table.columns:
            if column.name not in values and not column.nullable and column.name != "id":
                kind = column.type.python_type
                values[column.name] = {str: "x", int: 1, bool: False}.get(kind, now)
        return values

    counts: Counter[str] = Counter()
    c.execute(tables["body"].insert().values(filled(tables["body"], id="b1", kind="cppcc", level="municipal")))
    c.execute(tables["session"].insert().values(filled(tables["session"], id="s1", body_id="b1")))
    batch, documents = [], []
    for i, (title, content) in enumerate(items):
        pid = f"p{i:07d}"
        batch.append(
            filled(
                tables["proposal"],
                id=pid,
                body_id="b1",
                session_id="s1",
                title=title,
                content=content,
                status="submitted",
                kind="individual",
                created_at=now + timedelta(seconds=i),
                updated_at=now + timedelta(seconds=i),
                created_by="member:x",
                number=None,
                category_id=None,
                lead_member_id=None,
                merged_into_id=None,
            )
        )
        found = analyse(title, content)
        counts.update(set(found.words.full))
        title_words, full_words = found.words.serialise()
        documents.append({"id": i + 1, "terms": found.terms, "title_words": title_words, "words": full_words})
        if len(batch) == 500:
            c.execute(tables["proposal"].insert(), batch)
            c.execute(
                tables["searchdocument"].insert(),
                [{"id": d["id"], "proposal_id": f"p{d['id'] - 1:07d}"} for d in documents],
            )
            c.execute(tables["searchcontent"].insert(), documents)
            batch, documents = [], []
    if batch:
        c.execute(tables["proposal"].insert(), batch)
        c.execute(
            tables["searchdocument"].insert(),
            [{"id": d["id"], "proposal_id": f"p{d['id'] - 1:07d}"} for d in documents],
        )
        c.execute(tables["searchcontent"].insert(), documents)
    rows = [{"word": w, "documents": n} for w, n in counts.items()] + [{"word": DOCUMENTS, "documents": len(items)}]
    for s in range(0, len(rows), 5_000):
        c.execute(sa.table("wordcount", sa.column("word"), sa.column("documents")).insert(), rows[s : s + 5_000])


def _sizes(c: sa.Connection, text_bytes: int) -> None:
    if c.dialect.name == "sqlite":
        rows = c.execute(sa.text("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name")).all()
        size = dict(rows)
        fts = sum(v for k, v in size.items() if k.startswith("search_fts"))
        print(f"text (title+content, UTF-8): {text_bytes / 2**20:.1f} MiB")
        print(f"FTS5 index (search_fts_*): {fts / 2**20:.1f} MiB = {fts / text_bytes:.2f} x text")
        print(f"searchcontent table (terms + words): {size.get('searchcontent', 0) / 2**20:.1f} MiB")
        print(
            f"wordcount: {size.get('wordcount', 0) / 2**20:.1f} MiB; proposal: {size.get('proposal', 0) / 2**20:.1f} MiB"
        )
    else:
        q = "SELECT pg_relation_size(:n)"
        gin = c.execute(sa.text(q), {"n": "ix_searchcontent_fts"}).scalar_one()
        table = c.execute(sa.text("SELECT pg_total_relation_size('searchcontent')")).scalar_one() - gin
        print(f"text (title+content, UTF-8): {text_bytes / 2**20:.1f} MiB")
        print(f"GIN index: {gin / 2**20:.1f} MiB = {gin / text_bytes:.2f} x text")
        print(f"searchcontent table (terms + words) with TOAST: {table / 2**20:.1f} MiB")


def p50(values: list[float]) -> str:
    return f"p50 {statistics.median(values) * 1000:.1f} ms, max {max(values) * 1000:.1f} ms"


async def timings(url: str, n: int) -> None:
    db = Database(url)
    staff = Principal(subject="staff-1", role=Role.staff, body_id="b1")
    for q in QUERIES:
        spent = []
        for _ in range(10):
            async with db.session(read_only=True) as session:
                started = time.perf_counter()
                page, _cursor = await list_proposals(session=session, principal=staff, limit=20, cursor=None, q=q)
                spent.append(time.perf_counter() - started)
        print(f"search {q!r}: {len(page)} on the first page, {p50(spent)}")
    rng = random.Random(1)
    spent = []
    for i in rng.sample(range(n), 10):
        async with db.session(read_only=True) as session:
            item = await session.get_one(Proposal, f"p{i:07d}")
            started = time.perf_counter()
            found = await similar_items(session=session, principal=staff, item=item)
            spent.append(time.perf_counter() - started)
    print(f"similar items (10 items, {len(found)} found for the last): {p50(spent)}")
    await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=1_000)
    parser.add_argument("--url", help="a PostgreSQL database (postgresql+asyncpg://...); default a scratch SQLite file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        url = args.url or f"sqlite+aiosqlite:///{scratch}/bench.db"
        upgrade(MIGRATIONS, url)
        started = time.perf_counter()
        load(url, corpus(args.items))
        print(f"{args.items} items indexed in {time.perf_counter() - started:.0f} s")
        asyncio.run(timings(url, args.items))


if __name__ == "__main__":
    main()
