from fastapi import APIRouter

from proposal_service.api import bodies, proposals

router = APIRouter()
router.include_router(bodies.router)
router.include_router(proposals.router)
