"""Daily digests for the body's staff (提案委) and supervising leaders (督办领导), ADR 12.

Recipients: ``staff:<body_id>`` (every staff account of the body shares it, as a unit's staff
share the unit's inbox) and ``leader:<body_id>`` (the body's supervising leaders). Both come
from the token's role and ``body_id`` claim; their e-mail and phone are set through the contact
API like anyone's.

What they are told comes from this service's own projections of the assignment and proposal
events: each assignment and whether the deadline scanner has called it overdue
(``assignment.overdue``) until it is replied, extended or moved (``assignment_info``); adjustment
requests waiting for a decision (``pending_request``); key items and their leader (``item_info``).
Once per working day, at ``daily_digest_at`` local time or the first scan after it, staff get the
body's overdue items and the waiting requests, leaders the overdue key items (each line naming
its supervising leader); nothing to tell, no message. Each digest is written once per recipient
and day (its event id is ``daily:<day>:<recipient>``), so replicas and restarts cannot repeat it.
"""

import asyncio
import logging
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from notification_service.domain import notify, reminders
from notification_service.domain.messages import Draft
from notification_service.events import consumed as ev
from notification_service.models import AssignmentInfo, ItemInfo, NotificationKind, PendingRequest
from notification_service.settings import NotificationSettings
from servicekit.db import Database, utcnow

log = logging.getLogger(__name__)

STAFF_DIGEST = NotificationKind.staff_daily_digest
LEADER_DIGEST = NotificationKind.leader_daily_digest
# Lines listed in one digest; the rest are counted.
LISTED = 30


def staff(body_id: str) -> str:
    return f"staff:{body_id}"


def leader(body_id: str) -> str:
    return f"leader:{body_id}"


# --- the projections (in the consumer's transaction; never commit) -----------------------------


def _assignment(event: ev.AssignmentCreated | ev.AssignmentDeadline) -> AssignmentInfo:
    return AssignmentInfo(
        assignment_id=event.assignment_id, proposal_id=event.proposal_id, body_id=event.body_id, unit_id=event.unit_id
    )


async def record_assignment(*, session: AsyncSession, event: ev.AssignmentCreated) -> None:
    row = await session.get(AssignmentInfo, event.assignment_id) or _assignment(event)
    row.unit_name = event.unit_name or row.unit_name
    if row.due_date is None or not row.overdue:  # an overdue event that came first keeps its date
        row.due_date = event.due_date or row.due_date
    session.add(row)


async def record_reassigned(*, session: AsyncSession, event: ev.AssignmentReassigned) -> None:
    """The previous unit is done with the item, and its adjustment request decided."""
    await record_done(session, proposal_id=event.proposal_id, unit_id=event.previous_unit_id)
    await request_decided(session, proposal_id=event.proposal_id, unit_id=event.previous_unit_id)
    await record_assignment(session=session, event=event)


async def record_overdue(*, session: AsyncSession, event: ev.AssignmentDeadline) -> None:
    # the assignment's own event not seen (yet): keep what this one says
    row = await session.get(AssignmentInfo, event.assignment_id) or _assignment(event)
    row.due_date = event.due_date
    row.overdue = True
    session.add(row)


async def record_extended(*, session: AsyncSession, event: ev.AssignmentExtended) -> None:
    """The new deadline; the extension request it grants is decided."""
    row = await session.get(AssignmentInfo, event.assignment_id)
    if row is not None:
        row.due_date, row.overdue = event.due_date, False
        session.add(row)
    await request_decided(session, extended_assignment_id=event.assignment_id)


async def record_reopened(*, session: AsyncSession, event: ev.AssignmentReopened) -> None:
    """The unit's assignment is open again (rehandling), with a new deadline."""
    row = await session.get(AssignmentInfo, event.assignment_id)
    if row is not None:
        row.due_date, row.overdue, row.done = event.due_date, False, False
        session.add(row)


async def record_done(session: AsyncSession, *, proposal_id: str, unit_id: str) -> None:
    """The unit replied to the item, or the item was moved away from it."""
    await session.exec(
        update(AssignmentInfo)
        .where(col(AssignmentInfo.proposal_id) == proposal_id, col(AssignmentInfo.unit_id) == unit_id)
        .values(done=True)
    )


async def record_request(
    session: AsyncSession,
    *,
    kind: str,
    request_id: str,
    assignment_id: str,
    proposal_id: str,
    body_id: str,
    unit_id: str,
    requested_at: datetime,
    requested_due_date: date | None = None,
) -> None:
    if await session.get(PendingRequest, request_id) is None:
        session.add(
            PendingRequest(
                request_id=request_id,
                kind=kind,
                requested_due_date=requested_due_date,
                assignment_id=assignment_id,
                proposal_id=proposal_id,
                body_id=body_id,
                unit_id=unit_id,
                requested_at=requested_at,
            )
        )


async def request_decided(
    session: AsyncSession,
    *,
    request_id: str | None = None,
    proposal_id: str | None = None,
    unit_id: str | None = None,
    extended_assignment_id: str | None = None,
) -> None:
    """A refused request (by id); the item moved from the unit (an approved adjustment); the
    assignment extended (an approved extension: the event names the assignment, not the request)."""
    query = select(PendingRequest)
    if request_id is not None:
        query = query.where(PendingRequest.request_id == request_id)
    elif extended_assignment_id is not None:
        query = query.where(PendingRequest.assignment_id == extended_assignment_id, PendingRequest.kind == "extension")
    else:
        query = query.where(PendingRequest.proposal_id == proposal_id, PendingRequest.unit_id == unit_id)
    for row in (await session.exec(query)).all():
        await session.delete(row)


async def record_adjustment_refused(*, session: AsyncSession, event: ev.AdjustmentRefused) -> None:
    await request_decided(session, request_id=event.request_id)


async def record_extension_refused(*, session: AsyncSession, event: ev.ExtensionRefused) -> None:
    await request_decided(session, request_id=event.extension_id)


async def record_key(*, session: AsyncSession, event: ev.KeyMarked) -> None:
    row = await session.get(ItemInfo, event.proposal_id) or ItemInfo(
        proposal_id=event.proposal_id, body_id=event.body_id
    )
    row.key, row.supervising_leader = event.key, event.supervising_leader if event.key else None
    session.add(row)


# --- the digests --------------------------------------------------------------------------------


def _item_name(item: ItemInfo | None) -> str:
    if item is None:
        return "提案"
    label = f"{item.number_label}号" if item.number_label else ""
    return f"{label}《{item.title}》" if item.title else (label or "提案")


def _lines(rows: list[str]) -> str:
    listed = [f"{i}. {r}" for i, r in enumerate(rows[:LISTED], start=1)]
    if len(rows) > LISTED:
        listed.append(f"……另有 {len(rows) - LISTED} 项，请登录平台查看。")
    return "\n".join(listed)


async def drafts_for(session: AsyncSession, *, body_id: str, today: date) -> list[Draft]:
    """The day's digests for a body's staff and leaders (none when there is nothing to tell)."""
    overdue = list(
        (
            await session.exec(
                select(AssignmentInfo)
                .where(AssignmentInfo.body_id == body_id, col(AssignmentInfo.overdue), ~col(AssignmentInfo.done))
                .order_by(col(AssignmentInfo.due_date), col(AssignmentInfo.assignment_id))
            )
        ).all()
    )
    waiting = list(
        (
            await session.exec(
                select(PendingRequest)
                .where(PendingRequest.body_id == body_id)
                .order_by(col(PendingRequest.requested_at))
            )
        ).all()
    )
    ids = {a.proposal_id for a in overdue} | {r.proposal_id for r in waiting}
    items = {
        i.proposal_id: i for i in (await session.exec(select(ItemInfo).where(col(ItemInfo.proposal_id).in_(ids)))).all()
    }
    requested = {r.assignment_id for r in waiting}
    handled = (await session.exec(select(AssignmentInfo).where(col(AssignmentInfo.assignment_id).in_(requested)))).all()
    units = {a.unit_id: a.unit_name for a in [*overdue, *handled] if a.unit_name}

    def overdue_line(a: AssignmentInfo) -> str:
        due = f"{a.due_date.month}月{a.due_date.day}日" if a.due_date else "期限"
        return f"{_item_name(items.get(a.proposal_id))}，{a.unit_name or '承办单位'}，{due}到期"

    def request_line(r: PendingRequest) -> str:
        asked = "申请调整承办单位"
        if r.kind == "extension":
            asked = (
                f"申请延期至{r.requested_due_date.month}月{r.requested_due_date.day}日"
                if r.requested_due_date
                else "申请延期"
            )
        return f"{_item_name(items.get(r.proposal_id))}，{units.get(r.unit_id, '承办单位')}{asked}"

    drafts = []
    day = f"{today.month}月{today.day}日"
    if overdue or waiting:
        parts = []
        if overdue:
            parts.append(f"逾期未办复 {len(overdue)} 件：\n" + _lines([overdue_line(a) for a in overdue]))
        if waiting:
            parts.append(f"待审核的调整、延期申请 {len(waiting)} 件：\n" + _lines([request_line(r) for r in waiting]))
        title = f"督办日报（{day}）：逾期 {len(overdue)} 件，待审核申请 {len(waiting)} 件"
        drafts.append(Draft(staff(body_id), STAFF_DIGEST, title, "\n\n".join(parts), ""))
    key_overdue = [a for a in overdue if (item := items.get(a.proposal_id)) is not None and item.key]
    if key_overdue:
        rows = []
        for a in key_overdue:
            item = items[a.proposal_id]
            by = f"（督办：{item.supervising_leader}）" if item.supervising_leader else ""
            rows.append(overdue_line(a) + by)
        title = f"重点提案督办日报（{day}）：逾期 {len(key_overdue)} 件"
        drafts.append(Draft(leader(body_id), LEADER_DIGEST, title, "逾期未办复的重点提案：\n" + _lines(rows), ""))
    return drafts


def due(now: datetime, *, at: time, zone: str) -> date | None:
    """The local day whose digest is due at ``now`` (a working day, at or after ``at``), or None."""
    today = reminders.local_date(now, zone)
    local = now.astimezone(ZoneInfo(zone)).time().replace(tzinfo=None)
    if local < at or not reminders.calendar().is_working_day(today):
        return None
    return today


async def write_daily(database: Database, *, today: date) -> int:
    """Writes the day's digests of every body with something to tell; each once per recipient and day."""
    async with database.session(read_only=True) as session:
        bodies = set((await session.exec(select(AssignmentInfo.body_id).distinct())).all())
        bodies |= set((await session.exec(select(PendingRequest.body_id).distinct())).all())
    written = 0
    for body_id in sorted(bodies):
        async with database.session() as session:
            for draft in await drafts_for(session, body_id=body_id, today=today):
                written += len(
                    await notify.store(
                        session,
                        event_id=f"daily:{today.isoformat()}:{draft.recipient}"[:64],
                        event_type=f"digest.{draft.kind}",
                        drafts=[draft],
                    )
                )
            try:
                await session.commit()
            except IntegrityError:  # another replica wrote it first
                await session.rollback()
    return written


class DailyDigests:
    """The loop: after ``daily_digest_at`` on a working day, writes that day's digests (once)."""

    def __init__(self, *, database: Database, settings: NotificationSettings) -> None:
        self.database = database
        self.settings = settings
        self.done_for: date | None = None

    async def run(self) -> None:
        while True:
            try:
                day = due(utcnow(), at=self.settings.daily_digest_at, zone=self.settings.timezone)
                # Until something was written, each tick looks again: a body whose first overdue
                # item comes at noon gets its digest then, not tomorrow.
                if day is not None and day != self.done_for and await write_daily(self.database, today=day):
                    self.done_for = day
            except Exception:  # a database outage: try again on the next tick
                log.exception("daily digest failed")
            await asyncio.sleep(self.settings.reminder_poll_interval_s)
