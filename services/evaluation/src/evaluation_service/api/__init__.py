from fastapi import APIRouter

from evaluation_service.api import evaluations, proposals, statistics

router = APIRouter()
router.include_router(proposals.router)
router.include_router(statistics.router)
router.include_router(evaluations.router)
