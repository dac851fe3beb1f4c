"""Development signing keys and tokens.

The run command and the tests generate a fresh Ed25519 key per run: the
gateway gets the private key (``GATEWAY_SIGNING_KEY``), every service gets
the public JWKS (``<SERVICE>_AUTH_JWKS``). Tests that run a service without
a gateway mint tokens with ``DevKeys.token`` in the gateway's claim format.
"""

import json
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

ISSUER = "proposal-platform"
AUDIENCE = "proposal-platform-api"


@dataclass
class DevKeys:
    key: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)
    kid: str = field(default_factory=lambda: uuid.uuid4().hex[:12])

    @classmethod
    def stored(cls, path: Path) -> "DevKeys":
        """The key kept in ``path`` (made on first use), so a restarted run keeps its sessions."""
        if not path.exists():
            keys = cls()
            path.write_text(json.dumps({"kid": keys.kid, "pem": keys.private_pem}))
            path.chmod(0o600)
            return keys
        saved = json.loads(path.read_text())
        key = serialization.load_pem_private_key(saved["pem"].encode(), password=None)
        assert isinstance(key, Ed25519PrivateKey)
        return cls(key=key, kid=saved["kid"])

    @property
    def private_pem(self) -> str:
        return self.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()

    @property
    def jwks(self) -> str:
        jwk: dict[str, Any] = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(self.key.public_key()))
        jwk.update({"kid": self.kid, "use": "sig", "alg": "EdDSA"})
        return json.dumps({"keys": [jwk]})

    def token(self, role: str, *, subject: str | None = None, ttl_s: float = 900, **claims: Any) -> str:
        now = int(time.time())
        payload = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": subject or uuid.uuid4().hex,
            "iat": now,
            "exp": now + int(ttl_s),
            "typ": "access",
            "role": role,
            **{k: v for k, v in claims.items() if v is not None},
        }
        return jwt.encode(payload, self.key, algorithm="EdDSA", headers={"kid": self.kid})

    def headers(self, role: str, **claims: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(role, **claims)}"}
