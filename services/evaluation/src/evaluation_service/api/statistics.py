from fastapi import APIRouter

from evaluation_service.domain import filing as service
from evaluation_service.models import FilingStatistics
from servicekit.runtime import SessionDep

router = APIRouter(prefix="/statistics", tags=["statistics"])


@router.get("/filing", operation_id="get_filing_statistics", response_model=FilingStatistics)
async def get_filing_statistics(session: SessionDep) -> FilingStatistics:
    return await service.filing_statistics(session=session)
