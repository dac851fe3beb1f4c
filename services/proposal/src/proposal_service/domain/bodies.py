"""Bodies, their sessions, categories and members."""

from typing import Any

from pydantic import RootModel, ValidationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from proposal_service.domain.access import may_configure
from proposal_service.models import (
    Body,
    BodyCreate,
    BodyKind,
    Category,
    CategoryCreate,
    CategoryPublic,
    CategoryUpdate,
    Member,
    MemberCreate,
    Session,
    SessionCreate,
    SessionPublic,
    SessionUpdate,
)
from servicekit.auth import Principal, Role, forbidden
from servicekit.csvfile import check_import, read_csv, row_errors, row_problem
from servicekit.errors import NotFound, Problem
from servicekit.pagination import paginate
from servicekit.preconditions import check_if_match, weak_etag

# An NPC motion needs several deputies (5 at municipal level by the local organisation laws: the lead
# and 4 cosigners); a CPPCC joint proposal needs at least one cosigner.
DEFAULT_MIN_COSIGNERS = {BodyKind.cppcc: 1, BodyKind.npc: 4}

_DIGITS = "零一二三四五六七八九"


def chinese_numeral(n: int) -> str:
    """1..99 as written in session names: 3 → 三, 14 → 十四, 20 → 二十."""
    tens, ones = divmod(n, 10)
    if tens == 0:
        return _DIGITS[ones]
    return ("" if tens == 1 else _DIGITS[tens]) + "十" + (_DIGITS[ones] if ones else "")


def session_name(term: int, meeting: int) -> str:
    return f"{chinese_numeral(term)}届{chinese_numeral(meeting)}次会议"


def _require_configurer(principal: Principal, body_id: str) -> None:
    if not may_configure(principal, body_id):
        raise forbidden("only the body's staff or an administrator may change its configuration")


async def get_body(*, session: AsyncSession, body_id: str) -> Body:
    body = await session.get(Body, body_id)
    if body is None:
        raise NotFound("body", body_id)
    return body


async def create_body(*, session: AsyncSession, principal: Principal, data: BodyCreate) -> Body:
    if principal.role != Role.admin:
        raise forbidden("only an administrator may create a body")
    if len(set(data.categories)) != len(data.categories):
        raise Problem(422, "duplicate_category", "Duplicate Category", "the categories must be distinct")
    body = Body.model_validate(data, update={"min_cosigners": data.min_cosigners or DEFAULT_MIN_COSIGNERS[data.kind]})
    session.add(body)
    for name in data.categories:
        session.add(Category(body_id=body.id, name=name))
    await session.commit()
    return body


async def list_bodies(*, session: AsyncSession) -> list[Body]:
    return list((await session.exec(select(Body).order_by(col(Body.name)))).all())


async def create_session(*, session: AsyncSession, principal: Principal, body_id: str, data: SessionCreate) -> Session:
    await get_body(session=session, body_id=body_id)
    _require_configurer(principal, body_id)
    _check_window(data.filing_opens_at, data.filing_closes_at)
    row = Session.model_validate(data, update={"body_id": body_id, "name": session_name(data.term, data.meeting)})
    session.add(row)
    try:
        await session.commit()
    except IntegrityError:
        raise Problem(409, "session_exists", "Session Exists", f"the body already has {row.name}") from None
    return row


def _check_window(opens: Any, closes: Any) -> None:
    if opens and closes and closes <= opens:
        raise Problem(
            422,
            "invalid_filing_window",
            "Invalid Filing Window",
            "the filing window must close after it opens",
            errors=[{"in": "body", "field": "filing_closes_at", "message": "must be after filing_opens_at"}],
        )


async def get_session(*, session: AsyncSession, session_id: str, for_update: bool = False) -> Session:
    row = await session.get(Session, session_id, with_for_update=for_update)
    if row is None:
        raise NotFound("session", session_id)
    return row


def session_etag(row: Session) -> str:
    return weak_etag(SessionPublic.model_validate(row))


async def update_session(
    *, session: AsyncSession, principal: Principal, session_id: str, data: SessionUpdate, if_match: str | None = None
) -> Session:
    """Changes the given fields; a stale ``if_match`` is a 412 and changes nothing, none skips the check."""
    row = await get_session(session=session, session_id=session_id, for_update=True)
    _require_configurer(principal, row.body_id)
    check_if_match(if_match, session_etag(row))
    changes = data.model_dump(exclude_unset=True)
    for field, value in changes.items():
        if value is None and field == "published":
            continue
        setattr(row, field, value)
    _check_window(row.filing_opens_at, row.filing_closes_at)
    session.add(row)
    await session.commit()
    return row


async def list_sessions(*, session: AsyncSession, body_id: str) -> list[Session]:
    await get_body(session=session, body_id=body_id)
    query = select(Session).where(Session.body_id == body_id).order_by(col(Session.term), col(Session.meeting))
    return list((await session.exec(query)).all())


def categories_etag(categories: list[Category]) -> str:
    """One ETag for the body's whole category list: the categories are edited as one setting, so an
    edit made on a stale reading of the list (another editor saved since) is refused with 412."""
    return weak_etag(RootModel[list[CategoryPublic]]([CategoryPublic.model_validate(c) for c in categories]))


async def _locked_categories(session: AsyncSession, body_id: str, if_match: str | None) -> list[Category]:
    # The body's row is locked so two edits of its categories run one after the other.
    if await session.get(Body, body_id, with_for_update=True) is None:
        raise NotFound("body", body_id)
    query = select(Category).where(Category.body_id == body_id).order_by(col(Category.name))
    categories = list((await session.exec(query)).all())
    check_if_match(if_match, categories_etag(categories))
    return categories


async def create_category(
    *, session: AsyncSession, principal: Principal, body_id: str, data: CategoryCreate, if_match: str | None = None
) -> Category:
    await get_body(session=session, body_id=body_id)
    _require_configurer(principal, body_id)
    await _locked_categories(session, body_id, if_match)
    category = Category(body_id=body_id, name=data.name)
    session.add(category)
    try:
        await session.commit()
    except IntegrityError:
        raise Problem(409, "category_exists", "Category Exists", f"the body already has category {data.name}") from None
    return category


async def update_category(
    *,
    session: AsyncSession,
    principal: Principal,
    body_id: str,
    category_id: str,
    data: CategoryUpdate,
    if_match: str | None = None,
) -> Category:
    """Renames or (de)activates one category. Items keep their category; the statistics already
    projected keep the name the item was registered under."""
    await get_body(session=session, body_id=body_id)
    _require_configurer(principal, body_id)
    categories = await _locked_categories(session, body_id, if_match)
    category = next((c for c in categories if c.id == category_id), None)
    if category is None:
        raise NotFound("category", category_id)
    changes = data.model_dump(exclude_unset=True)
    if changes.get("name") is not None:
        category.name = changes["name"]
    if changes.get("active") is not None:
        category.active = changes["active"]
    session.add(category)
    try:
        await session.commit()
    except IntegrityError:
        raise Problem(
            409,
            "category_exists",
            "Category Exists",
            f"the body already has category {changes.get('name')}",
            errors=[{"in": "body", "field": "name", "message": "already used"}],
        ) from None
    return category


async def list_categories(*, session: AsyncSession, body_id: str) -> list[Category]:
    await get_body(session=session, body_id=body_id)
    query = select(Category).where(Category.body_id == body_id).order_by(col(Category.name))
    return list((await session.exec(query)).all())


async def find_category(*, session: AsyncSession, body_id: str, category_id: str) -> Category:
    """The body's active category, or a 422 naming the field."""
    category = await session.get(Category, category_id)
    if category is None or category.body_id != body_id or not category.active:
        raise Problem(
            422,
            "unknown_category",
            "Unknown Category",
            f"category {category_id} is not one of this body's categories",
            errors=[{"in": "body", "field": "category_id", "message": "unknown category"}],
        )
    return category


async def create_member(*, session: AsyncSession, principal: Principal, body_id: str, data: MemberCreate) -> Member:
    await get_body(session=session, body_id=body_id)
    _require_configurer(principal, body_id)
    member = Member.model_validate(data, update={"body_id": body_id})
    session.add(member)
    try:
        await session.commit()
    except IntegrityError:
        raise Problem(409, "member_code_taken", "Member Code Taken", f"code {data.code} is already used") from None
    return member


async def list_members(
    *, session: AsyncSession, principal: Principal, body_id: str, q: str | None, limit: int, cursor: str | None
) -> tuple[list[Member], str | None]:
    """The body's directory by name, a page at a time: for its members (to invite cosigners),
    staff and administrators; ``q`` keeps the members whose name contains it."""
    await get_body(session=session, body_id=body_id)
    if not (may_configure(principal, body_id) or principal.body_id == body_id):
        raise forbidden("only the body's members and staff may read its member directory")
    query = select(Member).where(Member.body_id == body_id)
    if q:
        query = query.where(col(Member.name).contains(q, autoescape=True))
    return await paginate(
        session, query, keys=(col(Member.name), col(Member.id)), types=(str, str), cursor=cursor, limit=limit
    )


# CSV column headers, in Chinese as staff write them or in English.
MEMBER_COLUMNS = {
    "姓名": "name",
    "界别": "sector",
    "党派团体": "affiliation",
    "党派": "affiliation",
    "联系电话": "phone",
    "电话": "phone",
    "电子邮箱": "email",
    "邮箱": "email",
    "编号": "code",
    "委员编号": "code",
    **{name: name for name in ("name", "sector", "affiliation", "phone", "email", "code")},
}


def parse_member_rows(raw: bytes) -> tuple[list[tuple[int, MemberCreate]], list[dict[str, Any]]]:
    """The rows of a members CSV and the problems of every bad row (row numbers count the header as 1)."""
    headers, records = read_csv(raw)
    unknown = [h for h in headers if h not in MEMBER_COLUMNS]
    if not headers or unknown or "name" not in {MEMBER_COLUMNS[h] for h in headers if h in MEMBER_COLUMNS}:
        raise Problem(
            422,
            "invalid_csv_header",
            "Invalid CSV Header",
            "the first row must name the columns: 姓名 (required), 界别, 党派团体, 联系电话, 电子邮箱, 编号"
            + (f"; unknown: {', '.join(unknown)}" if unknown else ""),
        )
    members: list[tuple[int, MemberCreate]] = []
    errors: list[dict[str, Any]] = []
    codes: dict[str, int] = {}
    for line, record in enumerate(records, start=2):
        if None in record:
            errors.append(row_problem(line, None, "extra_cells", "more cells than columns"))
            continue
        values = {MEMBER_COLUMNS[k.strip()]: (v or "").strip() or None for k, v in record.items()}
        code = values.get("code")
        try:
            members.append((line, MemberCreate.model_validate(values)))
        except ValidationError as exc:
            errors += row_errors(line, exc)
        if code and code in codes:
            errors.append(
                row_problem(line, "code", "duplicate_code", f"same code as row {codes[code]}", row=codes[code])
            )
        elif code:
            codes[code] = line
    return members, errors


async def import_members(
    *, session: AsyncSession, principal: Principal, body_id: str, raw: bytes, dry_run: bool = False
) -> tuple[int, list[dict[str, Any]]]:
    """All rows or none: any bad row is reported (every one of them) and nothing is imported.
    A dry run writes nothing and answers the rows that would be imported and every bad row, so
    staff see the whole preview before deciding. Returns (rows imported or importable, problems)."""
    await get_body(session=session, body_id=body_id)
    _require_configurer(principal, body_id)
    members, errors = parse_member_rows(raw)
    rows_by_code = {m.code: line for line, m in members if m.code}
    if rows_by_code:
        query = select(Member.code).where(Member.body_id == body_id, col(Member.code).in_(list(rows_by_code)))
        taken = sorted(c for c in (await session.exec(query)).all() if c)
        errors += [
            row_problem(rows_by_code[code], "code", "code_taken", f"code {code} already belongs to a member", code=code)
            for code in taken
        ]
    if dry_run:
        check_import([], len(members) + len(errors), "member")
        bad = {e["row"] for e in errors}
        return sum(1 for line, _ in members if line not in bad), errors
    check_import(errors, len(members), "member")
    for _, data in members:
        session.add(Member.model_validate(data, update={"body_id": body_id}))
    await session.commit()
    return len(members), []
