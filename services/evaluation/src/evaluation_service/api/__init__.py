from fastapi import APIRouter

from evaluation_service.api import ballots, evaluations, exports, proposals, report, statistics, windows

router = APIRouter()
router.include_router(proposals.router)
router.include_router(statistics.router)
router.include_router(evaluations.router)
router.include_router(windows.router)
router.include_router(ballots.router)
router.include_router(report.router)
router.include_router(exports.router)
