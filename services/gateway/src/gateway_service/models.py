"""Tables of the gateway. Each area keeps its own in its package; importing them
here registers them with the metadata that the migrations compare against."""

from gateway_service.accounts.models import Account, LoginFailure, RefreshToken

__all__ = ["Account", "LoginFailure", "RefreshToken"]
