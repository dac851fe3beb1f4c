"""Routing suggestions: the units most likely to handle a newly registered item, from a model
(routing.py) trained on this service's own past assignments and retrained as they accumulate.

The model's packages (scikit-learn, SciPy, NumPy: about 100 MiB) are imported when a suggestion is
first asked for, not when the service starts, so a replica that never routes never pays for them."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from assignment_service.domain.access import require_reviewer
from assignment_service.domain.items import load_item, unit_names
from assignment_service.models import Assignment, AssignmentStatus, ProposalProjection, Role, RoutingSuggestion
from servicekit.auth import Principal

if TYPE_CHECKING:
    from assignment_service.routing import Example, RoutingModel


@dataclass
class RoutingModels:
    """The model per process, retrained when the number of past assignments changed. The examples
    are read (every sent assignment with its item's text: O(assignments)) at most once per
    ``min_age_s``, not on every request; training takes CPU and runs in a worker thread."""

    min_age_s: float = 60.0
    model: RoutingModel | None = None
    trained_on: int = -1
    checked_at: float = 0.0
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def current(self, session: AsyncSession) -> RoutingModel:
        async with self._lock:
            if self.model is not None and time.monotonic() - self.checked_at < self.min_age_s:
                return self.model
            examples = await _examples(session)
            if self.model is None or len(examples) != self.trained_on:
                from assignment_service.routing import RoutingModel  # heavy: see the docstring

                self.model = await asyncio.to_thread(RoutingModel.train, examples)
                self.trained_on = len(examples)
            self.checked_at = time.monotonic()
            return self.model


async def _examples(session: AsyncSession) -> list[Example]:
    """Every sent assignment to a lead or separate unit is one labelled example."""
    from assignment_service.routing import Example  # heavy: see the docstring

    query = (
        select(ProposalProjection.title, ProposalProjection.content, ProposalProjection.category, Assignment.unit_id)
        .join(Assignment, col(Assignment.proposal_id) == col(ProposalProjection.proposal_id))
        .where(
            col(Assignment.role).in_([Role.lead, Role.separate]),
            col(Assignment.status) != AssignmentStatus.prepared,
        )
        .order_by(col(Assignment.created_at), col(Assignment.id))
    )
    return [
        Example(title=title, content=content or "", category=category, unit_id=unit_id)
        for title, content, category, unit_id in (await session.exec(query)).all()
    ]


async def suggest_units(
    *, session: AsyncSession, models: RoutingModels, principal: Principal, proposal_id: str, k: int = 3
) -> list[RoutingSuggestion]:
    item, _ = await load_item(session, principal, proposal_id)
    require_reviewer(principal, item.body_id)
    model = await models.current(session)
    ranked = model.suggest(item.title, item.content or "", item.category, k=k)
    names = await unit_names(session, {unit_id for unit_id, _ in ranked})
    return [
        RoutingSuggestion(unit_id=unit_id, unit_name=names[unit_id], score=round(score, 3))
        for unit_id, score in ranked
        if unit_id in names
    ]
