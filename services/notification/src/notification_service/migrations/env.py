from sqlmodel import SQLModel

import notification_service.models  # noqa: F401 - registers the tables
import servicekit.inbox
import servicekit.outbox  # noqa: F401
from servicekit.migrations import run_env

run_env(SQLModel.metadata)
