"""The working-day calendar that handling deadlines are computed on.

A pure module: no database, no clock. The calendar is loaded from data, one JSON document per source::

    {"name": "中国大陆法定节假日", "source": "...", "note": "...",
     "years": {"2024": {"holidays": [{"date": "2024-10-01", "name": "国庆节"}, ...],
                        "workdays": ["2024-09-29", "2024-10-12"],
                        "source": "...", "provisional": false, "note": "..."}}}

``holidays`` are the dates off that the State Council General Office's notice (国务院办公厅关于 20xx 年部分节假日安排的
通知) lists as 放假调休, weekends inside a holiday span included, each with the holiday's name; ``workdays`` are the
make-up working days (调休上班), which must be Saturdays or Sundays. Every date is filed under its own calendar year,
even when the notice that announced it is the next year's. A year marked ``"provisional": true`` was derived from the
statutory rules rather than taken from a notice, and its ``note`` says so; it must be replaced when the notice is
published (``WorkCalendar.provisional_years`` lists such years).

The rules:

* a date is a working day if it is Monday to Friday and not a holiday, or if it is a make-up working day;
* for a year the data does not cover (``covers`` is false) the calendar falls back to Monday to Friday and every
  explanation says so; nothing raises for an uncovered date;
* ``add_months`` adds calendar months (the day of month is kept, or clamped to the last day of a shorter month:
  01-31 plus one month is 02-28/29) and then rolls forward to the next working day if it lands on a day off. This is
  the rule for "reply due three months after assignment";
* ``add_working_days(start, n)`` is the n-th working day after ``start``, ``start`` itself not counted; with n = 0 it
  is ``start`` if that is a working day, else the next working day;
* ``working_days_between(a, b)`` counts the working days in (a, b]: ``a`` excluded, ``b`` included, 0 when b <= a.
"""

from __future__ import annotations

import calendar as _gregorian
import json
import re
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from importlib import resources
from os import PathLike
from pathlib import Path

__all__ = ["DEFAULT_DATA", "Holiday", "WorkCalendar", "YearData"]

DEFAULT_DATA = "calendar_data/cn-mainland.json"  # inside this package
WEEKDAY_NAMES = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
DEFAULT_START_LABEL = "交办日期"

_ONE_DAY = timedelta(days=1)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_YEAR_KEY = re.compile(r"\d{4}")
_DOCUMENT_KEYS = frozenset({"name", "source", "note", "years"})
_YEAR_KEYS = frozenset({"holidays", "workdays", "provisional", "note", "source"})
_HOLIDAY_KEYS = frozenset({"date", "name"})


@dataclass(frozen=True)
class Holiday:
    day: date
    name: str  # the holiday's Chinese name: 元旦, 春节, 清明节, 劳动节, 端午节, 中秋节, 国庆节, ...


@dataclass(frozen=True)
class YearData:
    """One year of one document: its days off and make-up working days."""

    year: int
    holidays: tuple[Holiday, ...]
    workdays: tuple[date, ...]
    provisional: bool = False
    note: str | None = None
    source: str | None = None
    origin: str = "calendar data"  # the file (or document) it came from, for error messages


class WorkCalendar:
    """Holidays and make-up working days per year; see the module docstring for the rules."""

    def __init__(self, years: Iterable[YearData], *, name: str = "", source: str = "") -> None:
        """Builds a calendar from validated-or-not year data; raises ``ValueError`` on inconsistent data.

        A year given twice is taken from its last occurrence (a replacement document overrides whole years).
        """
        self.name = name
        self.source = source
        self._years: dict[int, YearData] = {}
        for data in years:
            _check_year(data)
            self._years[data.year] = data
        self._holidays: dict[date, str] = {}
        workdays: set[date] = set()
        for data in self._years.values():
            self._holidays.update((holiday.day, holiday.name) for holiday in data.holidays)
            workdays.update(data.workdays)
        self._workdays = frozenset(workdays)
        # Sorted lists for counting by bisection: holidays that would otherwise be working days, and make-up days.
        self._weekday_holidays = sorted(day for day in self._holidays if day.weekday() < 5)
        self._makeup_days = sorted(self._workdays)

    # -- loading ---------------------------------------------------------------------------------------------

    @classmethod
    def default(cls) -> WorkCalendar:
        """The shipped data (``calendar_data/cn-mainland.json``), loaded once per process."""
        return _shipped_calendar()

    @classmethod
    def configured(cls, path: str | PathLike[str] | None) -> WorkCalendar:
        """The operator's replacement file when one is configured, the shipped data otherwise."""
        return cls.from_file(path) if path else cls.default()

    @classmethod
    def from_file(cls, path: str | PathLike[str]) -> WorkCalendar:
        """An operator's replacement calendar: one JSON document in the shipped format.

        Raises ``ValueError`` naming the file when it cannot be read, is not JSON, or fails validation.
        """
        origin = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ValueError(f"calendar file {origin}: cannot be read: {exc}") from exc
        return cls.from_documents([_parse_json(text, origin)], origins=[origin])

    @classmethod
    def from_documents(
        cls, documents: Sequence[Mapping[str, object]], *, origins: Sequence[str] | None = None
    ) -> WorkCalendar:
        """A calendar from parsed JSON documents; a year in a later document replaces the same year in an earlier one.

        ``origins`` names each document in error messages (default: "calendar document #1", ...).
        """
        if origins is not None and len(origins) != len(documents):
            raise ValueError(f"{len(documents)} calendar documents but {len(origins)} origins")
        names = list(origins) if origins is not None else [f"calendar document #{i + 1}" for i in range(len(documents))]
        years: list[YearData] = []
        titles: list[str] = []
        sources: list[str] = []
        for document, origin in zip(documents, names, strict=True):
            title, source, parsed = _parse_document(document, origin)
            years.extend(parsed)
            if title:
                titles.append(title)
            if source:
                sources.append(source)
        return cls(years, name="；".join(titles), source="；".join(sources))

    # -- what the data says ----------------------------------------------------------------------------------

    @property
    def years(self) -> tuple[int, ...]:
        """The covered years, in order."""
        return tuple(sorted(self._years))

    @property
    def provisional_years(self) -> frozenset[int]:
        """Years derived from the statutory rules rather than an official notice; replace them when it is published."""
        return frozenset(year for year, data in self._years.items() if data.provisional)

    def year_data(self, year: int) -> YearData | None:
        return self._years.get(year)

    def note(self, year: int) -> str | None:
        data = self._years.get(year)
        return data.note if data else None

    def holidays(self, year: int) -> tuple[Holiday, ...]:
        data = self._years.get(year)
        return tuple(sorted(data.holidays, key=lambda holiday: holiday.day)) if data else ()

    def covers(self, day: date) -> bool:
        """Whether the data covers ``day``'s year; outside it the calendar is Monday to Friday only."""
        return day.year in self._years

    def holiday_name(self, day: date) -> str | None:
        return self._holidays.get(day)

    def is_makeup_workday(self, day: date) -> bool:
        """Whether ``day`` is a make-up working day (调休上班, a Saturday or Sunday worked)."""
        return day in self._workdays

    def is_working_day(self, day: date) -> bool:
        if day in self._workdays:
            return True
        return day.weekday() < 5 and day not in self._holidays

    # -- arithmetic ------------------------------------------------------------------------------------------

    def next_working_day(self, day: date) -> date:
        """``day`` itself if it is a working day, else the first working day after it."""
        while not self.is_working_day(day):
            day += _ONE_DAY
        return day

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day after ``start`` (``start`` not counted).

        n = 0 gives ``start`` if it is a working day, else the next working day. Raises ``ValueError`` for n < 0.
        """
        if n < 0:
            raise ValueError(f"add_working_days needs n >= 0, got {n}")
        if n == 0:
            return self.next_working_day(start)
        day, counted = start, 0
        while counted < n:
            day += _ONE_DAY
            if self.is_working_day(day):
                counted += 1
        return day

    def working_days_between(self, a: date, b: date) -> int:
        """The number of working days in (a, b]: ``a`` excluded, ``b`` included; 0 when b <= a."""
        if b <= a:
            return 0
        weekdays = _weekdays_through(b) - _weekdays_through(a)
        holidays = bisect_right(self._weekday_holidays, b) - bisect_right(self._weekday_holidays, a)
        makeups = bisect_right(self._makeup_days, b) - bisect_right(self._makeup_days, a)
        return weekdays - holidays + makeups

    def add_months(self, start: date, n: int) -> date:
        """``n`` calendar months after ``start``, rolled forward to the next working day if that is a day off.

        The day of month is kept, or clamped to the month's last day (2024-01-31 + 1 month = 2024-02-29).
        Raises ``ValueError`` for n < 0.
        """
        return self.next_working_day(_months_later(start, n))

    def explain_due(
        self,
        start: date,
        *,
        months: int | None = None,
        working_days: int | None = None,
        start_label: str = DEFAULT_START_LABEL,
    ) -> tuple[date, list[str]]:
        """The due date ``months`` (by ``add_months``) or ``working_days`` (by ``add_working_days``) after ``start``,
        with the steps that explain it in Chinese, e.g.::

            ["交办日期 2024-07-01", "加 3 个月：2024-10-01", "2024-10-01 为国庆节假日，顺延至 2024-10-08",
             "截止日期 2024-10-08"]

        Give exactly one of ``months`` and ``working_days``. ``start_label`` names the start date (交办日期 by
        default; e.g. 测评日期 for a rehandling deadline). Years outside the data, and provisional years, that the
        computation touched are called out in a step before the last.
        """
        if (months is None) == (working_days is None):
            raise ValueError("explain_due needs exactly one of months= or working_days=")
        steps = [f"{start_label} {start.isoformat()}"]
        if months is not None:
            landed = _months_later(start, months)
            clamped = f"（{landed.month} 月无 {start.day} 日，取当月最后一天）" if landed.day != start.day else ""
            steps.append(f"加 {months} 个月：{landed.isoformat()}{clamped}")
            due = self.next_working_day(landed)
            steps.extend(self._data_notes(landed, due))
            steps.extend(self._roll_forward_steps(landed, due))
            return due, steps
        assert working_days is not None
        due = self.add_working_days(start, working_days)
        if working_days == 0:
            steps.append("加 0 个工作日：当日为工作日即为截止日期，否则顺延至下一个工作日")
            steps.extend(self._data_notes(start, due))
            steps.extend(self._roll_forward_steps(start, due))
            return due, steps
        steps.append(f"加 {working_days} 个工作日（不含当日；周末和法定节假日不计，调休上班日计入）")
        first = start + _ONE_DAY
        for name, run_start, run_end in self._holiday_runs(first, due):
            when = (
                run_start.isoformat() if run_start == run_end else f"{run_start.isoformat()} 至 {run_end.isoformat()}"
            )
            steps.append(f"跳过{name}假日 {when}")
        for makeup in self._makeup_days[bisect_right(self._makeup_days, start) : bisect_right(self._makeup_days, due)]:
            steps.append(f"计入调休上班日 {makeup.isoformat()}（{WEEKDAY_NAMES[makeup.weekday()]}）")
        steps.extend(self._data_notes(first, due))
        steps.append(f"第 {working_days} 个工作日为 {due.isoformat()}，截止日期 {due.isoformat()}")
        return due, steps

    # -- explanations ----------------------------------------------------------------------------------------

    def describe(self, day: date) -> str:
        """What kind of day ``day`` is, in Chinese: 国庆节假日, 周六, 调休上班日（周日）, 工作日."""
        if day in self._workdays:
            return f"调休上班日（{WEEKDAY_NAMES[day.weekday()]}）"
        name = self._holidays.get(day)
        if name is not None:
            return f"{name}假日"
        if day.weekday() >= 5:
            return WEEKDAY_NAMES[day.weekday()]
        return "工作日"

    def _roll_forward_steps(self, landed: date, due: date) -> list[str]:
        if landed == due:
            return [f"{landed.isoformat()} 为{self.describe(landed)}，截止日期 {due.isoformat()}"]
        target = f"（调休上班日，{WEEKDAY_NAMES[due.weekday()]}）" if due in self._workdays else ""
        return [
            f"{landed.isoformat()} 为{self.describe(landed)}，顺延至 {due.isoformat()}{target}",
            f"截止日期 {due.isoformat()}",
        ]

    def _data_notes(self, first: date, last: date) -> list[str]:
        notes: list[str] = []
        for year in range(first.year, last.year + 1):
            data = self._years.get(year)
            if data is None:
                notes.append(f"{year} 年节假日数据未载入，按周一至周五计算")
            elif data.provisional:
                notes.append(f"{year} 年节假日为暂定安排（按法定规则推算），以国务院办公厅通知为准")
        return notes

    def _holiday_runs(self, first: date, last: date) -> list[tuple[str, date, date]]:
        """Consecutive holiday dates of one name within [first, last], as (name, from, to)."""
        runs: list[tuple[str, date, date]] = []
        for day in sorted(d for d in self._holidays if first <= d <= last):
            name = self._holidays[day]
            if runs and runs[-1][0] == name and runs[-1][2] + _ONE_DAY == day:
                runs[-1] = (name, runs[-1][1], day)
            else:
                runs.append((name, day, day))
        return runs

    def __repr__(self) -> str:
        provisional = sorted(self.provisional_years)
        return f"WorkCalendar(name={self.name!r}, years={list(self.years)}, provisional_years={provisional})"


# -- helpers ---------------------------------------------------------------------------------------------------


def _weekdays_through(day: date) -> int:
    """The number of Mondays to Fridays from 0001-01-01 (a Monday) through ``day``."""
    ordinal = day.toordinal()
    return ordinal // 7 * 5 + min(ordinal % 7, 5)


def _months_later(start: date, n: int) -> date:
    if n < 0:
        raise ValueError(f"add_months needs n >= 0, got {n}")
    index = start.month - 1 + n
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, _gregorian.monthrange(year, month)[1]))


@cache
def _shipped_calendar() -> WorkCalendar:
    origin = f"cn_workdays/{DEFAULT_DATA}"
    text = resources.files("cn_workdays").joinpath(DEFAULT_DATA).read_text(encoding="utf-8")
    return WorkCalendar.from_documents([_parse_json(text, origin)], origins=[origin])


def _parse_json(text: str, origin: str) -> Mapping[str, object]:
    try:
        document: object = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"calendar file {origin}: not valid JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise ValueError(f"calendar file {origin}: the document must be a JSON object")
    return document


def _parse_document(document: Mapping[str, object], origin: str) -> tuple[str, str, list[YearData]]:
    if not isinstance(document, Mapping):
        raise ValueError(f"{origin}: the document must be a JSON object")
    unknown = sorted(set(document) - _DOCUMENT_KEYS)
    if unknown:
        raise ValueError(f"{origin}: unknown keys {unknown}; expected {sorted(_DOCUMENT_KEYS)}")
    title = _optional_text(document.get("name"), f"{origin}: name")
    source = _optional_text(document.get("source"), f"{origin}: source")
    _optional_text(document.get("note"), f"{origin}: note")
    years = document.get("years")
    if not isinstance(years, Mapping):
        raise ValueError(f"{origin}: 'years' must be an object mapping years (\"2024\") to their holidays and workdays")
    parsed = [_parse_year(key, entry, origin) for key, entry in years.items()]
    return title or "", source or "", parsed


def _parse_year(key: object, entry: object, origin: str) -> YearData:
    if not isinstance(key, str) or not _YEAR_KEY.fullmatch(key):
        raise ValueError(f"{origin}: year key {key!r} is not a four-digit year")
    where = f"{origin}, year {key}"
    if not isinstance(entry, Mapping):
        raise ValueError(f"{where}: must be an object with 'holidays' and 'workdays'")
    unknown = sorted(set(entry) - _YEAR_KEYS)
    if unknown:
        raise ValueError(f"{where}: unknown keys {unknown}; expected {sorted(_YEAR_KEYS)}")
    raw_holidays = entry.get("holidays", [])
    raw_workdays = entry.get("workdays", [])
    if not isinstance(raw_holidays, list):
        raise ValueError(f"{where}: 'holidays' must be a list of objects with 'date' and 'name'")
    if not isinstance(raw_workdays, list):
        raise ValueError(f"{where}: 'workdays' must be a list of dates")
    holidays: list[Holiday] = []
    for item in raw_holidays:
        if not isinstance(item, Mapping) or set(item) != _HOLIDAY_KEYS:
            raise ValueError(f"{where}: holiday {item!r} must be an object with exactly 'date' and 'name'")
        day = _parse_date(item["date"], where)
        name = item["name"]
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"{where}: holiday {day.isoformat()} needs a non-empty name")
        holidays.append(Holiday(day, name.strip()))
    workdays = [_parse_date(item, where) for item in raw_workdays]
    provisional = entry.get("provisional", False)
    if not isinstance(provisional, bool):
        raise ValueError(f"{where}: 'provisional' must be true or false")
    note = _optional_text(entry.get("note"), f"{where}: note")
    if provisional and not note:
        raise ValueError(f"{where}: a provisional year needs a 'note' saying how it was derived")
    return YearData(
        year=int(key),
        holidays=tuple(holidays),
        workdays=tuple(workdays),
        provisional=provisional,
        note=note,
        source=_optional_text(entry.get("source"), f"{where}: source"),
        origin=origin,
    )


def _parse_date(value: object, where: str) -> date:
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise ValueError(f"{where}: {value!r} is not a date in the form YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"{where}: {value!r} is not a valid date ({exc})") from exc


def _optional_text(value: object, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"{where} must be a string")
    return value


def _check_year(data: YearData) -> None:
    """The consistency rules: every date in its year, no date twice, make-up days on weekends, none also off."""
    where = f"{data.origin}, year {data.year}"
    names: dict[date, str] = {}
    for holiday in data.holidays:
        day = holiday.day
        if day.year != data.year:
            raise ValueError(
                f"{where}: holiday {day.isoformat()} ({holiday.name}) is not in {data.year}; file it under {day.year}"
            )
        if day in names:
            raise ValueError(f"{where}: holiday {day.isoformat()} is listed twice ({names[day]}, {holiday.name})")
        names[day] = holiday.name
    seen: set[date] = set()
    for day in data.workdays:
        if day.year != data.year:
            raise ValueError(
                f"{where}: make-up working day {day.isoformat()} is not in {data.year}; file it under {day.year}"
            )
        if day in seen:
            raise ValueError(f"{where}: make-up working day {day.isoformat()} is listed twice")
        seen.add(day)
        if day in names:
            raise ValueError(
                f"{where}: {day.isoformat()} is listed both as a holiday ({names[day]}) and as a make-up working day"
            )
        if day.weekday() < 5:
            raise ValueError(
                f"{where}: make-up working day (调休上班) {day.isoformat()} is a {day.strftime('%A')}; "
                "make-up working days must be Saturdays or Sundays"
            )
