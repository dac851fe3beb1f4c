"""App factory of the evaluation service."""

from pathlib import Path

from cn_workdays import WorkCalendar
from fastapi import FastAPI

from evaluation_service.api import router
from evaluation_service.events.handlers import subscriptions
from evaluation_service.events.schemas import registry
from evaluation_service.settings import EvaluationSettings
from servicekit.runtime import service_app

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: EvaluationSettings | None = None) -> FastAPI:
    settings = settings or EvaluationSettings()
    app = service_app(
        title="Evaluation service",
        settings=settings,
        registry=registry,
        migrations=MIGRATIONS,
        router=router,
        subscriptions=subscriptions,
    )
    app.state.calendar = WorkCalendar.configured(settings.calendar_file)
    # The PDF report's Chinese font: a misconfigured file is refused at start-up, but the font
    # (23 MiB parsed) and the report libraries (reportlab, openpyxl, pygal: 37 MiB) are loaded
    # when the first report is made, not in every process that never makes one.
    if settings.report_font_file and not settings.report_font_file.is_file():
        raise FileNotFoundError(f"EVALUATION_REPORT_FONT_FILE: no such file: {settings.report_font_file}")
    app.state.report_font_file = settings.report_font_file
    return app
