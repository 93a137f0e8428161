"""The pre-filled workbook's rows made as worksheet XML (writers/prefilled_cells.py, issue 21's bench): every cell
reads back — in openpyxl and in python-calamine — as the template writer's XlsxWriter cells read, with the same
number format; the marked empty cells carry the to-fill colour, the system columns their values, and the
sheet's dimension, filter and protection cover the rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import openpyxl
import python_calamine as pc
from factory import HEAD_A, HEAD_B, base_rows
from xlsx_helpers import fill_rgb, header_columns

from excel_bridge.schema import SHEET_KINDS
from excel_bridge.writers.common import TO_FILL
from excel_bridge.writers.template import SheetExtras, write_village_workbook

TOWN, VILLAGE = "马坝镇", "石塘村"


def _rows() -> dict:
    """base_rows with every kind of value a ledger hands the writer: a text to escape and with spaces around
    it, a yes/no, a date and a date-time, an integer, a float, a Decimal, an empty text."""
    rows = base_rows()
    a, b = rows["household"]
    a.update(head_name=" 张 & <三> ", identified_date=dt.date(2021, 6, 1), wage_income=12345.67, size=3,
             contact_person="", contact_phone=None)
    b.update(identified_date=dt.datetime(2021, 3, 4, 12, 0), business_income=Decimal("2000.50"),
             household_type=True)
    rows["member"][0].update(name="A&B")
    return rows


def _extras(config, rows) -> dict[str, SheetExtras]:
    system = [(s.header, s.width, ["边缘易致贫户", None]) for s in config.schemas.household.system_columns
              if s.key == "sys_category"]
    return {"household": SheetExtras(marks={(0, "contact_person"), (1, "contact_phone")},
                                     notes={"contact_person": "请填写"}, system=system),
            **{kind: SheetExtras() for kind in SHEET_KINDS if kind != "household"}}


def test_spliced_rows_read_back_as_the_template_writer_writes_them(config, tmp_path):
    rows = _rows()
    plain = write_village_workbook(tmp_path / "plain.xlsx", config, town=TOWN, village=VILLAGE, rows=rows)
    spliced = write_village_workbook(tmp_path / "spliced.xlsx", config, town=TOWN, village=VILLAGE, rows=rows,
                                     extras=_extras(config, rows))
    one, two = openpyxl.load_workbook(plain), openpyxl.load_workbook(spliced)
    extras = _extras(config, rows)
    for kind in SHEET_KINDS:
        spec = config.schemas[kind]
        width = len(spec.columns)
        marked = {(i + 2, spec.columns.index(spec.column(key)) + 1) for i, key in extras[kind].marks}
        x, y = one[spec.sheet], two[spec.sheet]
        assert y.max_row == len(rows[kind]) + 1
        for r in range(1, len(rows[kind]) + 2):
            for c in range(1, width + 1):
                if (r, c) in marked:  # checked below: empty, in the to-fill colour
                    continue
                a, b = x.cell(row=r, column=c), y.cell(row=r, column=c)
                assert (a.value, a.number_format, a.data_type) == (b.value, b.number_format, b.data_type), \
                    (spec.sheet, a.coordinate)
        book_x = pc.CalamineWorkbook.from_path(str(plain)).get_sheet_by_name(spec.sheet).to_python()
        book_y = pc.CalamineWorkbook.from_path(str(spliced)).get_sheet_by_name(spec.sheet).to_python()
        assert [row[:width] for row in book_x] == [row[:width] for row in book_y]
    sheet = two["户信息"]
    cols = header_columns(sheet)
    assert sheet.cell(row=2, column=cols["户主姓名"]).value == " 张 & <三> "
    assert sheet.cell(row=2, column=cols["识别纳入日期"]).value == dt.datetime(2021, 6, 1)
    assert sheet.cell(row=2, column=cols["识别纳入日期"]).number_format == "yyyy-mm-dd"
    assert sheet.cell(row=3, column=cols["识别纳入日期"]).value == dt.datetime(2021, 3, 4, 12, 0)
    assert sheet.cell(row=2, column=cols["户主身份证号"]).value == HEAD_A
    assert sheet.cell(row=3, column=cols["户主身份证号"]).value == HEAD_B
    marked, unmarked = sheet.cell(row=2, column=cols["监测联系人"]), sheet.cell(row=3, column=cols["监测联系人"])
    assert (marked.value, fill_rgb(marked)) == (None, TO_FILL) and fill_rgb(unmarked) != TO_FILL
    assert fill_rgb(sheet.cell(row=3, column=cols["联系人电话"])) == TO_FILL
    assert sheet.cell(row=3, column=cols["户类型"]).value == "是"  # a yes/no as the clerk reads it
    assert sheet.cell(row=3, column=cols["生产经营性收入"]).value == "2000.50"  # any other value: its text, as before
    assert sheet.cell(row=2, column=cols["建议类别"]).value == "边缘易致贫户"
    assert sheet.cell(row=2, column=cols["建议类别"]).protection.locked
    assert not sheet.cell(row=2, column=cols["户主姓名"]).protection.locked
    assert sheet.protection.sheet and sheet.auto_filter.ref == f"A1:{sheet.cell(row=3, column=len(cols)).coordinate}"
    assert sheet.dimensions == sheet.auto_filter.ref
