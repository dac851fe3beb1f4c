"""App factory of the evaluation service."""

from pathlib import Path

from cn_workdays import WorkCalendar
from fastapi import FastAPI

from evaluation_service.api import router
from evaluation_service.events.handlers import subscriptions
from evaluation_service.events.schemas import registry
from evaluation_service.report.pdf import register_font
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
    app.state.calendar = (
        WorkCalendar.from_file(settings.calendar_file) if settings.calendar_file else WorkCalendar.default()
    )
    # The PDF report's Chinese font: chosen (and a misconfigured file refused) at start-up.
    app.state.report_font = register_font(settings.report_font_file)
    return app
