from typing import Any

from sqlmodel import SQLModel

import proposal_service.models  # noqa: F401 - registers the tables
import servicekit.inbox
import servicekit.outbox  # noqa: F401
from proposal_service.domain.search import FTS_TABLE, PG_FTS_COLUMN, PG_FTS_INDEX
from servicekit.migrations import run_env


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Leaves the full-text index out of the models' comparison (alembic check, autogenerate): the migration makes
    it, and no model can describe it. On SQLite that is the FTS5 virtual table ``search_fts`` and the shadow tables
    SQLite keeps for it (search_fts_data, _idx, _docsize, _config); on PostgreSQL the generated tsvector column of
    searchcontent and its GIN index."""
    if type_ == "table" and name is not None and (name == FTS_TABLE or name.startswith(f"{FTS_TABLE}_")):
        return False
    if type_ == "column" and name == PG_FTS_COLUMN and getattr(obj, "table", None) is not None:
        return str(obj.table.name) != "searchcontent"
    return not (type_ == "index" and name == PG_FTS_INDEX)


run_env(SQLModel.metadata, include_object=include_object)
