"""Scale bench of the proposal service: latency per operation with 1k, 10k and N items.

``bench.py --scale N`` seeds a body's year of items straight into the proposal service's
database, with the service's own models and indexing (``search.index_new_items``) in bulk
inserts (no HTTP, so 100,000 items take minutes, not hours), then times single requests one at
a time through the service's real app (in-process ASGI: routing, token check, validation,
the SQL, serialisation; no network) and prints p50/p99 per operation. It runs on SQLite and on
a throwaway PostgreSQL cluster. The app starts without a reachable Kafka: submits write their
outbox row as always, and the relay keeps waiting for a broker.

The items are realistic Chinese proposals: titles and sentences of the demo data
(deploy/demo/demo.json) recombined, spread over a past (published) and the current session,
with the statuses, kinds, categories, cosigners and handling units of a real year.
"""

from __future__ import annotations

import json
import random
import re
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

S = TypeVar("S")
DEMO = Path(__file__).resolve().parents[2] / "deploy" / "demo" / "demo.json"

# p99 targets per operation (issue 11), in milliseconds.
TARGETS_MS = {
    "get_item": 10.0,
    "list_first_page": 30.0,
    "list_deep_cursor": 30.0,
    "list_filtered": 30.0,
    "search_2_chars": 50.0,
    "search_4_chars": 50.0,
    "similar_items": 150.0,
    "submit": 150.0,
}
OPERATIONS = tuple(TARGETS_MS)
SEARCH_WORDS = {"search_2_chars": "停车", "search_4_chars": "老旧小区"}

# Shares of a year's items by status (the rest of the current session's items are submitted).
PAST_STATUSES = [("closed", 40), ("evaluated", 15), ("replied", 15), ("assigned", 10), ("declined", 5), ("merged", 3)]
MEMBERS = 300
UNITS = 60


def _vocabulary() -> tuple[list[str], list[str]]:
    """Titles and sentences of the demo items."""
    data = json.loads(DEMO.read_text(encoding="utf-8"))
    titles: list[str] = []
    sentences: list[str] = []
    for body in data.values():
        for item in body["items"]:
            titles.append(item["title"])
            sentences += [s + "。" for s in re.split(r"[。；]", item["content"]) if len(s) > 4]
    return titles, sentences


class Seeder:
    """Writes items in bulk with the service's models and index terms."""

    def __init__(self, database: Any, rng: random.Random) -> None:
        self.database = database
        self.rng = rng
        self.titles, self.sentences = _vocabulary()
        self.analysed: dict[str, Any] = {}
        self.count = 0
        self.drafts: list[tuple[str, str]] = []  # (item id, member id)
        self.registered: list[str] = []
        self.numbers: dict[tuple[str, str], int] = {}

    def _analysed(self, title: str, pieces: list[str]) -> Any:
        """``search.analyse(title, content)`` of the item, put together from its title's and
        sentences' analyses: sentences recur across items, so each is tokenised once (the
        tokeniser splits at their full stops anyway, so the parts add up to the whole)."""
        from proposal_service.domain.search import SearchText, analyse
        from proposal_service.text import Words

        parts = []
        for piece in (title, *pieces):
            found = self.analysed.get(piece)
            if found is None:
                found = self.analysed[piece] = analyse(piece, "")
            parts.append(found)
        terms = " ".join(sorted({t for part in parts for t in part.terms.split()}))
        head = parts[0].words.title
        full = head + tuple(w for part in parts[1:] for w in part.words.title)
        return SearchText(terms=terms, words=Words(head, full))

    async def setup(self) -> None:
        from proposal_service.models import Body, Category, Member, Session

        now = datetime.now(UTC)
        self.body_id = str(uuid.uuid4())
        self.past_id, self.current_id = str(uuid.uuid4()), str(uuid.uuid4())
        async with self.database.session() as session:
            session.add(Body(id=self.body_id, name="政协规模测试区委员会", kind="cppcc", level="district"))
            await session.flush()
            session.add(Session(id=self.past_id, body_id=self.body_id, term=14, meeting=2, name="十四届二次会议"))
            session.add(Session(id=self.current_id, body_id=self.body_id, term=14, meeting=3, name="十四届三次会议"))
            self.categories = [str(uuid.uuid4()) for _ in range(4)]
            for cid, name in zip(self.categories, ("经济发展", "城市建设", "科教文卫", "社会法制"), strict=True):
                session.add(Category(id=cid, body_id=self.body_id, name=name))
            self.members = [str(uuid.uuid4()) for _ in range(MEMBERS)]
            for i, mid in enumerate(self.members):
                session.add(Member(id=mid, body_id=self.body_id, name=f"委员{i:03d}", code=f"S{i:04d}", created_at=now))
            await session.commit()
        self.units = [(str(uuid.uuid4()), f"承办单位{i:02d}") for i in range(UNITS)]
        self.year_start = now - timedelta(days=365)

    async def grow_to(self, total: int, progress: Callable[[str], None]) -> float:
        """Adds items until there are ``total``; the seconds it took."""
        started = time.perf_counter()
        chunk = 2000
        while self.count < total:
            await self._chunk(min(chunk, total - self.count), total)
            if self.count % 10_000 == 0 or self.count == total:
                progress(f"scale: {self.count:,} items")
        return time.perf_counter() - started

    async def _chunk(self, size: int, total: int) -> None:
        from sqlalchemy import insert

        from proposal_service.domain.search import index_new_items
        from proposal_service.models import Cosignature, HandlingUnit, Proposal

        rng = self.rng
        proposals: list[dict[str, Any]] = []
        indexed: list[tuple[str, Any]] = []
        units: list[dict[str, Any]] = []
        cosigners: list[dict[str, Any]] = []
        statuses = [s for s, _ in PAST_STATUSES]
        weights = [w for _, w in PAST_STATUSES]
        for _ in range(size):
            n = self.count
            self.count += 1
            pid = str(uuid.uuid4())
            created = self.year_start + timedelta(seconds=n * 300 + rng.random())
            past = rng.random() < 0.6
            kind = "joint" if rng.random() < 0.15 else "individual"
            lead = rng.choice(self.members)
            if past:
                status = rng.choices(statuses, weights)[0]
            else:
                status = rng.choices(["submitted", "registered", "draft"], [6, 3, 1])[0]
            session_id = self.past_id if past else self.current_id
            title = rng.choice(self.titles)
            pieces = rng.sample(self.sentences, rng.randint(3, 6))
            number = None
            if status not in ("draft", "submitted", "declined", "merged"):
                key = (session_id, kind)
                number = self.numbers[key] = self.numbers.get(key, 0) + 1
            proposals.append(
                {
                    "id": pid,
                    "title": title,
                    "content": "".join(pieces),
                    "body_id": self.body_id,
                    "session_id": session_id,
                    "kind": kind,
                    "category_id": rng.choice(self.categories),
                    "lead_member_id": lead,
                    "group_name": None,
                    "created_by": f"scale-{lead}",
                    "status": status,
                    "number": number,
                    "key": rng.random() < 0.03,
                    "version": 3,
                    "handling_round": 0,
                    "handling_rank": 0,
                    "created_at": created,
                    "updated_at": created + timedelta(days=rng.randint(0, 60)),
                    "submitted_at": None if status == "draft" else created,
                    "registered_at": created if number else None,
                }
            )
            indexed.append((pid, self._analysed(title, pieces)))
            if status in ("assigned", "replied", "evaluated", "closed"):
                unit_id, unit_name = rng.choice(self.units)
                units.append(
                    {"assignment_id": str(uuid.uuid4()), "proposal_id": pid, "unit_id": unit_id,
                     "unit_name": unit_name, "role": "lead"}
                )  # fmt: skip
            if kind == "joint":
                for member in rng.sample([m for m in self.members if m != lead], 2):
                    cosigners.append(
                        {"id": str(uuid.uuid4()), "proposal_id": pid, "member_id": member, "status": "accepted",
                         "deadline": created + timedelta(days=5), "invited_at": created,
                         "answered_at": created + timedelta(days=1)}
                    )  # fmt: skip
            if status == "draft" and kind == "individual":
                self.drafts.append((pid, lead))
            elif number:
                self.registered.append(pid)
        async with self.database.session() as session:
            await session.execute(insert(Proposal.__table__), proposals)  # type: ignore[attr-defined]
            await index_new_items(session, indexed)  # the service's own indexing, as a draft does it, in bulk
            if units:
                await session.execute(insert(HandlingUnit.__table__), units)  # type: ignore[attr-defined]
            if cosigners:
                await session.execute(insert(Cosignature.__table__), cosigners)  # type: ignore[attr-defined]
            await session.commit()


def latency_figures(values: list[float]) -> dict[str, float]:
    from bench import percentile

    return {"p50_ms": percentile(values, 50) * 1000, "p99_ms": percentile(values, 99) * 1000, "count": len(values)}


async def _measure(client: Any, keys: Any, seeder: Seeder, repeats: int, rng: random.Random) -> dict[str, Any]:
    from servicekit.pagination import encode_cursor

    staff = keys.headers("staff", subject="scale-staff", body_id=seeder.body_id)
    timings: dict[str, list[float]] = {op: [] for op in OPERATIONS}
    errors: dict[str, int] = dict.fromkeys(OPERATIONS, 0)

    async def timed(op: str, method: str, url: str, headers: dict[str, str], **kwargs: Any) -> Any:
        started = time.perf_counter()
        response = await client.request(method, url, headers=headers, **kwargs)
        timings[op].append(time.perf_counter() - started)
        if response.status_code != 200:
            errors[op] += 1
        return response

    # the middle of the list, for deep cursors: (created_at, id) of items about half way down
    deep = await client.get("/proposals", params={"limit": 1}, headers=staff)
    assert deep.status_code == 200, deep.text
    middle = seeder.year_start + timedelta(seconds=seeder.count * 150)
    for _ in range(2):  # warm caches and connections
        await client.get("/proposals", headers=staff)
    for i in range(repeats):
        item = rng.choice(seeder.registered)
        await timed("get_item", "GET", f"/proposals/{item}", staff)
        await timed("list_first_page", "GET", "/proposals", staff, params={"limit": 50})
        cursor = encode_cursor([middle + timedelta(seconds=rng.randint(-3600, 3600)), str(uuid.uuid4())])
        await timed("list_deep_cursor", "GET", "/proposals", staff, params={"limit": 50, "cursor": cursor})
        await timed(
            "list_filtered",
            "GET",
            "/proposals",
            staff,
            params={"limit": 50, "category_id": rng.choice(seeder.categories), "status": "closed"},
        )
        for op, word in SEARCH_WORDS.items():
            await timed(op, "GET", "/proposals", staff, params={"limit": 50, "q": word})
        await timed("similar_items", "GET", f"/proposals/{item}/similar", staff)
        if seeder.drafts:
            pid, member = seeder.drafts.pop()
            headers = keys.headers("member", subject=f"scale-{member}", body_id=seeder.body_id, member_id=member)
            await timed("submit", "POST", f"/proposals/{pid}/submit", headers)
        del i
    return {op: {**latency_figures(timings[op]), "errors": errors[op]} for op in OPERATIONS}


def in_process(settings: type[S], url: str, keys: Any) -> S:
    """A service's settings for its app run in the bench's process on ``url``, trusting ``keys``."""
    return settings(
        database_url=url,
        kafka_bootstrap_servers="127.0.0.1:9",  # none: relays and consumers wait, requests do not need it
        auth_jwks=keys.jwks,
        auth_jwks_url=None,
        log_level="ERROR",
    )


def scale_sizes(n: int) -> list[int]:
    return sorted({s for s in (1_000, 10_000) if s < n} | {n})


async def scale_on(url: str, n: int, repeats: int, progress: Callable[[str], None]) -> dict[str, Any]:
    import httpx

    from devstack.keys import DevKeys
    from proposal_service.main import create_app
    from proposal_service.settings import ProposalSettings
    from servicekit.runtime import service_runtime

    keys = DevKeys()
    app = create_app(in_process(ProposalSettings, url, keys))
    rng = random.Random(11)
    sizes = scale_sizes(n)
    out: dict[str, Any] = {}
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://p") as client:
        seeder = Seeder(service_runtime(app).database, rng)
        await seeder.setup()
        admin_published = await client.patch(
            f"/sessions/{seeder.past_id}",
            json={"published": True},
            headers=keys.headers("staff", subject="scale-staff", body_id=seeder.body_id),
        )
        assert admin_published.status_code == 200, admin_published.text
        for size in sizes:
            seconds = await seeder.grow_to(size, progress)
            progress(f"scale: {size:,} items seeded in {seconds:.1f}s; timing {repeats} requests per operation")
            out[str(size)] = {"seed_seconds": seconds, "operations": await _measure(client, keys, seeder, repeats, rng)}
    return out


@contextmanager
def _databases(db: str, workdir: Path) -> Iterator[Callable[[str], str]]:
    """A function making a new empty database's URL on ``db`` (a throwaway PostgreSQL cluster)."""
    if db == "sqlite":
        yield lambda name: f"sqlite+aiosqlite:///{workdir / f'{name}-{uuid.uuid4().hex[:8]}.db'}"
        return
    from devstack.postgres import PostgresCluster

    with PostgresCluster() as cluster:
        yield lambda name: cluster.create_database(f"{name}_{uuid.uuid4().hex[:8]}")


def run_scale(
    n: int, databases: list[str], repeats: int, workdir: Path, progress: Callable[[str], None]
) -> dict[str, Any]:
    import asyncio

    from statistics_scale import statistics_on

    results: dict[str, Any] = {
        "n": n, "repeats": repeats, "targets_p99_ms": TARGETS_MS, "databases": {}, "statistics": {}
    }  # fmt: skip
    # Each report is ~1 s of work at 100k items: fewer of them than of the proposal service's requests.
    report_repeats = max(3, repeats // 20)
    for db in databases:
        progress(f"scale: {n:,} items on {db}")
        with _databases(db, workdir) as new_url:
            results["databases"][db] = asyncio.run(scale_on(new_url("scale"), n, repeats, progress))
            results["statistics"][db] = asyncio.run(
                statistics_on(new_url("statistics"), scale_sizes(n), report_repeats, progress)
            )
    return results


def scale_report(scale: dict[str, Any], verdict: Callable[[bool | None], str], table: Callable[..., str]) -> str:
    from statistics_scale import OPERATIONS as REPORTS
    from statistics_scale import TARGET_MS

    parts = [
        (
            f"5. Scale: one request at a time through the proposal service's app in-process (no network), "
            f"{scale['repeats']} per operation; items seeded in bulk with the service's models and index terms",
            scale["databases"],
            TARGETS_MS,
        ),
        (
            "6. Statistics and the annual report of one session of that many items, through the evaluation "
            "service's app in-process; the projections seeded in bulk",
            scale.get("statistics", {}),
            dict.fromkeys(REPORTS, TARGET_MS),
        ),
    ]
    out = []
    for title, by_db, targets in parts:
        out.append(title)
        for db, by_size in by_db.items():
            out.append(f"   {db}: p50 / p99 ms at each size")
            out.append(_latency_table(by_size, targets, verdict, table))
    return "\n".join(out)


def _latency_table(
    by_size: dict[str, Any], targets: dict[str, float], verdict: Callable[[bool | None], str], table: Callable[..., str]
) -> str:
    sizes = list(by_size)
    rows = []
    for op, target in targets.items():
        cells = []
        for size in sizes:
            figures = by_size[size]["operations"][op]
            cells.append(f"{figures['p50_ms']:.1f} / {figures['p99_ms']:.1f}" + (" ERR" if figures["errors"] else ""))
        last = by_size[sizes[-1]]["operations"][op]
        ok = last["p99_ms"] <= target and not last["errors"]
        rows.append([op, *cells, f"p99 <= {target:.0f}", "INVALID" if last["errors"] else verdict(ok)])
    rows.append(["seeding s", *[f"{by_size[s]['seed_seconds']:.1f}" for s in sizes], "", ""])
    return table(["operation", *[f"{int(s):,} items" for s in sizes], "target", ""], rows)
