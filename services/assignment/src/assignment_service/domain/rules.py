"""Handling rules per body and kind: deadlines, windows, outcome classes, contact requirement."""

from sqlmodel.ext.asyncio.session import AsyncSession

from assignment_service.domain.access import require_reviewer
from assignment_service.models import HandlingRules, HandlingRulesPublic, HandlingRulesUpdate
from servicekit.auth import Principal
from servicekit.preconditions import check_if_match, weak_etag


async def rules_for(session: AsyncSession, *, body_id: str, kind: str, for_update: bool = False) -> HandlingRules:
    """The kind's own rules, else the body's default, else the platform's defaults (DESIGN glossary)."""
    for key in (kind, "*"):
        row = await session.get(HandlingRules, (body_id, key), with_for_update=for_update)
        if row is not None:
            return row
    return HandlingRules(body_id=body_id, kind="*")


def rules_etag(rules: HandlingRules) -> str:
    return weak_etag(HandlingRulesPublic.model_validate(rules))


async def set_rules(
    *,
    session: AsyncSession,
    principal: Principal,
    body_id: str,
    kind: str,
    data: HandlingRulesUpdate,
    if_match: str | None = None,
) -> HandlingRules:
    """Replaces the kind's own rules. ``if_match`` is checked against the rules GET answers for the
    kind (its own, or those it falls back to): a stale one is a 412, none skips the check."""
    require_reviewer(principal, body_id)
    current = await rules_for(session, body_id=body_id, kind=kind, for_update=True)
    check_if_match(if_match, rules_etag(current))
    row = current if current.kind == kind else HandlingRules(body_id=body_id, kind=kind)
    for field, value in data.model_dump().items():
        setattr(row, field, value)
    session.add(row)
    await session.commit()
    return row
