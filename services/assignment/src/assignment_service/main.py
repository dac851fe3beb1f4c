"""App factory of the assignment service."""

from functools import partial
from pathlib import Path

from cn_workdays import WorkCalendar
from fastapi import FastAPI

from assignment_service.api import router
from assignment_service.domain.deadlines import use_calendar
from assignment_service.domain.suggestions import RoutingModels
from assignment_service.domain.supervision import run_scanner
from assignment_service.events.handlers import subscriptions
from assignment_service.events.schemas import registry
from assignment_service.settings import AssignmentSettings
from servicekit.runtime import service_app, service_runtime

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: AssignmentSettings | None = None) -> FastAPI:
    settings = settings or AssignmentSettings()
    calendar = WorkCalendar.configured(settings.calendar_file)
    use_calendar(calendar)  # the one place: requests (CalendarDep) and event handlers read it back
    app = service_app(
        title="Assignment service",
        settings=settings,
        registry=registry,
        migrations=MIGRATIONS,
        router=router,
        subscriptions=subscriptions,
    )
    app.state.routing_models = RoutingModels(min_age_s=settings.routing_retrain_min_age_s)
    runtime = service_runtime(app)
    if settings.reminders_enabled:
        runtime.start_with(
            "deadline-scanner",
            partial(
                run_scanner,
                database=runtime.database,
                outbox=runtime.outbox,
                calendar=calendar,
                interval_s=settings.reminder_interval_s,
                done=partial(runtime.metrics.job_succeeded, "deadline_scan"),
            ),
        )
    return app
