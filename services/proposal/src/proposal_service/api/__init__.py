from fastapi import APIRouter

from proposal_service.api import bodies, open_data, proposals

router = APIRouter()
router.include_router(bodies.router)
router.include_router(proposals.router)
router.include_router(open_data.router)
