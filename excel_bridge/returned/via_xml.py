"""Apply a returned-copy Plan to a plain .xlsx through the ooxml editor: only the sheets with marks, the
styles, the workbook index and our two new sheets change; every other part is kept as it was."""

from __future__ import annotations

import datetime as dt

from ..ooxml import Comment, Look, NewSheet, Package, Unsupported
from ..writers.common import ERROR_FILL, SYSTEM_FILL, WARNING_FILL
from ..writers.printing import FOOTER, HEADER, apply_ooxml
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

FILL = {"error": ERROR_FILL, "warning": WARNING_FILL}
OUR_FILLS = {ERROR_FILL, WARNING_FILL}
UNLOCK_SPARE_COLUMNS = 30  # columns right of the clerk's table stay editable for new entries


def patched_copy(data: bytes, plan: Plan) -> bytes:
    """The returned copy of an .xlsx's bytes; ooxml.Unsupported when the editor cannot take this file."""
    package = Package(data)
    for name in (ISSUES_SHEET, RECEIPT_SHEET):
        if name in package.sheet_names():
            package.remove_sheet(name)
    _clear_previous(package)
    _mark(package, plan)
    _system_columns(package, plan)
    _print_setup(package, plan)
    _issue_sheets(package, plan)
    return package.to_bytes()


def _clear_previous(package: Package) -> None:
    """Our comment parts (found by their marker, whoever the author now is) and the fills we put with them."""
    for name in package.sheet_names():
        try:
            if not package.has_comments(name):
                continue
        except (KeyError, Unsupported):  # a chart sheet, or a sheet we never touch: nothing of ours there
            continue
        sheet = package.sheet(name)
        for (row, col), comment in list(sheet.comments.items()):
            if MARK not in comment.text:
                continue
            own = comment.text.split(MARK, 1)[0].rstrip()
            if own:
                sheet.set_comment(row, col, Comment(own, comment.author))
            else:
                sheet.delete_comment(row, col)
            style = sheet.style_of(row, col)
            if package.styles.fill_of(style) in OUR_FILLS:
                sheet.set_style(row, col, package.styles.without_fill(style))


def _mark(package: Package, plan: Plan) -> None:
    for mark in plan.marks:
        try:
            sheet = package.sheet(mark.sheet)
        except KeyError:
            continue
        row, col = mark.row, mark.col + 1
        sheet.set_style(row, col, package.styles.xf(sheet.style_of(row, col), Look(fill=FILL[mark.severity])))
        previous = sheet.comment(row, col)
        if previous is not None and previous.text:
            sheet.set_comment(row, col, Comment(f"{previous.text.rstrip()}\n\n{mark.text}", previous.author))
        else:
            sheet.set_comment(row, col, Comment(mark.text, AUTHOR))


def _system_columns(package: Package, plan: Plan) -> None:
    if plan.household_sheet is None or plan.household_sheet not in package.sheet_names():
        return
    sheet = package.sheet(plan.household_sheet)
    styles = package.styles
    system_cols = {c + 1 for c in plan.system_cols}
    if plan.existing_system:  # a returned copy dropped again: nothing of the previous run may linger
        for r, c, _ in list(sheet.cell_styles()):
            if r > plan.header_row and c in system_cols:
                sheet.clear(r, c)
    # every clerk cell stays editable; only the system columns are locked
    sheet.restyle(lambda base: styles.xf(base, Look(locked=False)), skip_columns=system_cols)
    col_styles = sheet.col_styles()
    new_col_styles = {c: styles.xf(col_styles.get(c, 0), Look(locked=False))
                      for c in range(1, max(system_cols, default=plan.last_column + 1) + UNLOCK_SPARE_COLUMNS)
                      if c not in system_cols}
    header_xf = styles.xf(0, Look(fill=SYSTEM_FILL, bold=True, center=True, wrap=True, locked=True))
    value_xf = styles.xf(0, Look(fill=SYSTEM_FILL, text=True, locked=True))
    wrapped_xf = styles.xf(0, Look(fill=SYSTEM_FILL, text=True, locked=True, wrap=True))
    wrapped = {plan.system[k][0] for k in WRAPPED_SYSTEM if k in plan.system}
    widths = {}
    for col, header, width in plan.system.values():
        sheet.set_value(plan.header_row, col + 1, header, header_xf)
        widths[col + 1] = width
        new_col_styles[col + 1] = styles.xf(0, Look(locked=True))
    for row, values in plan.system_values.items():
        for col, value in values.items():
            sheet.set_value(row, col + 1, value or None, wrapped_xf if col in wrapped else value_xf)
    for row, height in plan.system_heights.items():  # long 研判结论/审核意见 shown (and printed) whole
        sheet.grow_row(row, height)
    sheet.set_columns(widths, new_col_styles)
    for name, row, col, assigned in plan.writes:
        target = package.sheet(name)
        base = target.style_of(row, col + 1)
        look = Look(date=True, locked=False) if isinstance(assigned, dt.date) else Look(text=True, locked=False)
        target.set_value(row, col + 1, assigned, styles.xf(base, look))
    sheet.protect()


def _print_setup(package: Package, plan: Plan) -> None:
    """Each village sheet of the clerk's prints legibly on A4 (writers/printing: pages across, repeated header
    row and name columns): 户信息, which the system columns widen, always; another only when it has no fitted
    print setup of its own (the template gives one; a sheet that has one is left as it is, byte for byte)."""
    for printed in plan.printed:
        if printed.name not in package.sheet_names():
            continue
        if printed.name != plan.household_sheet and package.fits_to_page(printed.name):
            continue
        widths = package.sheet(printed.name).column_widths(printed.last_column + 1)
        apply_ooxml(package, printed.name, layout_of(printed, widths))


def _issue_sheets(package: Package, plan: Plan) -> None:
    styles = package.styles
    head = styles.xf(0, Look(fill=SYSTEM_FILL, bold=True))
    wrap = styles.xf(0, Look(wrap=True))
    link = styles.xf(0, Look(link=True, wrap=True))
    bold = styles.xf(0, Look(bold=True))
    left = styles.xf(0, Look(left=True))
    severity = {"error": styles.xf(0, Look(fill=ERROR_FILL, wrap=True)),
                "warning": styles.xf(0, Look(fill=WARNING_FILL, wrap=True))}
    issues = NewSheet(ISSUES_SHEET, widths=list(ISSUE_WIDTHS), freeze_header=True, autofilter=True,
                      landscape_fit=True, selected=True, gridlines=True, header=HEADER, footer=FOOTER)
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
    title = styles.xf(0, Look(bold=True, title=True))
    receipt = NewSheet(RECEIPT_SHEET, widths=[22, 70], rows=[[(plan.receipt_title, title)], [],
                                                            *([(k, bold), (v, left)] for k, v in plan.receipt)],
                       heights={1: 24}, portrait_fit=True, header=HEADER, footer=FOOTER)
    package.add_sheet(issues, 0)
    package.add_sheet(receipt, 1)
    package.activate(0)
