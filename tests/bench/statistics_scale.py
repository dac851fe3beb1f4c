"""Scale bench of the evaluation service: a year's statistics and annual report at 1k, 10k and N items.

``bench.py --scale N`` also seeds one body's session of N items into the evaluation service's
database, as its projections hold them after a year of events (``stat_item``, ``stat_unit``,
``rated_item``, ``reply_record``, ``evaluation``, ``session_name``), in bulk inserts with the
service's own models, then times the requests a committee's staff make at year end through the
service's real app in-process: the statistics (all kinds, and the 提案 only), the unit ranking and
the annual report in each format. Target (issue 11): each within 1 s at 100,000 items.

The shares follow a real district's year (seed 001): about 90 % registered, 3 % key, a quarter
collective, nearly all replied and mostly on time, outcomes mostly A, most replies rated.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

TARGET_MS = 1_000.0
OPERATIONS = {
    "statistics": ("/statistics", {}),
    "statistics_proposals_only": ("/statistics", {"exclude_kinds": "plenary,motion"}),
    "unit_ranking": ("/statistics/units", {}),
    "report_html": ("/reports/annual", {"format": "html"}),
    "report_xlsx": ("/reports/annual", {"format": "xlsx"}),
    "report_csv": ("/reports/annual", {"format": "csv"}),
    "report_pdf": ("/reports/annual", {"format": "pdf"}),
}
KINDS = [("individual", 55), ("joint", 18), ("group", 25), ("plenary", 1), ("suggestion", 1)]
CATEGORIES = ["经济发展", "城市建设", "科教文卫", "社会法制"]
OUTCOMES = [("A", 80), ("B", 12), ("C", 6), ("D", 2)]
RATINGS = [("satisfied", 85), ("basically_satisfied", 12), ("unsatisfied", 3)]
UNITS = 60


class YearSeeder:
    """Writes a session's items as the evaluation service's projections hold them."""

    def __init__(self, database: Any, rng: random.Random) -> None:
        self.database = database
        self.rng = rng
        self.body_id = str(uuid.uuid4())
        self.session_id = str(uuid.uuid4())
        self.units = [(str(uuid.uuid4()), f"承办单位{i:02d}") for i in range(UNITS)]
        self.count = 0
        self.numbers: dict[str, int] = {}  # 案号 per kind

    async def setup(self) -> None:
        from evaluation_service.models import SessionName

        async with self.database.session() as session:
            session.add(
                SessionName(
                    body_id=self.body_id,
                    session_id=self.session_id,
                    body_name="政协规模测试区委员会",
                    session_name="十四届三次会议",
                    named_at=datetime.now(UTC),
                    body_kind="cppcc",
                    term=14,
                    meeting=3,
                    year=datetime.now(UTC).year - 1,
                )
            )
            await session.commit()

    async def grow_to(self, total: int) -> float:
        started = time.perf_counter()
        while self.count < total:
            await self._chunk(min(5_000, total - self.count))
        return time.perf_counter() - started

    def _pick(self, weighted: list[tuple[str, int]]) -> str:
        return self.rng.choices([v for v, _ in weighted], [w for _, w in weighted])[0]

    async def _chunk(self, size: int) -> None:
        from sqlalchemy import insert

        from evaluation_service.models import Evaluation, RatedItem, ReplyRecord, StatItem, StatUnit

        rng = self.rng
        rows: dict[type, list[dict[str, Any]]] = {
            t: [] for t in (StatItem, StatUnit, RatedItem, ReplyRecord, Evaluation)
        }
        start = datetime.now(UTC) - timedelta(days=300)
        for _ in range(size):
            self.count += 1
            pid = str(uuid.uuid4())
            kind = self._pick(KINDS)
            registered = rng.random() < 0.9
            declined = not registered and rng.random() < 0.7
            unit_id, unit_name = rng.choice(self.units)
            replied = registered and rng.random() < 0.97
            on_time = replied and rng.random() < 0.93
            outcome = self._pick(OUTCOMES) if replied else None
            if registered:
                self.numbers[kind] = self.numbers.get(kind, 0) + 1
            replied_at = start + timedelta(days=rng.randint(30, 200), seconds=self.count)
            rows[StatItem].append(
                {"proposal_id": pid, "body_id": self.body_id, "session_id": self.session_id, "kind": kind,
                 "title": f"关于第{self.count}项工作的建议", "number": self.numbers[kind] if registered else None,
                 "number_label": f"{self.numbers[kind]:04d}" if registered else None, "category": rng.choice(CATEGORIES),
                 "category_rank": 1, "filed": True, "registered": registered, "declined": declined,
                 "merged": not registered and not declined, "withdrawn": False, "key": registered and rng.random() < 0.03,
                 "key_rank": 1, "collective": kind == "group", "lead_unit_ids": [unit_id] if registered else [],
                 "replied": replied, "replied_on_time": on_time if replied else None, "first_outcome": outcome,
                 "outcome": outcome, "outcome_round": 1 if replied else 0, "overdue": replied and not on_time}
            )  # fmt: skip
            if not registered:
                continue
            rows[StatUnit].append(
                {"proposal_id": pid, "unit_id": unit_id, "body_id": self.body_id, "unit_name": unit_name,
                 "role": "lead", "moved_away": False, "replied": replied, "on_time": on_time,
                 "contacted_before_reply": replied and rng.random() < 0.95, "first_outcome": outcome,
                 "outcome": outcome, "outcome_round": 1 if replied else 0, "overdue": replied and not on_time}
            )  # fmt: skip
            member = str(uuid.uuid4())
            rows[RatedItem].append(
                {"proposal_id": pid, "body_id": self.body_id, "kind": kind, "lead_member_id": member,
                 "cosigner_member_ids": [], "merged_member_ids": [], "round": 1 if replied else 0,
                 "replied_at": replied_at if replied else None, "completed": replied}
            )  # fmt: skip
            if not replied:
                continue
            rows[ReplyRecord].append(
                {"reply_id": str(uuid.uuid4()), "proposal_id": pid, "unit_id": unit_id, "unit_name": unit_name,
                 "round": 1, "outcome": outcome, "on_time": on_time, "replied_at": replied_at}
            )  # fmt: skip
            if rng.random() < 0.9:
                rating = self._pick(RATINGS)
                rows[Evaluation].append(
                    {"id": str(uuid.uuid4()), "proposal_id": pid, "body_id": self.body_id, "round": 1,
                     "unit_id": unit_id, "member_id": member, "contact": rating, "attitude": rating,
                     "result": rating, "comment": None, "submitted_at": replied_at + timedelta(days=3),
                     "updated_at": replied_at + timedelta(days=3)}
                )  # fmt: skip
        async with self.database.session() as session:
            for model, values in rows.items():
                if values:
                    await session.execute(insert(model.__table__), values)  # type: ignore[attr-defined]
            await session.commit()


async def statistics_on(url: str, sizes: list[int], repeats: int, progress: Callable[[str], None]) -> dict[str, Any]:
    import httpx
    from scale import in_process, latency_figures

    from devstack.keys import DevKeys
    from evaluation_service.main import create_app
    from evaluation_service.settings import EvaluationSettings
    from servicekit.runtime import service_runtime

    keys = DevKeys()
    app = create_app(in_process(EvaluationSettings, url, keys))
    out: dict[str, Any] = {}
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://e") as client:
        seeder = YearSeeder(service_runtime(app).database, random.Random(13))
        await seeder.setup()
        staff = keys.headers("staff", subject="scale-staff", body_id=seeder.body_id)
        where = {"body_id": seeder.body_id, "session_id": seeder.session_id}
        for size in sizes:
            seconds = await seeder.grow_to(size)
            progress(f"statistics: {size:,} items seeded in {seconds:.1f}s; timing {repeats} requests per operation")
            figures: dict[str, Any] = {}
            for op, (path, params) in OPERATIONS.items():
                timings: list[float] = []
                errors = 0
                for _ in range(repeats + 1):  # the first one warms caches and imports
                    started = time.perf_counter()
                    response = await client.get(path, params={**where, **params}, headers=staff)
                    timings.append(time.perf_counter() - started)
                    if response.status_code != 200:
                        errors += 1
                        progress(f"statistics: {op} answered {response.status_code}: {response.text[:200]}")
                figures[op] = {**latency_figures(timings[1:]), "errors": errors}
            out[str(size)] = {"seed_seconds": seconds, "operations": figures}
    return out
