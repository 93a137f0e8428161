"""Apply a returned-copy Plan to a plain .xlsx at the XML level (see xlsx_patch): only the sheets with
marks, the styles, the workbook index and our two new sheets change; every other part is kept as is."""

from __future__ import annotations

import datetime as dt

from .common import ERROR_FILL, SYSTEM_FILL, WARNING_FILL
from .feedback import AUTHOR, ISSUE_HEADERS, ISSUE_WIDTHS, ISSUES_SHEET, MARK, RECEIPT_SHEET, Plan
from .xlsx_patch import REL_COMMENTS, Comment, Look, NewSheet, Sheet, Unsupported, Workbook

__all__ = ["Unsupported", "patched_copy"]

FILL = {"error": ERROR_FILL, "warning": WARNING_FILL}
OUR_FILLS = {ERROR_FILL, WARNING_FILL}
UNLOCK_SPARE_COLUMNS = 30  # columns right of the clerk's table stay editable for new entries


def patched_copy(data: bytes, plan: Plan) -> bytes:
    import io

    wb = Workbook(data)
    for name in (ISSUES_SHEET, RECEIPT_SHEET):
        if name in wb.sheet_names():
            wb.remove_sheet(name)
    _clear_previous(wb)
    _mark(wb, plan)
    _system_columns(wb, plan)
    _issue_sheets(wb, plan)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _has_comments(wb: Workbook, name: str) -> bool:
    rels_name = wb._sheet_rels_name(wb._sheet_part(name))
    return rels_name in wb.names and REL_COMMENTS.encode() in wb.zin.read(rels_name)


def _clear_previous(wb: Workbook) -> None:
    """Our comment parts (found by their marker, whoever the author now is) and the fills we put with them."""
    for name in wb.sheet_names():
        try:
            if not _has_comments(wb, name):
                continue
        except (KeyError, Unsupported):
            continue
        sheet = wb.sheet(name)
        for ref, comment in list(sheet.comments.items()):
            if MARK not in comment.text:
                continue
            own = comment.text.split(MARK, 1)[0].rstrip()
            if own:
                sheet.comments[ref] = Comment(own, comment.author)
            else:
                del sheet.comments[ref]
            sheet.comments_changed = True
            style = sheet.style_of(*ref)
            if wb.styles.fill_of(style) in OUR_FILLS:
                sheet.set_style(*ref, wb.styles.without_fill(style))


def _mark(wb: Workbook, plan: Plan) -> None:
    for mark in plan.marks:
        try:
            sheet = wb.sheet(mark.sheet)
        except KeyError:
            continue
        row, col = mark.row, mark.col + 1
        sheet.set_style(row, col, wb.styles.xf(sheet.style_of(row, col), Look(fill=FILL[mark.severity])))
        previous = sheet.comments.get((row, col))
        if previous is not None and previous.text:
            sheet.comments[(row, col)] = Comment(f"{previous.text.rstrip()}\n\n{mark.text}", previous.author)
        else:
            sheet.comments[(row, col)] = Comment(mark.text, AUTHOR)
        sheet.comments_changed = True


def _system_columns(wb: Workbook, plan: Plan) -> None:
    if plan.household_sheet is None or plan.household_sheet not in wb.sheet_names():
        return
    sheet = wb.sheet(plan.household_sheet)
    styles = wb.styles
    system_cols = {c + 1 for c in plan.system_cols}
    if plan.existing_system:  # a returned copy dropped again: nothing of the previous run may linger
        for (r, c) in list(sheet.cells):
            if r > plan.header_row and c in system_cols:
                sheet.clear(r, c)
    # every clerk cell stays editable; only the system columns are locked
    unlocked: dict[int, int] = {}
    for (r, c), cell in sheet.all_cells():
        if c in system_cols:
            continue
        base = int(cell.get("s", "0"))
        if base not in unlocked:
            unlocked[base] = styles.xf(base, Look(locked=False))
        cell.set("s", str(unlocked[base]))
    col_styles = sheet.col_styles()
    new_col_styles = {c: styles.xf(col_styles.get(c, 0), Look(locked=False))
                      for c in range(1, max(system_cols, default=plan.last_column + 1) + UNLOCK_SPARE_COLUMNS)
                      if c not in system_cols}
    header_xf = styles.xf(0, Look(fill=SYSTEM_FILL, bold=True, center=True, wrap=True, locked=True))
    value_xf = styles.xf(0, Look(fill=SYSTEM_FILL, text=True, locked=True))
    widths = {}
    for col, header, width in plan.system.values():
        sheet.set_value(plan.header_row, col + 1, header, header_xf)
        widths[col + 1] = width
        new_col_styles[col + 1] = styles.xf(0, Look(locked=True))
    for row, values in plan.system_values.items():
        for col, value in values.items():
            sheet.set_value(row, col + 1, value or None, value_xf)
    sheet.set_columns(widths, new_col_styles)
    for name, row, col, value in plan.writes:
        target: Sheet = wb.sheet(name)
        base = target.style_of(row, col + 1)
        look = Look(date=True, locked=False) if isinstance(value, dt.date) else Look(text=True, locked=False)
        target.set_value(row, col + 1, value, styles.xf(base, look))
    sheet.protect()


def _issue_sheets(wb: Workbook, plan: Plan) -> None:
    styles = wb.styles
    head = styles.xf(0, Look(fill=SYSTEM_FILL, bold=True))
    wrap = styles.xf(0, Look(wrap=True))
    link = styles.xf(0, Look(link=True, wrap=True))
    bold = styles.xf(0, Look(bold=True))
    left = styles.xf(0, Look(left=True))
    severity = {"error": styles.xf(0, Look(fill=ERROR_FILL, wrap=True)),
                "warning": styles.xf(0, Look(fill=WARNING_FILL, wrap=True))}
    issues = NewSheet(ISSUES_SHEET, widths=list(ISSUE_WIDTHS), freeze_header=True, autofilter=True,
                      landscape_fit=True, selected=True)
    issues.rows.append([(h, head) for h in ISSUE_HEADERS])
    for n, row in enumerate(plan.issue_rows, start=2):
        cells = []
        for c, value in enumerate(row.values):
            xf = wrap  # top-aligned and wrapped, so a row reads as one line of the list
            if c == 1 and row.severity:
                xf = severity[row.severity]
            elif c == 8 and row.link:
                xf = link
            cells.append((value, xf))
        issues.rows.append(cells)
        issues.heights[n] = row.height
        if row.link:
            issues.links.append((f"I{n}", row.link, "转到"))
    receipt = NewSheet(RECEIPT_SHEET, widths=[22, 70], rows=[[(k, bold), (v, left)] for k, v in plan.receipt],
                       portrait_fit=True)
    wb.add_sheet(issues, 0)
    wb.add_sheet(receipt, 1)
    wb.activate(0)
