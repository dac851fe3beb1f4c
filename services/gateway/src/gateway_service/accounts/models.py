"""Accounts, refresh tokens and failed logins: tables and API schemas."""

import re
import unicodedata
import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import ConfigDict, ValidationInfo, field_validator
from sqlalchemy import Index, String
from sqlmodel import Field, SQLModel

from servicekit.auth import Role
from servicekit.db import UTCDateTime, utcnow

_USERNAME = re.compile(r"[a-z0-9][a-z0-9._@-]{2,63}")
USERNAME_RULE = (
    "a username has 3 to 64 characters: letters, digits, '.', '_', '-' or '@', starting with a letter or digit"
)


def username_key(value: str) -> str:
    """How usernames compare: NFKC (full-width letters typed with a Chinese input
    method become ASCII) and case-folded, so 'ZhangSan' and 'ｚｈａｎｇｓａｎ' are one name."""
    return unicodedata.normalize("NFKC", value).strip().lower()


def plain_text(value: str, *, controls: bool = False) -> str:
    """Refuses what no name or id contains and PostgreSQL cannot store (NUL), or what
    cannot even be encoded (lone surrogates, which JSON escapes can produce)."""
    for char in value:
        category = unicodedata.category(char)
        if category == "Cs" or (category == "Cc" and not controls):
            raise ValueError("must not contain control characters or lone surrogates")
    return value


def normalize_username(value: str) -> str:
    key = username_key(value)
    if not _USERNAME.fullmatch(key):
        raise ValueError(USERNAME_RULE)
    return key


# Which links to a body, member or unit each role must have, and may have. A link
# a role does not use is refused rather than ignored: it would end up in tokens.
REQUIRED_LINKS: dict[Role, frozenset[str]] = {
    Role.member: frozenset({"member_id", "body_id"}),
    Role.staff: frozenset({"body_id"}),
    Role.leader: frozenset({"body_id"}),
    Role.unit_staff: frozenset({"unit_id"}),
    Role.admin: frozenset(),
}
ALLOWED_LINKS: dict[Role, frozenset[str]] = {
    **REQUIRED_LINKS,
    # A unit may belong to the government of one body's area.
    Role.unit_staff: frozenset({"unit_id", "body_id"}),
}


class AccountBase(SQLModel):
    username: str = Field(max_length=64, description="login name; compared case-insensitively")
    display_name: str = Field(min_length=1, max_length=100, description="name shown to others (姓名)")
    # Stored as a string so that adding a role needs no type migration.
    role: Role = Field(sa_type=String(20))
    body_id: str | None = Field(default=None, min_length=1, max_length=64, description="the body (政协/人大)")
    member_id: str | None = Field(default=None, min_length=1, max_length=64, description="the member (委员/代表)")
    unit_id: str | None = Field(default=None, min_length=1, max_length=64, description="the handling unit (承办单位)")


class AccountCreate(AccountBase):
    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]

    password: str = Field(min_length=12, max_length=1024, repr=False)
    # Redeclared with validate_default, so that a missing link is reported under its own name.
    body_id: str | None = Field(default=None, min_length=1, max_length=64, schema_extra={"validate_default": True})
    member_id: str | None = Field(default=None, min_length=1, max_length=64, schema_extra={"validate_default": True})
    unit_id: str | None = Field(default=None, min_length=1, max_length=64, schema_extra={"validate_default": True})

    @field_validator("username")
    @classmethod
    def _username(cls, value: str) -> str:
        return normalize_username(value)

    @field_validator("password")
    @classmethod
    def _password(cls, value: str) -> str:
        return plain_text(value, controls=True)

    @field_validator("display_name")
    @classmethod
    def _display_name(cls, value: str) -> str:
        # Not str_strip_whitespace for the whole model: passwords are taken verbatim.
        if not plain_text(value).strip():
            raise ValueError("must not be blank")
        return value.strip()

    @field_validator("role")
    @classmethod
    def _role(cls, value: Role) -> Role:
        if value not in REQUIRED_LINKS:
            raise ValueError(f"accounts cannot have the role {value}; other systems use API keys")
        return value

    @field_validator("body_id", "member_id", "unit_id")
    @classmethod
    def _links_fit_the_role(cls, value: str | None, info: ValidationInfo) -> str | None:
        role = info.data.get("role")
        if role not in REQUIRED_LINKS:
            return value  # the role itself is already reported
        name = info.field_name or ""
        if value is not None:
            plain_text(value)
        if value is None and name in REQUIRED_LINKS[role]:
            raise ValueError(f"required for role {role}")
        if value is not None and name not in ALLOWED_LINKS[role]:
            raise ValueError(f"not used by role {role}")
        return value


class Account(AccountBase, table=True):
    # Usernames are stored normalised (username_key), so this index makes them
    # unique case-insensitively; it also serves the listing, in username order.
    __table_args__ = (Index("ux_account_username", "username", unique=True),)

    id: str = Field(default_factory=lambda: str(uuid.uuid4()), primary_key=True, max_length=36)
    password_hash: str = Field(max_length=255)
    active: bool = True
    created_at: datetime = Field(sa_type=UTCDateTime, default_factory=utcnow)

    def token_claims(self) -> dict[str, str | None]:
        """What an access token says about this account besides its id and role."""
        return {
            "name": self.display_name,
            "body_id": self.body_id,
            "member_id": self.member_id,
            "unit_id": self.unit_id,
        }


class AccountPublic(SQLModel):
    id: str
    username: str
    display_name: str
    role: Role
    body_id: str | None
    member_id: str | None
    unit_id: str | None


class AccountDetail(AccountPublic):
    """What administrators see."""

    active: bool
    created_at: datetime


class RefreshToken(SQLModel, table=True):
    """One refresh token, stored only as its SHA-256. Each rotation spends the token
    and adds the next one to the same family (one login); a spent token presented
    again means it was copied, and the whole family is revoked."""

    __tablename__ = "refresh_token"
    __table_args__ = (Index("ux_refresh_token_token_hash", "token_hash", unique=True),)

    id: str = Field(default_factory=lambda: str(uuid.uuid4()), primary_key=True, max_length=36)
    token_hash: str = Field(max_length=64)
    family_id: str = Field(max_length=36, index=True)
    account_id: str = Field(max_length=36, foreign_key="account.id", index=True)
    issued_at: datetime = Field(sa_type=UTCDateTime, default_factory=utcnow)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    spent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class AccountSession(SQLModel, table=True):
    """One sign-in: a refresh-token family, named by the ``sid`` claim of every access
    token issued for it. The gateway refuses access tokens of a revoked sign-in (logout,
    reuse detected, account deactivated) on every request (ADR 11); the address it was
    made from marks a "known address" of the account for login throttling."""

    __tablename__ = "account_session"
    __table_args__ = (Index("ix_account_session_account_id_address_created_at", "account_id", "address", "created_at"),)

    id: str = Field(primary_key=True, max_length=36, description="the refresh-token family id")
    account_id: str = Field(max_length=36, foreign_key="account.id")
    address: str = Field(max_length=64, description="client address of the sign-in")
    created_at: datetime = Field(sa_type=UTCDateTime, default_factory=utcnow)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ActivationCode(SQLModel, table=True):
    """A one-time code with which an account without a password yet (an imported member's) or
    whose owner lost it sets its password and signs in (ADR 21). Stored only as a SHA-256 of the
    account id and the code; shown once, to the staff who issued it."""

    __tablename__ = "activation_code"

    id: str = Field(default_factory=lambda: str(uuid.uuid4()), primary_key=True, max_length=36)
    account_id: str = Field(max_length=36, foreign_key="account.id", index=True)
    code_hash: str = Field(max_length=64)
    issued_by: str | None = Field(default=None, max_length=36, description="the account that issued it")
    issued_at: datetime = Field(sa_type=UTCDateTime, default_factory=utcnow)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class LoginFailure(SQLModel, table=True):
    """One failed login, counted per account name and client address, per account name
    and per client address (ADR 11). Kept in the database so that every gateway replica counts the same."""

    __tablename__ = "login_failure"
    __table_args__ = (
        Index("ix_login_failure_account_key_failed_at", "account_key", "failed_at"),
        Index("ix_login_failure_address_failed_at", "address", "failed_at"),
        Index("ix_login_failure_account_key_address_failed_at", "account_key", "address", "failed_at"),
        Index("ix_login_failure_failed_at", "failed_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # The name as typed (normalised), whether or not such an account exists, so
    # that probing unknown names is throttled exactly like guessing passwords.
    account_key: str = Field(max_length=128)
    address: str = Field(max_length=64)
    failed_at: datetime = Field(sa_type=UTCDateTime, default_factory=utcnow)


class RequestBody(SQLModel):
    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]


class LoginRequest(RequestBody):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024, repr=False)

    @field_validator("username")
    @classmethod
    def _username(cls, value: str) -> str:
        return plain_text(value)

    @field_validator("password")
    @classmethod
    def _password(cls, value: str) -> str:
        return plain_text(value, controls=True)


class RefreshRequest(RequestBody):
    refresh_token: str = Field(min_length=1, max_length=256)


class PasswordChange(RequestBody):
    """The signed-in person's own new password; the current one proves it is them."""

    old_password: str = Field(min_length=1, max_length=1024, repr=False)
    new_password: str = Field(min_length=12, max_length=1024, repr=False)

    @field_validator("old_password", "new_password")
    @classmethod
    def _password(cls, value: str) -> str:
        return plain_text(value, controls=True)


class ActivationRequest(RequestBody):
    """First sign-in of an imported member (or after a lost password): the code staff gave them."""

    username: str = Field(min_length=1, max_length=64)
    code: str = Field(min_length=1, max_length=64, description="the activation code, with or without its dashes")
    new_password: str = Field(min_length=12, max_length=1024, repr=False)

    @field_validator("username", "code")
    @classmethod
    def _text(cls, value: str) -> str:
        return plain_text(value)

    @field_validator("new_password")
    @classmethod
    def _password(cls, value: str) -> str:
        return plain_text(value, controls=True)


class IssuedActivationCode(SQLModel):
    """Shown once: only its hash is kept."""

    account_id: str
    username: str
    display_name: str
    member_id: str | None
    activation_code: str
    expires_at: datetime


class SkippedMember(SQLModel):
    member_id: str
    name: str
    reason: str


class MemberAccounts(SQLModel):
    created: list[IssuedActivationCode]
    skipped: list[SkippedMember] = Field(description="members given no account, and why")


class TokenResponse(SQLModel):
    access_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int = Field(description="seconds until the access token expires")
    refresh_token: str
    refresh_expires_in: int = Field(description="seconds until the refresh token expires")
    account: AccountPublic


class JWKS(SQLModel):
    keys: list[dict[str, Any]]
