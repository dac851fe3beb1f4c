from pydantic import AnyHttpUrl
from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class GatewaySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore")

    service_name: str = "gateway"
    database_url: str = "sqlite+aiosqlite:///./gateway.db"
    proposal_url: AnyHttpUrl = AnyHttpUrl("http://127.0.0.1:8001")
    assignment_url: AnyHttpUrl = AnyHttpUrl("http://127.0.0.1:8002")
    evaluation_url: AnyHttpUrl = AnyHttpUrl("http://127.0.0.1:8003")
    upstream_connect_timeout_s: float = 2.0
    upstream_timeout_s: float = 10.0
    upstream_max_connections: int = 200

    def upstreams(self) -> dict[str, str]:
        return {
            "proposal": str(self.proposal_url).rstrip("/"),
            "assignment": str(self.assignment_url).rstrip("/"),
            "evaluation": str(self.evaluation_url).rstrip("/"),
        }
