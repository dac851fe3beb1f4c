"""The working-day calendar: rules checked on real dates from the State Council's holiday notices."""

import json
from datetime import date, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from cn_workdays import DEFAULT_DATA, Holiday, WorkCalendar, YearData


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    return WorkCalendar.default()


def _doc(year: str, holidays: list[dict[str, str]], workdays: list[str], **extra: Any) -> dict[str, Any]:
    return {"name": "测试日历", "years": {year: {"holidays": holidays, "workdays": workdays, **extra}}}


# -- the shipped data -------------------------------------------------------------------------------------------


def test_shipped_data_covers_2024_to_2027_with_2027_provisional(cal: WorkCalendar) -> None:
    assert cal.years == (2024, 2025, 2026, 2027)
    assert cal.provisional_years == frozenset({2027})
    assert "国务院办公厅" in (cal.note(2027) or "")
    assert cal.note(2024) is None
    assert cal.name == "中国大陆法定节假日"
    assert cal.covers(date(2024, 1, 1)) and cal.covers(date(2027, 12, 31))
    assert not cal.covers(date(2023, 12, 31)) and not cal.covers(date(2028, 1, 1))


@pytest.mark.parametrize("year", [2024, 2025, 2026, 2027])
def test_extra_days_off_are_balanced_by_make_up_days(cal: WorkCalendar, year: int) -> None:
    """Each year has the weekdays minus the statutory holidays on weekdays (11 days before 2025, 13 since)."""
    weekdays = sum(1 for d in range(366) if (day := date(year, 1, 1) + timedelta(d)).year == year and day.weekday() < 5)
    statutory = 11 if year == 2024 else 13
    assert cal.working_days_between(date(year - 1, 12, 31), date(year, 12, 31)) == weekdays - statutory


def test_national_day_2024(cal: WorkCalendar) -> None:
    for day in range(1, 8):
        assert not cal.is_working_day(date(2024, 10, day))
        assert cal.holiday_name(date(2024, 10, day)) == "国庆节"
    assert cal.is_working_day(date(2024, 9, 29))  # Sunday, 调休上班
    assert cal.is_working_day(date(2024, 10, 12))  # Saturday, 调休上班
    assert cal.is_makeup_workday(date(2024, 10, 12))
    assert cal.is_working_day(date(2024, 10, 8))
    assert not cal.is_working_day(date(2024, 10, 13))  # an ordinary Sunday
    assert not cal.is_working_day(date(2024, 9, 28))  # an ordinary Saturday
    assert cal.describe(date(2024, 9, 29)) == "调休上班日（周日）"
    assert cal.describe(date(2024, 10, 3)) == "国庆节假日"
    assert cal.describe(date(2024, 10, 13)) == "周日"
    assert cal.describe(date(2024, 10, 8)) == "工作日"


def test_spring_festival_2024(cal: WorkCalendar) -> None:
    assert [d.day for d in (date(2024, 2, n) for n in range(1, 29)) if not cal.is_working_day(d)] == [
        3,
        *range(10, 18),
        24,
        25,
    ]
    assert cal.is_working_day(date(2024, 2, 4)) and cal.is_working_day(date(2024, 2, 18))
    assert cal.is_working_day(date(2024, 2, 9))  # 除夕 was not a statutory day off before 2025


def test_spring_festival_2025_includes_new_year_eve(cal: WorkCalendar) -> None:
    off = [date(2025, 1, 28) + timedelta(n) for n in range(8)]  # 除夕 Jan 28 to 初七 Feb 4
    assert all(not cal.is_working_day(d) and cal.holiday_name(d) == "春节" for d in off)
    assert cal.is_working_day(date(2025, 1, 27)) and cal.is_working_day(date(2025, 2, 5))
    assert cal.is_working_day(date(2025, 1, 26))  # Sunday, 调休上班
    assert cal.is_working_day(date(2025, 2, 8))  # Saturday, 调休上班
    # (Jan 24, Feb 8]: Jan 26 (调休), Jan 27, Feb 5, 6, 7, Feb 8 (调休)
    assert cal.working_days_between(date(2025, 1, 24), date(2025, 2, 8)) == 6


def test_2025_national_day_and_mid_autumn_run_together(cal: WorkCalendar) -> None:
    assert all(not cal.is_working_day(date(2025, 10, n)) for n in range(1, 9))
    assert cal.holiday_name(date(2025, 10, 6)) == "国庆节、中秋节"
    assert cal.is_working_day(date(2025, 9, 28)) and cal.is_working_day(date(2025, 10, 11))


def test_2026_new_year_and_spring_festival(cal: WorkCalendar) -> None:
    assert not cal.is_working_day(date(2026, 1, 2)) and cal.is_working_day(date(2026, 1, 4))
    assert all(not cal.is_working_day(date(2026, 2, n)) for n in range(15, 24))
    assert cal.is_working_day(date(2026, 2, 14)) and cal.is_working_day(date(2026, 2, 28))


# -- arithmetic -------------------------------------------------------------------------------------------------


def test_add_months_keeps_the_day_or_clamps_to_month_end(cal: WorkCalendar) -> None:
    assert cal.add_months(date(2024, 4, 15), 3) == date(2024, 7, 15)
    assert cal.add_months(date(2024, 11, 29), 3) == date(2025, 2, 28)  # Feb 29 does not exist in 2025
    assert cal.add_months(date(2025, 11, 28), 3) == date(2026, 2, 28)  # a make-up Saturday is a working day
    assert cal.add_months(date(2025, 3, 15), 0) == date(2025, 3, 17)  # Saturday rolls to Monday
    with pytest.raises(ValueError, match="n >= 0"):
        cal.add_months(date(2025, 3, 15), -1)


def test_due_date_rolls_over_national_day(cal: WorkCalendar) -> None:
    assert cal.add_months(date(2024, 7, 1), 3) == date(2024, 10, 8)
    assert cal.add_months(date(2024, 7, 5), 3) == date(2024, 10, 8)  # lands on the Saturday Oct 5
    assert cal.add_months(date(2024, 6, 28), 3) == date(2024, 9, 29)  # Saturday Sep 28 -> make-up Sunday Sep 29


def test_due_date_rolls_over_spring_festival_to_a_make_up_sunday(cal: WorkCalendar) -> None:
    assert cal.add_months(date(2023, 11, 12), 3) == date(2024, 2, 18)


def test_add_working_days_across_make_up_days(cal: WorkCalendar) -> None:
    # Fri Sep 27 2024: Sun Sep 29 (调休) 1, Mon Sep 30 2, Oct 1-7 off, Oct 8 3, Oct 9 4, Oct 10 5
    assert cal.add_working_days(date(2024, 9, 27), 5) == date(2024, 10, 10)
    # Thu Oct 10 2024: Fri Oct 11 1, Sat Oct 12 (调休) 2, Mon Oct 14 3
    assert cal.add_working_days(date(2024, 10, 10), 3) == date(2024, 10, 14)
    # the default acknowledgement window from Friday Jan 24 2025: Sun Jan 26 (调休) 1, Jan 27 2, 春节 Jan 28-Feb 4,
    # Feb 5 3, Feb 6 4, Feb 7 5
    assert cal.add_working_days(date(2025, 1, 24), 5) == date(2025, 2, 7)


def test_add_working_days_zero_is_start_or_next_working_day(cal: WorkCalendar) -> None:
    assert cal.add_working_days(date(2024, 10, 8), 0) == date(2024, 10, 8)
    assert cal.add_working_days(date(2024, 10, 1), 0) == date(2024, 10, 8)
    assert cal.add_working_days(date(2024, 10, 12), 0) == date(2024, 10, 12)  # a make-up Saturday
    with pytest.raises(ValueError, match="n >= 0"):
        cal.add_working_days(date(2024, 10, 8), -1)


def test_working_days_between_excludes_start_includes_end(cal: WorkCalendar) -> None:
    assert cal.working_days_between(date(2024, 9, 27), date(2024, 10, 10)) == 5
    assert cal.working_days_between(date(2024, 10, 7), date(2024, 10, 8)) == 1
    assert cal.working_days_between(date(2024, 10, 8), date(2024, 10, 8)) == 0
    assert cal.working_days_between(date(2024, 10, 10), date(2024, 10, 1)) == 0
    assert cal.working_days_between(date(2024, 9, 30), date(2024, 10, 7)) == 0


def test_working_days_between_agrees_with_add_working_days(cal: WorkCalendar) -> None:
    starts = [date(2023, 12, 20) + timedelta(days=9 * i) for i in range(180)]  # late 2023 to 2028, across every year
    for start in starts:
        for n in (1, 5, 23, 66):
            due = cal.add_working_days(start, n)
            assert cal.working_days_between(start, due) == n
            assert cal.is_working_day(due)


# -- explanations -----------------------------------------------------------------------------------------------


def test_explain_due_on_a_working_day(cal: WorkCalendar) -> None:
    due, steps = cal.explain_due(date(2024, 4, 15), months=3)
    assert due == date(2024, 7, 15)
    assert steps == ["交办日期 2024-04-15", "加 3 个月：2024-07-15", "2024-07-15 为工作日，截止日期 2024-07-15"]


def test_explain_due_rolled_over_a_holiday(cal: WorkCalendar) -> None:
    due, steps = cal.explain_due(date(2024, 7, 1), months=3)
    assert due == date(2024, 10, 8)
    assert steps == [
        "交办日期 2024-07-01",
        "加 3 个月：2024-10-01",
        "2024-10-01 为国庆节假日，顺延至 2024-10-08",
        "截止日期 2024-10-08",
    ]


def test_explain_due_weekend_to_make_up_day_and_clamped_month(cal: WorkCalendar) -> None:
    due, steps = cal.explain_due(date(2024, 6, 28), months=3)
    assert due == date(2024, 9, 29)
    assert steps[2] == "2024-09-28 为周六，顺延至 2024-09-29（调休上班日，周日）"
    due, steps = cal.explain_due(date(2024, 11, 30), months=3, start_label="测评日期")
    assert due == date(2025, 2, 28)
    assert steps == [
        "测评日期 2024-11-30",
        "加 3 个月：2025-02-28（2 月无 30 日，取当月最后一天）",
        "2025-02-28 为工作日，截止日期 2025-02-28",
    ]


def test_explain_due_in_working_days(cal: WorkCalendar) -> None:
    due, steps = cal.explain_due(date(2024, 9, 27), working_days=5)
    assert due == date(2024, 10, 10)
    assert steps == [
        "交办日期 2024-09-27",
        "加 5 个工作日（不含当日；周末和法定节假日不计，调休上班日计入）",
        "跳过国庆节假日 2024-10-01 至 2024-10-07",
        "计入调休上班日 2024-09-29（周日）",
        "第 5 个工作日为 2024-10-10，截止日期 2024-10-10",
    ]
    due, steps = cal.explain_due(date(2024, 10, 3), working_days=0)
    assert due == date(2024, 10, 8)
    assert steps[-2:] == ["2024-10-03 为国庆节假日，顺延至 2024-10-08", "截止日期 2024-10-08"]


def test_explain_due_needs_exactly_one_measure(cal: WorkCalendar) -> None:
    with pytest.raises(ValueError, match="exactly one"):
        cal.explain_due(date(2024, 4, 15))
    with pytest.raises(ValueError, match="exactly one"):
        cal.explain_due(date(2024, 4, 15), months=3, working_days=5)


def test_explain_due_mentions_provisional_year(cal: WorkCalendar) -> None:
    due, steps = cal.explain_due(date(2026, 11, 5), months=3)
    assert due == date(2027, 2, 15)  # 除夕 Feb 5 2027, provisional Spring Festival Feb 5-12, then the weekend
    assert steps == [
        "交办日期 2026-11-05",
        "加 3 个月：2027-02-05",
        "2027 年节假日为暂定安排（按法定规则推算），以国务院办公厅通知为准",
        "2027-02-05 为春节假日，顺延至 2027-02-15",
        "截止日期 2027-02-15",
    ]


# -- outside the data -------------------------------------------------------------------------------------------


def test_fallback_to_monday_to_friday_outside_covered_years(cal: WorkCalendar) -> None:
    assert not cal.covers(date(2028, 10, 2))
    assert cal.is_working_day(date(2028, 10, 2))  # National Day week, but no data: a plain Monday
    assert cal.holiday_name(date(2028, 10, 2)) is None
    assert not cal.is_working_day(date(2028, 10, 1))  # Sunday
    assert cal.add_working_days(date(2028, 9, 29), 1) == date(2028, 10, 2)
    assert cal.working_days_between(date(2028, 1, 2), date(2028, 1, 9)) == 5
    assert cal.is_working_day(date(2023, 10, 2))  # before the data, too
    due, steps = cal.explain_due(date(2028, 7, 1), months=3)
    assert due == date(2028, 10, 2)
    assert steps == [
        "交办日期 2028-07-01",
        "加 3 个月：2028-10-01",
        "2028 年节假日数据未载入，按周一至周五计算",
        "2028-10-01 为周日，顺延至 2028-10-02",
        "截止日期 2028-10-02",
    ]


def test_fallback_note_when_working_days_cross_into_an_uncovered_year(cal: WorkCalendar) -> None:
    due, steps = cal.explain_due(date(2027, 12, 29), working_days=5)
    assert due == date(2028, 1, 5)
    assert "2027 年节假日为暂定安排（按法定规则推算），以国务院办公厅通知为准" in steps
    assert "2028 年节假日数据未载入，按周一至周五计算" in steps
    assert steps[-1] == "第 5 个工作日为 2028-01-05，截止日期 2028-01-05"


def test_an_empty_calendar_is_monday_to_friday() -> None:
    empty = WorkCalendar([])
    assert empty.years == () and empty.provisional_years == frozenset()
    assert empty.add_months(date(2024, 7, 1), 3) == date(2024, 10, 1)


# -- replacement documents --------------------------------------------------------------------------------------


def test_from_documents_later_document_replaces_a_year(cal: WorkCalendar) -> None:
    official_2027 = _doc("2027", [{"date": "2027-10-01", "name": "国庆节"}], ["2027-10-09"], source="通知")
    shipped = json.loads(resources.files("cn_workdays").joinpath(DEFAULT_DATA).read_text(encoding="utf-8"))
    merged = WorkCalendar.from_documents([shipped, official_2027])
    assert merged.years == (2024, 2025, 2026, 2027)
    assert merged.provisional_years == frozenset()
    assert merged.is_working_day(date(2027, 2, 8))  # the provisional Spring Festival is gone with its year
    assert not merged.is_working_day(date(2027, 10, 1))
    assert merged.is_working_day(date(2024, 10, 12))  # other years kept
    assert merged.holidays(2027) == (Holiday(date(2027, 10, 1), "国庆节"),)


def test_load_replacement_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "holidays.json"
    document = _doc(
        "2028",
        [{"date": "2028-10-02", "name": "国庆节"}, {"date": "2028-10-03", "name": "国庆节"}],
        ["2028-10-07"],
        provisional=True,
        note="本地暂定",
    )
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    local = WorkCalendar.from_file(path)
    assert local.years == (2028,) and local.provisional_years == frozenset({2028})
    assert local.note(2028) == "本地暂定"
    assert not local.is_working_day(date(2028, 10, 2))
    assert local.is_working_day(date(2028, 10, 7))  # a Saturday worked
    assert local.add_working_days(date(2028, 9, 29), 1) == date(2028, 10, 4)
    assert not local.covers(date(2024, 10, 1)) and local.is_working_day(date(2024, 10, 1))
    # what a service loads at start: the configured file, or the shipped data when none is configured
    assert WorkCalendar.configured(path).years == (2028,)
    assert WorkCalendar.configured(None) is WorkCalendar.default()


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (
            _doc("2024", [{"date": "2024-10-12", "name": "国庆节"}], ["2024-10-12"]),
            r"2024-10-12 is listed both as a holiday \(国庆节\) and as a make-up working day",
        ),
        (_doc("2024", [], ["2024-09-30"]), r"make-up working day \(调休上班\) 2024-09-30 is a Monday"),
        (_doc("2024", [{"date": "2025-01-01", "name": "元旦"}], []), r"holiday 2025-01-01 \(元旦\) is not in 2024"),
        (_doc("2024", [], ["2025-01-26"]), r"make-up working day 2025-01-26 is not in 2024"),
        (_doc("2024", [{"date": "2024-02-30", "name": "春节"}], []), r"'2024-02-30' is not a valid date"),
        (_doc("2024", [{"date": "2024/10/01", "name": "国庆节"}], []), r"'2024/10/01' is not a date in the form"),
        (_doc("2024", [{"date": "2024-10-01", "name": ""}], []), r"holiday 2024-10-01 needs a non-empty name"),
        (_doc("2024", [{"date": "2024-10-01"}], []), r"exactly 'date' and 'name'"),
        (
            _doc("2024", [{"date": "2024-10-01", "name": "国庆节"}, {"date": "2024-10-01", "name": "国庆节"}], []),
            r"holiday 2024-10-01 is listed twice",
        ),
        (_doc("2024", [], [], workday=["2024-10-12"]), r"unknown keys \['workday'\]"),
        (_doc("2027", [], [], provisional=True), r"a provisional year needs a 'note'"),
        ({"years": {"24": {"holidays": [], "workdays": []}}}, r"year key '24' is not a four-digit year"),
        ({"name": "x"}, r"'years' must be an object"),
    ],
)
def test_invalid_replacement_documents_are_rejected_naming_file_and_date(
    tmp_path: Path, document: dict[str, Any], message: str
) -> None:
    path = tmp_path / "bad-calendar.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(ValueError, match=message) as raised:
        WorkCalendar.from_file(path)
    assert str(path) in str(raised.value)


def test_from_documents_names_the_document() -> None:
    with pytest.raises(ValueError, match=r"^calendar document #2, year 2024: make-up working day"):
        WorkCalendar.from_documents([_doc("2025", [], []), _doc("2024", [], ["2024-10-08"])])
    with pytest.raises(ValueError, match=r"^ops\.json, year 2024: "):
        WorkCalendar.from_documents([_doc("2024", [], ["2024-10-08"])], origins=["ops.json"])


def test_unreadable_or_non_json_files_raise_value_error_naming_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "missing.json"
    with pytest.raises(ValueError, match=r"missing\.json: cannot be read"):
        WorkCalendar.from_file(missing)
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match=r"broken\.json: not valid JSON"):
        WorkCalendar.from_file(broken)
    array = tmp_path / "array.json"
    array.write_text("[]", encoding="utf-8")
    with pytest.raises(ValueError, match=r"array\.json: the document must be a JSON object"):
        WorkCalendar.from_file(array)


def test_year_data_built_in_code_is_validated_too() -> None:
    bad = YearData(year=2024, holidays=(), workdays=(date(2024, 10, 8),), origin="code")
    with pytest.raises(ValueError, match=r"^code, year 2024: make-up working day"):
        WorkCalendar([bad])
