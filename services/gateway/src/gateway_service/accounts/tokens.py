"""Access tokens the gateway signs, and the public keys (JWKS) that verify them.

The claim format is the one ``servicekit.auth.TokenVerifier`` checks in every
service (and ``devstack.keys.DevKeys`` mints in tests): EdDSA over Ed25519,
the key id in the header, ``typ: access``, issuer, audience, a short expiry,
the role and the caller's links to a body, member or unit.
"""

import base64
import hashlib
import json
import time
import uuid
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from servicekit.auth import ALGORITHM


def generate_private_pem() -> str:
    """A fresh Ed25519 private key as PKCS#8 PEM (the format of GATEWAY_SIGNING_KEY)."""
    key = Ed25519PrivateKey.generate()
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def load_private_key(pem: str) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError):
        # The message must not echo the key: settings errors end up in logs.
        raise ValueError("the signing key is not an unencrypted PEM private key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("the signing key must be an Ed25519 key (EdDSA)")
    return key


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def public_jwk(key: Ed25519PublicKey, kid: str) -> dict[str, Any]:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {"kty": "OKP", "crv": "Ed25519", "x": _b64url(raw), "kid": kid, "use": "sig", "alg": ALGORITHM}


def thumbprint(key: Ed25519PublicKey) -> str:
    """RFC 7638 JWK thumbprint: the default key id, so that replicas sharing a key
    agree on its id without configuring one, and a new key always gets a new id."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    members = json.dumps({"crv": "Ed25519", "kty": "OKP", "x": _b64url(raw)}, separators=(",", ":"), sort_keys=True)
    return _b64url(hashlib.sha256(members.encode()).digest())


_PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "k"}


def parse_public_keys(document: str) -> list[dict[str, Any]]:
    """The keys of a JWKS document that verify our tokens (Ed25519 with a key id).

    Raises ``ValueError`` for anything else, and above all for a key with private
    members: this document is published as it is.
    """
    try:
        data = json.loads(document)
    except ValueError:
        raise ValueError("previous_public_keys is not JSON") from None
    keys = data.get("keys") if isinstance(data, dict) else None
    if not isinstance(keys, list):
        raise ValueError('previous_public_keys must be a JWKS document: {"keys": [...]}')
    out: list[dict[str, Any]] = []
    for entry in keys:
        if not isinstance(entry, dict):
            raise ValueError("previous_public_keys holds a key that is not a JSON object")
        if _PRIVATE_MEMBERS & entry.keys():
            raise ValueError("previous_public_keys must hold public keys only")
        if entry.get("kty") != "OKP" or entry.get("crv") != "Ed25519" or not isinstance(entry.get("kid"), str):
            raise ValueError("previous_public_keys may hold only Ed25519 keys (kty OKP) with a kid")
        try:
            jwt.PyJWK(entry, algorithm=ALGORITHM)
        except jwt.PyJWTError:
            raise ValueError(f"previous_public_keys: key {entry['kid']} is not a valid Ed25519 JWK") from None
        out.append({**entry, "use": "sig", "alg": ALGORITHM})
    return out


class TokenIssuer:
    """Signs access tokens with the current key and publishes every key that may
    still verify one: the current key and those of ``previous`` (after a rotation,
    tokens signed with the old key stay valid until they expire)."""

    def __init__(
        self,
        *,
        private_pem: str,
        kid: str | None,
        issuer: str,
        audience: str,
        access_ttl_s: int,
        previous_public_keys: str | None = None,
    ) -> None:
        self._key = load_private_key(private_pem)
        self.kid = kid or thumbprint(self._key.public_key())
        self.issuer = issuer
        self.audience = audience
        self.access_ttl_s = access_ttl_s
        previous = parse_public_keys(previous_public_keys) if previous_public_keys else []
        current = public_jwk(self._key.public_key(), self.kid)
        self.jwks: dict[str, Any] = {"keys": [current, *(k for k in previous if k["kid"] != self.kid)]}

    def access_token(self, *, subject: str, role: str, **links: str | None) -> str:
        """A signed access token for ``subject``; ``links`` (body_id, member_id,
        unit_id, name, scope) are included when set."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": subject,
            "iat": now,
            "exp": now + self.access_ttl_s,
            # A token id lets a later deny-list or the audit log name one token.
            "jti": uuid.uuid4().hex,
            "typ": "access",
            "role": role,
            **{k: v for k, v in links.items() if v is not None},
        }
        return jwt.encode(claims, self._key, algorithm=ALGORITHM, headers={"kid": self.kid})
