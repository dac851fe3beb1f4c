"""Handling rules per body and kind: deadlines, windows, outcome classes, contact requirement."""

from sqlmodel.ext.asyncio.session import AsyncSession

from assignment_service.domain.access import require_reviewer
from assignment_service.events.schemas import HandlingRulesSet, OutcomeClassWording
from assignment_service.models import HandlingRules, HandlingRulesPublic, HandlingRulesUpdate, default_outcome_labels
from servicekit.auth import Principal
from servicekit.db import utcnow
from servicekit.errors import invalid
from servicekit.outbox import Outbox
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


def check_outcome_labels(data: HandlingRulesUpdate) -> None:
    """Each label names one of the classes, once, and its sentence is a template the report can
    fill: {count} and {percent} in it, no other placeholder than {code} and {label}."""
    if "outcome_labels" not in data.model_fields_set:  # the standard labels of the classes kept
        data.outcome_labels = [label for label in default_outcome_labels() if label.code in data.outcome_classes]
    seen: set[str] = set()
    for n, label in enumerate(data.outcome_labels):
        field = f"outcome_labels.{n}"
        if label.code not in data.outcome_classes:
            raise invalid("unknown_outcome", f"{field}.code", f"{label.code} is not one of the outcome classes")
        if label.code in seen:
            raise invalid("duplicate_outcome", f"{field}.code", f"{label.code} is labelled twice")
        seen.add(label.code)
        try:
            label.sentence.format(count=1, percent="1%", code=label.code, label=label.label)
        except (KeyError, IndexError, ValueError) as exc:
            raise invalid(
                "bad_sentence",
                f"{field}.sentence",
                f"the sentence may use only {{count}} {{percent}} {{code}} {{label}}: {exc}",
            ) from None
        if "{count}" not in label.sentence or "{percent}" not in label.sentence:
            raise invalid("bad_sentence", f"{field}.sentence", "the sentence must contain {count} and {percent}")


async def set_rules(
    *,
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    body_id: str,
    kind: str,
    data: HandlingRulesUpdate,
    if_match: str | None = None,
) -> HandlingRules:
    """Replaces the kind's own rules and publishes assignment.rules_set (the evaluation service
    words its report with the outcome labels). ``if_match`` is checked against the rules GET answers for the
    kind (its own, or those it falls back to): a stale one is a 412, none skips the check."""
    require_reviewer(principal, body_id)
    check_outcome_labels(data)
    current = await rules_for(session, body_id=body_id, kind=kind, for_update=True)
    check_if_match(if_match, rules_etag(current))
    row = current if current.kind == kind else HandlingRules(body_id=body_id, kind=kind)
    for field, value in data.model_dump().items():
        setattr(row, field, value)
    session.add(row)
    outbox.add(
        session,
        HandlingRulesSet(
            body_id=body_id,
            kind=kind,
            outcome_classes=list(data.outcome_classes),
            outcome_labels=[OutcomeClassWording(**label.model_dump()) for label in data.outcome_labels],
            set_at=utcnow(),
        ),
        subject=body_id,
    )
    await session.commit()
    return row
