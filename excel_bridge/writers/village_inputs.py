"""What each column of a village sheet accepts — its number format (IDs and phones as text), its dropdown or
check (dates, money, whole numbers, 18-character IDs) and the note on its header — defined once, for the
template XlsxWriter writes and for the returned copies openpyxl rebuilds from an .xls/.ods/.xlsb."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from ..schema import ColumnSpec
from .common import DATE_FORMAT

DATE_LIMITS = (dt.date(1900, 1, 1), dt.date(2100, 12, 31))
TEXT_TYPES = ("id", "phone", "text", "town", "choice", "multichoice")
KIND_WORDS = {"text": "文字", "id": "18位身份证号（文本）", "phone": "电话号码（文本）", "choice": "下拉选择",
              "multichoice": "下拉选择，可多选", "integer": "整数", "money": "金额（元）", "year": "四位年份",
              "date": "日期，如 2021-08-11", "town": "镇名（下拉选择）"}


def number_format(col: ColumnSpec) -> str:
    """The format of a column's cells: text for IDs, phones and words (a typed ID stays 18 characters)."""
    if col.type in TEXT_TYPES:
        return "@"
    return {"date": DATE_FORMAT, "money": "0.00", "integer": "0", "year": "0"}.get(col.type, "General")


def column_note(col: ColumnSpec, allowed: Sequence[str] | None) -> str:
    """What the header says when selected (and 填表说明 lists): the kind of value, its range and choices."""
    parts = [KIND_WORDS[col.type]]
    if col.min is not None or col.max is not None:
        parts.append(f"{_num(col.min)}–{_num(col.max)}")
    if allowed and col.type != "town":
        parts.append("可选：" + "、".join(allowed))
    if col.hint:
        parts.append(col.hint)
    return "；".join(parts)


def _num(x: float | None) -> str:
    return "" if x is None else (str(int(x)) if float(x).is_integer() else str(x))


@dataclass(frozen=True)
class Check:
    """A data validation of the cells under a header, independent of the library that writes it."""

    kind: Literal["list", "date", "decimal", "whole", "textLength"]
    operator: Literal["between", "greaterThanOrEqual", "equal"]
    low: Any = None
    high: Any = None
    stop: bool = True  # a wrong entry is refused (else a warning the clerk may accept)
    title: str = ""
    message: str = ""
    choices: tuple[str, ...] = ()


def column_check(col: ColumnSpec, allowed: Sequence[str] | None) -> Check | None:
    """The validation of a column: its dropdown, or the date / money / whole number / ID length check."""
    title = col.header[:32]
    if allowed:
        return Check("list", "between", stop=col.type != "multichoice", title=title,
                     message="请从下拉列表中选择。", choices=tuple(allowed))
    if col.type == "date":
        return Check("date", "between", *DATE_LIMITS, stop=False, title=title,
                     message="请填写有效日期，例如 2021-08-11。")
    if col.type == "money":
        return Check("decimal", "greaterThanOrEqual", 0, title=title, message="请填写 0 或正数金额（单位：元），不要带文字。")
    if col.type in ("integer", "year"):
        low = 1900 if col.type == "year" else (col.min if col.min is not None else -1e9)
        high = 2200 if col.type == "year" else (col.max if col.max is not None else 1e9)
        return Check("whole", "between", low, high, title=title,
                     message=f"请填写 {_num(low)} 到 {_num(high)} 之间的整数。")
    if col.type == "id":
        return Check("textLength", "equal", 18, stop=False, title=title, message="身份证号应为 18 位，请核对。")
    return None


_XW_KIND = {"list": "list", "date": "date", "decimal": "decimal", "whole": "integer", "textLength": "length"}
_XW_OPERATOR = {"between": "between", "greaterThanOrEqual": ">=", "equal": "=="}


def xlsxwriter_validation(check: Check, list_ref: str | None = None) -> dict[str, Any]:
    """The check as XlsxWriter's data_validation options (`list_ref`: where a dropdown's values are)."""
    out: dict[str, Any] = {"validate": _XW_KIND[check.kind], "error_title": check.title,
                           "error_message": check.message[:255]}
    if check.kind == "list":
        out["source"] = list_ref
    else:
        out["criteria"] = _XW_OPERATOR[check.operator]
        if check.operator == "between":
            out["minimum"], out["maximum"] = check.low, check.high
        else:
            out["value"] = check.low
    if not check.stop:
        out["error_type"] = "warning"
    return out


def openpyxl_validation(check: Check, list_ref: str | None = None):
    """The check as an openpyxl DataValidation (dates as the serial numbers Excel stores)."""
    from openpyxl.utils.datetime import to_excel
    from openpyxl.worksheet.datavalidation import DataValidation

    def value(x: Any) -> str | None:
        if x is None:
            return None
        if isinstance(x, dt.date):
            return str(int(to_excel(x)))
        return str(x)  # as XlsxWriter writes it (1.0 for a float bound, 1900 for an int)

    dv = DataValidation(type=check.kind, allow_blank=True, showErrorMessage=True, errorTitle=check.title,
                        error=check.message[:255], errorStyle=None if check.stop else "warning")
    if check.kind == "list":
        dv.formula1 = list_ref
    else:
        dv.operator = None if check.operator == "between" else check.operator  # (the file format's default)
        dv.formula1 = value(check.low)
        dv.formula2 = value(check.high) if check.operator == "between" else None
    return dv
