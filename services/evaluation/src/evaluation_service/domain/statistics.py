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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dc_field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from cn_workdays import WorkCalendar
from sqlalchemy import Select
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


def chosen_items(items: Sequence[StatItem], asked: "Asked") -> list[StatItem]:
    """The items ``asked`` for: their kinds, category, key and collective filters."""
    chosen = [
        i
        for i in items
        if (asked.kinds is None or i.kind in asked.kinds)
        and (asked.category is None or i.category == asked.category)
        and (asked.key is None or i.key == asked.key)
    ]
    return of_collective(chosen, asked.collective)


def of_collective(items: Sequence[StatItem], collective: bool | None) -> list[StatItem]:
    """The collective items (True), the others (False) or all (None), by kind: not the stored
    flag, which once counted 建议案 as well."""
    if collective is None:
        return list(items)
    return [i for i in items if (i.kind in COLLECTIVE_KINDS) == collective]


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


# The columns of items and ratings the tallies read: the others (titles, JSON unit lists, times) took longer to
# read than all the counting at 100,000 items. A field missing here is an AttributeError in the API tests.
ITEM_FIELDS = (
    "proposal_id", "kind", "category", "filed", "registered", "declined", "merged", "withdrawn", "key", "replied",
    "replied_on_time", "outcome", "first_outcome", "overdue",
)  # fmt: skip
RATING_FIELDS = ("proposal_id", "unit_id", "member_id", "round", "result")


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

    items: list[StatItem]
    evaluations: list[Evaluation]
    rated: list[RatedItem]  # only under counted_satisfied (unrated_as_satisfied)
    replies: list[ReplyRecord]  # only under counted_satisfied
    parts: list[StatUnit]  # the units' parts, the ones reassigned away too; only when asked for


async def session_rows(
    *,
    session: AsyncSession,
    principal: Principal,
    body_id: str,
    session_id: str | None,
    with_parts: bool = False,
) -> tuple[EvaluationRules, SessionRows]:
    """The body's rules and the rows of its session (every session with None) for a caller who may see its
    figures (403 otherwise; 404 for a session the service has no item of). Related rows are read by the session's
    item ids as a subquery, never by a list of ids: a year's 100,000 ids are more parameters than PostgreSQL's
    protocol allows (65,535)."""
    rules = await rules_for(session, body_id)
    _may_see(principal, body_id, rules)
    in_scope = [col(StatItem.body_id) == body_id]
    if session_id is not None:
        in_scope.append(col(StatItem.session_id) == session_id)
    scope = sa_select(col(StatItem.proposal_id)).where(*in_scope)

    async def of(model: type[SQLModel], fields: tuple[str, ...] | None = None) -> list[Any]:
        proposal_id = model.__table__.c.proposal_id  # type: ignore[attr-defined]
        return list((await session.exec(_rows(model, fields).where(proposal_id.in_(scope)))).all())  # type: ignore[call-overload]

    query = _rows(StatItem, ITEM_FIELDS).where(*in_scope)
    items: list[Any] = list((await session.exec(query)).all())  # type: ignore[call-overload]  # read as StatItem
    if session_id is not None and not items:
        raise NotFound("session", session_id)
    counted = rules.unrated_policy == "counted_satisfied"
    rows = SessionRows(
        items=items,
        evaluations=await of(Evaluation, RATING_FIELDS),
        rated=await of(RatedItem) if counted else [],
        replies=await of(ReplyRecord) if counted else [],
        parts=await of(StatUnit) if with_parts else [],
    )
    return rules, rows


def ratings_of(
    rows: SessionRows, ids: set[str] | None, *, rules: EvaluationRules, calendar: WorkCalendar, today: date
) -> Ratings:
    """The ratings of the items ``ids`` (all with None) the satisfaction rates are over."""

    def of_items(found: Sequence[Any]) -> list[Any]:
        return list(found) if ids is None else [r for r in found if r.proposal_id in ids]

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
    items = chosen_items(rows.items, asked)
    ids = None if len(items) == len(rows.items) else {i.proposal_id for i in items}
    ratings = ratings_of(rows, ids, rules=rules, calendar=calendar, today=today)
    return tally(asked, items, ratings, wording, rules.unrated_policy)


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

    @property
    def one_kind(self) -> str | None:
        """The kind whose own outcome wording applies: the only one asked for."""
        return self.kinds[0] if self.kinds and len(self.kinds) == 1 else None


def counts_of(items: Sequence[StatItem]) -> Counts:
    return Counts(
        filed=sum(i.filed for i in items),
        registered=sum(i.registered for i in items),
        declined=sum(i.declined for i in items),
        merged=sum(i.merged for i in items),
        withdrawn=sum(i.withdrawn for i in items),
        key=sum(i.registered and i.key for i in items),
        collective=sum(i.registered and i.kind in COLLECTIVE_KINDS for i in items),
    )


def breakdowns(items: Sequence[StatItem]) -> tuple[dict[str, Breakdown], dict[str, Breakdown]]:
    """Filed and registered items by kind and by category, each sorted by its key."""
    filed = [i for i in items if i.filed]  # the others are known only from assignment events so far
    registered = [i for i in filed if i.registered]

    def by(of: Callable[[StatItem], str]) -> dict[str, Breakdown]:
        # counted first, models made last: a model's validated attribute writes, once per item, took seconds
        f, r = Counter(map(of, filed)), Counter(map(of, registered))
        return {k: Breakdown(filed=f[k], registered=r[k]) for k in sorted(f)}

    return by(lambda i: i.kind or ""), by(lambda i: i.category or UNCATEGORISED)


def tally(
    asked: Asked, items: Sequence[StatItem], ratings: Ratings, wording: Wording, unrated_policy: str
) -> Statistics:
    """The figures of ``items`` (the ones asked for) as the module's definitions say."""
    counts = counts_of(items)
    by_kind, by_category = breakdowns(items)
    replied = [i for i in items if i.replied]
    outcomes = wording.ordered(shares(Counter(i.outcome for i in items if i.outcome is not None)))
    first_outcomes = wording.ordered(shares(Counter(i.first_outcome for i in replied if i.first_outcome is not None)))
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
        reply_rate=rate(len(replied), counts.registered),
        on_time_reply_rate=rate(sum(bool(i.replied_on_time) for i in replied), counts.registered),
        satisfaction_rate=rate(_satisfied(ratings.final), len(ratings.final)),
        first_satisfaction_rate=rate(_satisfied(ratings.first), len(ratings.first)),
        outcomes=outcomes,
        first_outcomes=first_outcomes,
        outcome_labels={cls: wording.label(cls) for cls in outcomes},
        overdue=sum(i.overdue for i in items),
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
        units=unit_tallies([p for p in rows.parts if not p.moved_away], ratings.final, weights),
    )


def unit_tallies(
    parts: Sequence[StatUnit], final: Sequence[Evaluation], weights: PerformanceWeights
) -> list[UnitPerformance]:
    """Each unit's performance from its parts in the items and the final ratings of its
    replies, best score first (units without a score last), then by name."""
    by_unit: dict[str, list[StatUnit]] = defaultdict(list)
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
    parts: Sequence[StatUnit],
    rated: Sequence[Evaluation],
    weights: PerformanceWeights,
    public_weights: PerformanceWeightsPublic,
) -> UnitPerformance:
    """One unit's figures: co-handlers do not reply, so a co part counts towards ``to_reply``
    only when it did reply."""
    replies = [p for p in parts if p.replied]
    to_reply = sum(p.role != "co" or p.replied for p in parts)
    on_time = sum(p.on_time for p in replies)
    contacted = sum(p.contacted_before_reply for p in replies)
    outcomes = Counter(p.outcome for p in parts if p.outcome is not None)
    outcome_score = _outcome_score(outcomes)
    on_time_rate, contact_rate = rate(on_time, to_reply), rate(contacted, len(replies))
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
        assigned=len(parts),
        to_reply=to_reply,
        replied=len(replies),
        on_time=on_time,
        contacted_before_reply=contacted,
        overdue=sum(p.overdue for p in parts),
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
