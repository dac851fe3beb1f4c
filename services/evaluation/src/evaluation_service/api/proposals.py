from fastapi import APIRouter

from evaluation_service.domain import filing as service
from evaluation_service.models import FiledProposalPublic
from servicekit.auth import SignedInDep
from servicekit.runtime import SessionDep

router = APIRouter(prefix="/proposals", tags=["proposals"])


@router.get("/{proposal_id}", operation_id="get_filed_proposal", response_model=FiledProposalPublic)
async def get_filed_proposal(proposal_id: str, session: SessionDep, principal: SignedInDep) -> FiledProposalPublic:
    """How the service recorded a filed item (for administrators: the row holds no body)."""
    return FiledProposalPublic.model_validate(
        await service.get_filed_proposal(session=session, principal=principal, proposal_id=proposal_id)
    )
