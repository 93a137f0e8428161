"""The 部门预警 sheet of a town's 镇级核查表: one row per open department warning for a household of that town —
the department, the fact, when it came and by when the town must verify it (已超期 once that day has passed),
and the four 核实 columns with their dropdown and the hidden row token that decisions are read back by; and
本镇已核实: the warnings the town has verified, with its conclusion (they leave 部门预警 once verified)."""

from __future__ import annotations

import datetime as dt

from ..config import Config
from ..decision_sheet import DEPT_CHOICES, DEPT_COLUMNS, DEPT_SHEET, OVERDUE, TOKEN_HEADER
from ..ledger_tokens import warning_token
from ..messages import TEXT
from ..store import Store, WarningRow
from ..workflow import REMOVED
from .decision_table import decision_validation
from .tables import Col, Formats, write_table

FIRST_ROW = 1  # the instruction line, then the table
OVERDUE_FILL = {"bg_color": "#FFC7CE", "font_color": "#9C0006"}


IDENTITY = 3  # 村, 户主姓名, 姓名: on every page across, and the verdict right beside them


def warning_columns() -> list[Col]:
    """Who, what and by when, the four 核实 columns, then the details: narrow enough to print on one landscape
    page across (printing.LEGIBLE_WIDTH), so a verdict is never on another page than the person it is about."""
    return [
        Col("村", 7), Col("户主姓名", 7), Col("姓名", 7), Col("部门", 6), Col("情况", 26, "wrap"), Col("期限状态", 10),
        *(Col(h, {"核实结论": 14, "核实意见": 18}.get(h, 10), "decision") for h in DEPT_COLUMNS),
        Col("户编号", 16, "id"), Col("户状态", 8), Col("身份证号", 20, "id"), Col("风险类型", 9), Col("收到日期", 11, "date"),
        Col("核实期限", 11, "date"),
        Col(TOKEN_HEADER, 24, "id", hidden=True),
    ]


HEADER_LINES = 2
DECISION = next(c for c, col in enumerate(warning_columns()) if col.header == DEPT_COLUMNS.decision)  # 期限状态 before it


def due_text(deadline: dt.date, as_of: dt.date) -> str:
    """已超期 N 天 (the text starts with OVERDUE) / 今天到期 / 剩 N 天."""
    days = (as_of - deadline).days
    if days > 0:
        return TEXT["dept.overdue"].format(days=days)
    return TEXT["dept.due_today"] if days == 0 else TEXT["dept.days_left"].format(days=-days)


def warning_cells(store: Store, w: WarningRow, as_of: dt.date) -> list[object]:
    state = w.household_state if w.on_file else REMOVED
    return [w.village, w.head_name, w.name, w.department, w.fact, due_text(w.deadline, as_of),
            *[None] * len(DEPT_COLUMNS), w.household_no, state, w.person_id, w.risk_type, w.received_date, w.deadline,
            warning_token(store, w)]


def write_department_sheet(wb, fmt: Formats, store: Store, config: Config, town: str, *, as_of: dt.date) -> None:
    """部门预警: the town's open warnings, those nearest their deadline (or past it) first."""
    sheet = wb.add_worksheet(DEPT_SHEET)
    # the instruction wraps over the first printed page's columns (who, the fact, the verdict)
    sheet.merge_range(0, 0, 0, DECISION + len(DEPT_COLUMNS) - 1, TEXT["dept.sheet_instruction"].format(town=town),
                      wb.add_format({"bold": True, "text_wrap": True, "valign": "top"}))
    sheet.set_row(0, 48)
    columns = warning_columns()
    warnings = store.departments.for_town(town)
    n = write_table(sheet, fmt, columns, (warning_cells(store, w, as_of) for w in warnings), first_row=FIRST_ROW,
                    identity=IDENTITY, header_lines=HEADER_LINES, printed=True)
    decision_validation(sheet, FIRST_ROW, n, DECISION, DEPT_CHOICES)
    if n:
        due = DECISION - 1
        sheet.conditional_format(FIRST_ROW + 1, due, FIRST_ROW + n, due, {
            "type": "text", "criteria": "begins with", "value": OVERDUE,
            "format": wb.add_format(OVERDUE_FILL)})
    sheet.protect("", {"autofilter": True, "sort": True, "format_columns": True, "format_rows": True})


VERIFIED_SHEET = "本镇已核实"
VERIFIED_COLUMNS = [
    Col("村", 7), Col("户主姓名", 7), Col("姓名", 7), Col("部门", 6), Col("情况", 26, "wrap"),
    *(Col(h, {"核实结论": 14, "核实意见": 24}.get(h, 10), "wrap" if h == "核实意见" else "text")
      for h in DEPT_COLUMNS[:3]),
    Col(DEPT_COLUMNS[3], 11, "date"), Col("新增线索", 8), Col("户编号", 16, "id"), Col("目前户状态", 9),
    Col("风险类型", 9), Col("收到日期", 11, "date"),
]


def verified_cells(w: WarningRow) -> list[object]:
    state = w.household_state if w.on_file else REMOVED
    return [w.village, w.head_name, w.name, w.department, w.fact, w.status, w.comment, w.verified_by,
            w.verified_date, TEXT["dept.lead_yes"] if w.lead_created else None, w.household_no, state, w.risk_type,
            w.received_date]


def write_verified_sheet(wb, fmt: Formats, store: Store, town: str) -> None:
    """本镇已核实: what the town concluded on its department warnings, latest first — the record a warning leaves
    behind once it is off 部门预警 (like 本镇已决定 for households)."""
    sheet = wb.add_worksheet(VERIFIED_SHEET)
    sheet.set_row(0, 32)
    sheet.merge_range(0, 0, 0, len(VERIFIED_COLUMNS) - 1, TEXT["dept.verified_instruction"].format(town=town),
                      fmt.instruction)
    done = sorted(store.departments.for_town(town, statuses=DEPT_CHOICES),
                  key=lambda w: (w.verified_date or dt.date.min, w.updated_at, w.id), reverse=True)
    write_table(sheet, fmt, VERIFIED_COLUMNS, (verified_cells(w) for w in done), first_row=FIRST_ROW,
                identity=IDENTITY, header_lines=HEADER_LINES, printed=True)
