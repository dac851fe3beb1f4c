"""The gateway's own routes for sign-in and accounts (not proxied to any service)."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.responses import JSONResponse

from gateway_service.accounts import service
from gateway_service.accounts.models import (
    JWKS,
    AccountCreate,
    AccountDetail,
    AccountPublic,
    ActivationRequest,
    IssuedActivationCode,
    LoginRequest,
    PasswordChange,
    RefreshRequest,
    TokenResponse,
)
from gateway_service.accounts.service import Identity, IssuedTokens
from gateway_service.caller import caller_in
from gateway_service.routes import API
from servicekit.auth import Principal, Role, SignedInDep, forbidden
from servicekit.db import utcnow
from servicekit.errors import PROBLEM_JSON
from servicekit.pagination import Page
from servicekit.runtime import SessionDep


async def identity_of(request: Request) -> Identity:
    identity: Identity = request.app.state.identity
    return identity


IdentityDep = Annotated[Identity, Depends(identity_of)]


async def signed_in_admin(principal: SignedInDep, session: SessionDep) -> Principal:
    if principal.role != Role.admin:
        raise forbidden("only administrators manage accounts")
    # The gateway holds the accounts, so it need not wait for a deactivated
    # administrator's access token to expire.
    await service.signed_in_account(session=session, principal=principal)
    return principal


AdminDep = Annotated[Principal, Depends(signed_in_admin)]


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the problem+json answers a route may give."""
    return {s: {"description": "problem", "content": {PROBLEM_JSON: {"schema": {"type": "object"}}}} for s in statuses}


def client_address(request: Request) -> str:
    # The real client as the caller middleware worked it out (trusted_proxies, caller.py).
    return caller_in(request.scope).address


def _token_response(issued: IssuedTokens, identity: Identity, response: Response) -> TokenResponse:
    # Tokens must not be kept by any cache on the way (RFC 6749 section 5.1).
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return TokenResponse(
        access_token=issued.access_token,
        expires_in=identity.tokens.access_ttl_s,
        refresh_token=issued.refresh_token,
        refresh_expires_in=max(0, int((issued.refresh_expires_at - utcnow()).total_seconds())),
        account=AccountPublic.model_validate(issued.account),
    )


auth = APIRouter(prefix=f"{API}/auth", tags=["auth"])


@auth.post("/login", operation_id="login", response_model=TokenResponse, responses=problems(401, 429))
async def login(
    body: LoginRequest, request: Request, response: Response, session: SessionDep, identity: IdentityDep
) -> TokenResponse:
    issued = await service.login(
        session=session,
        identity=identity,
        username=body.username,
        password=body.password,
        address=client_address(request),
    )
    return _token_response(issued, identity, response)


@auth.post("/activate", operation_id="activate_with_code", response_model=TokenResponse, responses=problems(422, 429))
async def activate_with_code(
    body: ActivationRequest, request: Request, response: Response, session: SessionDep, identity: IdentityDep
) -> TokenResponse:
    """First sign-in of an imported member (or after a lost password) with the one-time activation
    code staff gave them: sets the password and signs in. A wrong, used or expired code is a 422
    naming ``code``; throttled like sign-in (ADR 11, ADR 21)."""
    issued = await service.activate(
        session=session,
        identity=identity,
        username=body.username,
        code=body.code,
        new_password=body.new_password,
        address=client_address(request),
    )
    return _token_response(issued, identity, response)


@auth.post("/refresh", operation_id="refresh_tokens", response_model=TokenResponse, responses=problems(401))
async def refresh(
    body: RefreshRequest, response: Response, session: SessionDep, identity: IdentityDep
) -> TokenResponse:
    issued = await service.refresh(session=session, identity=identity, refresh_token=body.refresh_token)
    return _token_response(issued, identity, response)


@auth.post("/logout", operation_id="logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(body: RefreshRequest, session: SessionDep, identity: IdentityDep) -> Response:
    # Possession of the refresh token is the authority here: an expired access
    # token must not stop anyone from signing out.
    ended = await service.logout(session=session, refresh_token=body.refresh_token)
    if ended is not None:
        identity.sessions.forget(ended)  # its access tokens are refused from now on
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@auth.post(
    "/password", operation_id="change_password", status_code=status.HTTP_204_NO_CONTENT, responses=problems(401, 422)
)
async def change_password(
    body: PasswordChange, principal: SignedInDep, session: SessionDep, identity: IdentityDep
) -> Response:
    account = await service.change_password(
        session=session,
        identity=identity,
        principal=principal,
        old_password=body.old_password,
        new_password=body.new_password,
    )
    identity.sessions.forget_account(account.id)  # the other sign-ins' access tokens are refused now
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _jwks_response(identity: Identity) -> JSONResponse:
    # Services cache the keys; five minutes bounds how long a new key goes unseen.
    return JSONResponse(identity.tokens.jwks, headers={"Cache-Control": "public, max-age=300"})


@auth.get("/jwks", operation_id="get_jwks", response_model=JWKS)
async def jwks(identity: IdentityDep) -> JSONResponse:
    return _jwks_response(identity)


@auth.get("/me", operation_id="get_me", response_model=AccountPublic, responses=problems(401))
async def me(principal: SignedInDep, session: SessionDep) -> AccountPublic:
    return AccountPublic.model_validate(await service.signed_in_account(session=session, principal=principal))


well_known = APIRouter(include_in_schema=False)


@well_known.get("/.well-known/jwks.json")
async def well_known_jwks(identity: IdentityDep) -> JSONResponse:
    return _jwks_response(identity)


accounts = APIRouter(prefix=f"{API}/accounts", tags=["accounts"], responses=problems(401, 403))


@accounts.post(
    "",
    operation_id="create_account",
    status_code=status.HTTP_201_CREATED,
    response_model=AccountDetail,
    responses=problems(409),
)
async def create_account(
    data: AccountCreate, _admin: AdminDep, session: SessionDep, identity: IdentityDep, response: Response
) -> AccountDetail:
    account = await service.create_account(session=session, passwords=identity.passwords, data=data)
    response.headers["Location"] = f"{API}/accounts/{account.id}"
    return AccountDetail.model_validate(account)


@accounts.get("", operation_id="list_accounts", response_model=Page[AccountDetail])
async def list_accounts(
    _admin: AdminDep,
    session: SessionDep,
    role: Role | None = None,
    active: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> Page[AccountDetail]:
    rows, next_cursor = await service.list_accounts(
        session=session, role=role, active=active, limit=limit, cursor=cursor
    )
    return Page(items=[AccountDetail.model_validate(r) for r in rows], next_cursor=next_cursor)


@accounts.get("/{account_id}", operation_id="get_account", response_model=AccountDetail, responses=problems(404))
async def get_account(account_id: str, _admin: AdminDep, session: SessionDep) -> AccountDetail:
    return AccountDetail.model_validate(await service.get_account(session=session, account_id=account_id))


@accounts.post(
    "/{account_id}/deactivate",
    operation_id="deactivate_account",
    response_model=AccountDetail,
    responses=problems(404, 409),
)
async def deactivate_account(
    account_id: str, admin: AdminDep, session: SessionDep, identity: IdentityDep
) -> AccountDetail:
    account = await service.deactivate_account(session=session, account_id=account_id, by=admin)
    identity.sessions.forget_account(account.id)
    return AccountDetail.model_validate(account)


@accounts.post(
    "/{account_id}/activate", operation_id="activate_account", response_model=AccountDetail, responses=problems(404)
)
async def activate_account(account_id: str, _admin: AdminDep, session: SessionDep) -> AccountDetail:
    return AccountDetail.model_validate(await service.activate_account(session=session, account_id=account_id))


async def signed_in_issuer(principal: SignedInDep, session: SessionDep) -> Principal:
    """Staff or an administrator whose account is still active (checked here, not at token expiry)."""
    if principal.role not in (Role.admin, Role.staff):
        raise forbidden("only administrators and staff issue activation codes")
    await service.signed_in_account(session=session, principal=principal)
    return principal


IssuerDep = Annotated[Principal, Depends(signed_in_issuer)]


@accounts.post(
    "/{account_id}/activation-code",
    operation_id="issue_activation_code",
    status_code=status.HTTP_201_CREATED,
    response_model=IssuedActivationCode,
    responses=problems(404, 409),
)
async def issue_activation_code(
    account_id: str, issuer: IssuerDep, session: SessionDep, identity: IdentityDep, response: Response
) -> IssuedActivationCode:
    """A new one-time activation code for the account (shown this once; the account's earlier unused
    codes stop working). Administrators for any account, a body's staff for its members' accounts."""
    response.headers["Cache-Control"] = "no-store"
    return await service.issue_activation_code(session=session, identity=identity, account_id=account_id, by=issuer)


router = APIRouter()
router.include_router(auth)
router.include_router(accounts)
router.include_router(well_known)
