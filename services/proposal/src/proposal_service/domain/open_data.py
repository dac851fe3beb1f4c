"""The open-data export: the published items of a body, for anyone, as CSV or JSON.

Only public facts, by the rules of the public timeline (domain/timeline.py): the items the public
may read (registered and later, in a published session), with what the public item shows of
them that is no one's personal data — session, 案号, 案由, kind, category, key, public status,
the date of registration and the units handling it. Never declined, merged or withdrawn items,
drafts, accounts, proposers' names or ids, cosigners, staff notes, decline reasons, the text
(正文, which may name people), supervising leaders or any member's data.

Rows are read a page at a time (keyset on session, number and id), so a year is never whole in
memory.
"""

from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import and_, col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from proposal_service.domain.items import number_label
from proposal_service.domain.status import PUBLIC_STATUSES
from proposal_service.models import Category, HandlingUnit, Proposal, Session
from servicekit.errors import NotFound

PAGE = 500
LOCAL_ZONE = ZoneInfo("Asia/Shanghai")
KIND_NAMES = {
    "individual": "个人提案",
    "joint": "联名提案",
    "group": "集体提案",
    "plenary": "建议案",
    "motion": "议案",
    "suggestion": "建议",
}
STATUS_NAMES = {
    "registered": "已立案",
    "assigned": "办理中",
    "replied": "已答复",
    "evaluated": "已测评",
    "closed": "已办结",
    "rehandling": "重新办理",
}
ROLE_NAMES = {"lead": "主办", "co": "协办", "separate": "分办"}
CSV_HEADER = (
    "会议",
    "案号",
    "案由",
    "类型",
    "类别",
    "重点提案",
    "状态",
    "立案日期",
    "主办单位",
    "协办单位",
    "分办单位",
)


async def published_sessions(session: AsyncSession, body_id: str, session_id: str | None) -> dict[str, str]:
    """The body's published sessions (id → name), or the one asked for: a session that is not
    published is a 404, as the public cannot tell it from one that does not exist."""
    query = select(Session).where(Session.body_id == body_id, col(Session.published).is_(True))
    if session_id is not None:
        query = query.where(Session.id == session_id)
    sessions = {s.id: s.name for s in (await session.exec(query)).all()}
    if session_id is not None and not sessions:
        raise NotFound("session", session_id)
    return sessions


def _day(at: datetime | None) -> str | None:
    return at.astimezone(LOCAL_ZONE).date().isoformat() if at else None


async def open_items(session: AsyncSession, sessions: dict[str, str]) -> AsyncIterator[dict[str, Any]]:
    """Each published item as a dict of public facts, in session and number order."""
    if not sessions:
        return
    categories: dict[str, str] = {}
    after: tuple[str, int, str] | None = None
    while True:
        query = select(Proposal).where(
            col(Proposal.session_id).in_(list(sessions)), col(Proposal.status).in_(list(PUBLIC_STATUSES))
        )
        if after is not None:
            s, n, i = after
            query = query.where(
                or_(
                    col(Proposal.session_id) > s,
                    and_(col(Proposal.session_id) == s, col(Proposal.number) > n),
                    and_(col(Proposal.session_id) == s, col(Proposal.number) == n, col(Proposal.id) > i),
                )
            )
        query = query.order_by(col(Proposal.session_id), col(Proposal.number), col(Proposal.id)).limit(PAGE)
        items = list((await session.exec(query)).all())
        if not items:
            return
        missing = {i.category_id for i in items if i.category_id and i.category_id not in categories}
        if missing:
            rows = await session.exec(select(Category).where(col(Category.id).in_(missing)))
            categories.update({c.id: c.name for c in rows.all()})
        units: dict[str, list[dict[str, str]]] = defaultdict(list)
        unit_query = (
            select(HandlingUnit)
            .where(col(HandlingUnit.proposal_id).in_([i.id for i in items]))
            .order_by(col(HandlingUnit.unit_name))
        )
        for u in (await session.exec(unit_query)).all():
            units[u.proposal_id].append({"unit": u.unit_name, "role": u.role})
        for item in items:
            yield {
                "session_id": item.session_id,
                "session": sessions[item.session_id],
                "number": number_label(item.kind, item.number),
                "title": item.title,
                "kind": item.kind,
                "category": categories.get(item.category_id or ""),
                "key": item.key,
                "status": item.status,
                "registered_on": _day(item.registered_at),
                "units": units.get(item.id, []),
            }
        last = items[-1]
        after = (last.session_id, last.number or 0, last.id)
        if len(items) < PAGE:
            return


def csv_row(item: dict[str, Any]) -> list[Any]:
    by_role: dict[str, list[str]] = defaultdict(list)
    for u in item["units"]:
        by_role[u["role"]].append(u["unit"])
    return [
        item["session"],
        item["number"] or "",
        item["title"] or "",
        KIND_NAMES.get(item["kind"], item["kind"]),
        item["category"] or "未分类",
        "是" if item["key"] else "否",
        STATUS_NAMES.get(item["status"], item["status"]),
        item["registered_on"] or "",
        "、".join(by_role["lead"]),
        "、".join(by_role["co"]),
        "、".join(by_role["separate"]),
    ]
