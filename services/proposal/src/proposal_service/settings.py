from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class ProposalSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PROPOSAL_", extra="ignore")

    service_name: str = "proposal"
    database_url: str = "sqlite+aiosqlite:///./proposal.db"
    # jieba's dictionary is ~63 MiB of RSS and ~1.5 s to load. By default it loads on the first search or write
    # (idle RSS ~120 MiB instead of ~185); a replica that must answer its first search at once can preload it.
    preload_tokenizer: bool = False
