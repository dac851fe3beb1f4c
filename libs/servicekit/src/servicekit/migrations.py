"""Alembic migrations per service, runnable at start-up or as a release step.

Each service's ``migrations/env.py`` calls ``run_env`` with its metadata.
On PostgreSQL an advisory lock serialises replicas that start together.
"""

import asyncio
import zlib
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from alembic.runtime.environment import IncludeObjectFn
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine


def alembic_config(script_location: Path, database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(script_location))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(script_location: Path, database_url: str) -> None:
    command.upgrade(alembic_config(script_location, database_url), "head")


async def upgrade_async(script_location: Path, database_url: str) -> None:
    # env.py runs its own event loop, so it gets a thread of its own.
    await asyncio.to_thread(upgrade, script_location, database_url)


def run_env(target_metadata: MetaData, *, include_object: IncludeObjectFn | None = None) -> None:
    """Body of a service's env.py (online mode only: we always have a database).

    ``include_object`` is alembic's hook to leave objects out of autogenerate and ``alembic check``, e.g. tables a
    migration makes that no model can describe (an FTS5 virtual table and its shadow tables)."""
    url = context.config.get_main_option("sqlalchemy.url")
    assert url, "sqlalchemy.url is not set"
    lock_id = zlib.crc32(str(context.config.get_main_option("script_location")).encode())

    def do_run(connection: Connection) -> None:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": lock_id})
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            include_object=include_object,
        )
        with context.begin_transaction():
            context.run_migrations()

    async def run() -> None:
        engine = create_async_engine(url)
        async with engine.connect() as connection:
            await connection.run_sync(do_run)
            await connection.commit()
        await engine.dispose()

    asyncio.run(run())


def check(script_location: Path, database_url: str) -> None:
    """Raises if the models differ from what the migrations create (alembic check)."""
    config = alembic_config(script_location, database_url)
    command.upgrade(config, "head")
    command.check(config)


def autogenerate(script_location: Path, database_url: str, message: str) -> None:
    """Writes a new revision from the difference between the models and a database at head."""
    config = alembic_config(script_location, database_url)
    command.upgrade(config, "head")
    command.revision(config, message=message, autogenerate=True)
