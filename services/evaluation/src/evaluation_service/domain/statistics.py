"""Statistics (办理情况统计) projected from the proposal and assignment services' events, and the
figures computed from them per body and session, filterable by kind and category and per unit.

The ``record_*`` functions run inside the consumer's transaction and never commit. Events can
arrive twice or out of order across topics (an assignment event before proposal.registered), so
each is an upsert whose result does not depend on the order: status flags only turn on, a
later kind of decision wins over an earlier one by rank, outcomes carry their handling round.

Definitions (written down here, used by the annual report):

- filed: every item announced by proposal.submitted (or any later review decision);
- key and collective (group: 集体提案; a 建议案 is not one) count registered items, as the seeds'
  opening lines do; figures can be asked for a set of kinds (``kinds`` minus ``exclude_kinds``),
  for key or other items, collective or other items;
- registration rate = registered / (filed - withdrawn); reply rate and on-time reply rate =
  first-round replies (handling.completed round 1) / registered;
- outcome shares: each replied item's current outcome (its latest round) over the replied items,
  percentages with one decimal rounded half up (seed 001: 105 of 116 → 90.5%);
- satisfaction rate: each rating (member, unit, item) in its final round, satisfied +
  basically satisfied on the result item over the ratings; first-time: the round 1 ratings.
  When the body's ``unrated_policy`` is ``counted_satisfied``, a reply an entitled member left
  unrated after its window closed counts as a satisfied rating (``counted_satisfied`` says
  how many); under ``left_unrated`` it is not counted at all;
- unit score: weighted mean of on-time rate (over lead/separate assignments), final
  satisfaction rate, contact-before-reply rate (over replies) and the outcome value (A=1, B=0.75,
  C=0.5, D=0.25, mean over the unit's replies); a component the unit has no data for is left
  out and the remaining weights renormalised.
"""

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dc_field
from dataclasses import fields as dc_fields
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, TypeVar

from cn_workdays import WorkCalendar
from sqlalchemy import Select, func
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel, col
from sqlmodel.ext.asyncio.session import AsyncSession

from evaluation_service.domain.ratings import BODY_TIMEZONE, entitled, rules_for
from evaluation_service.events.consumed import (
    AssignmentCreated,
    AssignmentOverdue,
    AssignmentReassigned,
    AssignmentReplied,
    HandlingCompleted,
    ItemRef,
    Names,
)
from evaluation_service.models import (
    COLLECTIVE_KINDS,
    KINDS,
    PART_FIELDS,
    RATING_FIELDS,
    TALLY_FIELDS,
    Breakdown,
    Counts,
    Evaluation,
    EvaluationRules,
    OutcomeWording,
    PerformanceWeights,
    PerformanceWeightsPublic,
    PerformanceWeightsUpdate,
    Rate,
    RatedItem,
    Rating,
    ReplyRecord,
    SessionName,
    Share,
    Statistics,
    StatItem,
    StatUnit,
    UnitPerformance,
    UnitStatistics,
)
from servicekit.auth import Principal, Role, forbidden, unauthorized
from servicekit.db import utcnow
from servicekit.errors import NotFound, Problem
from servicekit.preconditions import check_if_match, weak_etag

OUTCOME_CLASSES = ("A", "B", "C", "D")
OUTCOME_VALUES = {"A": 1.0, "B": 0.75, "C": 0.5, "D": 0.25}
SATISFIED = (Rating.satisfied, Rating.basically_satisfied)
UNCATEGORISED = "未分类"

# Ranks of the decisions that set an item's category and key flag: a higher rank wins.
CATEGORY_SUBMITTED, CATEGORY_REGISTERED, CATEGORY_CHANGED = 1, 2, 3
KEY_REGISTERED, KEY_MARKED = 1, 2


# --- the projection ------------------------------------------------------------------------------


async def _item(session: AsyncSession, proposal_id: str, body_id: str) -> StatItem:
    item = await session.get(StatItem, proposal_id, with_for_update=True)
    if item is None:
        item = StatItem(proposal_id=proposal_id, body_id=body_id)
        session.add(item)
        await session.flush()
    return item


async def _unit(session: AsyncSession, proposal_id: str, unit_id: str, body_id: str) -> StatUnit:
    unit = await session.get(StatUnit, (proposal_id, unit_id), with_for_update=True)
    if unit is None:
        unit = StatUnit(proposal_id=proposal_id, unit_id=unit_id, body_id=body_id)
        session.add(unit)
        await session.flush()
    return unit


async def record_proposal(
    *,
    session: AsyncSession,
    event: ItemRef,
    status: str | None = None,
    category: str | None = None,
    category_rank: int = 0,
    key: bool | None = None,
    key_rank: int = 0,
    title: str | None = None,
    number: int | None = None,
    number_label: str | None = None,
) -> None:
    """Any proposal event: the item is filed; ``status`` (registered, declined, merged,
    withdrawn) turns its flag on; category and key are set when their rank is at least the
    current one; the title of proposal.registered wins over proposal.submitted's (whichever
    comes first), the number comes with registration; None never overwrites either."""
    item = await _item(session, event.proposal_id, event.body_id)
    item.body_id, item.session_id, item.kind = event.body_id, event.session_id, event.kind
    item.collective = event.kind in COLLECTIVE_KINDS
    if title is not None and (status == "registered" or not item.registered):
        item.title = title
    if number is not None:
        item.number = number
    if number_label is not None:
        item.number_label = number_label
    item.filed = True
    if status is not None:
        setattr(item, status, True)
    if category_rank and category_rank >= item.category_rank:
        item.category, item.category_rank = category, category_rank
    if key is not None and key_rank >= item.key_rank:
        item.key, item.key_rank = key, key_rank
    session.add(item)


async def record_session_name(*, session: AsyncSession, event: Names, at: datetime) -> None:
    """proposal.submitted and proposal.registered: the names of the item's body and session
    (see :class:`SessionName`). The event with the latest ``at`` wins, a tie to the one
    applied later; a None never overwrites a name, and an older event only fills a name that
    is still missing. The row is shared by the items of the session, which other partitions
    carry: a concurrent first insert is caught and the row read again. The body's kind and the
    term and meeting numbers follow the same rule; the year is the earliest event's (in the
    body's time zone), whatever order the events come in."""
    body_name, session_name, body_kind = event.body_name, event.session_name, event.body_kind
    term, meeting = event.session_term, event.session_meeting
    if body_name is None and session_name is None and term is None:
        return  # an event from before the names were added
    key = (event.body_id, event.session_id)
    row = await session.get(SessionName, key, with_for_update=True)
    if row is None:
        try:
            async with session.begin_nested():
                row = SessionName(body_id=event.body_id, session_id=event.session_id)
                session.add(row)
        except IntegrityError:
            row = await session.get_one(SessionName, key, with_for_update=True, populate_existing=True)
    newer = row.named_at is None or at >= row.named_at
    if body_name is not None and (newer or row.body_name is None):
        row.body_name = body_name
    if session_name is not None and (newer or row.session_name is None):
        row.session_name = session_name
    if body_kind is not None and (newer or row.body_kind is None):
        row.body_kind = body_kind
    if term is not None and meeting is not None and (newer or row.term is None):
        row.term, row.meeting = term, meeting
    year = at.astimezone(BODY_TIMEZONE).year
    row.year = year if row.year is None else min(row.year, year)
    if newer:
        row.named_at = at
    session.add(row)


async def session_names(session: AsyncSession, body_id: str, session_id: str) -> SessionName | None:
    return await session.get(SessionName, (body_id, session_id))


def _set_lead(item: StatItem, unit_id: str, lead: bool) -> None:
    leads = set(item.lead_unit_ids)
    leads = leads | {unit_id} if lead else leads - {unit_id}
    item.lead_unit_ids = sorted(leads)


async def record_assigned(*, session: AsyncSession, event: AssignmentCreated) -> None:
    """assignment.created, or the receiving side of assignment.reassigned."""
    unit = await _unit(session, event.proposal_id, event.unit_id, event.body_id)
    unit.unit_name, unit.role = event.unit_name, event.role
    session.add(unit)
    item = await _item(session, event.proposal_id, event.body_id)
    _set_lead(item, event.unit_id, event.role == "lead" and not unit.moved_away)
    session.add(item)


async def record_reassigned(*, session: AsyncSession, event: AssignmentReassigned) -> None:
    previous = await _unit(session, event.proposal_id, event.previous_unit_id, event.body_id)
    previous.moved_away = True
    session.add(previous)
    item = await _item(session, event.proposal_id, event.body_id)
    _set_lead(item, event.previous_unit_id, False)
    session.add(item)
    await record_assigned(session=session, event=event)


async def record_unit_reply(*, session: AsyncSession, event: AssignmentReplied) -> None:
    unit = await _unit(session, event.proposal_id, event.unit_id, event.body_id)
    unit.unit_name, unit.role = event.unit_name, event.role
    if event.round == 1:
        unit.replied, unit.on_time, unit.contacted_before_reply = True, event.on_time, event.contacted
        unit.first_outcome = event.outcome
    if event.round >= unit.outcome_round:
        unit.outcome, unit.outcome_round = event.outcome, event.round
    session.add(unit)
    if event.role == "lead":
        item = await _item(session, event.proposal_id, event.body_id)
        _set_lead(item, event.unit_id, not unit.moved_away)
        session.add(item)


async def record_item_replied(*, session: AsyncSession, event: HandlingCompleted) -> None:
    """handling.completed: round 1 makes the item replied; the latest round sets its outcome."""
    item = await _item(session, event.proposal_id, event.body_id)
    if event.round == 1:
        item.replied, item.replied_on_time, item.first_outcome = True, event.on_time, event.outcome
    if event.round >= item.outcome_round:
        item.outcome, item.outcome_round = event.outcome, event.round
    session.add(item)


async def record_overdue(*, session: AsyncSession, event: AssignmentOverdue) -> None:
    item = await _item(session, event.proposal_id, event.body_id)
    item.overdue = True
    session.add(item)
    unit = await _unit(session, event.proposal_id, event.unit_id, event.body_id)
    unit.overdue = True
    session.add(unit)


# --- figures -------------------------------------------------------------------------------------


def percent_text(numerator: int, denominator: int) -> tuple[float, str]:
    value = (Decimal(numerator) * 100 / Decimal(denominator)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return float(value), f"{value}%"


def rate(numerator: int, denominator: int) -> Rate:
    if denominator == 0:
        return Rate(numerator=numerator, denominator=0, rate=None, percent=None)
    return Rate(
        numerator=numerator,
        denominator=denominator,
        rate=numerator / denominator,
        percent=percent_text(numerator, denominator)[1],
    )


# The wording when a body has set none (or for a class it left unlabelled): seed 002's classes.
DEFAULT_OUTCOME_LABELS = {
    "A": "已解决或基本解决",
    "B": "正在解决或列入计划解决",
    "C": "因条件限制暂时不能解决",
    "D": "留作参考",
}
DEFAULT_OUTCOME_SENTENCE = "{label}的（{code}类）{count}件，占{percent}"


@dataclass
class Wording:
    """How a body words its outcome classes (its handling rules, from assignment.rules_set)."""

    classes: list[str] = dc_field(default_factory=lambda: list(OUTCOME_CLASSES))
    labels: dict[str, str] = dc_field(default_factory=dict)
    sentences: dict[str, str] = dc_field(default_factory=dict)
    configured: bool = False  # the body set its rules (else the defaults)

    def label(self, code: str) -> str:
        return self.labels.get(code) or DEFAULT_OUTCOME_LABELS.get(code, code)

    def sentence(self, code: str, count: int, percent: str) -> str:
        template = self.sentences.get(code, DEFAULT_OUTCOME_SENTENCE)
        return template.format(code=code, label=self.label(code), count=count, percent=percent)

    def ordered(self, outcomes: dict[str, Share]) -> dict[str, Share]:
        """The body's classes in its order, then any other class that has items; without the
        body's own classes, every standard class as before."""
        if not self.configured:
            return outcomes
        extra = [c for c, s in outcomes.items() if c not in self.classes and s.count]
        empty = Share(count=0, percent=0.0, percent_text="0.0%")
        return {c: outcomes.get(c, empty) for c in [*self.classes, *extra]}


async def outcome_wording(session: AsyncSession, body_id: str, kind: str | None = None) -> Wording:
    """The kind's own wording if the body set one, else the body's default ("*"), else the standard."""
    for key in ([kind] if kind else []) + ["*"]:
        row = await session.get(OutcomeWording, (body_id, key))
        if row is not None:
            return Wording(
                classes=list(row.classes),
                labels={w["code"]: w["label"] for w in row.labels},
                sentences={w["code"]: w["sentence"] for w in row.labels},
                configured=True,
            )
    return Wording()


def shares(counts: Counter[str]) -> dict[str, Share]:
    total = sum(counts.values())
    out: dict[str, Share] = {}
    for cls in [*OUTCOME_CLASSES, *sorted(set(counts) - set(OUTCOME_CLASSES))]:
        value, text = percent_text(counts[cls], total) if total else (0.0, "0.0%")
        out[cls] = Share(count=counts[cls], percent=value, percent_text=text)
    return out


def _may_see(principal: Principal, body_id: str, rules: EvaluationRules) -> None:
    """The body's publication setting: published figures are public; others are for the body's
    committee staff and supervising leaders (401 for the anonymous public, 403 for the rest)."""
    if rules.statistics_published or principal.is_staff_of(body_id):
        return
    if principal.anonymous:
        raise unauthorized("the body has not published its statistics; sign in as its staff")
    raise forbidden("statistics are for the body's committee staff and supervising leaders until it publishes them")


def kind_set(
    kind: str | None = None, kinds: list[str] | None = None, exclude_kinds: list[str] | None = None
) -> list[str] | None:
    """The kinds asked for: ``kind`` (one, the older parameter) and ``kinds`` together, all when
    neither is given, minus ``exclude_kinds``; None means every kind. An unknown kind is a 422
    naming the parameter."""
    for field, values in (
        ("kind", [kind] if kind else []),
        ("kinds", kinds or []),
        ("exclude_kinds", exclude_kinds or []),
    ):
        unknown = sorted(set(values) - set(KINDS))
        if unknown:
            raise Problem(
                422,
                "validation_failed",
                "Validation Failed",
                f"unknown kind {', '.join(unknown)}; kinds are {', '.join(KINDS)}",
                errors=[{"in": "query", "field": field, "message": f"unknown kind {unknown[0]}"}],
            )
    asked = {kind} if kind else set()
    asked |= set(kinds or [])
    if not asked and not exclude_kinds:
        return None
    chosen = (asked or set(KINDS)) - set(exclude_kinds or [])
    return [k for k in KINDS if k in chosen]


G = TypeVar("G", "ItemGroup", "PartGroup")


@dataclass(frozen=True)
class ItemGroup:
    """Items alike in every field the tallies read, and how many they are (``n``): the database counts a session's
    items into these (a year's 100,000 items are a few hundred groups) and the tallies add up ``n``; reading and
    counting the items one by one took over a second at 100,000."""

    kind: str | None
    category: str | None
    filed: bool
    registered: bool
    declined: bool
    merged: bool
    withdrawn: bool
    key: bool
    replied: bool
    replied_on_time: bool | None
    outcome: str | None
    first_outcome: str | None
    overdue: bool
    n: int = 1


@dataclass(frozen=True)
class PartGroup:
    """A unit's parts (not reassigned away) alike in every field the unit figures read, and how many (``n``)."""

    unit_id: str
    unit_name: str
    role: str
    replied: bool
    on_time: bool
    contacted_before_reply: bool
    outcome: str | None
    overdue: bool
    n: int = 1


def _names(group: type[ItemGroup | PartGroup]) -> tuple[str, ...]:
    return tuple(f.name for f in dc_fields(group) if f.name != "n")


GROUP_FIELDS = _names(ItemGroup)
# The groups are the covering indexes' columns (models.py).
assert GROUP_FIELDS == TALLY_FIELDS and _names(PartGroup) == PART_FIELDS


def _grouped(group: type[Any], rows: Iterable[Any]) -> list[Any]:
    names = _names(group)
    counted = Counter(tuple(getattr(r, f) for f in names) for r in rows)
    return [group(**dict(zip(names, fields, strict=True)), n=n) for fields, n in counted.items()]


def groups_of(items: Iterable[StatItem]) -> list[ItemGroup]:
    """``items`` counted into groups, as the database does it (session_rows)."""
    return _grouped(ItemGroup, items)


def part_groups_of(parts: Iterable[StatUnit]) -> list[PartGroup]:
    """The parts not reassigned away counted into groups, as the database does it (session_rows)."""
    return _grouped(PartGroup, (p for p in parts if not p.moved_away))


def chosen_items(groups: Sequence[ItemGroup], asked: "Asked") -> list[ItemGroup]:
    """The items ``asked`` for: their kinds, category, key and collective filters."""
    return [g for g in groups if asked.admits(g.kind, g.category, g.key)]


@dataclass(frozen=True)
class Ratings:
    """The ratings the satisfaction rates are over."""

    final: list[Evaluation]  # each (item, unit, member)'s rating in its latest round
    first: list[Evaluation]  # the round 1 ratings
    counted: int = 0  # how many of ``final`` are unrated replies counted as satisfied


def unrated_as_satisfied(
    items: Mapping[str, RatedItem],
    replies: Sequence[ReplyRecord],
    rated: Sequence[Evaluation],
    *,
    rules: EvaluationRules,
    calendar: WorkCalendar,
    today: date,
) -> list[Evaluation]:
    """Under ``counted_satisfied``: a satisfied rating, not stored, for each entitled member and
    reply they left unrated (``rated``: the stored ratings) once the round's window closed, by
    ``today``. The current round's window runs from its handling.completed (``items``, by
    proposal id); an earlier round's (rehandled since) from its last reply."""
    done = {(e.proposal_id, e.round, e.unit_id, e.member_id) for e in rated}
    last_reply: dict[tuple[str, int], datetime] = {}
    for r in replies:
        key = (r.proposal_id, r.round)
        last_reply[key] = max(last_reply.get(key, r.replied_at), r.replied_at)
    counted: list[Evaluation] = []
    closing: dict[date, date] = {}
    for r in replies:
        item = items.get(r.proposal_id)
        if item is None or r.round > item.round:
            continue
        completed = item.replied_at if r.round == item.round else last_reply[(r.proposal_id, r.round)]
        if completed is None:  # the round's handling is not complete: not open for rating yet
            continue
        replied_on = completed.astimezone(BODY_TIMEZONE).date()
        if replied_on not in closing:  # a year's replies fall on a few hundred days: each is worked out once
            closing[replied_on] = calendar.add_working_days(replied_on, rules.window_days)
        closes = closing[replied_on]
        if today <= closes:
            continue
        counted.extend(
            Evaluation(
                proposal_id=r.proposal_id,
                body_id=item.body_id,
                round=r.round,
                unit_id=r.unit_id,
                member_id=member_id,
                contact=Rating.satisfied,
                attitude=Rating.satisfied,
                result=Rating.satisfied,
            )
            for member_id in sorted(entitled(item, rules))
            if (r.proposal_id, r.round, r.unit_id, member_id) not in done
        )
    return counted


def latest_ratings(rows: Sequence[Evaluation], counted: Sequence[Evaluation] = ()) -> Ratings:
    """The final and the first round's rating of each (item, unit, member) among the stored
    ``rows`` and the ``counted`` ones (see :func:`unrated_as_satisfied`)."""
    final: dict[tuple[str, str, str], Evaluation] = {}
    first: list[Evaluation] = []
    for e in sorted([*rows, *counted], key=lambda e: e.round):
        final[(e.proposal_id, e.unit_id, e.member_id)] = e
        if e.round == 1:
            first.append(e)
    counted_ids = {id(e) for e in counted}  # by identity: a counted rating equals no stored row
    return Ratings(list(final.values()), first, sum(id(e) in counted_ids for e in final.values()))


def _rows(model: type[SQLModel], fields: tuple[str, ...] | None = None) -> Select[Any]:
    """Plain rows of ``model``'s columns (``fields`` of them), read as the model by attribute: the tallies only
    read them, and a row costs a fraction of an ORM object (a year's 100,000 items, their parts and ratings took
    seconds as objects)."""
    columns = model.__table__.columns  # type: ignore[attr-defined]
    return sa_select(*(columns if fields is None else [columns[f] for f in fields]))


@dataclass(frozen=True)
class SessionRows:
    """Everything a body's (session's) figures are computed from, read once per request: the statistics, the unit
    ranking and the annual report's several views of them are pure functions of it."""

    items: list[ItemGroup]
    # Ratings, rated items and replies with their item's kind, category and key (item_kind, item_category,
    # item_key), so that the ratings of the items asked for are chosen by the same filters as the items.
    evaluations: list[Evaluation]
    rated: list[RatedItem]  # only under counted_satisfied (unrated_as_satisfied)
    replies: list[ReplyRecord]  # only under counted_satisfied
    parts: list[PartGroup]  # the units' parts, not the ones reassigned away; only when asked for


async def session_rows(
    *,
    session: AsyncSession,
    principal: Principal,
    body_id: str,
    session_id: str | None,
    with_parts: bool = False,
) -> tuple[EvaluationRules, SessionRows]:
    """The body's rules and the rows of its session (every session with None) for a caller who may see its
    figures (403 otherwise; 404 for a session the service has no item of). Related rows are read joined to the
    session's items, never by a list of ids: a year's 100,000 ids are more parameters than PostgreSQL's protocol
    allows (65,535)."""
    rules = await rules_for(session, body_id)
    _may_see(principal, body_id, rules)
    in_scope = [col(StatItem.body_id) == body_id]
    if session_id is not None:
        in_scope.append(col(StatItem.session_id) == session_id)
    item = StatItem.__table__.c  # type: ignore[attr-defined]

    async def of(model: type[SQLModel], fields: tuple[str, ...] | None = None) -> list[Any]:
        proposal_id = model.__table__.c.proposal_id  # type: ignore[attr-defined]
        query = _rows(model, fields).add_columns(
            item.kind.label("item_kind"), item.category.label("item_category"), item.key.label("item_key")
        )
        query = query.join(StatItem, col(StatItem.proposal_id) == proposal_id).where(*in_scope)
        return list((await session.exec(query)).all())  # type: ignore[call-overload]

    grouped = [item[f] for f in GROUP_FIELDS]
    query = sa_select(*grouped, func.count().label("n")).where(*in_scope).group_by(*grouped)
    items: list[Any] = list((await session.exec(query)).all())  # type: ignore[call-overload]  # read as ItemGroup
    if session_id is not None and not items:
        raise NotFound("session", session_id)
    counted = rules.unrated_policy == "counted_satisfied"
    rows = SessionRows(
        items=items,
        evaluations=await of(Evaluation, RATING_FIELDS),
        rated=await of(RatedItem) if counted else [],
        replies=await of(ReplyRecord) if counted else [],
        parts=await _part_groups(session, in_scope) if with_parts else [],
    )
    return rules, rows


async def _part_groups(session: AsyncSession, in_scope: list[Any]) -> list[Any]:
    unit = StatUnit.__table__.c  # type: ignore[attr-defined]
    grouped = [unit[f] for f in PART_FIELDS]
    query = (
        sa_select(*grouped, func.count().label("n"))
        .join(StatItem, col(StatItem.proposal_id) == unit.proposal_id)
        .where(*in_scope, unit.moved_away.is_(False))
        .group_by(*grouped)
    )
    return list((await session.exec(query)).all())  # type: ignore[call-overload]  # read as PartGroup


def ratings_of(
    rows: SessionRows, asked: "Asked | None", *, rules: EvaluationRules, calendar: WorkCalendar, today: date
) -> Ratings:
    """The ratings of the items ``asked`` for (all with None) the satisfaction rates are over."""

    def of_items(found: Sequence[Any]) -> list[Any]:
        if asked is None:
            return list(found)
        return [r for r in found if asked.admits(r.item_kind, r.item_category, r.item_key)]

    evaluations = of_items(rows.evaluations)
    if rules.unrated_policy != "counted_satisfied":
        return latest_ratings(evaluations)
    rated = {i.proposal_id: i for i in of_items(rows.rated)}
    counted = unrated_as_satisfied(
        rated, of_items(rows.replies), evaluations, rules=rules, calendar=calendar, today=today
    )
    return latest_ratings(evaluations, counted)


def statistics_of(
    rows: SessionRows,
    asked: "Asked",
    *,
    rules: EvaluationRules,
    calendar: WorkCalendar,
    wording: Wording,
    today: date,
) -> Statistics:
    ratings = ratings_of(rows, asked, rules=rules, calendar=calendar, today=today)
    return tally(asked, chosen_items(rows.items, asked), ratings, wording, rules.unrated_policy)


def body_today() -> date:
    return utcnow().astimezone(BODY_TIMEZONE).date()


def _satisfied(ratings: Sequence[Evaluation]) -> int:
    return sum(1 for e in ratings if e.result in SATISFIED)


async def statistics(
    *,
    session: AsyncSession,
    calendar: WorkCalendar,
    principal: Principal,
    body_id: str,
    session_id: str | None,
    kind: str | None = None,
    category: str | None = None,
    kinds: list[str] | None = None,
    exclude_kinds: list[str] | None = None,
    key: bool | None = None,
    collective: bool | None = None,
) -> Statistics:
    asked = Asked(body_id, session_id, kind, kind_set(kind, kinds, exclude_kinds), category, key, collective)
    rules, rows = await session_rows(session=session, principal=principal, body_id=body_id, session_id=session_id)
    wording = await outcome_wording(session, body_id, asked.one_kind)
    return statistics_of(rows, asked, rules=rules, calendar=calendar, wording=wording, today=body_today())


@dataclass(frozen=True)
class Asked:
    """What the figures were asked for, echoed in :class:`Statistics`."""

    body_id: str
    session_id: str | None
    kind: str | None = None
    kinds: list[str] | None = None  # kind_set's answer: None for every kind
    category: str | None = None
    key: bool | None = None
    collective: bool | None = None

    def admits(self, kind: str | None, category: str | None, key: bool) -> bool:
        """Whether an item of ``kind``, ``category`` and ``key`` is one asked for; collective by kind, not by the
        stored flag, which once counted 建议案 as well."""
        return (
            (self.kinds is None or kind in self.kinds)
            and (self.category is None or category == self.category)
            and (self.key is None or key == self.key)
            and (self.collective is None or (kind in COLLECTIVE_KINDS) == self.collective)
        )

    @property
    def one_kind(self) -> str | None:
        """The kind whose own outcome wording applies: the only one asked for."""
        return self.kinds[0] if self.kinds and len(self.kinds) == 1 else None


def _count(groups: Iterable[G], which: Callable[[G], object] = bool) -> int:
    return sum(g.n for g in groups if which(g))


def _counter(groups: Iterable[G], of: Callable[[G], str | None]) -> Counter[str]:
    counted: Counter[str] = Counter()
    for g in groups:
        if (value := of(g)) is not None:
            counted[value] += g.n
    return counted


def counts_of(groups: Sequence[ItemGroup]) -> Counts:
    return Counts(
        filed=_count(groups, lambda g: g.filed),
        registered=_count(groups, lambda g: g.registered),
        declined=_count(groups, lambda g: g.declined),
        merged=_count(groups, lambda g: g.merged),
        withdrawn=_count(groups, lambda g: g.withdrawn),
        key=_count(groups, lambda g: g.registered and g.key),
        collective=_count(groups, lambda g: g.registered and g.kind in COLLECTIVE_KINDS),
    )


def breakdowns(groups: Sequence[ItemGroup]) -> tuple[dict[str, Breakdown], dict[str, Breakdown]]:
    """Filed and registered items by kind and by category, each sorted by its key."""
    filed = [g for g in groups if g.filed]  # the others are known only from assignment events so far
    registered = [g for g in filed if g.registered]

    def by(of: Callable[[ItemGroup], str]) -> dict[str, Breakdown]:
        f, r = _counter(filed, of), _counter(registered, of)
        return {k: Breakdown(filed=f[k], registered=r[k]) for k in sorted(f)}

    return by(lambda g: g.kind or ""), by(lambda g: g.category or UNCATEGORISED)


def tally(
    asked: Asked, groups: Sequence[ItemGroup], ratings: Ratings, wording: Wording, unrated_policy: str
) -> Statistics:
    """The figures of the items ``groups`` count (the ones asked for) as the module's definitions say."""
    counts = counts_of(groups)
    by_kind, by_category = breakdowns(groups)
    replied = [g for g in groups if g.replied]
    outcomes = wording.ordered(shares(_counter(groups, lambda g: g.outcome)))
    first_outcomes = wording.ordered(shares(_counter(replied, lambda g: g.first_outcome)))
    return Statistics(
        body_id=asked.body_id,
        session_id=asked.session_id,
        kind=asked.kind,
        kinds=asked.kinds,
        category=asked.category,
        key=asked.key,
        collective=asked.collective,
        counts=counts,
        by_kind=by_kind,
        by_category=by_category,
        registration_rate=rate(counts.registered, counts.filed - counts.withdrawn),
        reply_rate=rate(_count(replied), counts.registered),
        on_time_reply_rate=rate(_count(replied, lambda g: g.replied_on_time), counts.registered),
        satisfaction_rate=rate(_satisfied(ratings.final), len(ratings.final)),
        first_satisfaction_rate=rate(_satisfied(ratings.first), len(ratings.first)),
        outcomes=outcomes,
        first_outcomes=first_outcomes,
        outcome_labels={cls: wording.label(cls) for cls in outcomes},
        overdue=_count(groups, lambda g: g.overdue),
        unrated_policy=unrated_policy,
        counted_satisfied=ratings.counted,
    )


async def weights_for(session: AsyncSession, body_id: str) -> PerformanceWeights:
    return await session.get(PerformanceWeights, body_id) or PerformanceWeights(body_id=body_id)


def weights_etag(weights: PerformanceWeights) -> str:
    return weak_etag(PerformanceWeightsPublic.model_validate(weights))


async def set_weights(
    *,
    session: AsyncSession,
    principal: Principal,
    body_id: str,
    data: PerformanceWeightsUpdate,
    if_match: str | None = None,
) -> PerformanceWeights:
    """Replaces the body's weights; a stale ``if_match`` is a 412 and changes nothing, none skips the check."""
    if not (principal.role == Role.staff and principal.body_id == body_id):
        raise forbidden("performance weights are set by the body's committee staff")
    values: dict[str, Any] = data.model_dump()
    if sum(values.values()) <= 0:
        raise Problem(
            422,
            "no_weight",
            "No Weight",
            "at least one weight must be positive",
            errors=[{"in": "body", "field": "on_time", "message": "all weights are 0"}],
        )
    row = await session.get(PerformanceWeights, body_id, with_for_update=True) or PerformanceWeights(body_id=body_id)
    check_if_match(if_match, weights_etag(row))
    for field, value in values.items():
        setattr(row, field, value)
    session.add(row)
    await session.commit()
    return row


def _score(components: dict[str, float | None], weights: PerformanceWeights) -> float | None:
    present = {name: value for name, value in components.items() if value is not None}
    total = sum(getattr(weights, name) for name in present)
    if not present or total <= 0:
        return None
    weighted = sum(getattr(weights, name) * value for name, value in present.items()) / total
    return float(Decimal(weighted * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


async def unit_statistics(
    *, session: AsyncSession, calendar: WorkCalendar, principal: Principal, body_id: str, session_id: str | None
) -> UnitStatistics:
    rules, rows = await session_rows(
        session=session, principal=principal, body_id=body_id, session_id=session_id, with_parts=True
    )
    ratings = ratings_of(rows, None, rules=rules, calendar=calendar, today=body_today())
    return units_of(rows, ratings, await weights_for(session, body_id), body_id=body_id, session_id=session_id)


def units_of(
    rows: SessionRows, ratings: Ratings, weights: PerformanceWeights, *, body_id: str, session_id: str | None
) -> UnitStatistics:
    return UnitStatistics(
        body_id=body_id,
        session_id=session_id,
        weights=PerformanceWeightsPublic.model_validate(weights),
        outcome_values=OUTCOME_VALUES,
        units=unit_tallies(rows.parts, ratings.final, weights),
    )


def unit_tallies(
    parts: Sequence[PartGroup], final: Sequence[Evaluation], weights: PerformanceWeights
) -> list[UnitPerformance]:
    """Each unit's performance from its parts in the items and the final ratings of its
    replies, best score first (units without a score last), then by name."""
    by_unit: dict[str, list[PartGroup]] = defaultdict(list)
    for part in parts:
        by_unit[part.unit_id].append(part)
    ratings_of: dict[str, list[Evaluation]] = defaultdict(list)
    for e in final:
        ratings_of[e.unit_id].append(e)
    public_weights = PerformanceWeightsPublic.model_validate(weights)
    units = [unit_performance(u, of_unit, ratings_of[u], weights, public_weights) for u, of_unit in by_unit.items()]
    units.sort(key=lambda u: (-(u.score if u.score is not None else -1), u.unit_name, u.unit_id))
    return units


def unit_performance(
    unit_id: str,
    parts: Sequence[PartGroup],
    rated: Sequence[Evaluation],
    weights: PerformanceWeights,
    public_weights: PerformanceWeightsPublic,
) -> UnitPerformance:
    """One unit's figures: co-handlers do not reply, so a co part counts towards ``to_reply``
    only when it did reply."""
    replies = [p for p in parts if p.replied]
    to_reply = _count(parts, lambda p: p.role != "co" or p.replied)
    on_time = _count(replies, lambda p: p.on_time)
    contacted = _count(replies, lambda p: p.contacted_before_reply)
    outcomes = _counter(parts, lambda p: p.outcome)
    outcome_score = _outcome_score(outcomes)
    on_time_rate, contact_rate = rate(on_time, to_reply), rate(contacted, _count(replies))
    satisfaction_rate = rate(_satisfied(rated), len(rated))
    score = _score(
        {
            "on_time": on_time_rate.rate,
            "satisfaction": satisfaction_rate.rate,
            "contact": contact_rate.rate,
            "outcome": outcome_score,
        },
        weights,
    )
    return UnitPerformance(
        unit_id=unit_id,
        unit_name=next((p.unit_name for p in parts if p.unit_name), ""),
        assigned=_count(parts),
        to_reply=to_reply,
        replied=_count(replies),
        on_time=on_time,
        contacted_before_reply=contacted,
        overdue=_count(parts, lambda p: p.overdue),
        rated=len(rated),
        satisfied=_satisfied(rated),
        on_time_rate=on_time_rate,
        contact_rate=contact_rate,
        satisfaction_rate=satisfaction_rate,
        outcomes={cls: outcomes[cls] for cls in [*OUTCOME_CLASSES, *sorted(set(outcomes) - set(OUTCOME_CLASSES))]},
        outcome_score=outcome_score,
        score=score,
        weights=public_weights,
    )


def _outcome_score(outcomes: Counter[str]) -> float | None:
    """The mean value of the outcomes (A=1 … D=0.25), a class without a value left out."""
    values = [OUTCOME_VALUES[o] for o in outcomes.elements() if o in OUTCOME_VALUES]
    return sum(values) / len(values) if values else None
