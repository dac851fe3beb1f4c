import json
from pathlib import Path
from typing import Annotated, Any

import argon2
from pydantic import AnyHttpUrl, BeforeValidator, Field, IPvAnyNetwork, PrivateAttr, SecretStr, model_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from gateway_service.accounts.models import normalize_username
from gateway_service.accounts.tokens import TokenIssuer, generate_private_pem
from servicekit.settings import ServiceSettings

MIN_PASSWORD_LENGTH = 12


def _comma_separated(value: Any) -> Any:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


# One base URL per replica of a service, comma-separated in the environment
# (GATEWAY_PROPOSAL_URL=http://10.0.0.5:8000,http://10.0.0.6:8000); the gateway balances over them
# (balancer.py). Behind a load-balancing address (a Kubernetes Service) one URL is enough.
UpstreamUrls = Annotated[list[AnyHttpUrl], NoDecode, BeforeValidator(_comma_separated), Field(min_length=1)]


class GatewaySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore")

    service_name: str = "gateway"
    database_url: str = "sqlite+aiosqlite:///./gateway.db"
    proposal_url: UpstreamUrls = Field(default_factory=lambda: [AnyHttpUrl("http://127.0.0.1:8001")])
    assignment_url: UpstreamUrls = Field(default_factory=lambda: [AnyHttpUrl("http://127.0.0.1:8002")])
    evaluation_url: UpstreamUrls = Field(default_factory=lambda: [AnyHttpUrl("http://127.0.0.1:8003")])
    notification_url: UpstreamUrls = Field(default_factory=lambda: [AnyHttpUrl("http://127.0.0.1:8004")])
    upstream_connect_timeout_s: float = 2.0
    # A replica that refused a connection (or did not accept one within the connect timeout) is
    # tried last for this long; the first answer from it puts it back.
    upstream_eject_s: float = Field(default=5.0, ge=0)
    upstream_timeout_s: float = 10.0
    upstream_max_connections: int = 200
    # Long-lived streams (Server-Sent Events) hold a connection each: they get a pool of their
    # own, so open streams never starve ordinary requests of upstream_max_connections.
    upstream_max_streams: int = Field(default=1000, ge=1)
    # How long an Idempotency-Key is remembered.
    idempotency_ttl_s: float = Field(default=24 * 3600, ge=60)
    # The members' app build (clients/member/dist) served at /m/; default: the checkout's.
    member_app_dir: Path | None = None
    # The staff console's build (clients/console/dist) served at /console/; default: the checkout's.
    console_app_dir: Path | None = None
    # Browser origins allowed to call the API (the member web client's); none by default.
    cors_origins: list[str] = Field(default_factory=list)
    # Requests per minute per caller (token subject, else client address), per route class
    # and per gateway replica: sign-in, writes (POST/PUT/PATCH/DELETE), reads.
    rate_limit_auth_per_minute: int = Field(default=20, ge=1)
    rate_limit_write_per_minute: int = Field(default=120, ge=1)
    rate_limit_read_per_minute: int = Field(default=600, ge=1)
    rate_limit_api_key_per_minute: int = Field(default=300, ge=1)
    # Where the rate-limit counters live (a `limits` storage URI). memory:// counts per replica
    # (N replicas let a caller N times the limit); redis://host:6379 shares them across replicas.
    rate_limit_storage_uri: str = Field(default="memory://", pattern=r"^(memory|redis|rediss|redis\+unix)://")
    # Addresses (IPs or CIDRs) of the reverse proxies / load balancers in front of the
    # gateway. Only a request arriving from one of them may name the real client in
    # X-Forwarded-For or Forwarded; from anyone else those headers are ignored.
    trusted_proxies: list[IPvAnyNetwork] = Field(default_factory=list)

    # Access tokens (see gateway_service.accounts.tokens). The private key is PEM
    # (python -m gateway_service.accounts keygen); without one, development and
    # tests get a key generated at start-up, production refuses to start.
    signing_key: SecretStr | None = None
    # Defaults to the key's RFC 7638 thumbprint.
    signing_key_id: str | None = None
    # A JWKS document of retired public keys, still published (and trusted) so that
    # tokens signed before a key rotation stay valid until they expire.
    previous_public_keys: str | None = None
    access_token_ttl_s: int = Field(default=900, ge=30, le=3600)
    refresh_token_ttl_s: int = Field(default=30 * 24 * 3600, ge=60)
    # How long a one-time activation code for an imported member's first sign-in stays good
    # (ADR 21): two weeks covers a letter or an SMS read late, and a forgotten code is reissued.
    activation_code_ttl_s: int = Field(default=14 * 24 * 3600, ge=60)

    # Failed logins are counted in the database, so every replica sees them (ADR 11).
    # Per account and client address: after login_delay_after_failures failures, each
    # further attempt waits login_delay_base_s, doubling per failure up to login_delay_max_s;
    # failures are remembered for login_delay_memory_s (a success from there clears them).
    login_delay_after_failures: int = Field(default=5, ge=1)
    login_delay_base_s: float = Field(default=1, gt=0)
    login_delay_max_s: int = Field(default=900, ge=1)
    login_delay_memory_s: int = Field(default=24 * 3600, ge=60)
    # A ceiling per account over all addresses within login_failure_window_s, against
    # guessing from many addresses; it does not apply to an address the account signed in
    # from successfully in the last login_known_address_days (so it cannot lock out a user).
    login_failure_window_s: int = Field(default=900, ge=1)
    login_max_failures_per_account: int = Field(default=100, ge=1)
    login_known_address_days: float = Field(default=30, ge=0)
    # Per client address over all accounts within login_failure_window_s (password spraying).
    login_max_failures_per_address: int = Field(default=30, ge=1)
    # How long a gateway replica may keep answering from its cache that a sign-in is still
    # open (ADR 11): a logout on another replica takes effect within this many seconds.
    session_check_cache_s: float = Field(default=2, ge=0, le=60)

    # argon2id parameters; the defaults are argon2-cffi's (RFC 9106, low memory).
    # Tests lower them for speed; production refuses anything weaker.
    password_hash_time_cost: int = Field(default=argon2.DEFAULT_TIME_COST, ge=1)
    password_hash_memory_cost: int = Field(default=argon2.DEFAULT_MEMORY_COST, ge=8)  # KiB
    password_hash_parallelism: int = Field(default=argon2.DEFAULT_PARALLELISM, ge=1)
    # Each hash takes memory_cost KiB and a CPU for ~0.1 s; a burst of logins
    # waits its turn instead of exhausting the process's memory.
    password_hash_concurrency: int = Field(default=4, ge=1)

    # If set and no active administrator exists, this one is created at start-up.
    bootstrap_admin_username: str | None = None
    bootstrap_admin_password: SecretStr | None = None

    _signing_key_generated: bool = PrivateAttr(default=False)

    @model_validator(mode="after")
    def _check_identity(self) -> "GatewaySettings":
        production = self.environment == "production"
        if self.signing_key is None:
            if production:
                raise ValueError("production requires GATEWAY_SIGNING_KEY (python -m gateway_service.accounts keygen)")
            self.signing_key = SecretStr(generate_private_pem())
            self._signing_key_generated = True
        issuer = self.token_issuer()
        self.signing_key_id = issuer.kid
        # The gateway trusts exactly the keys it publishes, from memory: it must
        # not fetch its own JWKS over HTTP (the servicekit default for services).
        self.auth_jwks = json.dumps(issuer.jwks)
        self.auth_jwks_url = None

        if (self.bootstrap_admin_username is None) != (self.bootstrap_admin_password is None):
            raise ValueError("set both bootstrap_admin_username and bootstrap_admin_password, or neither")
        if self.bootstrap_admin_username is not None:
            self.bootstrap_admin_username = normalize_username(self.bootstrap_admin_username)
        password = self.bootstrap_admin_password.get_secret_value() if self.bootstrap_admin_password else None
        if password is not None and (not password or (production and len(password) < MIN_PASSWORD_LENGTH)):
            raise ValueError(f"the bootstrap admin password must have at least {MIN_PASSWORD_LENGTH} characters")

        if production and (
            self.password_hash_time_cost < argon2.DEFAULT_TIME_COST
            or self.password_hash_memory_cost < argon2.DEFAULT_MEMORY_COST
        ):
            raise ValueError("production refuses password hash parameters weaker than argon2's defaults")
        return self

    def _trusts_own_keys(self) -> bool:
        return True  # it verifies with the keys it signs with (auth_jwks, set above)

    @property
    def signing_key_generated(self) -> bool:
        """True when no key was configured and one was generated for this process only."""
        return self._signing_key_generated

    def token_issuer(self) -> TokenIssuer:
        assert self.signing_key is not None  # set by the validator
        return TokenIssuer(
            private_pem=self.signing_key.get_secret_value(),
            kid=self.signing_key_id,
            issuer=self.auth_issuer,
            audience=self.auth_audience,
            access_ttl_s=self.access_token_ttl_s,
            previous_public_keys=self.previous_public_keys,
        )

    def upstreams(self) -> dict[str, list[str]]:
        """Each service's replicas' base URLs, without a trailing slash."""
        return {
            "proposal": [str(url).rstrip("/") for url in self.proposal_url],
            "assignment": [str(url).rstrip("/") for url in self.assignment_url],
            "evaluation": [str(url).rstrip("/") for url in self.evaluation_url],
            "notification": [str(url).rstrip("/") for url in self.notification_url],
        }
