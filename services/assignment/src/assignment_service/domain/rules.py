"""Handling rules per body and kind: deadlines, windows, outcome classes, contact requirement."""

from sqlmodel.ext.asyncio.session import AsyncSession

from assignment_service.domain.access import require_reviewer
from assignment_service.models import HandlingRules, HandlingRulesUpdate
from servicekit.auth import Principal


async def rules_for(session: AsyncSession, *, body_id: str, kind: str) -> HandlingRules:
    """The kind's own rules, else the body's default, else the platform's defaults (DESIGN glossary)."""
    for key in (kind, "*"):
        row = await session.get(HandlingRules, (body_id, key))
        if row is not None:
            return row
    return HandlingRules(body_id=body_id, kind="*")


async def set_rules(
    *, session: AsyncSession, principal: Principal, body_id: str, kind: str, data: HandlingRulesUpdate
) -> HandlingRules:
    require_reviewer(principal, body_id)
    row = await session.get(HandlingRules, (body_id, kind)) or HandlingRules(body_id=body_id, kind=kind)
    for field, value in data.model_dump().items():
        setattr(row, field, value)
    session.add(row)
    await session.commit()
    return row
