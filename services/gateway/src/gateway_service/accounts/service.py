"""Use cases of accounts and sign-in: keyword-only functions, one commit each.

A failed login or a reused refresh token is committed (the failure is counted,
the token family revoked) before the 401 is raised, so that the refusal
itself leaves its trace.
"""

import hashlib
import logging
import math
import re
import secrets
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from gateway_service.accounts.models import (
    Account,
    AccountCreate,
    AccountSession,
    ActivationCode,
    IssuedActivationCode,
    LoginFailure,
    MemberAccounts,
    RefreshToken,
    SkippedMember,
    normalize_username,
    plain_text,
    username_key,
)
from gateway_service.accounts.passwords import Passwords
from gateway_service.accounts.sessions import OpenSessions
from gateway_service.accounts.tokens import TokenIssuer
from gateway_service.settings import GatewaySettings
from servicekit.auth import Principal, Role, forbidden, unauthorized
from servicekit.db import Database, utcnow
from servicekit.errors import NotFound, Problem
from servicekit.pagination import decode_cursor, invalid_cursor, paginate

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoginPolicy:
    """How failed logins are throttled (ADR 11)."""

    # Per account and client address: growing delays after delay_after_failures failures.
    delay_after_failures: int
    delay_base_s: float
    delay_max_s: int
    delay_memory: timedelta
    # Per account over all addresses (not for its known addresses), and per address.
    failure_window: timedelta
    max_failures_per_account: int
    known_address_for: timedelta
    max_failures_per_address: int
    refresh_ttl: timedelta
    activation_ttl: timedelta = timedelta(days=14)

    def delay_s(self, failures: int) -> float:
        """The wait after the last of ``failures`` failures from one address for one account."""
        if failures < self.delay_after_failures:
            return 0
        doublings = min(failures - self.delay_after_failures, 40)
        return float(min(self.delay_max_s, self.delay_base_s * 2**doublings))


@dataclass(frozen=True)
class Identity:
    """What the sign-in use cases need besides a database session; one per process."""

    passwords: Passwords
    tokens: TokenIssuer
    policy: LoginPolicy
    sessions: OpenSessions

    @classmethod
    def from_settings(cls, settings: GatewaySettings, database: Database) -> "Identity":
        """``database``: the process's, where open sign-ins are looked up."""
        return cls(
            passwords=Passwords(
                time_cost=settings.password_hash_time_cost,
                memory_cost=settings.password_hash_memory_cost,
                parallelism=settings.password_hash_parallelism,
                concurrency=settings.password_hash_concurrency,
            ),
            tokens=settings.token_issuer(),
            policy=LoginPolicy(
                delay_after_failures=settings.login_delay_after_failures,
                delay_base_s=settings.login_delay_base_s,
                delay_max_s=settings.login_delay_max_s,
                delay_memory=timedelta(seconds=settings.login_delay_memory_s),
                failure_window=timedelta(seconds=settings.login_failure_window_s),
                max_failures_per_account=settings.login_max_failures_per_account,
                known_address_for=timedelta(days=settings.login_known_address_days),
                max_failures_per_address=settings.login_max_failures_per_address,
                refresh_ttl=timedelta(seconds=settings.refresh_token_ttl_s),
                activation_ttl=timedelta(seconds=settings.activation_code_ttl_s),
            ),
            sessions=OpenSessions(database, cache_s=settings.session_check_cache_s),
        )


@dataclass(frozen=True)
class IssuedTokens:
    account: Account
    access_token: str
    refresh_token: str
    refresh_expires_at: datetime


def invalid_credentials() -> Problem:
    # One answer for an unknown name, a wrong password and an inactive account,
    # so that a caller cannot learn which accounts exist.
    problem = unauthorized("the username or password is wrong")
    return Problem(401, "invalid_credentials", "Invalid Credentials", problem.detail, headers=problem.headers)


def invalid_refresh_token() -> Problem:
    return Problem(
        401,
        "invalid_refresh_token",
        "Invalid Refresh Token",
        "the refresh token is unknown, expired or revoked; sign in again",
        headers=unauthorized("").headers,
    )


def too_many_attempts(retry_after_s: int) -> Problem:
    return Problem(
        429,
        "too_many_attempts",
        "Too Many Attempts",
        "too many failed logins; try again later",
        headers={"Retry-After": str(retry_after_s)},
    )


def username_taken(username: str) -> Problem:
    return Problem(409, "username_taken", "Username Taken", f"the username {username} is already in use")


_REFRESH_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")


def _issued_by_us(refresh_token: str) -> bool:
    """Whether the text could be one of our tokens (secrets.token_urlsafe's alphabet);
    anything else is refused before it reaches the database."""
    return _REFRESH_TOKEN.fullmatch(refresh_token) is not None


def _digest(refresh_token: str) -> str:
    # Refresh tokens carry 256 random bits, so a plain SHA-256 (no salt, no
    # stretching) cannot be reversed, and it can be looked up by equality.
    return hashlib.sha256(refresh_token.encode()).hexdigest()


async def login(
    *, session: AsyncSession, identity: Identity, username: str, password: str, address: str
) -> IssuedTokens:
    now = utcnow()
    policy = identity.policy
    key = username_key(username)[:128]
    address = address[:64]
    account = (await session.exec(select(Account).where(Account.username == key))).first()
    await _refuse_when_throttled(
        session=session, policy=policy, account_key=key, account=account, address=address, now=now
    )
    if account is None:
        await identity.passwords.verify_decoy(password)
        accepted = False
    else:
        # An inactive account's password is still checked, to take the same time.
        accepted = await identity.passwords.verify(account.password_hash, password) and account.active
    if account is None or not accepted:
        session.add(LoginFailure(account_key=key, address=address, failed_at=now))
        keep = max(policy.failure_window, policy.delay_memory)
        await session.exec(delete(LoginFailure).where(col(LoginFailure.failed_at) <= now - keep))
        await session.commit()
        raise invalid_credentials()

    if identity.passwords.needs_rehash(account.password_hash):
        account.password_hash = await identity.passwords.hash(password)
        session.add(account)
    issued = await _sign_in(session=session, identity=identity, account=account, key=key, address=address, now=now)
    await session.commit()
    return issued


async def _sign_in(
    *, session: AsyncSession, identity: Identity, account: Account, key: str, address: str, now: datetime
) -> IssuedTokens:
    """A new sign-in of ``account`` from ``address`` (not committed): failures cleared, old rows pruned."""
    policy = identity.policy
    # Success clears the failures of this account from this address only: the failures of
    # others (an attacker elsewhere) still count against them. Not the address's failures
    # for other accounts either, or an attacker could reset them by signing in to their own.
    await session.exec(
        delete(LoginFailure).where(col(LoginFailure.account_key) == key, col(LoginFailure.address) == address)
    )
    # Expired tokens can no longer be presented, so reuse detection no longer needs them.
    await session.exec(
        delete(RefreshToken).where(col(RefreshToken.account_id) == account.id, col(RefreshToken.expires_at) < now)
    )
    # Sign-ins without a live refresh token, older than the known-address memory, are done with.
    live = select(RefreshToken.id).where(
        col(RefreshToken.family_id) == col(AccountSession.id), col(RefreshToken.expires_at) >= now
    )
    await session.exec(
        delete(AccountSession).where(
            col(AccountSession.account_id) == account.id,
            col(AccountSession.created_at) < now - policy.known_address_for,
            ~live.exists(),
        )
    )
    family_id = str(uuid.uuid4())
    session.add(AccountSession(id=family_id, account_id=account.id, address=address, created_at=now))
    return _issue_tokens(session=session, identity=identity, account=account, family_id=family_id, now=now)


async def _refuse_when_throttled(
    *,
    session: AsyncSession,
    policy: LoginPolicy,
    account_key: str,
    account: Account | None,
    address: str,
    now: datetime,
) -> None:
    """A 429 with Retry-After while this attempt must wait (ADR 11); a warning log each time."""
    failed_at = col(LoginFailure.failed_at)
    # 1. This account from this address: growing delays.
    pair = (
        await session.exec(
            select(failed_at)
            .where(col(LoginFailure.account_key) == account_key, col(LoginFailure.address) == address)
            .where(failed_at > now - policy.delay_memory)
            .order_by(failed_at.desc())
            .limit(policy.delay_after_failures + 41)
        )
    ).all()
    if pair:
        wait = (pair[0] + timedelta(seconds=policy.delay_s(len(pair))) - now).total_seconds()
        if wait > 0:
            _throttled(reason="account_address", wait_s=wait, failures=len(pair), address=address, account=account)
    # 2. This address, whatever the account (password spraying).
    wait_s = await _throttled_for(
        session, col(LoginFailure.address) == address, policy.max_failures_per_address, policy, now
    )
    if wait_s is not None:
        _throttled(
            reason="address", wait_s=wait_s, failures=policy.max_failures_per_address, address=address, account=account
        )
    # 3. This account from everywhere: a ceiling against guessing from many addresses, which
    # does not apply where the account signed in recently, so that it cannot lock the user out.
    wait_s = await _throttled_for(
        session, col(LoginFailure.account_key) == account_key, policy.max_failures_per_account, policy, now
    )
    if wait_s is not None and not await _known_address(session, policy, account, address, now):
        _throttled(
            reason="account", wait_s=wait_s, failures=policy.max_failures_per_account, address=address, account=account
        )


async def _known_address(
    session: AsyncSession, policy: LoginPolicy, account: Account | None, address: str, now: datetime
) -> bool:
    if account is None:
        return False
    signed_in = await session.exec(
        select(AccountSession.id)
        .where(col(AccountSession.account_id) == account.id, col(AccountSession.address) == address)
        .where(col(AccountSession.created_at) > now - policy.known_address_for)
        .limit(1)
    )
    return signed_in.first() is not None


def _throttled(*, reason: str, wait_s: float, failures: int, address: str, account: Account | None) -> None:
    retry_after = max(1, math.ceil(wait_s))
    # Not the name as typed: a password typed into the name field would end up in the log.
    # The fields make the event countable for alerts (event=login_throttled, by reason).
    log.warning(
        "login throttled (%s) for %s s after %s failures, from %s",
        reason,
        retry_after,
        failures,
        address,
        extra={
            "fields": {
                "event": "login_throttled",
                "reason": reason,
                "client_address": address,
                "account_id": account.id if account else None,
                "failures": failures,
                "retry_after_s": retry_after,
            }
        },
    )
    raise too_many_attempts(retry_after)


async def _throttled_for(
    session: AsyncSession, which: ColumnElement[bool], limit: int, policy: LoginPolicy, now: datetime
) -> float | None:
    """Seconds until fewer than ``limit`` failures remain in the window, or None if already fewer."""
    failed_at = col(LoginFailure.failed_at)
    recent = (
        await session.exec(
            select(failed_at)
            .where(which, failed_at > now - policy.failure_window)
            .order_by(failed_at.desc())
            .limit(limit)
        )
    ).all()
    if len(recent) < limit:
        return None
    # Attempts are allowed again once the limit-th most recent failure leaves the window.
    return (recent[-1] + policy.failure_window - now).total_seconds()


def _issue_tokens(
    *, session: AsyncSession, identity: Identity, account: Account, family_id: str, now: datetime
) -> IssuedTokens:
    refresh_token = secrets.token_urlsafe(32)
    expires_at = now + identity.policy.refresh_ttl
    session.add(
        RefreshToken(
            token_hash=_digest(refresh_token),
            family_id=family_id,
            account_id=account.id,
            issued_at=now,
            expires_at=expires_at,
        )
    )
    access_token = identity.tokens.access_token(
        subject=account.id, role=account.role, sid=family_id, **account.token_claims()
    )
    return IssuedTokens(
        account=account, access_token=access_token, refresh_token=refresh_token, refresh_expires_at=expires_at
    )


async def refresh(*, session: AsyncSession, identity: Identity, refresh_token: str) -> IssuedTokens:
    """Spends ``refresh_token`` for a new access token and the next refresh token of its family."""
    now = utcnow()
    if not _issued_by_us(refresh_token):
        raise invalid_refresh_token()
    token = (await session.exec(select(RefreshToken).where(RefreshToken.token_hash == _digest(refresh_token)))).first()
    if token is None or token.revoked_at is not None:
        raise invalid_refresh_token()
    if token.spent_at is not None:
        # Only one party can hold the newest token of a family: a spent one coming back
        # means it was copied. Not knowing which party is the thief, end the family;
        # the owner signs in again.
        log.warning("refresh token reused: revoking family %s of account %s", token.family_id, token.account_id)
        await _revoke_family(session=session, family_id=token.family_id, now=now)
        await session.commit()
        raise invalid_refresh_token()
    if token.expires_at <= now:
        raise invalid_refresh_token()
    account = await session.get(Account, token.account_id)
    if account is None or not account.active:
        await _revoke_family(session=session, family_id=token.family_id, now=now)
        await session.commit()
        raise invalid_refresh_token()
    # Conditional, so that of two concurrent refreshes with one token only one wins
    # (on PostgreSQL the loser's update waits for the winner, then matches no row).
    spent = await session.exec(
        update(RefreshToken)
        .where(
            col(RefreshToken.id) == token.id,
            col(RefreshToken.spent_at).is_(None),
            col(RefreshToken.revoked_at).is_(None),
        )
        .values(spent_at=now)
    )
    if spent.rowcount != 1:
        log.warning("refresh token spent concurrently: revoking family %s", token.family_id)
        await _revoke_family(session=session, family_id=token.family_id, now=now)
        await session.commit()
        raise invalid_refresh_token()
    if await session.get(AccountSession, token.family_id) is None:
        # A sign-in from before sign-ins were recorded: recorded now, so its tokens name it.
        session.add(AccountSession(id=token.family_id, account_id=account.id, address="", created_at=token.issued_at))
    issued = _issue_tokens(session=session, identity=identity, account=account, family_id=token.family_id, now=now)
    await session.commit()
    return issued


async def logout(*, session: AsyncSession, refresh_token: str) -> str | None:
    """Revokes the refresh token's family (this sign-in on this device), and with it the
    access tokens of that sign-in; returns its id. An unknown token is not an error: the
    caller is signed out either way."""
    if not _issued_by_us(refresh_token):
        return None
    token = (await session.exec(select(RefreshToken).where(RefreshToken.token_hash == _digest(refresh_token)))).first()
    if token is None:
        return None
    await _revoke_family(session=session, family_id=token.family_id, now=utcnow())
    await session.commit()
    return token.family_id


async def _revoke_family(*, session: AsyncSession, family_id: str, now: datetime) -> None:
    await session.exec(
        update(RefreshToken)
        .where(col(RefreshToken.family_id) == family_id, col(RefreshToken.revoked_at).is_(None))
        .values(revoked_at=now)
    )
    await session.exec(
        update(AccountSession)
        .where(col(AccountSession.id) == family_id, col(AccountSession.revoked_at).is_(None))
        .values(revoked_at=now)
    )


async def change_password(
    *, session: AsyncSession, identity: Identity, principal: Principal, old_password: str, new_password: str
) -> Account:
    """Sets the signed-in account's password and ends its other sign-ins (a password thought
    stolen stops working everywhere else at once); this sign-in stays. A wrong current password is
    a 422 naming the field, not a 401: the sign-in itself is fine."""
    account = await signed_in_account(session=session, principal=principal)
    if not await identity.passwords.verify(account.password_hash, old_password):
        raise Problem(
            422,
            "wrong_password",
            "Wrong Password",
            "the current password is not right",
            errors=[{"in": "body", "field": "old_password", "message": "the current password is not right"}],
        )
    if old_password == new_password:
        raise Problem(
            422,
            "validation_failed",
            "Validation Failed",
            "invalid fields: new_password",
            errors=[{"in": "body", "field": "new_password", "message": "must differ from the current password"}],
        )
    now = utcnow()
    account.password_hash = await identity.passwords.hash(new_password)
    session.add(account)
    keep = principal.session_id or ""
    await session.exec(
        update(RefreshToken)
        .where(
            col(RefreshToken.account_id) == account.id,
            col(RefreshToken.family_id) != keep,
            col(RefreshToken.revoked_at).is_(None),
        )
        .values(revoked_at=now)
    )
    await session.exec(
        update(AccountSession)
        .where(
            col(AccountSession.account_id) == account.id,
            col(AccountSession.id) != keep,
            col(AccountSession.revoked_at).is_(None),
        )
        .values(revoked_at=now)
    )
    await session.commit()
    return account


async def signed_in_account(*, session: AsyncSession, principal: Principal) -> Account:
    """The account behind a verified access token; a 401 once it is deactivated,
    without waiting for the token to expire."""
    account = await session.get(Account, principal.subject) if not principal.anonymous else None
    if account is None or not account.active:
        raise unauthorized("the account is not active")
    return account


async def create_account(*, session: AsyncSession, passwords: Passwords, data: AccountCreate) -> Account:
    if (await session.exec(select(Account.id).where(Account.username == data.username))).first() is not None:
        raise username_taken(data.username)
    account = Account(
        **data.model_dump(exclude={"password"}),
        password_hash=await passwords.hash(data.password),
    )
    session.add(account)
    try:
        await session.commit()
    except IntegrityError:
        # Another request took the name between the check and the insert.
        await session.rollback()
        raise username_taken(data.username) from None
    return account


async def get_account(*, session: AsyncSession, account_id: str) -> Account:
    try:
        uuid.UUID(account_id)
    except ValueError:
        # Not an id we issued: answered without a query that could choke on the text.
        raise NotFound("account", account_id) from None
    account = await session.get(Account, account_id)
    if account is None:
        raise NotFound("account", account_id)
    return account


async def list_accounts(
    *, session: AsyncSession, role: Role | None, active: bool | None, limit: int, cursor: str | None
) -> tuple[list[Account], str | None]:
    """In username order."""
    if cursor is not None:
        # A forged cursor can carry text PostgreSQL cannot compare (NUL, lone surrogates).
        (after,) = decode_cursor(cursor, (str,))
        try:
            plain_text(after)
        except ValueError:
            raise invalid_cursor() from None
    query = select(Account)
    if role is not None:
        query = query.where(col(Account.role) == role)
    if active is not None:
        query = query.where(col(Account.active) == active)
    return await paginate(session, query, keys=(col(Account.username),), types=(str,), cursor=cursor, limit=limit)


async def deactivate_account(*, session: AsyncSession, account_id: str, by: Principal) -> Account:
    """Ends every sign-in of the account at once: refresh tokens and sign-ins revoked, so the
    gateway refuses its access tokens from now on (ADR 11)."""
    account = await get_account(session=session, account_id=account_id)
    if account.id == by.subject:
        # Guards against locking out the last administrator by accident.
        raise Problem(409, "cannot_deactivate_self", "Cannot Deactivate Self", "ask another administrator")
    now = utcnow()
    account.active = False
    session.add(account)
    await session.exec(
        update(RefreshToken)
        .where(col(RefreshToken.account_id) == account.id, col(RefreshToken.revoked_at).is_(None))
        .values(revoked_at=now)
    )
    await session.exec(
        update(AccountSession)
        .where(col(AccountSession.account_id) == account.id, col(AccountSession.revoked_at).is_(None))
        .values(revoked_at=now)
    )
    await session.commit()
    return account


async def activate_account(*, session: AsyncSession, account_id: str) -> Account:
    account = await get_account(session=session, account_id=account_id)
    account.active = True
    session.add(account)
    await session.commit()
    return account


BOOTSTRAP_ADMIN_NAME = "系统管理员"


async def ensure_bootstrap_admin(
    *, session: AsyncSession, passwords: Passwords, username: str, password: str
) -> Account | None:
    """Creates the first administrator if there is no active one; None if nothing was done.

    Never changes an existing account: the bootstrap password in the environment
    is for a fresh installation, not a back door into a running one.
    """
    admins = select(Account.id).where(col(Account.role) == Role.admin, col(Account.active).is_(True))
    if (await session.exec(admins)).first() is not None:
        return None
    if (await session.exec(select(Account.id).where(Account.username == username))).first() is not None:
        log.warning("no active administrator, and the bootstrap username %s is taken by another account", username)
        return None
    account = Account(
        username=username,
        display_name=BOOTSTRAP_ADMIN_NAME,
        role=Role.admin,
        password_hash=await passwords.hash(password),
    )
    session.add(account)
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()  # another replica created it at the same moment
        return None
    log.info("created the bootstrap administrator %s", username)
    return account


# --- activation codes (ADR 21) -------------------------------------------------------------------

# No 0/O, 1/I/L: the code is read off paper or an SMS and typed on a phone. 12 of 31 characters
# are 59 bits: with sign-in throttling on every attempt, guessing one before it expires is hopeless.
_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
_CODE_LENGTH = 12
# An account waiting for its first activation has no password: no text verifies against this.
NO_PASSWORD = ""


def _new_activation_code() -> str:
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(_CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, _CODE_LENGTH, 4))


def _code_digest(account_id: str, code: str) -> str:
    """As typed: full-width characters, lower case, spaces and dashes do not matter."""
    plain = "".join(c for c in unicodedata.normalize("NFKC", code).upper() if c.isalnum())
    return hashlib.sha256(f"{account_id}:{plain}".encode()).hexdigest()


def _add_activation_code(
    *, session: AsyncSession, policy: LoginPolicy, account: Account, by: Principal, now: datetime
) -> IssuedActivationCode:
    code = _new_activation_code()
    row = ActivationCode(
        account_id=account.id,
        code_hash=_code_digest(account.id, code),
        issued_by=None if by.anonymous else by.subject,
        issued_at=now,
        expires_at=now + policy.activation_ttl,
    )
    session.add(row)
    return IssuedActivationCode(
        account_id=account.id,
        username=account.username,
        display_name=account.display_name,
        member_id=account.member_id,
        activation_code=code,
        expires_at=row.expires_at,
    )


def _may_issue_codes(by: Principal, *, body_id: str | None, role: Role) -> bool:
    """Administrators for any account; a body's staff for its members' accounts."""
    if by.role == Role.admin:
        return True
    return by.role == Role.staff and role == Role.member and body_id is not None and by.body_id == body_id


async def issue_activation_code(
    *, session: AsyncSession, identity: Identity, account_id: str, by: Principal
) -> IssuedActivationCode:
    """A new code for the account; its earlier unused codes stop working. The account's password
    (if it has one) is kept until the code is used."""
    account = await get_account(session=session, account_id=account_id)
    if not _may_issue_codes(by, body_id=account.body_id, role=account.role):
        raise forbidden("only administrators, and a body's staff for its members, issue activation codes")
    if not account.active:
        raise Problem(409, "account_inactive", "Account Inactive", "the account is deactivated; activate it first")
    now = utcnow()
    await session.exec(
        delete(ActivationCode).where(
            col(ActivationCode.account_id) == account.id, col(ActivationCode.used_at).is_(None)
        )
    )
    issued = _add_activation_code(session=session, policy=identity.policy, account=account, by=by, now=now)
    await session.commit()
    log.info("activation code issued for account %s by %s", account.id, by.subject)
    return issued


async def create_member_accounts(
    *, session: AsyncSession, identity: Identity, body_id: str, members: list[dict[str, Any]], by: Principal
) -> MemberAccounts:
    """Accounts for the body's members who have none (after a CSV import): user name the member's
    code in lower case, no password, and a one-time activation code each. A member without a
    usable code, or whose code is another account's name, is skipped and named with the reason."""
    if not _may_issue_codes(by, body_id=body_id, role=Role.member):
        raise forbidden("only administrators and the body's staff create its members' accounts")
    now = utcnow()
    linked = set(
        (
            await session.exec(select(Account.member_id).where(col(Account.member_id).in_([m["id"] for m in members])))
        ).all()
    )
    created: list[IssuedActivationCode] = []
    skipped: list[SkippedMember] = []
    for member in members:
        if member["id"] in linked:
            continue  # has an account already: nothing to report
        name = str(member.get("name") or "")
        if not member.get("code"):
            skipped.append(SkippedMember(member_id=member["id"], name=name, reason="no code (编号) to sign in with"))
            continue
        try:
            username = normalize_username(str(member["code"]))
        except ValueError as exc:
            skipped.append(
                SkippedMember(member_id=member["id"], name=name, reason=f"code unusable as a username: {exc}")
            )
            continue
        if (await session.exec(select(Account.id).where(Account.username == username))).first() is not None:
            skipped.append(SkippedMember(member_id=member["id"], name=name, reason=f"username {username} is taken"))
            continue
        account = Account(
            username=username,
            display_name=name or username,
            role=Role.member,
            body_id=body_id,
            member_id=member["id"],
            password_hash=NO_PASSWORD,
        )
        session.add(account)
        await session.flush()  # the code's row names the account
        created.append(_add_activation_code(session=session, policy=identity.policy, account=account, by=by, now=now))
    try:
        await session.commit()
    except IntegrityError:
        # Another request made one of these accounts meanwhile: nothing is half-written; try again.
        await session.rollback()
        raise Problem(
            409, "accounts_changed", "Accounts Changed", "accounts were created meanwhile; try again"
        ) from None
    log.info("member accounts created for body %s: %s, skipped %s", body_id, len(created), len(skipped))
    return MemberAccounts(created=created, skipped=skipped)


def _bad_code(code: str, title: str, message: str) -> Problem:
    return Problem(
        422,
        code,
        title,
        message,
        errors=[{"in": "body", "field": "code", "message": message}],
    )


async def activate(
    *, session: AsyncSession, identity: Identity, username: str, code: str, new_password: str, address: str
) -> IssuedTokens:
    """Sets the password with a one-time activation code and signs in. Throttled like a sign-in
    (ADR 11): a wrong code counts as a failed login of the name from this address. Its other
    sign-ins end (a code reissued for a lost password takes over the account)."""
    now = utcnow()
    policy = identity.policy
    key = username_key(username)[:128]
    address = address[:64]
    account = (await session.exec(select(Account).where(Account.username == key))).first()
    await _refuse_when_throttled(
        session=session, policy=policy, account_key=key, account=account, address=address, now=now
    )
    row = None
    if account is not None and account.active:
        digest = _code_digest(account.id, code)
        query = select(ActivationCode).where(
            col(ActivationCode.account_id) == account.id, col(ActivationCode.code_hash) == digest
        )
        row = (await session.exec(query)).first()
    if account is None or row is None:
        # One answer for an unknown name and a wrong code, as for sign-in.
        session.add(LoginFailure(account_key=key, address=address, failed_at=now))
        await session.commit()
        raise _bad_code(
            "invalid_activation_code", "Invalid Activation Code", "the activation code is not right for this username"
        )
    if row.used_at is not None:
        raise _bad_code(
            "activation_code_used",
            "Activation Code Used",
            "the activation code has been used already; ask for a new one",
        )
    if row.expires_at <= now:
        raise _bad_code(
            "activation_code_expired", "Activation Code Expired", "the activation code has expired; ask for a new one"
        )
    # Conditional, so that two concurrent activations with one code cannot both win.
    used = await session.exec(
        update(ActivationCode)
        .where(col(ActivationCode.id) == row.id, col(ActivationCode.used_at).is_(None))
        .values(used_at=now)
    )
    if used.rowcount != 1:
        raise _bad_code(
            "activation_code_used",
            "Activation Code Used",
            "the activation code has been used already; ask for a new one",
        )
    account.password_hash = await identity.passwords.hash(new_password)
    session.add(account)
    await session.exec(
        delete(ActivationCode).where(
            col(ActivationCode.account_id) == account.id, col(ActivationCode.used_at).is_(None)
        )
    )
    await session.exec(
        update(RefreshToken)
        .where(col(RefreshToken.account_id) == account.id, col(RefreshToken.revoked_at).is_(None))
        .values(revoked_at=now)
    )
    await session.exec(
        update(AccountSession)
        .where(col(AccountSession.account_id) == account.id, col(AccountSession.revoked_at).is_(None))
        .values(revoked_at=now)
    )
    issued = await _sign_in(session=session, identity=identity, account=account, key=key, address=address, now=now)
    await session.commit()
    log.info("account %s activated", account.id)
    return issued
