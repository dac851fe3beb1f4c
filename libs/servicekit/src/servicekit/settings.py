"""Settings common to every service, read from the environment (pydantic-settings)."""

from typing import Literal

from pydantic import SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    """Base settings; each service subclasses it with its own ``env_prefix``.

    Defaults are the embedded development setup: a SQLite file in the working
    directory and a Kafka broker on localhost.
    """

    model_config = SettingsConfigDict(extra="ignore")

    service_name: str = "service"
    environment: Literal["development", "test", "production"] = "development"
    database_url: str = "sqlite+aiosqlite:///./service.db"
    database_pool_size: int = 10
    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    # Prefix of every topic and consumer group, so that several deployments
    # (environments, bodies, test runs) can share one Kafka cluster.
    kafka_namespace: str = ""
    kafka_partitions: int = 3
    kafka_replication_factor: int = 1
    # Retention of the topics a service creates (docs/operations.md, Backups): event topics are the
    # history the rebuild replays from offset 0 (-1: kept forever); dead letters 90 days.
    kafka_event_retention_ms: int = -1
    kafka_dead_letter_retention_ms: int = 90 * 24 * 3600 * 1000
    # How the clients reach the brokers (ADR 0010). PLAINTEXT works with any broker;
    # every launcher this repository ships runs SASL_SSL with SCRAM-SHA-512 and ACLs.
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = "SCRAM-SHA-512"
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    # The CA that signed the brokers' certificates (PEM); None trusts the system's CAs.
    kafka_ssl_cafile: str | None = None
    # Migrations run at start-up by default (embedded use); production
    # operators may run them as a separate release step instead.
    migrate_on_start: bool = True
    relay_enabled: bool = True
    relay_batch_size: int = 500
    relay_poll_interval_s: float = 0.05
    relay_max_poll_interval_s: float = 1.0
    relay_lease_s: float = 10.0
    consumer_max_attempts: int = 3
    consumer_retry_backoff_s: float = 0.2
    outbox_retention_days: float = 7
    # Longer than Kafka's retention, so every possible redelivery is still recognised.
    inbox_retention_days: float = 14
    housekeeping_interval_s: float = 3600
    # At shutdown, how long the consumer and the relay may take to reach a safe stop (a batch
    # applied and committed, a publish acknowledged); keep it under the orchestrator's grace period.
    shutdown_grace_s: float = 10.0
    max_body_bytes: int = 1_048_576
    # Access tokens are signed by the gateway and verified here (servicekit.auth).
    # The keys trusted are only the ones configured: auth_jwks (the JWKS document,
    # pinned) and/or auth_jwks_url (the gateway's JWKS address, for key rotation).
    # No default address: whoever listens there could mint tokens (issue 10).
    auth_issuer: str = "proposal-platform"
    auth_audience: str = "proposal-platform-api"
    auth_jwks: str | None = None
    auth_jwks_url: str | None = None
    log_level: str = "INFO"
    log_json: bool = True
    # Base URL of an OTLP/HTTP receiver (a collector) for traces; unset, the standard
    # OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT variables are read; none set, no traces (servicekit.telemetry).
    otlp_endpoint: str | None = None

    @model_validator(mode="after")
    def _tokens_need_trusted_keys(self) -> "ServiceSettings":
        # An empty variable (a launcher clearing an inherited one) means "not set".
        self.auth_jwks = self.auth_jwks or None
        self.auth_jwks_url = self.auth_jwks_url or None
        if (
            self.environment == "production"
            and not self._trusts_own_keys()
            and not (self.auth_jwks or self.auth_jwks_url)
        ):
            raise ValueError(
                "production requires the keys that verify access tokens: set auth_jwks (the gateway's JWKS "
                "document) or auth_jwks_url (the gateway's /.well-known/jwks.json address)"
            )
        return self

    def _trusts_own_keys(self) -> bool:
        """True for the service that signs the tokens itself (the gateway)."""
        return False

    @model_validator(mode="after")
    def _production_needs_real_database(self) -> "ServiceSettings":
        if self.environment == "production" and self.database_url.startswith("sqlite"):
            raise ValueError("production requires a PostgreSQL database_url, not SQLite")
        return self

    @model_validator(mode="after")
    def _sasl_needs_credentials(self) -> "ServiceSettings":
        if self.kafka_security_protocol.startswith("SASL_") and not (
            self.kafka_sasl_username and self.kafka_sasl_password
        ):
            raise ValueError(
                f"kafka_security_protocol {self.kafka_security_protocol} needs kafka_sasl_username"
                " and kafka_sasl_password"
            )
        return self

    @property
    def topic(self) -> str:
        """The one topic this service publishes its events on (DESIGN section 4)."""
        return self.namespaced(f"{self.service_name}.events")

    def namespaced(self, name: str) -> str:
        return f"{self.kafka_namespace}{name}"

    @property
    def consumer_group(self) -> str:
        return self.namespaced(f"{self.service_name}-service")

    @property
    def dead_letter_topic(self) -> str:
        return f"{self.consumer_group}.dlt"
