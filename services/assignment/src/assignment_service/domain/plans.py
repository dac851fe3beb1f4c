"""Handling plans (办理方案) for plenary recommendations and motions: phases, tasks with a lead
unit and responsible units, milestones and stage reports, and the plan's progress."""

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from assignment_service.domain.access import require_reviewer
from assignment_service.domain.deadlines import local_date
from assignment_service.domain.items import load_item
from assignment_service.domain.plan_progress import current_phase, is_overdue, tally
from assignment_service.events.schemas import PlanDeliberated
from assignment_service.models import (
    HandlingPlan,
    Milestone,
    MilestonePublic,
    PlanCreate,
    PlanDeliberationCreate,
    PlanPublic,
    PlanTask,
    PlanTaskPublic,
    StageReport,
    StageReportCreate,
    StageReportPublic,
    Unit,
    UnitPublic,
)
from servicekit.auth import Principal, Role, forbidden
from servicekit.db import utcnow
from servicekit.errors import NotFound, conflict, invalid
from servicekit.outbox import Outbox

PLANNED_KINDS = ("plenary", "motion")


async def create_plan(
    *, session: AsyncSession, principal: Principal, proposal_id: str, data: PlanCreate
) -> HandlingPlan:
    item, _ = await load_item(session, principal, proposal_id, for_update=True)
    require_reviewer(principal, item.body_id)
    if item.kind not in PLANNED_KINDS:
        raise conflict("no_plan_for_kind", "handling plans are for plenary recommendations (建议案) and motions (议案)")
    if (await session.exec(select(HandlingPlan.id).where(HandlingPlan.proposal_id == proposal_id))).first():
        raise conflict("plan_exists", "the item already has a handling plan")
    codes = {u.code: u for u in (await session.exec(select(Unit))).all()}
    for i, phase in enumerate(data.phases):
        if phase.ends_on < phase.starts_on:
            raise invalid("invalid_phase", f"phases.{i}.ends_on", "a phase ends after it starts")
    for i, task in enumerate(data.tasks):
        for j, code in enumerate([task.lead_unit, *task.responsible_units]):
            if code not in codes:
                field = f"tasks.{i}.lead_unit" if j == 0 else f"tasks.{i}.responsible_units.{j - 1}"
                raise invalid("unknown_unit", field, f"no unit has code {code}")
    plan = HandlingPlan(
        proposal_id=proposal_id,
        title=data.title,
        document_number=data.document_number,
        issued_on=data.issued_on,
        goal=data.goal,
        phases=[p.model_dump(mode="json") for p in data.phases],
    )
    session.add(plan)
    await session.flush()
    for position, task in enumerate(data.tasks):
        row = PlanTask(
            plan_id=plan.id,
            position=position,
            number=task.number,
            group_name=task.group,
            title=task.title,
            description=task.description,
            lead_unit_id=codes[task.lead_unit].id,
            responsible_unit_ids=[codes[c].id for c in task.responsible_units],
        )
        session.add(row)
        await session.flush()
        session.add_all(
            Milestone(task_id=row.id, title=m.title, due_on=m.due_on, derived=m.derived) for m in task.milestones
        )
    await session.commit()
    return plan


async def _tasks(session: AsyncSession, plan_id: str) -> list[PlanTask]:
    query = select(PlanTask).where(PlanTask.plan_id == plan_id).order_by(col(PlanTask.position))
    return list((await session.exec(query)).all())


async def get_plan(*, session: AsyncSession, principal: Principal, proposal_id: str) -> PlanPublic:
    """The plan with its progress: for the body's staff and leaders, the proposers, and every unit in it."""
    plan = (await session.exec(select(HandlingPlan).where(HandlingPlan.proposal_id == proposal_id))).first()
    tasks = await _tasks(session, plan.id) if plan else []
    involved = {t.lead_unit_id for t in tasks} | {u for t in tasks for u in t.responsible_unit_ids}
    if principal.role == Role.unit_staff and principal.unit_id in involved:
        pass
    else:
        await load_item(session, principal, proposal_id)
    if plan is None:
        raise NotFound("handling plan of proposal", proposal_id)
    task_ids = [t.id for t in tasks]
    milestones = (await session.exec(select(Milestone).where(col(Milestone.task_id).in_(task_ids)))).all()
    reports = (await session.exec(select(StageReport).where(col(StageReport.task_id).in_(task_ids)))).all()
    units = {u.id: u for u in (await session.exec(select(Unit).where(col(Unit.id).in_(involved)))).all()}
    today = local_date(utcnow())
    views = []
    for t in tasks:
        own = sorted((m for m in milestones if m.task_id == t.id), key=lambda m: (m.due_on, m.id))
        views.append(
            PlanTaskPublic(
                id=t.id,
                number=t.number,
                group_name=t.group_name,
                title=t.title,
                description=t.description,
                lead_unit=UnitPublic.model_validate(units[t.lead_unit_id]),
                responsible_units=[UnitPublic.model_validate(units[u]) for u in t.responsible_unit_ids],
                milestones=[MilestonePublic.model_validate(m, update={"overdue": is_overdue(m, today)}) for m in own],
                reports=[
                    StageReportPublic.model_validate(r)
                    for r in sorted((r for r in reports if r.task_id == t.id), key=lambda r: r.reported_at)
                ],
                progress=tally(own, today).share,
            )
        )
    overall = tally(milestones, today)
    return PlanPublic(
        id=plan.id,
        proposal_id=proposal_id,
        title=plan.title,
        document_number=plan.document_number,
        issued_on=plan.issued_on,
        goal=plan.goal,
        phases=plan.phases,
        current_phase=current_phase(plan.phases, today),
        tasks=views,
        progress=overall.share,
        milestones_total=overall.total,
        milestones_done=overall.done,
        milestones_overdue=overall.overdue,
        deliberation_meeting=plan.deliberation_meeting,
        deliberated_on=plan.deliberated_on,
        deliberation_opinions=list(plan.deliberation_opinions or []),
    )


async def report_stage(
    *, session: AsyncSession, principal: Principal, task_id: str, data: StageReportCreate
) -> StageReport:
    """A stage report (阶段报告) by the task's lead or a responsible unit; it may mark milestones reached."""
    task = await session.get(PlanTask, task_id)
    if task is None:
        raise NotFound("plan task", task_id)
    if not (principal.role == Role.unit_staff and principal.unit_id in {task.lead_unit_id, *task.responsible_unit_ids}):
        raise forbidden("stage reports are written by the task's lead or responsible units")
    report = StageReport(task_id=task.id, unit_id=principal.unit_id or "", text=data.text, created_by=principal.actor)
    session.add(report)
    if data.milestones_done:
        query = select(Milestone).where(col(Milestone.id).in_(data.milestones_done), Milestone.task_id == task.id)
        found = list((await session.exec(query)).all())
        if len(found) != len(set(data.milestones_done)):
            raise invalid("unknown_milestone", "milestones_done", "a milestone is not one of this task's")
        for m in found:
            m.done_on = m.done_on or local_date(utcnow())
            session.add(m)
    await session.commit()
    return report


async def record_deliberation(
    *,
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    proposal_id: str,
    data: PlanDeliberationCreate,
) -> None:
    """The standing committee's deliberation of a motion's plan, recorded once by the body's staff
    (409 already_deliberated; 404 without a plan; 409 not_a_motion for a 建议案's plan) and published
    as assignment.plan_deliberated (the item's timeline, the congress's report)."""
    item, _ = await load_item(session, principal, proposal_id, for_update=True)
    require_reviewer(principal, item.body_id)
    plan = (await session.exec(select(HandlingPlan).where(HandlingPlan.proposal_id == proposal_id))).first()
    if plan is None:
        raise NotFound("handling plan of proposal", proposal_id)
    if item.kind != "motion":
        raise conflict("not_a_motion", "the standing committee deliberates the plans of motions (议案)")
    if plan.deliberated_on is not None:
        raise conflict(
            "already_deliberated", f"the plan was deliberated by {plan.deliberation_meeting} on {plan.deliberated_on}"
        )
    if plan.issued_on is not None and data.deliberated_on < plan.issued_on:
        raise invalid("before_plan", "deliberated_on", f"the plan was issued on {plan.issued_on}")
    plan.deliberation_meeting, plan.deliberated_on = data.meeting, data.deliberated_on
    plan.deliberation_opinions = list(data.opinions)
    session.add(plan)
    outbox.add(
        session,
        PlanDeliberated(
            proposal_id=proposal_id,
            body_id=item.body_id,
            plan_id=plan.id,
            plan_title=plan.title,
            document_number=plan.document_number,
            issued_on=plan.issued_on,
            meeting=data.meeting,
            deliberated_on=data.deliberated_on,
            opinions=len(data.opinions),
            recorded_at=utcnow(),
        ),
        subject=proposal_id,
    )
    await session.commit()
