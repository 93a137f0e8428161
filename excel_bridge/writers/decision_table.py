"""The decision sheet of a town's 镇级核查表 (待镇审核) and of the 区级总台账 (待区审核): one row per household
waiting for that level, what the level decides on, the four decision columns with their dropdown, and the
hidden row token — one writer for both levels, the names and choices from decision_sheet."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from ..config import Config
from ..decision_sheet import CHOICES, COLUMNS, SHEETS, TOKEN_HEADER, row_token
from ..store import HouseholdRow, Store
from ..messages import TEXT
from ..rules import proposing
from ..workflow import MATTER
from .tables import Col, Formats, write_table

DATE_RANGE = (dt.date(2020, 1, 1), dt.date(2100, 12, 31))


def review_summary(store: Store, hh: HouseholdRow) -> str:
    reviews = store.households.reviews_of(hh.id)
    if not reviews:
        return ""
    r = max(reviews, key=lambda x: (str(x.get("notice_end") or ""), str(x.get("review_date") or "")))
    return TEXT["town.review_summary"].format(
        matter=r.get("matter") or "", review_date=r.get("review_date") or "", result=r.get("review_result") or "",
        notice_start=r.get("notice_start") or "", notice_end=r.get("notice_end") or "",
        objection=r.get("objection") or "")


def rules_text(hh: HouseholdRow, config: Config) -> str:
    return "；".join(f"{config.rules.rule(r).title}（{r}）" for r in proposing(hh.assessment.get("holds", [])))


def household_columns(decision_headers: Sequence[str]) -> list[Col]:
    return [
        Col("事项", 12), Col("村", 10), Col("组", 6), Col("户编号", 18, "id"), Col("户主姓名", 10),
        Col("户主身份证号", 20, "id"), Col("家庭人口数", 8, "int"), Col("户类型", 9), Col("人均纯收入", 11, "money"),
        Col("监测线", 8, "money"), Col("研判依据", 40, "wrap"), Col("建议类别", 13), Col("风险类型", 20, "wrap"),
        Col("重点关注", 8), Col("帮扶建议", 16), Col("村级评议公示", 40, "wrap"), Col("进入本环节", 17, "datetime"),
        *(Col(h, 30 if "意见" in h else 10, "decision") for h in decision_headers),
        Col(TOKEN_HEADER, 24, "id", hidden=True),
    ]


def household_cells(store: Store, hh: HouseholdRow, config: Config) -> list[object]:
    a = hh.assessment
    since = hh.updated_at
    return [MATTER.get(hh.state, hh.state), hh.village, hh.data.get("group"), hh.household_no, hh.head_name,
            hh.head_id, hh.data.get("size"), hh.data.get("household_type"), hh.data.get("_per_capita_income"),
            hh.data.get("_line"), rules_text(hh, config), a.get("category"), "、".join(a.get("risk_types", [])),
            "是" if a.get("priority") else "", "·".join(x for x in (a.get("assistance"), a.get("scope")) if x),
            review_summary(store, hh), since]


def decision_validation(ws, first_row: int, n: int, col: int, choices: Sequence[str]) -> None:
    if n:
        ws.data_validation(first_row + 1, col, first_row + n, col, {
            "validate": "list", "source": list(choices), "input_title": "请选择",
            "input_message": "、".join(choices), "error_title": "只能选择", "error_message": "、".join(choices)})
        ws.data_validation(first_row + 1, col + 3, first_row + n, col + 3, {
            "validate": "date", "criteria": "between", "minimum": DATE_RANGE[0],
            "maximum": DATE_RANGE[1], "error_type": "warning", "error_message": TEXT["town.date_error"]})


def write_decision_sheet(wb, fmt: Formats, store: Store, config: Config, *, level: str, rows: list[HouseholdRow],
                         instruction: str, notes: list[str], with_town: bool = False) -> None:
    """The level's decision sheet: an instruction line, refused decisions of the last file, then the table."""
    sheet = wb.add_worksheet(SHEETS[level])
    sheet.write_string(0, 0, instruction, fmt.bold)
    first = 1
    if notes:
        sheet.write_string(1, 0, TEXT["town.refused_notes"].format(notes="；".join(notes)), fmt.note)
        first = 2
    lead = [Col("镇", 9)] if with_town else []
    columns = [*lead, *household_columns(COLUMNS[level])]
    blank = [None] * len(COLUMNS[level])
    n = write_table(sheet, fmt, columns, ([*([hh.town] if with_town else []), *household_cells(store, hh, config),
                                           *blank, row_token(store, hh)] for hh in rows), first_row=first)
    decision_validation(sheet, first, n, len(columns) - 5, CHOICES[level])
    sheet.protect("", {"autofilter": True, "sort": True, "format_columns": True, "format_rows": True})
