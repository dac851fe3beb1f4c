"""Uploaded CSV files: any encoding staff's spreadsheets use, any line ending, and a clear 422
for what cannot be read."""

import pytest
from pydantic import BaseModel, ValidationError

from servicekit.csvfile import check_import, read_csv, row_errors
from servicekit.errors import Problem


@pytest.mark.parametrize("ending", ["\n", "\r\n", "\r"])
def test_every_line_ending_reads_the_same(ending: str) -> None:
    raw = ending.join(["姓名,界别", "张三,经济界", "李四,"]).encode()
    assert read_csv(raw) == (["姓名", "界别"], [{"姓名": "张三", "界别": "经济界"}, {"姓名": "李四", "界别": ""}])


def test_gb18030_and_a_bom_are_read() -> None:
    assert read_csv("姓名\n王五\n".encode("gb18030"))[1] == [{"姓名": "王五"}]
    assert read_csv("\ufeff姓名\n王五\n".encode())[0] == ["姓名"]


def test_extra_cells_are_kept_under_none() -> None:
    assert read_csv(b"a\n1,2\n")[1] == [{"a": "1", None: ["2"]}]


@pytest.mark.parametrize(
    ("raw", "code"),
    [(b"\xff\xfe\x00\xd8", "invalid_encoding"), (b'a\n"' + b"x" * 200_000 + b'"\n', "invalid_csv")],
)
def test_what_cannot_be_read_is_a_422(raw: bytes, code: str) -> None:
    with pytest.raises(Problem) as caught:
        read_csv(raw)
    assert caught.value.status == 422 and caught.value.code == code


class _Row(BaseModel):
    name: str
    seats: int


def test_a_bad_row_is_reported_by_row_and_field_and_nothing_is_imported() -> None:
    with pytest.raises(ValidationError) as caught:
        _Row.model_validate({"name": "经济界", "seats": "many"})
    errors = row_errors(3, caught.value)
    assert [(e["row"], e["field"]) for e in errors] == [(3, "seats")]
    with pytest.raises(Problem) as rejected:
        check_import(errors, 5, "member")
    assert (rejected.value.status, rejected.value.code, rejected.value.errors) == (422, "invalid_rows", errors)


def test_a_file_without_rows_is_a_422_and_a_clean_one_passes() -> None:
    with pytest.raises(Problem) as empty:
        check_import([], 0, "unit")
    assert (empty.value.status, empty.value.code) == (422, "empty_file")
    assert empty.value.detail == "the file has no unit rows"
    check_import([], 2, "unit")
