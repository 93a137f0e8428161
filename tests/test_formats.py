"""The same village workbook as .xlsx (template writer), .xls and .ods (LibreOffice, tests/data): same issues,
same households, and a returned copy (.xlsx) with the same cell values as the file the clerk sent."""

from __future__ import annotations

import datetime as dt
import json

import openpyxl
import pytest
import python_calamine as pc
from conftest import DATA
from factory import AS_OF, HEAD_A, HEAD_B, SON_A, WIFE_A
from xlsx_helpers import soffice_convert

from excel_bridge.check import check_file
from excel_bridge.returned import ISSUES_SHEET, RECEIPT_SHEET, write_returned_copy
from excel_bridge.writers.common import ERROR_FILL

SOURCE = DATA / "village_small.xlsx"
CONVERTED = [DATA / "village_small.xls", DATA / "village_small.ods"]
SHEETS = ["填表说明", "户信息", "家庭成员", "帮扶措施", "评议公示", "下拉选项", "系统信息"]
SYSTEM_HEADERS = ["校验结果", "研判结论", "建议类别", "风险标记", "帮扶建议", "流程状态", "审核意见", "更新时间"]


def issue_cells(result) -> list[tuple[str, str, str | None, int | None, str | None, str | None]]:
    return [(i.code, i.severity, i.sheet, i.row, i.column, i.value) for i in result.issues]


def households_json(result) -> str:
    return json.dumps(result.to_json()["households"], ensure_ascii=False, sort_keys=True, default=str)


@pytest.fixture(scope="module")
def source(config):
    return check_file(SOURCE, config, as_of=AS_OF)


def test_fixtures_are_small():
    for path in (SOURCE, *CONVERTED, DATA / "merged_town.xls", DATA / "merged_town.ods"):
        assert path.stat().st_size < 400_000, path.name


def test_source_has_its_one_deliberate_mistake(source):
    assert source.parsed.data.format == "xlsx"
    assert issue_cells(source) == [("SEX_MISMATCH", "error", "家庭成员", 3, "性别", "男")]
    assert source.exit_code == 1
    assert [h.head_id for h in source.households] == [HEAD_A, HEAD_B]
    assert [m.get("person_id") for m in source.parsed.members] == [HEAD_A, WIFE_A, SON_A, HEAD_B]
    by_head = {h["head_id"]: h for h in source.to_json()["households"]}
    assert by_head[HEAD_A]["per_capita_income"] == 12000.0 and by_head[HEAD_A]["proposed"] is False
    assert by_head[HEAD_B]["per_capita_income"] == 8000.0 and by_head[HEAD_B]["rules"] == ["R-INCOME"]


@pytest.mark.parametrize("path", CONVERTED, ids=lambda p: p.suffix)
def test_same_issues_and_households_as_the_xlsx(config, source, path):
    result = check_file(path, config, as_of=AS_OF)
    assert result.parsed.data.format == path.suffix[1:]
    assert issue_cells(result) == issue_cells(source)
    assert [i.message for i in result.issues] == [i.message for i in source.issues]
    assert households_json(result) == households_json(source)
    assert result.exit_code == source.exit_code == 1


@pytest.mark.parametrize("path", CONVERTED, ids=lambda p: p.suffix)
def test_same_typed_records_as_the_xlsx(config, source, path):
    """Dates, numbers and texts come out of every format as the same Python values."""
    result = check_file(path, config, as_of=AS_OF)
    for mine, theirs in ((result.households, source.households), (result.parsed.members, source.parsed.members),
                         (result.parsed.measures, source.parsed.measures),
                         (result.parsed.reviews, source.parsed.reviews)):
        assert [(r.sheet, r.row, r.values) for r in mine] == [(r.sheet, r.row, r.values) for r in theirs]
    assert result.parsed.members[0].get("birth_date") == dt.date(1970, 3, 5)
    assert result.parsed.measures[0].get("start_date") == dt.date(2021, 9, 1)
    assert result.parsed.reviews[0].get("notice_end") == dt.date(2021, 11, 9)
    assert result.households[0].get("wage_income") == 30000.0
    assert result.households[0].get("income_year") == 2021


def _values(path) -> dict[str, list[list[object]]]:
    book = pc.CalamineWorkbook.from_path(str(path))
    return {name: book.get_sheet_by_name(name).to_python(skip_empty_area=False) for name in book.sheet_names}


def _visibility(path) -> dict[str, str]:
    return {m.name: str(m.visible) for m in pc.CalamineWorkbook.from_path(str(path)).sheets_metadata}


@pytest.mark.parametrize("path", CONVERTED, ids=lambda p: p.suffix)
def test_returned_copy_is_xlsx_with_the_same_values(tmp_path, config, path):
    result = check_file(path, config, as_of=AS_OF)
    placed = write_returned_copy(result, tmp_path / f"{path.stem}_反馈{path.suffix}", config)
    assert placed.path == tmp_path / f"{path.stem}_反馈.xlsx"
    assert placed.path.read_bytes()[:2] == b"PK"
    before, after = _values(path), _values(placed.path)
    assert list(before) == SHEETS
    assert list(after) == [ISSUES_SHEET, RECEIPT_SHEET, *SHEETS]
    for name in SHEETS:
        old, new = before[name], after[name]
        width = max(len(r) for r in old)
        assert len(new) == len(old), name
        assert [r[:width] + [""] * (width - len(r)) for r in new] == [r + [""] * (width - len(r)) for r in old], name
        if name != "户信息":
            assert max(len(r) for r in new) == width, name  # nothing added to any other sheet
    # 户信息: the eight system columns appended right after the clerk's last column, one value per household.
    hh_old, hh_new = before["户信息"], after["户信息"]
    width = len(hh_old[0])
    assert hh_new[0][width:] == SYSTEM_HEADERS
    assert hh_new[1][width] == "错误1处"   # household A owns the member row with the mistake
    assert hh_new[2][width] == "通过"


@pytest.mark.parametrize("path", CONVERTED, ids=lambda p: p.suffix)
def test_returned_copy_marks_the_mistake(tmp_path, config, path):
    result = check_file(path, config, as_of=AS_OF)
    placed = write_returned_copy(result, tmp_path / "out.xlsx", config)
    wb = openpyxl.load_workbook(placed.path)
    cell = wb["家庭成员"]["E3"]
    assert cell.value == "男"
    assert cell.fill.start_color.rgb[-6:] == ERROR_FILL
    assert cell.comment is not None and "性别" in cell.comment.text
    listed = [[c.value for c in row][:6] for row in wb[ISSUES_SHEET].iter_rows(min_row=2)]
    assert listed == [[1, "错误", "家庭成员", 3, "性别", "男"]]
    # the returned copy, checked again, finds the same problem at the same cell and nothing new
    again = check_file(placed.path, config, as_of=AS_OF)
    assert issue_cells(again) == issue_cells(result)


@pytest.mark.parametrize("path", CONVERTED, ids=lambda p: p.suffix)
def test_returned_copy_keeps_hidden_sheets_hidden(tmp_path, config, path):
    result = check_file(path, config, as_of=AS_OF)
    placed = write_returned_copy(result, tmp_path / "out.xlsx", config)
    before, after = _visibility(path), _visibility(placed.path)
    assert before["下拉选项"] == before["系统信息"] == "SheetVisibleEnum.Hidden"
    assert {name: after[name] for name in before} == before


def test_returned_copy_of_the_xlsx_keeps_hidden_sheets_hidden(tmp_path, config, source):
    """The control for the test above: the .xlsx path (openpyxl keeps the workbook) gets this right."""
    placed = write_returned_copy(source, tmp_path / "out.xlsx", config)
    before, after = _visibility(SOURCE), _visibility(placed.path)
    assert before["下拉选项"] == before["系统信息"] == "SheetVisibleEnum.Hidden"
    assert {name: after[name] for name in before} == before
    assert _values(placed.path)["家庭成员"] == _values(SOURCE)["家庭成员"]


# --- the template's dropdowns, checks and text columns come back with an .xls/.ods (issue 12) ----------------

VILLAGE_SHEETS = ["户信息", "家庭成员", "帮扶措施", "评议公示"]


def _column_format(ws, index: int) -> str | None:
    covering = [d for d in ws.column_dimensions.values() if d.min is not None and d.min <= index <= d.max]
    return covering[0].number_format if covering else None


def _inputs(path, sheet: str) -> tuple[set, list]:
    """A sheet's validations (list formulas resolved to their values) and its clerk columns' number formats."""
    import re

    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]

    def resolve(formula):
        m = re.fullmatch(r"'?([^'!]+)'?!\$([A-Z]+)\$(\d+):\$[A-Z]+\$(\d+)", formula or "")
        if not m:
            return formula
        lists = wb[m.group(1)]
        assert lists.sheet_state == "hidden"
        return tuple(lists[f"{m.group(2)}{r}"].value for r in range(int(m.group(3)), int(m.group(4)) + 1))

    checks = {(str(dv.sqref), dv.type, dv.operator, resolve(dv.formula1), dv.formula2, dv.errorStyle,
               dv.showErrorMessage, dv.error, dv.promptTitle, dv.prompt) for dv in ws.data_validations.dataValidation}
    width = len([c for c in ws[1] if c.value is not None and c.value not in SYSTEM_HEADERS])
    return checks, [_column_format(ws, i) for i in range(1, width + 1)]


@pytest.mark.parametrize("path", CONVERTED, ids=lambda p: p.suffix)
def test_returned_copy_carries_the_templates_dropdowns_checks_and_text_columns(tmp_path, config, path):
    """An .xls/.ods rebuilt as .xlsx has every validation and column format the template gave the sheets it came
    from: the same dropdown values, the same date / money / whole-number / ID-length checks, the same notes on
    the headers, IDs and phones as text — so an ID typed into an empty row stays text."""
    from excel_bridge.writers.template import write_village_workbook

    template = write_village_workbook(tmp_path / "template.xlsx", config, town="马坝镇", village="石塘村")
    placed = write_returned_copy(check_file(path, config, as_of=AS_OF), tmp_path / "out.xlsx", config)
    for sheet in VILLAGE_SHEETS:
        checks, formats = _inputs(placed.path, sheet)
        template_checks, template_formats = _inputs(template, sheet)
        assert checks == template_checks, sheet
        assert formats == template_formats, sheet
    checks, formats = _inputs(placed.path, "户信息")
    kinds = {(ref, kind) for ref, kind, *_ in checks}
    assert {("F2:F10001", "textLength"), ("H2:H10001", "list"), ("I2:I10001", "whole"),
            ("L2:L10001", "decimal")} <= kinds
    assert formats[5] == formats[6] == "@"  # 户主身份证号, 联系电话
    [relation] = [c for c in _inputs(placed.path, "家庭成员")[0] if c[0] == "D2:D10001"]
    allowed = config.schemas.allowed(config.schemas.member.column("relation"))
    assert relation[3] == tuple(allowed) and len(",".join(relation[3])) > 60  # too long to be written inline
    wb = openpyxl.load_workbook(placed.path)
    assert [ws.title for ws in wb.worksheets if ws.sheet_state == "hidden"] == ["下拉选项", "系统信息"]


def test_returned_copy_of_a_workbook_without_the_templates_sheets_gets_its_own_list_sheet(tmp_path, config,
                                                                                          lo_profile):
    from factory import plain_village, write_plain

    src = write_plain(tmp_path / "plain.xlsx", plain_village(config))
    xls = tmp_path / "plain.xls"
    import shutil

    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice (soffice) not installed")
    soffice_convert(src, "xls", tmp_path, lo_profile)
    placed = write_returned_copy(check_file(xls, config, as_of=AS_OF), tmp_path / "out.xlsx", config)
    wb = openpyxl.load_workbook(placed.path)
    assert wb.sheetnames == [ISSUES_SHEET, RECEIPT_SHEET, "户信息", "家庭成员", "帮扶措施", "评议公示", "下拉选项"]
    assert wb["下拉选项"].sheet_state == "hidden"
    from excel_bridge.writers.template import write_village_workbook

    template = write_village_workbook(tmp_path / "template.xlsx", config)
    assert _inputs(placed.path, "户信息")[0] == _inputs(template, "户信息")[0]
