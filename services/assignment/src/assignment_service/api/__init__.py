from fastapi import APIRouter

from assignment_service.api import assignments, plan_deliberation, proposals, supervision, units, waiting

router = APIRouter()
router.include_router(units.router)
router.include_router(proposals.router)
router.include_router(plan_deliberation.router)
router.include_router(assignments.router)
router.include_router(supervision.router)
router.include_router(waiting.router)
