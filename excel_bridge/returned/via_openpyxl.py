"""Apply a returned-copy Plan with openpyxl: the path for .xls/.ods/.xlsb/.et (rebuilt from calamine
values as .xlsx), .xlsm, and any .xlsx the ooxml editor does not take."""

from __future__ import annotations

import copy
import datetime as dt
import io
import logging
from collections.abc import Sequence
from pathlib import Path

import openpyxl
import python_calamine as pc
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils.cell import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.worksheet import Worksheet

from ..internals import existing_cells, unlock_cells
from ..messages import TEXT
from ..writers.common import (
    DATE_FORMAT,
    ERROR_FILL,
    LIST_SHEET,
    MAX_INPUT_ROWS,
    SYSTEM_FILL,
    WARNING_FILL,
    display_width,
    wrapped_height,
)
from ..writers.printing import apply_openpyxl, plan_page
from ..writers.village_inputs import openpyxl_validation
from .plan import (
    AUTHOR,
    ISSUE_HEADERS,
    ISSUE_WIDTHS,
    ISSUES_SHEET,
    MARK,
    RECEIPT_SHEET,
    WRAPPED_SYSTEM,
    Plan,
    layout_of,
)

log = logging.getLogger(__name__)

_FILLS = {"error": PatternFill("solid", start_color=ERROR_FILL, end_color=ERROR_FILL),
          "warning": PatternFill("solid", start_color=WARNING_FILL, end_color=WARNING_FILL)}
_SYSTEM_FILL = PatternFill("solid", start_color=SYSTEM_FILL, end_color=SYSTEM_FILL)
_NO_FILL = PatternFill(fill_type=None)
_WRAP = Alignment(wrap_text=True, vertical="top")
_OUR_COLOURS = {ERROR_FILL, WARNING_FILL}


def _text_safe(cell):
    """Text stays text: a clerk's value, a file name or a message that starts with "=" (or "+", "-", "@") must
    never become a live formula in a workbook we write (openpyxl takes any "=…" string for one)."""
    if cell.data_type == "f" or (isinstance(cell.value, str) and cell.value[:1] in ("=", "+", "-", "@")):
        if isinstance(cell.value, str):
            cell.data_type = "s"
    return cell


def openpyxl_copy(source: Path, fmt: str, plan: Plan) -> openpyxl.Workbook:
    """The returned copy as an openpyxl workbook, for the caller to save."""
    wb, rebuilt = _load(source, fmt)
    if rebuilt:  # an .xls/.ods/.xlsb comes back with the template's dropdowns, checks and text columns
        _template_inputs(wb, plan)
    _clear_previous(wb)
    _mark_cells(wb, plan)
    _system_columns(wb, plan)
    _print_setup(wb, plan)
    if rebuilt:
        _print_others(wb, plan)
    _issues_sheet(wb, plan)
    _receipt_sheet(wb, plan)
    return wb


def _load(source: Path, fmt: str) -> tuple[openpyxl.Workbook, bool]:
    """The clerk's workbook as openpyxl objects (an .xlsx/.xlsm keeps its own validations and formats), or
    rebuilt from calamine's values (True): the other formats, and a file openpyxl cannot open."""
    if fmt in ("xlsx", "xlsm"):
        try:
            return openpyxl.load_workbook(source, rich_text=True), False
        except Exception as exc:  # openpyxl rejects some files calamine reads (strict OOXML…)
            log.info(TEXT["feedback.log.openpyxl_rebuild"], source.name, exc)
    return _rebuild(source), True


def _rebuild(path: Path) -> openpyxl.Workbook:
    book = pc.CalamineWorkbook.from_filelike(io.BytesIO(Path(path).read_bytes()))
    wb = openpyxl.Workbook()
    wb.remove(wb.worksheets[0])  # the blank sheet a new workbook starts with
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
                cell = _text_safe(ws.cell(row=r, column=c, value=value))
                if isinstance(value, (dt.date, dt.datetime)):
                    cell.number_format = DATE_FORMAT
                elif isinstance(value, str):
                    cell.number_format = "@"
                widths[c] = max(widths.get(c, 8), min(40, display_width(value) + 2))
        for c, w in widths.items():
            ws.column_dimensions[get_column_letter(c)].width = w
        _wrap_long_text(ws, rows, widths)
        if visibility.get(name) == pc.SheetVisibleEnum.Hidden:
            ws.sheet_state = "hidden"
        elif visibility.get(name) == pc.SheetVisibleEnum.VeryHidden:
            ws.sheet_state = "veryHidden"
    return wb


def _template_inputs(wb: openpyxl.Workbook, plan: Plan) -> None:
    """What the template sets on each village column (writers/village_inputs): the cells' number format (a new
    ID typed into an empty row stays text), the dropdown or check below the header, the note on the header.
    Dropdown values go on a hidden list sheet, as in the template (lists longer than 255 characters work)."""
    lists = _list_sheet(wb)
    refs: dict[tuple[str, ...], str] = {}
    for item in plan.inputs:
        if item.sheet not in wb.sheetnames:
            continue
        ws = wb[item.sheet]
        letter = get_column_letter(item.col + 1)
        ws.column_dimensions[letter].number_format = item.number_format
        prompt = DataValidation(showInputMessage=True, showErrorMessage=True, promptTitle=item.header[:32],
                                prompt=item.note[:255], allow_blank=True)
        prompt.add(f"{letter}{item.header_row}")
        ws.add_data_validation(prompt)
        if item.check is None:
            continue
        ref = None
        if item.check.choices:
            if item.check.choices not in refs:
                n = len(refs) + 1
                for r, value in enumerate(item.check.choices, start=1):
                    lists.cell(row=r, column=n, value=value)
                column = get_column_letter(n)
                refs[item.check.choices] = f"'{lists.title}'!${column}$1:${column}${len(item.check.choices)}"
            ref = refs[item.check.choices]
        dv = openpyxl_validation(item.check, ref)
        dv.add(f"{letter}{item.header_row + 1}:{letter}{item.header_row + MAX_INPUT_ROWS}")
        ws.add_data_validation(dv)
    if not refs and lists.max_row == 1 and lists["A1"].value is None:
        wb.remove(lists)


def _list_sheet(wb: openpyxl.Workbook) -> Worksheet:
    """The hidden sheet of dropdown values: the template's own (rebuilt from the file, emptied and written
    anew from the schemas), or a new one beside the clerk's sheets."""
    name = LIST_SHEET
    if name in wb.sheetnames and wb[name].sheet_state == "visible":  # a sheet of the clerk's with that name
        name = f"{LIST_SHEET}（系统）"
    index = wb.sheetnames.index(name) if name in wb.sheetnames else len(wb.sheetnames)
    if name in wb.sheetnames:
        wb.remove(wb[name])
    ws = wb.create_sheet(name, index)
    ws.sheet_state = "hidden"
    return ws


def _wrap_long_text(ws: Worksheet, rows: Sequence[Sequence[object]], widths: dict[int, int]) -> None:
    """Text longer than its (capped) column wraps, its row made tall enough: what the file's own formats did,
    which the rebuild from values lost (an instructions sheet would otherwise print cut off at the right)."""
    for r, row in enumerate(rows, start=1):
        long = {c - 1: widths[c] for c, v in enumerate(row, start=1)
                if isinstance(v, str) and display_width(v) > widths.get(c, 8) - 2}
        if not long:
            continue
        for c in long:
            ws.cell(row=r, column=c + 1).alignment = _WRAP
        height = wrapped_height(row, long)
        if height:
            ws.row_dimensions[r].height = height


def _clear_previous(wb: openpyxl.Workbook) -> None:
    """Remove what an earlier returned copy added: our sheets, our comment text and our fills.

    Our comment part is recognised by its marker, not its author (LibreOffice rewrites the author)."""
    for name in (ISSUES_SHEET, RECEIPT_SHEET):
        if name in wb.sheetnames:
            wb.remove(wb[name])
    for ws in wb.worksheets:
        for _, cell in existing_cells(ws):  # only cells that exist; iter_rows would create empties
            comment = cell.comment
            if comment is None or MARK not in (comment.text or ""):
                continue
            own = comment.text.split(MARK, 1)[0].rstrip()
            cell.comment = Comment(own, comment.author) if own else None
            colour = cell.fill.start_color.rgb if cell.fill is not None and cell.fill.fill_type else None
            if isinstance(colour, str) and colour[-6:].upper() in _OUR_COLOURS:
                cell.fill = _NO_FILL


def _mark_cells(wb: openpyxl.Workbook, plan: Plan) -> None:
    for mark in plan.marks:
        if mark.sheet not in wb.sheetnames:
            continue
        cell = wb[mark.sheet].cell(row=mark.row, column=mark.col + 1)
        cell.fill = _FILLS[mark.severity]
        previous = cell.comment
        text = f"{previous.text.rstrip()}\n\n{mark.text}" if previous is not None and previous.text else mark.text
        comment = Comment(text, previous.author if previous is not None and previous.text else AUTHOR)
        comment.width = 320
        comment.height = min(480, 40 + 18 * (sum(display_width(x) for x in text.splitlines()) // 40
                                             + text.count("\n") + 1))
        cell.comment = comment


def _system_columns(wb: openpyxl.Workbook, plan: Plan) -> None:
    if plan.household_sheet is None or plan.household_sheet not in wb.sheetnames:
        return
    ws = wb[plan.household_sheet]
    _ungroup_columns(ws)
    system_cols = plan.system_cols
    for col, header, width in plan.system.values():
        head = ws.cell(row=plan.header_row, column=col + 1)
        head.value = header
        head.fill = _SYSTEM_FILL
        head.font = Font(bold=True)
        head.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(col + 1)].width = width
    if plan.existing_system:  # a returned copy dropped again: nothing of the previous run may linger
        for (r, c), old in existing_cells(ws):
            if r > plan.header_row and c - 1 in system_cols:
                old.value = None
                old.fill = _NO_FILL
    wrapped = {plan.system[k][0] for k in WRAPPED_SYSTEM if k in plan.system}
    for row, values in plan.system_values.items():
        for col, value in values.items():
            cell = ws.cell(row=row, column=col + 1)
            cell.value = value or None
            _text_safe(cell)
            cell.fill = _SYSTEM_FILL
            cell.number_format = "@"
            if col in wrapped:
                cell.alignment = _WRAP
    for row, height in plan.system_heights.items():  # long 研判结论/审核意见 shown (and printed) whole
        dim = ws.row_dimensions[row]
        dim.height = max(dim.height or 0, height)
    for sheet, row, col, assigned in plan.writes:
        cell = wb[sheet].cell(row=row, column=col + 1)
        cell.value = assigned
        _text_safe(cell)
        cell.number_format = DATE_FORMAT if isinstance(assigned, dt.date) else "@"
    _protect(ws, system_cols)


def _print_setup(wb: openpyxl.Workbook, plan: Plan) -> None:
    """Each village sheet of the clerk's prints legibly on A4 (writers/printing, as the XML path does): 户信息
    always, another when it has no fitted print setup of its own (a rebuilt .xls/.ods has none)."""
    for printed in plan.printed:
        if printed.name not in wb.sheetnames:
            continue
        ws = wb[printed.name]
        if printed.name != plan.household_sheet and ws.sheet_properties.pageSetUpPr is not None \
                and ws.sheet_properties.pageSetUpPr.fitToPage:
            continue
        widths = []
        for c in range(1, printed.last_column + 2):
            letter = get_column_letter(c)
            dim = ws.column_dimensions[letter] if letter in ws.column_dimensions else None
            widths.append(0.0 if dim is not None and dim.hidden else (dim.width if dim is not None else 9.14))
        apply_openpyxl(ws, layout_of(printed, widths))


def _print_others(wb: openpyxl.Workbook, plan: Plan) -> None:
    """The rebuild lost every print setup: the clerk's other visible sheets (填表说明, their own) print one
    legible page across again, as many down as they take."""
    village = {p.name for p in plan.printed}
    for ws in wb.worksheets:
        if ws.title in village or ws.sheet_state != "visible" or ws.max_row < 1:
            continue
        widths = [ws.column_dimensions[get_column_letter(c)].width if get_column_letter(c) in ws.column_dimensions
                  else 9.14 for c in range(1, ws.max_column + 1)]
        apply_openpyxl(ws, plan_page(widths, last_row=ws.max_row - 1, gridlines=False))


def _ungroup_columns(ws: Worksheet) -> None:
    """One column-dimension entry per column: openpyxl loads grouped <col min max> ranges as one entry, and
    touching a column inside such a range would write overlapping ranges (which Excel must repair)."""
    for key, dim in list(ws.column_dimensions.items()):
        if dim.min is not None and dim.max is not None and dim.max > dim.min:
            del ws.column_dimensions[key]
            for c in range(dim.min, dim.max + 1):
                single = copy.copy(dim)
                single.index = get_column_letter(c)
                single.min = single.max = c
                ws.column_dimensions[single.index] = single


def _protect(ws: Worksheet, system_cols: set[int]) -> None:
    """Lock only the system columns: everything the clerk types stays editable."""
    unlocked = Protection(locked=False)
    unlock_cells(ws, system_cols)
    for c in range(0, max(system_cols, default=0) + 30):
        if c not in system_cols:
            ws.column_dimensions[get_column_letter(c + 1)].protection = unlocked
    prot = ws.protection
    prot.sheet = True
    prot.formatColumns = prot.formatRows = prot.formatCells = False
    prot.insertRows = prot.sort = prot.autoFilter = False
    prot.selectLockedCells = prot.selectUnlockedCells = False


def _issues_sheet(wb: openpyxl.Workbook, plan: Plan) -> None:
    ws = wb.create_sheet(ISSUES_SHEET, 0)
    ws.append(ISSUE_HEADERS)
    for c, w in enumerate(ISSUE_WIDTHS):
        ws.column_dimensions[get_column_letter(c + 1)].width = w
        ws.cell(row=1, column=c + 1).font = Font(bold=True)
        ws.cell(row=1, column=c + 1).fill = _SYSTEM_FILL
    wrap = Alignment(wrap_text=True, vertical="top")
    for r, row in enumerate(plan.issue_rows, start=2):  # (ws.max_row scans every cell: slow per row)
        ws.append(row.values)
        for cell in ws[r]:
            _text_safe(cell)
        if row.severity:
            ws.cell(row=r, column=2).fill = _FILLS[row.severity]
        for c in (6, 7, 8):
            ws.cell(row=r, column=c).alignment = wrap
        ws.row_dimensions[r].height = row.height  # wrapped text shows whole when opened or printed
        if row.link:
            link = ws.cell(row=r, column=9)
            link.hyperlink = Hyperlink(ref=link.coordinate, location=row.link, display="转到")
            link.font = Font(color="0563C1", underline="single")
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:I{max(ws.max_row, 2)}"
    apply_openpyxl(ws, plan_page(ISSUE_WIDTHS, last_row=len(plan.issue_rows), header=(0, 0)))
    wb.active = 0
    for other in wb.worksheets[1:]:
        other.sheet_view.tabSelected = False


def _receipt_sheet(wb: openpyxl.Workbook, plan: Plan) -> None:
    ws = wb.create_sheet(RECEIPT_SHEET, 1)
    ws.append((plan.receipt_title,))
    ws.cell(row=1, column=1).font = Font(bold=True, size=14)
    ws.row_dimensions[1].height = 24
    ws.append(())
    for r, (k, v) in enumerate(plan.receipt, start=3):
        ws.append((k, v))
        for cell in ws[r]:
            _text_safe(cell)
        ws.cell(row=r, column=1).font = Font(bold=True)
        ws.cell(row=r, column=2).alignment = Alignment(horizontal="left")
    ws.column_dimensions["A"].width = 22
    ws.column_dimensions["B"].width = 70
    apply_openpyxl(ws, plan_page((22, 70), last_row=len(plan.receipt) + 1, gridlines=False))
