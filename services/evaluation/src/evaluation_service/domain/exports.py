"""The staff export: a body's items with their status, units, replies, outcome and ratings, as
rows for a CSV or XLSX file (api/exports.py writes them).

Decisions:

- For the body's committee staff and supervising leaders (and administrators) only, whatever
  the publication setting: the export names every item, declined ones included, and its
  ratings. Members, units and the public are refused (403 / 401).
- Filters: ``session_id``; ``kind``, ``status`` (comma-separated, an unknown value is a 422
  naming the parameter) and ``category`` (未分类 for the items without one).
- The status is the item's as these statistics know it: 已提交 (filed, not registered), 已立案
  (registered, not replied), 已办复, 不予立案, 并案, 撤回 (withdrawn wins over merged, merged over
  declined).
- Rows are read a page at a time (keyset on the session, the number's label and the id), so a
  whole year is never in memory at once; each page's units, replies and ratings in one query each.
- Ratings are each (unit, member)'s final round, as recorded (the unrated-reply rule of the
  statistics is not applied to an export of what members said).
"""

from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from evaluation_service.domain import statistics as figures
from evaluation_service.domain.ratings import BODY_TIMEZONE
from evaluation_service.models import KINDS, Evaluation, Rating, ReplyRecord, StatItem, StatUnit
from servicekit.auth import Principal, Role, forbidden, unauthorized
from servicekit.errors import Problem

STATUSES = {
    "submitted": "已提交",
    "registered": "已立案",
    "replied": "已办复",
    "declined": "不予立案",
    "merged": "并案",
    "withdrawn": "撤回",
}
KIND_NAMES = {
    "individual": "个人提案",
    "joint": "联名提案",
    "group": "集体提案",
    "plenary": "建议案",
    "motion": "议案",
    "suggestion": "建议",
}
ROLE_NAMES = {"lead": "主办", "co": "协办", "separate": "分办"}
HEADER = (
    "会议",
    "案号",
    "案由",
    "类型",
    "类别",
    "重点提案",
    "状态",
    "主办单位",
    "协办单位",
    "分办单位",
    "答复（单位、轮次、日期、结果、是否按时）",
    "办理结果",
    "办理结果说明",
    "首次办理结果",
    "按时办复",
    "测评人次",
    "满意",
    "基本满意",
    "不满意",
    "满意率",
)
PAGE = 500


def may_export(principal: Principal, body_id: str) -> None:
    if principal.role == Role.admin or principal.is_staff_of(body_id):
        return
    if principal.anonymous:
        raise unauthorized("the export is for the body's staff: sign in")
    raise forbidden("the export is for the body's committee staff and supervising leaders")


def _choices(field: str, raw: str | None, allowed: Sequence[str]) -> list[str] | None:
    """A comma-separated filter; an unknown value is a 422 naming the parameter."""
    if raw is None or not raw.strip():
        return None
    values = [v.strip() for v in raw.split(",") if v.strip()]
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise Problem(
            422,
            "validation_failed",
            "Validation Failed",
            f"unknown {field} {', '.join(unknown)}; {field} is one of {', '.join(allowed)}",
            errors=[{"in": "query", "field": field, "message": f"unknown {field} {unknown[0]}"}],
        )
    return values


@dataclass(frozen=True)
class ExportFilter:
    body_id: str
    session_id: str | None = None
    kinds: list[str] | None = None
    statuses: list[str] | None = None
    category: str | None = None

    @classmethod
    def parse(
        cls, *, body_id: str, session_id: str | None, kind: str | None, status: str | None, category: str | None
    ) -> "ExportFilter":
        return cls(
            body_id=body_id,
            session_id=session_id,
            kinds=_choices("kind", kind, KINDS),
            statuses=_choices("status", status, list(STATUSES)),
            category=category or None,
        )


def _status_condition(status: str) -> ColumnElement[bool]:
    w, m, d = col(StatItem.withdrawn), col(StatItem.merged), col(StatItem.declined)
    r, outcome = col(StatItem.registered), col(StatItem.outcome)
    closed = or_(w, m, d)
    return {
        "withdrawn": w.is_(True),
        "merged": and_(m.is_(True), w.is_(False)),
        "declined": and_(d.is_(True), m.is_(False), w.is_(False)),
        "replied": and_(r.is_(True), outcome.is_not(None), ~closed),
        "registered": and_(r.is_(True), outcome.is_(None), ~closed),
        "submitted": and_(col(StatItem.filed).is_(True), r.is_(False), ~closed),
    }[status]


def status_of(item: StatItem) -> str:
    if item.withdrawn:
        return "withdrawn"
    if item.merged:
        return "merged"
    if item.declined:
        return "declined"
    if item.registered:
        return "replied" if item.outcome is not None else "registered"
    return "submitted"


def _conditions(f: ExportFilter) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [
        col(StatItem.body_id) == f.body_id,
        or_(col(StatItem.filed).is_(True), col(StatItem.registered).is_(True)),  # not known from handling only
    ]
    if f.session_id is not None:
        where.append(col(StatItem.session_id) == f.session_id)
    if f.kinds:
        where.append(col(StatItem.kind).in_(f.kinds))
    if f.statuses:
        where.append(or_(*(_status_condition(s) for s in f.statuses)))
    if f.category == figures.UNCATEGORISED:
        where.append(col(StatItem.category).is_(None))
    elif f.category is not None:
        where.append(col(StatItem.category) == f.category)
    return where


async def _page(session: AsyncSession, f: ExportFilter, after: tuple[str, str, str] | None) -> list[StatItem]:
    sess, label = func.coalesce(col(StatItem.session_id), ""), func.coalesce(col(StatItem.number_label), "")
    query = select(StatItem).where(*_conditions(f))
    if after is not None:
        a_sess, a_label, a_id = after
        query = query.where(
            or_(
                sess > a_sess,
                and_(sess == a_sess, label > a_label),
                and_(sess == a_sess, label == a_label, col(StatItem.proposal_id) > a_id),
            )
        )
    query = query.order_by(sess, label, col(StatItem.proposal_id)).limit(PAGE)
    return list((await session.exec(query)).all())


def _final_ratings(rows: Sequence[Evaluation]) -> dict[str, Counter[str]]:
    final: dict[tuple[str, str, str], Evaluation] = {}
    for e in sorted(rows, key=lambda e: e.round):
        final[(e.proposal_id, e.unit_id, e.member_id)] = e
    out: dict[str, Counter[str]] = defaultdict(Counter)
    for e in final.values():
        out[e.proposal_id][e.result] += 1
    return out


def _written(percent: str | None) -> str:
    """As the report writes percentages: 100%, 66.7%."""
    text = percent or ""
    return text[:-3] + "%" if text.endswith(".0%") else text


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("是" if value else "否")


async def export_rows(session: AsyncSession, f: ExportFilter) -> AsyncIterator[list[Any]]:
    """Every matching item as one row of HEADER, a page at a time."""
    wording = await figures.outcome_wording(session, f.body_id)
    after: tuple[str, str, str] | None = None
    while True:
        items = await _page(session, f, after)
        if not items:
            return
        ids = [i.proposal_id for i in items]
        units: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        unit_query = select(StatUnit).where(col(StatUnit.proposal_id).in_(ids)).order_by(col(StatUnit.unit_name))
        for u in (await session.exec(unit_query)).all():
            if not u.moved_away:
                units[u.proposal_id][u.role].append(u.unit_name or u.unit_id)
        replies: dict[str, list[str]] = defaultdict(list)
        reply_query = (
            select(ReplyRecord)
            .where(col(ReplyRecord.proposal_id).in_(ids))
            .order_by(col(ReplyRecord.round), col(ReplyRecord.replied_at))
        )
        for r in (await session.exec(reply_query)).all():
            day = r.replied_at.astimezone(BODY_TIMEZONE).date().isoformat()
            timely = "按时" if r.on_time else "超期"
            replies[r.proposal_id].append(f"{r.unit_name}（第{r.round}轮，{day}，{r.outcome}类，{timely}）")
        ratings = _final_ratings(
            (await session.exec(select(Evaluation).where(col(Evaluation.proposal_id).in_(ids)))).all()
        )
        for i in items:
            counts = ratings.get(i.proposal_id, Counter())
            rated = sum(counts.values())
            satisfied = counts[Rating.satisfied] + counts[Rating.basically_satisfied]
            roles = units.get(i.proposal_id, {})
            yield [
                i.session_id or "",
                i.number_label or "",
                i.title or "",
                KIND_NAMES.get(i.kind or "", i.kind or ""),
                i.category or figures.UNCATEGORISED,
                _yes_no(i.key),
                STATUSES[status_of(i)],
                "、".join(roles.get("lead", [])),
                "、".join(roles.get("co", [])),
                "、".join(roles.get("separate", [])),
                "；".join(replies.get(i.proposal_id, [])),
                f"{i.outcome}类" if i.outcome else "",
                wording.label(i.outcome) if i.outcome else "",
                f"{i.first_outcome}类" if i.first_outcome else "",
                _yes_no(i.replied_on_time) if i.replied else "",
                rated,
                counts[Rating.satisfied],
                counts[Rating.basically_satisfied],
                counts[Rating.unsatisfied],
                _written(figures.rate(satisfied, rated).percent) if rated else "",
            ]
        last = items[-1]
        after = (last.session_id or "", last.number_label or "", last.proposal_id)
        if len(items) < PAGE:
            return
