"""The master's 部门比对 and 未在台账中的人员 sheets: each department's latest list (rows, people, matched,
warnings, people in no household), then per department and town the warnings by outcome — open, overdue,
属实-建议纳入 / 属实-已在监测 / 不属实, withdrawn — and the leads they created; and the people the district
must send down because no household of the ledger holds them. Aggregated with pandas."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from ..config import Config
from ..decision_sheet import CONFIRMED_LEAD, CONFIRMED_MONITORED, NOT_TRUE, WARNING_OPEN, WARNING_WITHDRAWN
from ..messages import TEXT
from ..store import DeptListRow, Store, UnmatchedRow, WarningRow
from .common import display_width
from .tables import Col, Formats, print_table, write_table

if TYPE_CHECKING:  # pandas is imported where the comparison is drawn: a pass's main process never needs it
    import pandas as pd

COMPARE_SHEET = "部门比对"
UNMATCHED_SHEET = "未在台账中的人员"
LIST_COLUMNS = [
    Col("部门", 8), Col("最近名单", 34), Col("收到时间", 17, "datetime"), Col("名单行数", 8, "int"), Col("有效身份证号人数", 10, "int"),
    Col("无法比对行数", 8, "int"), Col("在台账中人数", 8, "int"), Col("本名单预警数", 8, "int"),
    Col("未在台账中人数", 10, "int"),
]
# the per-town table: a warning status names the column counting warnings in it
OUTCOMES = ["预警合计", WARNING_OPEN, "其中已超期", CONFIRMED_LEAD, CONFIRMED_MONITORED, NOT_TRUE, WARNING_WITHDRAWN,
            "新增线索"]
TOWN_COLUMNS = [Col("部门", 8), Col("镇", 10), Col("在台账中人数", 8, "int"), Col("未在台账中人数", 10, "int"),
                *(Col(name, 9, "int") for name in OUTCOMES)]
UNMATCHED_COLUMNS = [
    Col("部门", 8), Col("姓名", 10), Col("身份证号", 20, "id"), Col("可能所在镇", 10), Col("所在地说明", 24, "wrap"),
    Col("依据", 14), Col("情况", 34, "wrap"), Col("规则", 14), Col("名单文件", 24, "wrap"), Col("收到日期", 11, "date"),
    Col("工作表", 10), Col("行", 6, "int"),
]


def write_department_comparison(wb, fmt: Formats, store: Store, config: Config, *, as_of: dt.date) -> None:
    """部门比对 and 未在台账中的人员, from each department's latest applied list and every warning so far."""
    lists = store.departments.latest_lists()
    towns = list(config.settings.towns)
    people = store.departments.unmatched(lst.id for lst in lists.values())
    sheet = wb.add_worksheet(COMPARE_SHEET)
    sheet.write_string(0, 0, TEXT["dept.compare_lists"].format(date=as_of.isoformat()), fmt.bold)
    if not lists:
        sheet.write_string(1, 0, TEXT["dept.no_lists"], fmt.plain)
    warned = store.departments.all_warnings()
    departments = sorted(set(lists) | {w.department for w in warned})
    n = write_table(sheet, fmt, LIST_COLUMNS, ([d, lists[d].file_name, lists[d].received_at, lists[d].row_count,
                                                lists[d].people, lists[d].invalid, lists[d].matched,
                                                lists[d].warnings, lists[d].unmatched] for d in departments
                                               if d in lists), first_row=2 if not lists else 1,
                    freeze=False, autofilter=False)
    top = (2 if not lists else 1) + n + 2
    sheet.write_string(top, 0, TEXT["dept.compare_towns"], fmt.bold)
    rows = _town_rows(lists, warned, people, departments, towns, as_of=as_of) if departments else []
    write_table(sheet, fmt, TOWN_COLUMNS, rows, first_row=top + 1, freeze=False)
    # the two tables share columns (the town table has more): the wider wins
    for c, (a, b) in enumerate(zip(LIST_COLUMNS, TOWN_COLUMNS, strict=False)):
        sheet.set_column(c, c, max(a.width, b.width, display_width(a.header) + 2, display_width(b.header) + 2),
                         fmt.for_col(b))
    print_table(sheet, [max(a, b, key=lambda col: col.width) for a, b in zip(LIST_COLUMNS, TOWN_COLUMNS, strict=False)]
                + TOWN_COLUMNS[len(LIST_COLUMNS):], header_row=top + 1, last_row=top + 1 + len(rows))
    _unmatched_sheet(wb, fmt, people, lists)


def _town_rows(lists: dict[str, DeptListRow], warned: list[WarningRow], people: list[UnmatchedRow],
               departments: list[str], towns: list[str], *, as_of: dt.date) -> list[tuple]:
    """The per-town table's rows, aggregated with pandas (loaded only when some department has a list or a
    warning: a district without departments' data never loads it)."""
    import pandas as pd

    warnings = pd.DataFrame([(w.department, w.town, w.status, w.deadline, w.lead_created) for w in warned],
                            columns=["department", "town", "status", "deadline", "lead_created"])
    unmatched = pd.DataFrame([(p.department, p.town) for p in people], columns=["department", "town"])
    frame = by_department_and_town(lists, warnings, unmatched, departments, towns, as_of=as_of)
    return list(frame.itertuples(index=False, name=None))


def by_department_and_town(lists: dict[str, DeptListRow], warnings: pd.DataFrame, unmatched: pd.DataFrame,
                           departments: list[str], towns: list[str], *, as_of: dt.date) -> pd.DataFrame:
    """One row per department and town — every town of the district, then 镇不详 where the department's
    people outside the ledger cannot be placed, then the department's total — in TOWN_COLUMNS order."""
    import pandas as pd

    keys = ["department", "town"]
    parts: dict[str, pd.Series] = {}
    matched = {(d, town): int(v.get("matched", 0)) for d, lst in lists.items() for town, v in lst.by_town.items()}
    if matched:
        parts["在台账中人数"] = pd.Series(matched)
    if len(unmatched):
        placed = unmatched.assign(town=unmatched["town"].fillna(TEXT["dept.town_unknown"]))
        parts["未在台账中人数"] = placed.groupby(keys).size()
    if len(warnings):
        w = warnings.assign(overdue=(warnings["status"] == WARNING_OPEN) & (warnings["deadline"] < as_of),
                            lead=warnings["lead_created"].astype(bool))
        grouped = w.groupby(keys)
        parts["预警合计"] = grouped.size()
        parts["其中已超期"] = grouped["overdue"].sum()
        parts["新增线索"] = grouped["lead"].sum()
        by_status = pd.crosstab([w["department"], w["town"]], w["status"])
        parts.update({status: by_status[status] for status in by_status.columns})  # 待核实, 属实-…, 不属实, 部门已撤销
    values = [c.header for c in TOWN_COLUMNS[2:]]
    frame = pd.concat(parts, axis=1) if parts else pd.DataFrame(columns=values)
    order = []
    for d in departments:
        others = sorted({t for dd, t in frame.index if dd == d and t not in towns})
        order += [(d, t) for t in [*towns, *others]]
    index = pd.MultiIndex.from_tuples(order, names=keys) if order else pd.MultiIndex.from_arrays([[], []], names=keys)
    frame = frame.reindex(index=index, columns=values).fillna(0).astype("int64")
    rows = []
    for d in departments:
        own = frame.xs(d, level="department")
        assert isinstance(own, pd.DataFrame)  # (frame has columns: a cross-section of it is a frame)
        rows += [[d, t, *own.loc[t].tolist()] for t in own.index]
        rows.append([d, TEXT["dept.all_towns"], *own.sum().tolist()])
    return pd.DataFrame(rows, columns=["department", "town", *values])


def _unmatched_sheet(wb, fmt: Formats, people: list[UnmatchedRow], lists: dict[str, DeptListRow]) -> None:
    sheet = wb.add_worksheet(UNMATCHED_SHEET)
    sheet.write_string(0, 0, TEXT["dept.unmatched_title"], fmt.bold)
    by_id = {lst.id: lst for lst in lists.values()}
    ordered = sorted(people, key=lambda p: (p.department, p.town is None, p.town or "", p.person_id))
    write_table(sheet, fmt, UNMATCHED_COLUMNS, ([
        p.department, p.name, p.person_id, p.town, p.place, TEXT.get(f"dept.basis.{p.basis}", p.basis),
        "；".join(p.facts), "、".join(p.rule_ids), by_id[p.list_id].file_name, by_id[p.list_id].received_date, p.sheet,
        p.row] for p in ordered), first_row=1, identity=3, printed=True)
