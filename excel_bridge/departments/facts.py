"""One fact column of a department's list (an amount, a year, a date, a grade) → typed values, a column at a
time: numbers through pandas, everything else through a cache of the column's distinct values (a grade
column of 200,000 rows holds four of them). Unreadable cells are reported once per distinct value."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

import numpy as np
import pandas as pd

from ..normalize import clean_text, norm_header, parse_date, parse_number, parse_year
from .config import Fact

# what exports write in an empty amount or date cell
BLANK_MARKS = frozenset({"", "-", "--", "—", "——", "/", "\\", "无", "空"})
KIND_WORDS = {"money": "金额", "number": "数字", "year": "年份", "date": "日期"}

FactIssue = tuple[str, list[int], dict[str, object]]  # (code, positions in the column, message fields)


def parse_fact(fact: Fact, values: list[object], *, header: str) -> tuple[object, list[FactIssue]]:
    """(typed column, problems): money/number/year → float64 with NaN; date → datetime64 with NaT;
    choice → canonical value or None; text → trimmed text or None."""
    if fact.type in ("money", "number"):
        return _numbers(values, header, fact.type)
    if fact.type == "year":
        years, issues = _by_value(values, header, "year", lambda v: _float(parse_year(v)), np.nan)
        return np.asarray(years, dtype="float64"), issues
    if fact.type == "date":
        parsed, issues = _by_value(values, header, "date", parse_date, None)
        return pd.to_datetime(pd.Series(parsed, dtype=object)).to_numpy(), issues
    if fact.type == "choice":
        return _choices(fact, values, header)
    return [_text(v) for v in values], []


def is_blank_mark(value: object) -> bool:
    return value is None or (isinstance(value, str) and value.strip() in BLANK_MARKS)


def _float(value: int | None) -> float:
    return np.nan if value is None else float(value)


def _numbers(values: list[object], header: str, kind: str) -> tuple[np.ndarray, list[FactIssue]]:
    numbers = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").to_numpy(dtype="float64", copy=True)
    bad: dict[str, list[int]] = defaultdict(list)
    for i in np.flatnonzero(np.isnan(numbers)).tolist():
        value = values[i]
        if is_blank_mark(value) or isinstance(value, bool):
            continue
        parsed = parse_number(value)  # 23,400.00 / 23400元 / a full-width number
        if parsed is None:
            bad[clean_text(value)].append(i)
        else:
            numbers[i] = parsed
    return numbers, _invalid(bad, header, kind)


def _by_value(values: list[object], header: str, kind: str, parse: Callable[[object], object],
              empty: object) -> tuple[list[object], list[FactIssue]]:
    cache: dict[object, object] = {}
    out: list[object] = []
    bad: dict[str, list[int]] = defaultdict(list)
    for i, value in enumerate(values):
        try:
            hit = cache[value]
        except KeyError:
            hit = cache[value] = empty if is_blank_mark(value) else _or_invalid(parse(value), empty)
        except TypeError:  # an unhashable cell never comes from calamine or csv; parse it anyway
            hit = _or_invalid(parse(value), empty)
        if hit is _INVALID:
            bad[clean_text(value)].append(i)
            hit = empty
        out.append(hit)
    return out, _invalid(bad, header, kind)


_INVALID = object()


def _or_invalid(parsed: object, empty: object) -> object:
    if parsed is None or (isinstance(parsed, float) and np.isnan(parsed)):
        return _INVALID
    return parsed


def _invalid(bad: dict[str, list[int]], header: str, kind: str) -> list[FactIssue]:
    return [("DEPT_FACT_INVALID", rows, {"column": header, "value": shown, "kind": KIND_WORDS[kind]})
            for shown, rows in bad.items()]


def choice_key(value: object) -> str:
    """How a choice is compared: half-width, no white space, upper-case Latin (c级 = C级)."""
    return norm_header(clean_text(value)).upper()


def _choices(fact: Fact, values: list[object], header: str) -> tuple[list[str | None], list[FactIssue]]:
    table = {choice_key(alias): canonical for canonical, aliases in fact.values.items()
             for alias in (canonical, *aliases)}
    cache: dict[object, str | None] = {}
    out: list[str | None] = []
    bad: dict[str, list[int]] = defaultdict(list)
    for i, value in enumerate(values):
        if value in cache:
            hit = cache[value]
        else:
            hit = cache[value] = None if is_blank_mark(value) else table.get(choice_key(value), "")
        if hit == "":
            bad[clean_text(value)].append(i)
            hit = None
        out.append(hit)
    allowed = "、".join(fact.values)
    return out, [("DEPT_VALUE_UNKNOWN", rows, {"column": header, "value": shown, "allowed": allowed})
                 for shown, rows in bad.items()]


def _text(value: object) -> str | None:
    text = value.strip() if type(value) is str else clean_text(value)
    return text or None
