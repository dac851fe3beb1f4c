from fastapi import APIRouter

from assignment_service.api import proposals

router = APIRouter()
router.include_router(proposals.router)
