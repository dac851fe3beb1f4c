"""API keys for other government systems: created by administrators, shown once, stored as a
SHA-256 hash, with scopes, an expiry and revocation.

A request with ``X-API-Key`` is checked when its caller is worked out (caller.py): an unknown,
expired or revoked key is a 401; a route outside the key's scopes is a 403 (door.py). The gateway
then forwards the request with a short-lived access token of its own for the key (role ``system``,
or ``unit_staff`` of the key's unit for ``replies:write``), so each service applies its usual rules
to it. Keys have their own rate limit (see ratelimit.py).

Tables, schemas and the scopes are in ``models``, use cases in ``service``, routes in ``api``.
"""

from gateway_service.api_keys.models import HEADER, SCOPES

__all__ = ["HEADER", "SCOPES"]
