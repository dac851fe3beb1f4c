"""Tables of the gateway. Each area keeps its own in its package; importing them
here registers them with the metadata that the migrations compare against."""

from gateway_service.accounts.models import Account, AccountSession, LoginFailure, RefreshToken
from gateway_service.api_keys.models import ApiKey
from gateway_service.idempotency import IdempotencyRecord

__all__ = ["Account", "AccountSession", "ApiKey", "IdempotencyRecord", "LoginFailure", "RefreshToken"]
