"""The master's 导入差异 sheet: each value the latest national export (excel-bridge import) gives otherwise than
the village's accepted data — listed for the district to verify, never written over the village's data."""

from __future__ import annotations

from ..messages import TEXT
from ..store import Store
from .tables import Col, Formats, write_table

IMPORT_SHEET = "导入差异"
COLUMNS = [Col("镇", 8), Col("村", 10), Col("户编号", 16, "id"), Col("户主姓名", 9), Col("项目", 30, "wrap"),
           Col("村级台账", 18, "wrap"), Col("国家系统", 18, "wrap")]


def write_import_differences(wb, fmt: Formats, store: Store) -> None:
    """导入差异 from the latest import, a line above the table naming the file; no sheet while nothing was imported
    (a district that never imports prints no empty page)."""
    found = store.imports.differences()
    if found is None:
        return
    sheet = wb.add_worksheet(IMPORT_SHEET)
    sheet.write_string(0, 0, TEXT["master.import_title"].format(file=found.file_name, at=found.at, n=len(found.rows)),
                       fmt.bold)
    write_table(sheet, fmt, COLUMNS, ([d.town, d.village, d.household_no, d.head_name, d.item, d.ledger, d.national]
                                      for d in found.rows), first_row=1, header_lines=2, printed=True)
