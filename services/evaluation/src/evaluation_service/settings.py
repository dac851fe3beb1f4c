from pathlib import Path

from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class EvaluationSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="EVALUATION_", extra="ignore")

    service_name: str = "evaluation"
    database_url: str = "sqlite+aiosqlite:///./evaluation.db"
    # The operator's holiday calendar (cn_workdays format); the evaluation window counts working days.
    calendar_file: Path | None = None
    # A TrueType CJK font for PDF reports; Debian's fonts-wqy-microhei by default
    # (see report/pdf.py).
    report_font_file: Path | None = None
