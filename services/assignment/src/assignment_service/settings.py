from pathlib import Path

from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class AssignmentSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ASSIGNMENT_", extra="ignore")

    service_name: str = "assignment"
    database_url: str = "sqlite+aiosqlite:///./assignment.db"
    # The operator's holiday calendar (same JSON format as calendar_data/cn-mainland.json);
    # without it the shipped 2024–2027 data is used.
    calendar_file: Path | None = None
    # How often the deadline scanner looks for due-soon and overdue assignments.
    reminder_interval_s: float = 3600.0
    reminders_enabled: bool = True
    # A routing model is retrained at most this often as assignments accumulate.
    routing_retrain_min_age_s: float = 60.0
