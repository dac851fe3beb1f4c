from fastapi import APIRouter

from proposal_service.api import proposals

router = APIRouter()
router.include_router(proposals.router)
