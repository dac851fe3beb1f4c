"""Reading the CSV files staff upload (member lists, unit lists): UTF-8 or GB18030, since
spreadsheets saved in mainland China are often GB18030 (GBK); any line ending; a broken file is
a 422 problem, never a 500. And writing cells into the CSV and XLSX files the services hand out
(reports, exports) so that a spreadsheet never runs one as a formula."""

import csv
import io
from typing import Any

from pydantic import ValidationError

from servicekit.errors import Problem


def decode_csv(raw: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise Problem(422, "invalid_encoding", "Invalid Encoding", "the file is neither UTF-8 nor GB18030 text")


def read_csv(raw: bytes) -> tuple[list[str], list[dict[Any, Any]]]:
    """The stripped header names and every record (a record with more cells than columns has
    them under the key None, as csv.DictReader does)."""
    # newline="" lets the csv module see \r, \n and \r\n line endings itself
    reader = csv.DictReader(io.StringIO(decode_csv(raw), newline=""))
    try:
        records: list[dict[Any, Any]] = list(reader)
        headers = [h.strip() for h in reader.fieldnames or []]
    except csv.Error as exc:
        raise Problem(422, "invalid_csv", "Invalid CSV", f"the file is not readable CSV: {exc}") from None
    return headers, records


def row_problem(line: int, field: str | None, kind: str, message: str, **values: Any) -> dict[str, Any]:
    """One problem of an imported row: its line (the header is row 1), its field (None: the whole
    row) and an English message; ``kind`` and ``values`` word it in Chinese for a caller who asks
    (problem_i18n.row_problems), and never leave the service."""
    return {"row": line, "field": field, "message": message, "type": kind, "ctx": values}


def row_errors(line: int, exc: ValidationError) -> list[dict[str, Any]]:
    """A row's validation errors, each naming its row and field."""
    return [
        row_problem(line, ".".join(map(str, e["loc"])), e["type"], e["msg"], **(e.get("ctx") or {}))
        for e in exc.errors()
    ]


def check_import(errors: list[dict[str, Any]], rows: int, what: str) -> None:
    """All rows or none: a 422 listing every bad row, or one for a file without ``what`` rows."""
    if errors:
        raise Problem(
            422,
            "invalid_rows",
            "Invalid Rows",
            f"{len(errors)} problem(s) in the file; nothing was imported",
            errors=errors,
        )
    if not rows:
        raise Problem(422, "empty_file", "Empty File", f"the file has no {what} rows")


# What makes a spreadsheet read a cell as a formula (OWASP "CSV injection": =, +, -, @, tab, CR).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value: object) -> object:
    """A text that would start a formula gets a leading single quote, so it stays text; numbers
    stay numbers (a negative number is no formula). Names come from users (a category or unit
    called "=HYPERLINK(...)"), and a spreadsheet would run them."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
