from fastapi import APIRouter

from assignment_service.api import assignments, plan_deliberation, proposals, supervision, units

router = APIRouter()
router.include_router(units.router)
router.include_router(proposals.router)
router.include_router(plan_deliberation.router)
router.include_router(assignments.router)
router.include_router(supervision.router)
