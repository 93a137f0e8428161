"""The returned copy (反馈): the clerk's own workbook, values untouched, with every problem marked in its
cell, the system columns on 户信息 (protected), a 问题清单 sheet linking to each cell, and a 回执.

.xlsx/.xlsm inputs keep their layout (openpyxl); .xls/.ods/.xlsb/.et come back as .xlsx with the same
sheets and values. A returned copy dropped again is cleaned of the previous marks first.
"""

from __future__ import annotations

import copy
import math
import datetime as dt
import io
import logging
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import python_calamine as pc
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.styles.cell_style import StyleArray
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.worksheet import Worksheet

from ..check import CheckResult
from ..config import Config
from ..messages import SEVERITY_WORD, TEXT
from ..normalize import norm_header
from ..read import SheetData
from ..rules import Assessment
from ..validate import Household
from .common import (DATE_FORMAT, ERROR_FILL, SYSTEM_FILL, WARNING_FILL, Placed, col_letter, display_width,
                     place_atomically)

log = logging.getLogger(__name__)

AUTHOR = "excel_bridge"
ISSUES_SHEET = "问题清单"
RECEIPT_SHEET = "回执"
_FILLS = {"error": PatternFill("solid", start_color=ERROR_FILL, end_color=ERROR_FILL),
          "warning": PatternFill("solid", start_color=WARNING_FILL, end_color=WARNING_FILL)}
_SYSTEM_FILL = PatternFill("solid", start_color=SYSTEM_FILL, end_color=SYSTEM_FILL)
_NO_FILL = PatternFill(fill_type=None)
_OUR_COLOURS = {ERROR_FILL, WARNING_FILL}


@dataclass(frozen=True)
class Status:
    """What the ledger knows of a household, shown in the system columns."""

    state: str
    opinion: str = ""
    household_no: str | None = None
    identified: dt.date | None = None


def default_output(path: Path) -> Path:
    return Path(path).with_name(f"{Path(path).stem}_反馈.xlsx")


def assessment_text(a: Assessment | None, config: Config) -> str:
    if a is None:
        return ""
    rules = config.rules
    if a.proposed is True:
        reasons = [f"{rules.rule(r).title}（{r}，方案{rules.clause(r)}）" for r in a.holds if r != "R-SPECIAL"]
        return "建议纳入监测：" + "；".join(reasons)
    if a.proposed is None:
        return "无法研判：有关收入或保障的格子填写有误，请先改正"
    return "暂不纳入：收入高于监测线，未发现刚性支出、收入骤减或保障缺失"


def risk_text(a: Assessment | None, config: Config) -> str:
    if a is None:
        return ""
    parts = list(a.risk_types)
    if a.priority:
        parts.append(f"重点关注（R-SPECIAL，方案{config.rules.clause('R-SPECIAL')}）")
    return "、".join(parts)


def _system_values(hh: Household, a: Assessment | None, counts: tuple[int, int], status: Status | None,
                   config: Config, stamp: str) -> dict[str, object]:
    errors, warnings = counts
    check = "通过" if not errors and not warnings else (
        f"错误{errors}处" + (f"，提示{warnings}条" if warnings else "") if errors else f"提示{warnings}条")
    assistance = "·".join(x for x in (a.assistance, a.scope) if x) if a else ""
    state = status.state if status else TEXT["state.unsubmitted"]
    return {"sys_check": check, "sys_assessment": assessment_text(a, config),
            "sys_category": (a.category or "") if a else "", "sys_risks": risk_text(a, config),
            "sys_assistance": assistance, "sys_state": state, "sys_opinion": status.opinion if status else "",
            "sys_updated": stamp}


def _load(result: CheckResult, source: Path) -> openpyxl.Workbook:
    """The clerk's workbook as openpyxl objects; non-OOXML formats are rebuilt from calamine values."""
    fmt = result.parsed.data.format if result.parsed else "xlsx"
    if fmt in ("xlsx", "xlsm"):
        try:
            return openpyxl.load_workbook(source, rich_text=True)
        except Exception as exc:  # openpyxl rejects some files calamine reads (strict OOXML…)
            log.info("openpyxl 无法打开 %s（%s），按数值重建", source.name, exc)
    return _rebuild(source)


def _rebuild(path: Path) -> openpyxl.Workbook:
    book = pc.CalamineWorkbook.from_filelike(io.BytesIO(Path(path).read_bytes()))
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    visibility = {m.name: m.visible for m in book.sheets_metadata}
    for name in book.sheet_names:
        ws = wb.create_sheet(name[:31])
        rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
        widths: dict[int, int] = {}
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                if value == "" or value is None:
                    continue
                if isinstance(value, dt.timedelta):
                    value = str(value)
                cell = ws.cell(row=r, column=c, value=value)
                if isinstance(value, (dt.date, dt.datetime)):
                    cell.number_format = DATE_FORMAT
                elif isinstance(value, str):
                    cell.number_format = "@"
                widths[c] = max(widths.get(c, 8), min(40, display_width(value) + 2))
        for c, w in widths.items():
            ws.column_dimensions[col_letter(c - 1)].width = w
        if visibility.get(name) == pc.SheetVisibleEnum.Hidden:
            ws.sheet_state = "hidden"
        elif visibility.get(name) == pc.SheetVisibleEnum.VeryHidden:
            ws.sheet_state = "veryHidden"
    return wb


MARK = "【系统校验】"  # starts our part of a cell comment; whatever precedes it is the clerk's own


def _clear_previous(wb: openpyxl.Workbook) -> None:
    """Remove what an earlier returned copy added: our sheets, our comment text and our fills.

    Our comment part is recognised by its marker, not its author (LibreOffice rewrites the author)."""
    for name in (ISSUES_SHEET, RECEIPT_SHEET):
        if name in wb.sheetnames:
            wb.remove(wb[name])
    for ws in wb.worksheets:
        for cell in list(ws._cells.values()):  # only cells that exist; iter_rows would create empties
            comment = cell.comment
            if comment is None or MARK not in (comment.text or ""):
                continue
            own = comment.text.split(MARK, 1)[0].rstrip()
            cell.comment = Comment(own, comment.author) if own else None
            colour = cell.fill.start_color.rgb if cell.fill is not None and cell.fill.fill_type else None
            if isinstance(colour, str) and colour[-6:].upper() in _OUR_COLOURS:
                cell.fill = _NO_FILL


def _locate(issue, sheets: Mapping[str, SheetData], config: Config) -> tuple[str, int, int | None] | None:
    """(sheet name, Excel row, 0-based column or None) that an issue points at, if it points anywhere."""
    sheet = sheets.get(issue.sheet or "")
    if sheet is None or issue.row is None:
        return None
    col = None
    if issue.column is not None:
        key = config.schemas[sheet.kind].header_lookup.get(norm_header(issue.column))
        col = sheet.columns.get(key) if key else None
        if col is None and issue.row == sheet.header_row:
            col = next((c for c, h in sheet.unknown if h == issue.column), None)
    return sheet.name, issue.row, col


def _sheets(result: CheckResult) -> dict[str, SheetData]:
    return {s.name: s for s in result.parsed.data.sheets.values()} if result.parsed else {}


def _issue_cells(result: CheckResult, config: Config) -> dict[tuple[str, int, int], list]:
    """(sheet, Excel row, 0-based column) → issues pointing at that cell."""
    cells: dict[tuple[str, int, int], list] = defaultdict(list)
    sheets = _sheets(result)
    for issue in result.issues:
        where = _locate(issue, sheets, config)
        if where is not None and where[2] is not None:
            cells[(where[0], where[1], where[2])].append(issue)
    return cells


def _mark_cells(wb: openpyxl.Workbook, cells: Mapping[tuple[str, int, int], list]) -> None:
    for (sheet, row, col), issues in cells.items():
        if sheet not in wb.sheetnames:
            continue
        cell = wb[sheet].cell(row=row, column=col + 1)
        worst = "error" if any(i.severity == "error" for i in issues) else "warning"
        cell.fill = _FILLS[worst]
        ours = MARK + "\n" + "\n".join(f"【{SEVERITY_WORD[i.severity]}】{i.message}\n改法：{i.hint}" for i in issues)
        previous = cell.comment
        text = f"{previous.text.rstrip()}\n\n{ours}" if previous is not None and previous.text else ours
        comment = Comment(text, previous.author if previous is not None and previous.text else AUTHOR)
        comment.width = 320
        comment.height = min(480, 40 + 18 * (sum(display_width(x) for x in text.splitlines()) // 40
                                             + text.count("\n") + 1))
        cell.comment = comment


def _household_counts(result: CheckResult) -> dict[int, tuple[int, int]]:
    """户信息 row → (errors, warnings) over the household's own row and its members, measures, reviews."""
    assert result.parsed is not None
    owner: dict[tuple[str, int], int] = {}
    for hh in result.parsed.households:
        owner[(hh.sheet, hh.row)] = hh.row
        for rec in (*hh.members, *hh.measures, *hh.reviews):
            owner[(rec.sheet, rec.row)] = hh.row
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for issue in result.issues:
        row = owner.get((issue.sheet or "", issue.row or 0))
        if row is not None:
            counts[row][0 if issue.severity == "error" else 1] += 1
    return {r: (c[0], c[1]) for r, c in counts.items()}


def _system_columns(wb: openpyxl.Workbook, result: CheckResult, config: Config,
                    statuses: Mapping[str, Status], stamp: str) -> None:
    assert result.parsed is not None
    sheet = result.parsed.data.sheets.get("household")
    if sheet is None or sheet.name not in wb.sheetnames:
        return
    ws = wb[sheet.name]
    _ungroup_columns(ws)
    spec = config.schemas.household
    existing = {norm_header(h): c for h, c in sheet.system_columns.items()}
    next_col = max([sheet.last_column, *existing.values()]) + 1
    positions: dict[str, int] = {}
    for sc in spec.system_columns:
        col = existing.get(norm_header(sc.header))
        if col is None:
            col = next_col
            next_col += 1
        positions[sc.key] = col
        head = ws.cell(row=sheet.header_row, column=col + 1, value=sc.header)
        head.fill = _SYSTEM_FILL
        head.font = Font(bold=True)
        head.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[col_letter(col)].width = sc.width
    counts = _household_counts(result)
    system_cols = set(positions.values())
    if existing:  # a returned copy dropped again: nothing of the previous run may linger
        for (r, c), cell in list(ws._cells.items()):
            if r > sheet.header_row and c - 1 in system_cols:
                cell.value = None
                cell.fill = _NO_FILL
    for hh, a in result.pairs():
        status = statuses.get(hh.head_id or "") if hh.head_id else None
        values = _system_values(hh, a, counts.get(hh.row, (0, 0)), status, config, stamp)
        for key, col in positions.items():
            cell = ws.cell(row=hh.row, column=col + 1)
            cell.value = values[key] or None
            cell.fill = _SYSTEM_FILL
            cell.number_format = "@"
        # What the system assigned goes where the clerk's next file carries it — only into empty cells.
        if status and status.household_no and hh.get("household_no") is None and "household_no" not in hh.invalid:
            col = sheet.columns.get("household_no")
            if col is not None:
                ws.cell(row=hh.row, column=col + 1, value=status.household_no).number_format = "@"
        if status and status.identified and hh.get("identified_date") is None and "identified_date" not in hh.invalid:
            col = sheet.columns.get("identified_date")
            if col is not None:
                cell = ws.cell(row=hh.row, column=col + 1, value=status.identified)
                cell.number_format = DATE_FORMAT
    _protect(ws, system_cols)


def _ungroup_columns(ws: Worksheet) -> None:
    """One column-dimension entry per column: openpyxl loads grouped <col min max> ranges as one entry, and
    touching a column inside such a range would write overlapping ranges (which Excel must repair)."""
    for key, dim in list(ws.column_dimensions.items()):
        if dim.min is not None and dim.max is not None and dim.max > dim.min:
            del ws.column_dimensions[key]
            for c in range(dim.min, dim.max + 1):
                single = copy.copy(dim)
                single.index = col_letter(c - 1)
                single.min = single.max = c
                ws.column_dimensions[single.index] = single


def _protect(ws: Worksheet, system_cols: set[int]) -> None:
    """Lock only the system columns: everything the clerk types stays editable."""
    unlocked = Protection(locked=False)
    # Each openpyxl cell owns a copy of its style array, so setting the protection id directly is safe and
    # ~10× faster than the cell.protection descriptor on a 100k-cell sheet.
    pid = ws.parent._protections.add(unlocked)
    for cell in ws._cells.values():
        if cell.column - 1 not in system_cols:
            if not cell._style:
                cell._style = StyleArray()
            cell._style.protectionId = pid
    for c in range(0, max(system_cols, default=0) + 30):
        if c not in system_cols:
            ws.column_dimensions[col_letter(c)].protection = unlocked
    prot = ws.protection
    prot.sheet = True
    prot.formatColumns = prot.formatRows = prot.formatCells = False
    prot.insertRows = prot.sort = prot.autoFilter = False
    prot.selectLockedCells = prot.selectUnlockedCells = False


def _issues_sheet(wb: openpyxl.Workbook, result: CheckResult, config: Config) -> None:
    ws = wb.create_sheet(ISSUES_SHEET, 0)
    headers = ("序号", "严重程度", "工作表", "行号", "列名", "填写内容", "问题说明", "修改建议", "定位")
    widths = (6, 9, 10, 7, 16, 20, 60, 60, 10)
    ws.append(headers)
    for c, w in enumerate(widths):
        ws.column_dimensions[col_letter(c)].width = w
        ws.cell(row=1, column=c + 1).font = Font(bold=True)
        ws.cell(row=1, column=c + 1).fill = _SYSTEM_FILL
    order = {"error": 0, "warning": 1}
    ordered = sorted(result.issues, key=lambda i: (order[i.severity], i.sheet or "", i.row or 0))
    sheets = _sheets(result)
    for n, issue in enumerate(ordered, start=1):
        ws.append((n, SEVERITY_WORD[issue.severity], issue.sheet or "", issue.row, issue.column or "",
                   issue.value or "", issue.message, issue.hint, None))
        r = ws.max_row
        ws.cell(row=r, column=2).fill = _FILLS[issue.severity]
        for c in (6, 7, 8):
            ws.cell(row=r, column=c).alignment = Alignment(wrap_text=True, vertical="top")
        lines = max(math.ceil(display_width(text or "") / (widths[c] - 1)) for c, text in
                    ((5, issue.value), (6, issue.message), (7, issue.hint)))
        ws.row_dimensions[r].height = max(15, 14 * lines + 2)  # wrapped text shows whole when opened or printed
        where = _locate(issue, sheets, config)
        if where is not None:
            name, row, col = where
            link = ws.cell(row=r, column=9, value="转到")
            link.hyperlink = Hyperlink(ref=link.coordinate, location=f"'{name}'!{col_letter(col or 0)}{row}",
                                       display="转到")
            link.font = Font(color="0563C1", underline="single")
    if not ordered:
        ws.append((None, None, None, None, None, None, "本文件未发现问题。", None, None))
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:I{max(ws.max_row, 2)}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:1"
    wb.active = 0
    for other in wb.worksheets[1:]:
        other.sheet_view.tabSelected = False


def _receipt_sheet(wb: openpyxl.Workbook, result: CheckResult, stamp: str, extra: Mapping[str, object]) -> None:
    ws = wb.create_sheet(RECEIPT_SHEET, 1)
    parsed = result.parsed
    rows = [
        ("收到文件", result.path.name),
        ("处理时间", stamp),
        ("文件指纹（SHA-256）", result.sha256 or ""),
        ("户数", len(parsed.households) if parsed else 0),
        ("成员数", len(parsed.members) if parsed else 0),
        ("帮扶措施条数", len(parsed.measures) if parsed else 0),
        ("评议公示条数", len(parsed.reviews) if parsed else 0),
        ("错误", result.errors),
        ("提示", result.warnings),
        ("建议纳入监测户数", sum(1 for a in result.assessments if a and a.proposed)),
        *extra.items(),
    ]
    for k, v in rows:
        ws.append((k, v))
        ws.cell(row=ws.max_row, column=1).font = Font(bold=True)
    ws.column_dimensions["A"].width = 22
    ws.column_dimensions["B"].width = 70


def write_returned_copy(result: CheckResult, out: Path, config: Config, *,
                        statuses: Mapping[str, Status] | None = None,
                        receipt: Mapping[str, object] | None = None, source: Path | None = None) -> Placed:
    """Write the returned copy of a readable checked file; returns where it was placed.

    `source` is the file to copy from when it is not result.path (the archived original).
    """
    if result.parsed is None:
        raise ValueError("unreadable files have no returned copy; report the issue instead")
    stamp = result.checked_at.strftime("%Y-%m-%d %H:%M:%S")
    wb = _load(result, Path(source or result.path))
    _clear_previous(wb)
    _mark_cells(wb, _issue_cells(result, config))
    _system_columns(wb, result, config, statuses or {}, stamp)
    _issues_sheet(wb, result, config)
    _receipt_sheet(wb, result, stamp, receipt or {})
    out = Path(out)
    if out.suffix.lower() != ".xlsx":
        out = out.with_suffix(".xlsx")
    return place_atomically(out, lambda tmp: wb.save(tmp))
