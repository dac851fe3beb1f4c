from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class ProposalSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PROPOSAL_", extra="ignore")

    service_name: str = "proposal"
    database_url: str = "sqlite+aiosqlite:///./proposal.db"
