from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class AssignmentSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ASSIGNMENT_", extra="ignore")

    service_name: str = "assignment"
    database_url: str = "sqlite+aiosqlite:///./assignment.db"
