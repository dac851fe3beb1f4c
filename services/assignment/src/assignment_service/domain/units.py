"""The unit tree (承办单位): the government, its departments, districts and their departments."""

from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from assignment_service.models import Unit, UnitCreate
from servicekit.auth import Principal, Role, forbidden
from servicekit.csvfile import check_import, read_csv, row_errors, row_problem
from servicekit.errors import NotFound, Problem
from servicekit.pagination import paginate

UNIT_COLUMNS = {"编号": "code", "名称": "name", "上级编号": "parent_code", "类型": "kind"} | {
    name: name for name in ("code", "name", "parent_code", "kind")
}


def _require_admin(principal: Principal) -> None:
    if principal.role != Role.admin:
        raise forbidden("only an administrator may change the unit tree")


async def get_unit(*, session: AsyncSession, unit_id: str) -> Unit:
    unit = await session.get(Unit, unit_id)
    if unit is None:
        raise NotFound("unit", unit_id)
    return unit


async def find_unit(session: AsyncSession, unit_id: str, field: str) -> Unit:
    """An active unit, or a 422 naming the field."""
    unit = await session.get(Unit, unit_id)
    if unit is None or not unit.active:
        raise Problem(
            422,
            "unknown_unit",
            "Unknown Unit",
            f"unit {unit_id} does not exist",
            errors=[{"in": "body", "field": field, "message": "unknown unit"}],
        )
    return unit


async def list_units(*, session: AsyncSession, limit: int, cursor: str | None) -> tuple[list[Unit], str | None]:
    """By code (unique), a page at a time."""
    return await paginate(session, select(Unit), keys=(col(Unit.code),), types=(str,), cursor=cursor, limit=limit)


async def create_unit(*, session: AsyncSession, principal: Principal, data: UnitCreate) -> Unit:
    _require_admin(principal)
    parent = None
    if data.parent_code:
        parent = (await session.exec(select(Unit).where(Unit.code == data.parent_code))).first()
        if parent is None:
            raise Problem(
                422,
                "unknown_parent",
                "Unknown Parent",
                f"no unit has code {data.parent_code}",
                errors=[{"in": "body", "field": "parent_code", "message": "unknown unit code"}],
            )
    unit = Unit(code=data.code, name=data.name, kind=data.kind, parent_id=parent.id if parent else None)
    session.add(unit)
    try:
        await session.commit()
    except IntegrityError:
        raise Problem(409, "unit_code_taken", "Unit Code Taken", f"code {data.code} is already used") from None
    return unit


def parse_unit_rows(raw: bytes) -> tuple[list[tuple[int, UnitCreate]], list[dict[str, Any]]]:
    headers, records = read_csv(raw)
    if not headers or any(h not in UNIT_COLUMNS for h in headers):
        raise Problem(422, "invalid_csv_header", "Invalid CSV Header", "the first row must be: 编号,名称,上级编号,类型")
    rows: list[tuple[int, UnitCreate]] = []
    errors: list[dict[str, Any]] = []
    for line, record in enumerate(records, start=2):
        values = {UNIT_COLUMNS[k.strip()]: (v or "").strip() or None for k, v in record.items() if k is not None}
        if values.get("kind") is None:
            values.pop("kind", None)
        try:
            rows.append((line, UnitCreate.model_validate(values)))
        except ValidationError as exc:
            errors += row_errors(line, exc)
    return rows, errors


async def import_units(
    *, session: AsyncSession, principal: Principal, raw: bytes, dry_run: bool = False
) -> tuple[int, list[dict[str, Any]]]:
    """All rows or none; a parent must be an existing unit or come earlier in the file.
    A dry run writes nothing and answers the rows that would be imported and every bad row.
    Returns (units imported or importable, problems)."""
    _require_admin(principal)
    rows, errors = parse_unit_rows(raw)
    existing = {u.code: u for u in (await session.exec(select(Unit))).all()}
    created: dict[str, Unit] = {}
    for line, data in rows:
        if data.code in existing or data.code in created:
            errors.append(row_problem(line, "code", "code_taken", f"code {data.code} is already used", code=data.code))
            continue
        parent = created.get(data.parent_code or "") or existing.get(data.parent_code or "")
        if data.parent_code and parent is None:
            errors.append(
                row_problem(
                    line,
                    "parent_code",
                    "unknown_parent",
                    f"unknown parent {data.parent_code}",
                    parent_code=data.parent_code,
                )
            )
            continue
        created[data.code] = Unit(
            code=data.code, name=data.name, kind=data.kind, parent_id=parent.id if parent else None
        )
    if dry_run:
        check_import([], len(created) + len(errors), "unit")
        bad = {e["row"] for e in errors}
        return sum(1 for line, _ in rows if line not in bad), errors
    check_import(errors, len(created), "unit")
    for unit in created.values():
        session.add(unit)
        await session.flush()  # parents before children
    await session.commit()
    return len(created), []
