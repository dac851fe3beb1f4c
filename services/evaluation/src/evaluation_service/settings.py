from pathlib import Path

from pydantic import Field
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
    # Secret ballots (民主测评, ADR 9): a ballot needs this many electors to be opened, and its
    # results (counts, shares, comments) are published only with at least this many votes, so
    # that no one's vote can be told from the results.
    ballot_min_electors: int = Field(default=5, ge=1)
    ballot_min_votes: int = Field(default=5, ge=1)
