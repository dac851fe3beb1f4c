"""The in-app inbox of the caller (a member or a handling unit) and its live stream."""

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse

from notification_service.domain import inbox
from notification_service.domain.notify import LiveHub
from notification_service.models import MarkedRead, NotificationPublic, UnreadCount, public_notification
from notification_service.settings import NotificationSettings
from servicekit.auth import SignedInDep
from servicekit.pagination import Page
from servicekit.runtime import SessionDep, service_runtime

router = APIRouter(tags=["notifications"])

# A notification that commits after a later one (two replicas writing at once) has a lower
# sequence number than one already streamed: the stream looks this far back and skips what it sent.
_LOOKBACK = 100


@router.get("/notifications", operation_id="list_notifications", response_model=Page[NotificationPublic])
async def list_notifications(
    session: SessionDep,
    principal: SignedInDep,
    unread: Annotated[bool, Query(description="only unread notifications")] = False,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Page[NotificationPublic]:
    """我的通知: newest first."""
    rows, next_cursor = await inbox.list_notifications(
        session=session, recipient=inbox.recipient_of(principal), unread_only=unread, cursor=cursor, limit=limit
    )
    return Page(items=[public_notification(n) for n in rows], next_cursor=next_cursor)


@router.get("/notifications/unread-count", operation_id="count_unread_notifications", response_model=UnreadCount)
async def count_unread(session: SessionDep, principal: SignedInDep) -> UnreadCount:
    return UnreadCount(unread=await inbox.unread_count(session=session, recipient=inbox.recipient_of(principal)))


@router.post(
    "/notifications/{notification_id}/read", operation_id="mark_notification_read", response_model=NotificationPublic
)
async def mark_read(notification_id: str, session: SessionDep, principal: SignedInDep) -> NotificationPublic:
    row = await inbox.mark_read(
        session=session, recipient=inbox.recipient_of(principal), notification_id=notification_id
    )
    return public_notification(row)


@router.post("/notifications/read-all", operation_id="mark_all_notifications_read", response_model=MarkedRead)
async def mark_all_read(session: SessionDep, principal: SignedInDep) -> MarkedRead:
    return MarkedRead(marked=await inbox.mark_all_read(session=session, recipient=inbox.recipient_of(principal)))


def _sse(event: str, data: str, ident: str | None = None) -> bytes:
    head = f"id: {ident}\n" if ident else ""
    return f"{head}event: {event}\ndata: {data}\n\n".encode()


@router.get(
    "/notifications/stream",
    operation_id="stream_notifications",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "Server-Sent Events: notification"}},
)
async def stream(
    request: Request,
    principal: SignedInDep,
    last_event_id: Annotated[str | None, Header(max_length=20)] = None,
) -> StreamingResponse:
    """实时通知 (Server-Sent Events): each new notification as an ``event: notification`` whose data
    is the notification's JSON and whose id lets a reconnecting client resume (Last-Event-ID)."""
    recipient = inbox.recipient_of(principal)
    runtime = service_runtime(request.app)
    settings: NotificationSettings = runtime.settings  # type: ignore[assignment]
    hub: LiveHub = request.app.state.live_hub
    resume = int(last_event_id) if last_event_id and last_event_id.isdigit() else None
    if resume is None:
        async with runtime.database.session(read_only=True) as session:
            resume = await inbox.last_seq(session=session, recipient=recipient)

    async def events() -> AsyncIterator[bytes]:
        last = resume
        sent: set[int] = set()
        wake = hub.listen(recipient)
        try:
            yield b"retry: 3000\n\n"
            quiet_since = time.monotonic()
            while True:
                wake.clear()
                async with runtime.database.session(read_only=True) as session:
                    rows = await inbox.since(session=session, recipient=recipient, after_seq=max(0, last - _LOOKBACK))
                for n in rows:
                    assert n.seq is not None
                    if n.seq in sent or n.seq <= resume:
                        continue
                    sent.add(n.seq)
                    last = max(last, n.seq)
                    data = public_notification(n).model_dump_json()
                    yield _sse("notification", data, str(n.seq))
                    quiet_since = time.monotonic()
                sent = {s for s in sent if s > last - _LOOKBACK}
                if time.monotonic() - quiet_since >= settings.stream_heartbeat_s:
                    yield _sse("heartbeat", json.dumps({}))
                    quiet_since = time.monotonic()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), settings.stream_poll_interval_s)
        finally:
            hub.forget(recipient, wake)

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
