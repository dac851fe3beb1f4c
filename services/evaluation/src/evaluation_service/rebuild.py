"""Rebuilds the evaluation service's projections by replaying the event history (issue 5, item 4).

Usage::

    python -m evaluation_service.rebuild --database-url URL [--bootstrap HOST:PORT]
        [--namespace PREFIX] [--force]

``--bootstrap`` and ``--namespace`` default to the service's settings
(``EVALUATION_KAFKA_BOOTSTRAP_SERVERS``, ``EVALUATION_KAFKA_NAMESPACE``). The command
migrates the database to head, then reads every partition of the topics the service
subscribes to (``proposal.events`` and ``assignment.events``, namespaced) from offset 0 up
to the end offsets captured at the start, with no consumer group, and applies each event
through the service's own subscription table and the live consumer's inbox logic
(``servicekit.replay``): duplicates are skipped by event id, ignored types are skipped, and
what the live service dead-lettered (malformed, unknown types) is counted and listed, not
dead-lettered again. Progress goes to stderr. Exit status: 0 done, 1 refused or failed,
2 done but the history was incomplete (a topic missing, or its start deleted by retention).

What is rebuilt: the projections, the tables filled only by the consumed events:

- ``filed_proposal`` and ``filing_count`` (filed counts by kind and category),
- ``stat_item`` and ``stat_unit`` (the statistics and unit performance tables),
- ``rated_item`` (who may rate which item, the open round and since when) and
  ``reply_record`` (the units' replies),
- ``inbox_message`` (one row per applied event, so a consumer started afterwards on this
  database skips what the replay applied).

``rated_item.completed`` is set live when the last rating of a round comes in; after the
replay it is recomputed from the ratings the same way, without publishing anything.

What is not rebuilt: the service's own data, which no topic carries back to it:
``evaluation`` (the members' ratings), ``evaluation_rules`` and ``performance_weights``.
The service publishes evaluation.* events but does not consume them, so they are kept by
database backups; restore them into the target first (the statistics' satisfaction rates
and unit scores read them). The outbox is neither replayed nor written: the replay publishes
nothing.

The target must hold no projection rows and no inbox rows (a fresh database, or one with
only the owned tables restored); the command refuses otherwise. ``--force`` deletes the
projection and inbox rows first (never the owned tables), then replays.

To switch a running deployment over: stop the service's consumer (or the service) before
the replay, so that its consumer group does not move past the captured end offsets; start
it on the rebuilt database afterwards: it resumes from its group's offsets, and the inbox
skips the events the replay already applied.
"""

import argparse
import asyncio
import sys
from collections.abc import Sequence

from sqlalchemy import Table
from sqlmodel import SQLModel, col, delete, func, select

from evaluation_service.domain import ratings
from evaluation_service.events.handlers import subscriptions
from evaluation_service.main import MIGRATIONS
from evaluation_service.models import (
    Evaluation,
    EvaluationRules,
    FiledProposal,
    FilingCount,
    PerformanceWeights,
    RatedItem,
    ReplyRecord,
    StatItem,
    StatUnit,
)
from evaluation_service.settings import EvaluationSettings
from servicekit.db import Database
from servicekit.inbox import InboxMessage
from servicekit.migrations import upgrade_async
from servicekit.outbox import Outbox, OutboxLease, OutboxMessage
from servicekit.replay import Progress, ReplayResult, TopicReplay, replay

# Every table of the service is in exactly one of these (a test checks it).
PROJECTIONS: tuple[type[SQLModel], ...] = (FiledProposal, FilingCount, StatItem, StatUnit, RatedItem, ReplyRecord)
OWNED: tuple[type[SQLModel], ...] = (Evaluation, EvaluationRules, PerformanceWeights)
INFRASTRUCTURE: tuple[type[SQLModel], ...] = (InboxMessage, OutboxMessage, OutboxLease)
# What a rebuild starts from empty (and what --force deletes).
CLEARED: tuple[type[SQLModel], ...] = (*PROJECTIONS, InboxMessage)


class NotEmpty(Exception):
    """The target already holds projection or inbox rows."""

    def __init__(self, rows: dict[str, int]) -> None:
        self.rows = rows
        listed = ", ".join(f"{table}: {n}" for table, n in rows.items() if n)
        super().__init__(f"the database already holds projection rows ({listed}); use --force to replace them")


class _Silent(Outbox):
    """An outbox that publishes nothing: the completion it would announce was announced live."""

    def __init__(self) -> None:
        pass

    def add(self, *_args: object, **_kwargs: object) -> None:  # type: ignore[override]
        return None


def _table(model: type[SQLModel]) -> Table:
    table: Table = model.__table__  # type: ignore[attr-defined]
    return table


async def _rows(database: Database) -> dict[str, int]:
    counts: dict[str, int] = {}
    async with database.session(read_only=True) as session:
        for model in CLEARED:
            table = _table(model)
            counts[table.name] = (await session.exec(select(func.count()).select_from(table))).one()
    return counts


async def _clear(database: Database) -> None:
    async with database.session() as session:
        for model in CLEARED:
            await session.exec(delete(_table(model)))
        await session.commit()


async def _close_completed_rounds(database: Database) -> None:
    """Recomputes ``rated_item.completed`` for each item's latest round from the ratings."""
    async with database.session() as session:
        items = (await session.exec(select(RatedItem).where(col(RatedItem.replied_at).is_not(None)))).all()
        for item in items:
            rules = await ratings.rules_for(session, item.body_id)
            await ratings._complete_if_all_satisfied(session, _Silent(), item, rules)
        await session.commit()


async def rebuild(
    settings: EvaluationSettings, *, force: bool = False, progress: Progress | None = None
) -> ReplayResult:
    """Migrates ``settings.database_url`` to head and replays the subscribed topics into it."""
    await upgrade_async(MIGRATIONS, settings.database_url)
    database = Database(settings.database_url, pool_size=2)
    try:
        rows = await _rows(database)
        if any(rows.values()):
            if not force:
                raise NotEmpty(rows)
            await _clear(database)
        result = await replay(
            database=database,
            bootstrap_servers=settings.kafka_bootstrap_servers,
            subscriptions=subscriptions,
            topics=[settings.namespaced(t) for t in subscriptions.topics],
            progress=progress,
        )
        await _close_completed_rounds(database)
        return result
    finally:
        await database.dispose()


class _StderrProgress:
    """One line per topic, rewritten in place on a terminal, at most every half second."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()

    def __call__(self, report: TopicReplay) -> None:
        line = (
            f"{report.topic}: {report.read}/{report.total} read, {report.applied} applied, "
            f"{report.skipped} skipped (duplicate or ignored), {report.rejected} rejected"
        )
        if not report.exists:
            line = f"{report.topic}: no such topic, nothing to replay"
        done = report.read >= report.total
        if self.tty:
            print(f"\r{line}", end="\n" if done else "", file=sys.stderr, flush=True)
        elif done or report.read % 5000 < 500:
            print(line, file=sys.stderr, flush=True)


def _summary(result: ReplayResult) -> int:
    for report in result.topics:
        for partition, first in sorted(report.truncated.items()):
            print(
                f"warning: {report.topic}[{partition}] starts at offset {first}: retention deleted "
                "earlier events, the rebuilt figures miss them",
                file=sys.stderr,
            )
    for r in result.rejected:
        print(f"rejected {r.topic}[{r.partition}]@{r.offset}: {r.error}", file=sys.stderr)
    print(f"rebuilt: {result.applied} events applied", file=sys.stderr)
    return 0 if result.complete else 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m evaluation_service.rebuild",
        description="Rebuild the evaluation service's projections (statistics, filed counts, rated items, "
        "replies) by replaying proposal.events and assignment.events from the start.",
    )
    parser.add_argument("--database-url", required=True, help="the target database (migrated to head)")
    parser.add_argument("--bootstrap", help="Kafka bootstrap servers (default: the service's setting)")
    parser.add_argument("--namespace", help="Kafka topic prefix (default: the service's setting)")
    parser.add_argument(
        "--force", action="store_true", help="delete existing projection and inbox rows first (owned data is kept)"
    )
    args = parser.parse_args(argv)
    overrides: dict[str, str] = {"database_url": args.database_url}
    if args.bootstrap is not None:
        overrides["kafka_bootstrap_servers"] = args.bootstrap
    if args.namespace is not None:
        overrides["kafka_namespace"] = args.namespace
    settings = EvaluationSettings(**overrides)  # type: ignore[arg-type]
    try:
        result = asyncio.run(rebuild(settings, force=args.force, progress=_StderrProgress()))
    except NotEmpty as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 1
    return _summary(result)


if __name__ == "__main__":
    sys.exit(main())
