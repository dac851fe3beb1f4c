"""Rebuilds the evaluation service's projections, and its members' ratings, by replaying the
event history (issue 5, item 4).

Usage::

    python -m evaluation_service.rebuild --database-url URL [--bootstrap HOST:PORT]
        [--namespace PREFIX] [--force] [--skip-ratings]

``--bootstrap`` and ``--namespace`` default to the service's settings
(``EVALUATION_KAFKA_BOOTSTRAP_SERVERS``, ``EVALUATION_KAFKA_NAMESPACE``); it logs in to Kafka
as the service does (``EVALUATION_KAFKA_SECURITY_PROTOCOL``, ``…_SASL_USERNAME`` and the rest,
ADR 10), and the evaluation principal may read all three topics. The command
migrates the database to head, then reads every partition of the topics the service
subscribes to (``proposal.events`` and ``assignment.events``, namespaced) and, after them,
of its own topic ``evaluation.events``, from offset 0 up to the end offsets captured at the
start (all three at once), with no consumer group, and applies each event through the
service's own subscription table (and, for ``evaluation.events``, a rebuild-only one, see
below) and the live consumer's inbox logic (``servicekit.replay``): duplicates are skipped
by event id, ignored types are skipped, and what the live service dead-lettered
(malformed, unknown types) is counted and listed, not dead-lettered again. Progress goes to
stderr, one line per topic. Exit status: 0 done, 1 refused or failed, 2 done but the
history was incomplete (a topic missing, or its start deleted by retention).

What is rebuilt: the projections, the tables filled only by the consumed events:

- ``filed_proposal`` and ``filing_count`` (filed counts by kind and category),
- ``stat_item`` and ``stat_unit`` (the statistics and unit performance tables),
- ``session_name`` (the body's and session's names, for the report's title),
- ``rated_item`` (who may rate which item, the open round and since when) and
  ``reply_record`` (the units' replies),
- ``inbox_message`` (one row per applied event, so a consumer started afterwards on this
  database skips what the replay applied; the rows of ``evaluation.events`` are never
  looked up live, the service does not consume its own topic).

And the members' ratings, ``evaluation``, from the ``evaluation.submitted`` events the
service published on ``evaluation.events`` each time a member rated or changed a rating:
one row per (proposal, round, unit, member), its ``id`` the event's ``evaluation_id``
(a change re-publishes the same one), ``submitted_at`` the first event's time,
``updated_at`` and the three ratings the latest event's (by ``submitted_at``, then offset
order). ``comment`` is not in the event: it stays empty (None) in the rebuilt rows; only a
backup has it. The other types the service publishes there are ignored on purpose:
``evaluation.unsatisfied`` (its rating arrives as evaluation.submitted too; it only asked
the assignment service for a rehandling), ``evaluation.completed`` (recomputed, see below),
``assembly_evaluation.opened`` and ``assembly_evaluation.closed`` (the ballots, which stay
backup-only). Ratings are replayed only when the target's ``evaluation`` table is empty: if
it holds rows (restored from a backup, with their comments), or with ``--skip-ratings``,
``evaluation.events`` is not read and the command says so on stderr. ``--skip-ratings`` is
for a backup restored afterwards, or a topic whose start retention deleted: replaying the
rest would give partial ratings.

``rated_item.completed`` is set live when the last rating of a round comes in; after the
replay it is recomputed from the ratings the same way, without publishing anything.

What is not rebuilt: the rest of the service's own data, which no event carries in full:
``evaluation_rules`` (per body: who rates, the evaluation window and the unrated policy),
``performance_weights`` (per body: the unit score weights) and the 民主测评 ballots
(``assembly_ballot``, ``ballot_elector``, ``ballot_vote``). They are kept by database
backups; restore them into the target (before the rebuild, or after it and before serving).
The figures equal the live ones only when the rules and weights are restored too: without
them the defaults apply (the default unrated policy and window in the satisfaction rates,
which rounds count as closed; the default weights in the unit scores). The outbox is
neither replayed nor written: the replay publishes nothing.

The target must hold no projection rows and no inbox rows (a fresh database, or one with
only the owned tables restored); the command refuses otherwise. ``--force`` deletes the
projection and inbox rows first (never the owned tables, so ratings a previous run rebuilt
are kept, and not replayed again), then replays.

To switch a running deployment over: stop the service before the replay (its consumer, so
that its consumer group does not move past the captured end offsets; and its API, since a
rating made after the captured end of ``evaluation.events`` would not be in the rebuilt
database, nothing consumes that topic afterwards); start it on the rebuilt database
afterwards: it resumes from its group's offsets, and the inbox skips the events the replay
already applied.
"""

import argparse
import asyncio
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Table
from sqlmodel import SQLModel, col, delete, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from evaluation_service.domain import ratings
from evaluation_service.events.handlers import subscriptions
from evaluation_service.events.schemas import EvaluationSubmitted
from evaluation_service.main import MIGRATIONS
from evaluation_service.models import (
    AssemblyBallot,
    BallotElector,
    BallotVote,
    Evaluation,
    EvaluationRules,
    FiledProposal,
    FilingCount,
    OutcomeWording,
    PerformanceWeights,
    RatedItem,
    Rating,
    ReplyRecord,
    SessionName,
    StatItem,
    StatUnit,
)
from evaluation_service.settings import EvaluationSettings
from servicekit.db import Database
from servicekit.inbox import InboxMessage, ReceivedEvent, Subscriptions
from servicekit.kafka import KafkaClientConfig
from servicekit.migrations import upgrade_async
from servicekit.outbox import Outbox, OutboxLease, OutboxMessage
from servicekit.replay import Progress, ReplayResult, TopicReplay, replay

# Every table of the service is in exactly one of these (a test checks it).
PROJECTIONS: tuple[type[SQLModel], ...] = (
    FiledProposal,
    FilingCount,
    StatItem,
    StatUnit,
    SessionName,
    RatedItem,
    ReplyRecord,
    OutcomeWording,
)
OWNED: tuple[type[SQLModel], ...] = (
    Evaluation,
    EvaluationRules,
    PerformanceWeights,
    AssemblyBallot,  # before its electors and votes (foreign keys)
    BallotElector,
    BallotVote,
)
INFRASTRUCTURE: tuple[type[SQLModel], ...] = (InboxMessage, OutboxMessage, OutboxLease)
# What a rebuild starts from empty (and what --force deletes).
CLEARED: tuple[type[SQLModel], ...] = (*PROJECTIONS, InboxMessage)

# The rebuild-only table of the service's own topic: the live service never consumes it.
rating_subscriptions = Subscriptions(topics=["evaluation.events"])
# Every other type of events/schemas.py's registry (a test checks the table covers it).
for _type in (
    "evaluation.unsatisfied",  # its rating comes as evaluation.submitted too
    "evaluation.completed",  # recomputed by _close_completed_rounds
    "assembly_evaluation.opened",  # the ballots stay backup-only
    "assembly_evaluation.closed",
):
    rating_subscriptions.ignore(_type, 1)


@rating_subscriptions.on("evaluation.submitted", 1, EvaluationSubmitted)
async def on_evaluation_submitted(session: AsyncSession, event: ReceivedEvent[EvaluationSubmitted]) -> None:
    """Upserts the member's rating of a unit in a round: the latest event's ratings (by
    ``submitted_at``, a tie to the later offset), the first one's id and time; no comment."""
    p = event.payload
    query = select(Evaluation).where(
        Evaluation.proposal_id == p.proposal_id,
        Evaluation.round == p.round,
        Evaluation.unit_id == p.unit_id,
        Evaluation.member_id == p.member_id,
    )
    row = (await session.exec(query)).first()
    if row is None:
        row = Evaluation(
            id=p.evaluation_id,
            proposal_id=p.proposal_id,
            body_id=p.body_id,
            round=p.round,
            unit_id=p.unit_id,
            member_id=p.member_id,
            contact=Rating(p.contact),
            attitude=Rating(p.attitude),
            result=Rating(p.result),
            comment=None,
            submitted_at=p.submitted_at,
            updated_at=p.submitted_at,
        )
    else:
        row.submitted_at = min(row.submitted_at, p.submitted_at)
        if p.submitted_at >= row.updated_at:
            row.contact, row.attitude, row.result = Rating(p.contact), Rating(p.attitude), Rating(p.result)
            row.updated_at = p.submitted_at
    session.add(row)


@dataclass
class RebuildResult(ReplayResult):
    """The replay's result, and whether the ratings were replayed (or why not)."""

    ratings_skipped: str | None = None


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


async def _count(database: Database, model: type[SQLModel]) -> int:
    async with database.session(read_only=True) as session:
        n: int = (await session.exec(select(func.count()).select_from(_table(model)))).one()
        return n


def _merged(*tables: Subscriptions) -> Subscriptions:
    """One table for one replay (one capture of the end offsets), its topics in the given order."""
    merged = Subscriptions(topics=[t for table in tables for t in table.topics])
    for table in tables:
        clash = (merged.handlers.keys() | merged.ignored) & (table.handlers.keys() | table.ignored)
        if clash:
            raise ValueError(f"event types in two tables: {sorted(clash)}")
        merged.handlers.update(table.handlers)
        merged.ignored |= table.ignored
    return merged


async def _close_completed_rounds(database: Database) -> None:
    """Recomputes ``rated_item.completed`` for each item's latest round from the ratings."""
    async with database.session() as session:
        items = (await session.exec(select(RatedItem).where(col(RatedItem.replied_at).is_not(None)))).all()
        for item in items:
            rules = await ratings.rules_for(session, item.body_id)
            await ratings._complete_if_all_satisfied(session, _Silent(), item, rules)
        await session.commit()


async def rebuild(
    settings: EvaluationSettings,
    *,
    force: bool = False,
    replay_ratings: bool = True,
    progress: Progress | None = None,
) -> RebuildResult:
    """Migrates ``settings.database_url`` to head and replays the subscribed topics into it,
    then the service's own topic into an empty ``evaluation`` table (unless ``replay_ratings``
    is False); says on stderr when the ratings are not replayed."""
    await upgrade_async(MIGRATIONS, settings.database_url)
    database = Database(settings.database_url, pool_size=2)
    try:
        rows = await _rows(database)
        if any(rows.values()):
            if not force:
                raise NotEmpty(rows)
            await _clear(database)
        skipped: str | None = None
        topic = settings.namespaced(rating_subscriptions.topics[0])
        if not replay_ratings:
            skipped = f"ratings: not replayed (--skip-ratings): {topic} is not read; restore the ratings from a backup"
        elif held := await _count(database, Evaluation):
            skipped = (
                f"ratings: the evaluation table already holds {held} rows (restored from a backup?): "
                f"kept, {topic} is not replayed"
            )
        if skipped:
            print(skipped, file=sys.stderr, flush=True)
        table = subscriptions if skipped else _merged(subscriptions, rating_subscriptions)
        result = await replay(
            database=database,
            kafka=KafkaClientConfig.from_settings(settings),
            subscriptions=table,
            topics=[settings.namespaced(t) for t in table.topics],
            progress=progress,
        )
        await _close_completed_rounds(database)
        return RebuildResult(result.topics, result.rejected, ratings_skipped=skipped)
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
        "replies) by replaying proposal.events and assignment.events from the start, then the members' "
        "ratings from evaluation.events when the target holds none (comments are not in the events). "
        "Rules, weights and ballots come from backups.",
    )
    parser.add_argument("--database-url", required=True, help="the target database (migrated to head)")
    parser.add_argument("--bootstrap", help="Kafka bootstrap servers (default: the service's setting)")
    parser.add_argument("--namespace", help="Kafka topic prefix (default: the service's setting)")
    parser.add_argument(
        "--force", action="store_true", help="delete existing projection and inbox rows first (owned data is kept)"
    )
    parser.add_argument(
        "--skip-ratings",
        action="store_true",
        help="do not replay evaluation.events into an empty evaluation table (ratings restored from a backup later)",
    )
    args = parser.parse_args(argv)
    overrides: dict[str, str] = {"database_url": args.database_url}
    if args.bootstrap is not None:
        overrides["kafka_bootstrap_servers"] = args.bootstrap
    if args.namespace is not None:
        overrides["kafka_namespace"] = args.namespace
    settings = EvaluationSettings(**overrides)  # type: ignore[arg-type]
    try:
        result = asyncio.run(
            rebuild(settings, force=args.force, replay_ratings=not args.skip_ratings, progress=_StderrProgress())
        )
    except NotEmpty as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 1
    return _summary(result)


if __name__ == "__main__":
    sys.exit(main())
