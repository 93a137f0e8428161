"""The returned copy (反馈), reopened and checked cell by cell (docs/domain.md “Workbooks”).

The input is a small village workbook written by the project's template writer with five known
problems in three sheets; every expectation below is about that file. Each test of an .xlsx input runs
twice: through the XML editor (what a plain .xlsx gets) and through openpyxl (what .xlsm and any .xlsx
the editor does not take get), chosen with write_returned_copy's `via`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
import python_calamine as pc
from conftest import needs_soffice
from factory import AS_OF, HEAD_A, HEAD_B, base_rows, write
from openpyxl.comments import Comment
from xlsx_helpers import (
    SYSTEM_HEADERS,
    VILLAGE_SHEETS,
    cell_values,
    col_ranges,
    fill_rgb,
    header_columns,
    pdf_pages,
    pdf_text,
    ranges_overlap,
    soffice_convert,
)

from excel_bridge.check import check_file
from excel_bridge.returned import Status, write_returned_copy

EXAMPLE = Path(__file__).resolve().parents[1] / "workbooks" / "示例_马坝镇石塘村监测台账.xlsx"
ERROR, WARNING = "FFC7CE", "FFEB9C"
AUTHOR = "excel_bridge"
ISSUES_HEADERS = ("序号", "严重程度", "工作表", "行号", "列名", "填写内容", "问题说明", "修改建议", "定位")
CLERK_COLUMNS = 37  # 户信息 has 37 canonical columns: A..AK; system columns start at AL (38)

# (code, severity, sheet, cell) of every problem planted in problem_rows()
PLANTED = {
    ("PHONE_FORMAT", "warning", "户信息", "G2"),
    ("NOT_ALLOWED", "error", "户信息", "H2"),
    ("INCOME_MISMATCH", "warning", "户信息", "Q2"),
    ("EDU_BOTH", "error", "家庭成员", "H4"),
    ("NOT_ALLOWED", "error", "帮扶措施", "B2"),
}


def problem_rows() -> dict:
    """base_rows() with five mistakes, all belonging to household A; household B stays clean."""
    rows = base_rows()
    rows["household"][0].update(household_type="一般户", per_capita_income=11000, phone="1380013800",
                                household_no="44020501234567")
    rows["member"][2]["education"] = "初中"  # the son has 在校生状况 too → EDU_BOTH on 在校生状况
    rows["measure"].append({"head_id": HEAD_A, "category": "扶贫贷款", "content": "申请小额贷款",
                            "start_date": dt.date(2021, 7, 1), "responsible": "马坝镇人社所"})
    return rows


def returned(tmp: Path, config, rows: dict | None = None, *, name: str = "v.xlsx", **kw):
    src = write(tmp / name, config, rows or problem_rows())
    result = check_file(src, config, as_of=AS_OF)
    placed = write_returned_copy(result, tmp / f"{src.stem}_反馈.xlsx", config, **kw)
    return src, result, placed.path


@pytest.fixture(scope="module", params=["xml", "openpyxl"])
def via(request) -> str:
    """The writer of the returned copy of an .xlsx: the XML editor, or openpyxl."""
    return request.param


@pytest.fixture(scope="module")
def made(tmp_path_factory, config, via):
    tmp = tmp_path_factory.mktemp("feedback")
    src, result, out = returned(tmp, config, via=via)
    return src, result, out


def _system_positions(ws) -> dict[str, int]:
    return {h: c for h, c in header_columns(ws).items() if h in SYSTEM_HEADERS}


def _where(ws_sheet, header: str, row: int) -> str:
    return f"{openpyxl.utils.get_column_letter(header_columns(ws_sheet)[header])}{row}"


# --- what the checker found, pinned so the rest of the file tests the copy, not the checker ---

def test_planted_problems_are_found(made):
    _, result, out = made
    wb = openpyxl.load_workbook(out)
    found = {(i.code, i.severity, i.sheet, _where(wb[i.sheet], i.column, i.row)) for i in result.issues}
    assert found == PLANTED
    assert len(result.issues) == 5


# --- values: nothing the clerk typed is changed ---

def test_every_original_cell_value_is_unchanged(made):
    src, _, out = made
    before = cell_values(src)
    wb = openpyxl.load_workbook(out)
    system_cols = set(_system_positions(wb["户信息"]).values())
    after = cell_values(out, skip_columns={"户信息": system_cols})
    assert set(after) == set(before) | {"问题清单", "回执"}
    assert list(before) == list(VILLAGE_SHEETS)
    for sheet in before:
        assert after[sheet] == before[sheet], sheet
    # the comparison is not vacuous: the data cells are there
    assert before["户信息"]["F3"] == HEAD_B
    assert before["家庭成员"]["H4"] == "初中"
    assert len(before["下拉选项"]) > 50 and before["系统信息"]["B5"] == "马坝镇"


def test_input_file_is_not_touched(tmp_path, config, via):
    src = write(tmp_path / "v.xlsx", config, problem_rows())
    digest = hashlib.sha256(src.read_bytes()).hexdigest()
    result = check_file(src, config, as_of=AS_OF)
    write_returned_copy(result, tmp_path / "out.xlsx", config, via=via)
    assert hashlib.sha256(src.read_bytes()).hexdigest() == digest


def test_example_workbook_values_unchanged_via_cli(tmp_path):
    out = tmp_path / "ex_反馈.xlsx"
    proc = subprocess.run([sys.executable, "-m", "excel_bridge.cli", "check", str(EXAMPLE), "--out", str(out),
                           "--as-of", "2021-12-20"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr
    before = cell_values(EXAMPLE)
    wb = openpyxl.load_workbook(out)
    after = cell_values(out, skip_columns={"户信息": set(_system_positions(wb["户信息"]).values())})
    assert set(after) == set(before) | {"问题清单", "回执"}
    for sheet in before:
        assert after[sheet] == before[sheet], sheet
    assert sum(1 for c in before["户信息"] if c.startswith("F")) == 13  # header + 12 households


# --- marks on the offending cells ---

def test_offending_cells_filled_and_commented(made):
    _, result, out = made
    wb = openpyxl.load_workbook(out)
    by_cell = {}
    for issue in result.issues:
        by_cell.setdefault((issue.sheet, _where(wb[issue.sheet], issue.column, issue.row)), []).append(issue)
    assert len(by_cell) == 5
    for (sheet, coord), issues in by_cell.items():
        cell = wb[sheet][coord]
        worst = "error" if any(i.severity == "error" for i in issues) else "warning"
        assert fill_rgb(cell) == (ERROR if worst == "error" else WARNING), (sheet, coord)
        assert cell.comment is not None, (sheet, coord)
        assert cell.comment.author == AUTHOR
        for issue in issues:
            assert issue.message in cell.comment.text
            assert issue.hint in cell.comment.text
            assert ("【错误】" if issue.severity == "error" else "【提示】") in cell.comment.text
    h2 = wb["户信息"]["H2"].comment.text
    assert h2 == "【系统校验】\n【错误】“一般户”不是“户类型”的可选值。\n改法：请从下拉列表中选择：脱贫户、普通农户。"
    assert fill_rgb(wb["户信息"]["G2"]) == WARNING and fill_rgb(wb["家庭成员"]["H4"]) == ERROR


def test_no_other_cell_is_marked(made):
    _, _, out = made
    wb = openpyxl.load_workbook(out)
    marked = set()
    for name in VILLAGE_SHEETS:
        ws = wb[name]
        for row in ws.iter_rows():
            for cell in row:
                if cell.comment is not None or fill_rgb(cell) in (ERROR, WARNING):
                    marked.add((name, cell.coordinate))
    assert marked == {(sheet, coord) for _, _, sheet, coord in PLANTED}


# --- system columns on 户信息 ---

def test_system_columns_appended_right_of_last_header(made):
    src, _, out = made
    before = openpyxl.load_workbook(src)["户信息"]
    ws = openpyxl.load_workbook(out)["户信息"]
    assert before.max_column == CLERK_COLUMNS
    headers = [c.value for c in ws[1]]
    assert headers[:CLERK_COLUMNS] == [c.value for c in before[1]]
    assert headers[CLERK_COLUMNS:] == list(SYSTEM_HEADERS)
    assert ws.max_column == CLERK_COLUMNS + len(SYSTEM_HEADERS)


def test_system_column_values_per_household(made):
    _, result, out = made
    ws = openpyxl.load_workbook(out)["户信息"]
    pos = _system_positions(ws)
    stamp = result.checked_at.strftime("%Y-%m-%d %H:%M:%S")

    def row(r: int) -> dict[str, object]:
        return {h: ws.cell(r, c).value for h, c in pos.items()}

    assert ws["F3"].value == HEAD_B
    assert row(3) == {
        "校验结果": "通过",
        "研判结论": "建议纳入监测：人均纯收入不高于监测线（方案三）",  # words for the clerk, no rule id
        "建议类别": "脱贫不稳定户",
        "风险标记": None,
        "帮扶建议": "兜底保障·单项措施",
        "流程状态": "未入账（仅校验）",
        "审核意见": None,
        "更新时间": stamp,
    }
    assert ws["F2"].value == HEAD_A
    assert row(2) == {
        "校验结果": "错误3处，提示2条",
        "研判结论": "暂不纳入：人均纯收入高于监测线，刚性支出未使其降入监测范围，两不愁三保障及饮水安全有保障",
        "建议类别": None,
        "风险标记": None,
        "帮扶建议": None,
        "流程状态": "未入账（仅校验）",
        "审核意见": None,
        "更新时间": stamp,
    }
    for r in range(4, ws.max_row + 1):
        assert set(row(r).values()) == {None}, r


def test_statuses_fill_state_opinion_and_only_a_blank_household_number(tmp_path, config, via):
    rows = problem_rows()
    rows["household"][0]["identified_date"] = dt.date(2021, 3, 1)
    statuses = {HEAD_A: Status(state="待镇核查", opinion="请补充收入证明", household_no="T-0001",
                               identified=dt.date(2021, 9, 9)),
                HEAD_B: Status(state="帮扶中", household_no="T-0002", identified=dt.date(2021, 8, 11))}
    src, _, out = returned(tmp_path, config, rows, statuses=statuses, via=via)
    ws = openpyxl.load_workbook(out)["户信息"]
    pos = _system_positions(ws)
    assert ws.cell(2, pos["流程状态"]).value == "待镇核查"
    assert ws.cell(2, pos["审核意见"]).value == "请补充收入证明"
    assert ws.cell(3, pos["流程状态"]).value == "帮扶中"
    assert ws.cell(3, pos["审核意见"]).value is None
    assert ws["A2"].value == "44020501234567"  # typed by the clerk: kept
    assert ws["AF2"].value == dt.datetime(2021, 3, 1)  # typed by the clerk: kept
    assert ws["A3"].value == "T-0002"  # blank: the provisional number is written back, as text
    assert ws["A3"].number_format == "@"
    assert ws["AF3"].value == dt.datetime(2021, 8, 11)  # blank: the identification date is written back
    assert ws["AF3"].number_format == "yyyy-mm-dd"
    # those two write-backs are the only clerk cells that differ from the input
    before = cell_values(src)["户信息"]
    after = cell_values(out, skip_columns={"户信息": set(pos.values())})["户信息"]
    assert {k: v for k, v in after.items() if before.get(k) != v} == {"A3": "T-0002",
                                                                      "AF3": dt.datetime(2021, 8, 11)}
    assert set(before) - set(after) == set()


def test_title_row_and_extra_column_are_followed(tmp_path, config, via):
    """A clerk's title row above the header and an extra column: marks, links and system columns follow them."""
    rows = base_rows()
    rows["household"][0]["household_type"] = "一般户"
    src = write(tmp_path / "v.xlsx", config, rows)
    wb = openpyxl.load_workbook(src)
    ws = wb["户信息"]
    ws.insert_rows(1)
    ws["A1"] = "马坝镇石塘村监测户信息表"
    ws.insert_cols(5)
    ws["E2"], ws["E3"] = "小组长", "王五"
    wb.save(src)
    result = check_file(src, config, as_of=AS_OF)
    assert [(i.code, i.row, i.column) for i in sorted(result.issues, key=lambda i: i.row)] == [
        ("COLUMN_UNKNOWN", 2, "小组长"), ("NOT_ALLOWED", 3, "户类型")]
    out = write_returned_copy(result, tmp_path / "o.xlsx", config, via=via).path
    wb = openpyxl.load_workbook(out)
    ws = wb["户信息"]
    assert ws["A1"].value == "马坝镇石塘村监测户信息表"
    assert [c.value for c in ws[2]][CLERK_COLUMNS + 1:] == list(SYSTEM_HEADERS)  # after the 38 clerk columns
    assert ws.cell(3, CLERK_COLUMNS + 2).value == "错误1处"
    assert ws.cell(4, CLERK_COLUMNS + 2).value == "通过"
    assert fill_rgb(ws["I3"]) == ERROR and ws["I3"].value == "一般户"
    assert fill_rgb(ws["E2"]) == WARNING and "“小组长”不是模板中的列" in ws["E2"].comment.text
    links = {r[3].value: r[8].hyperlink.location for r in wb["问题清单"].iter_rows(min_row=2)}
    assert links == {3: "'户信息'!I3", 2: "'户信息'!E2"}
    assert check_file(out, config, as_of=AS_OF).issues == result.issues


def test_system_columns_locked_clerk_cells_unlocked(made):
    _, _, out = made
    wb = openpyxl.load_workbook(out)
    ws = wb["户信息"]
    assert ws.protection.sheet is True
    system = set(_system_positions(ws).values())
    assert system == set(range(CLERK_COLUMNS + 1, CLERK_COLUMNS + 9))
    for row in ws.iter_rows(min_row=1, max_row=ws.max_row, max_col=ws.max_column):
        for cell in row:
            if cell.value is None:
                continue
            assert cell.protection.locked is (cell.column in system), cell.coordinate
    # empty cells take their column's style: clerk columns must be unlocked, system columns not
    dims = list(ws.column_dimensions.values())
    for col in range(1, CLERK_COLUMNS + 1):
        covering = [d for d in dims if d.min is not None and d.min <= col <= d.max]
        assert covering and all(d.protection.locked is False for d in covering), col
    for col in system:
        covering = [d for d in dims if d.min is not None and d.min <= col <= d.max]
        assert all(d.protection.locked is not False for d in covering), col
    # the clerk fixes members, measures and reviews: those sheets stay editable
    for name in ("家庭成员", "帮扶措施", "评议公示"):
        assert wb[name].protection.sheet is False, name


# --- 问题清单 and 回执 ---

def test_issues_sheet_first_one_row_per_issue_with_links(made):
    _, result, out = made
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames[0] == "问题清单"
    assert wb.active.title == "问题清单"
    ws = wb["问题清单"]
    assert tuple(c.value for c in ws[1]) == ISSUES_HEADERS
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=2)]
    assert len(rows) == len(result.issues) == 5
    assert [r[0] for r in rows] == [1, 2, 3, 4, 5]
    word = {"error": "错误", "warning": "提示"}
    expected = sorted((word[i.severity], i.sheet, i.row, i.column, i.value, i.message, i.hint)
                      for i in result.issues)
    assert sorted(tuple(r[1:8]) for r in rows) == expected
    assert [r[1] for r in rows] == ["错误", "错误", "错误", "提示", "提示"]  # errors first
    links = {}
    for r in range(2, ws.max_row + 1):
        link = ws.cell(r, 9).hyperlink
        assert link is not None and link.target is None, r  # internal link, no file/URL target
        links[(ws.cell(r, 3).value, ws.cell(r, 4).value, ws.cell(r, 5).value)] = link.location
    assert links == {
        ("户信息", 2, "联系电话"): "'户信息'!G2",
        ("户信息", 2, "户类型"): "'户信息'!H2",
        ("户信息", 2, "人均纯收入"): "'户信息'!Q2",
        ("家庭成员", 4, "在校生状况"): "'家庭成员'!H4",
        ("帮扶措施", 2, "措施类别"): "'帮扶措施'!B2",
    }


def test_issues_sheet_rows_are_tall_enough_for_their_wrapped_text(made):
    """Each row of 问题清单 holds the lines its longest text wraps onto at 16 points a line (LibreOffice's CJK
    font; at 14 the last line was cut in half when opened or printed), a one-line row 18."""
    from excel_bridge.returned.plan import ISSUE_WIDTHS
    from excel_bridge.writers.common import text_lines

    _, result, out = made
    ws = openpyxl.load_workbook(out)["问题清单"]
    heights = []
    for r in range(2, ws.max_row + 1):
        lines = max(text_lines(ws.cell(r, c + 1).value, ISSUE_WIDTHS[c]) for c in (5, 6, 7))
        assert ws.row_dimensions[r].height == (18 if lines == 1 else 16 * lines + 4), r
        heights.append(ws.row_dimensions[r].height)
    assert max(heights) >= 36  # this file's 人均纯收入 explanation wraps


def test_issues_sheet_when_clean(tmp_path, config, via):
    _, result, out = returned(tmp_path, config, base_rows(), via=via)
    assert result.issues == []
    ws = openpyxl.load_workbook(out)["问题清单"]
    assert ws.max_row == 2
    assert ws.cell(2, 7).value == "本文件未发现问题。"


def test_receipt_sheet(made):
    src, result, out = made
    ws = openpyxl.load_workbook(out)["回执"]
    assert (ws["A1"].value, ws["A1"].font.b, ws["A1"].font.sz, ws["A2"].value) == ("村级监测台账处理回执", True, 14, None)
    receipt = {r[0]: r[1] for r in ws.iter_rows(min_row=3, values_only=True)}
    assert receipt == {
        "收到文件": "v.xlsx",
        "处理时间": result.checked_at.strftime("%Y-%m-%d %H:%M:%S"),
        "文件指纹（SHA-256）": hashlib.sha256(src.read_bytes()).hexdigest(),
        "户数": 2,
        "成员数": 4,
        "帮扶措施条数": 1,
        "评议公示条数": 0,
        "错误": 3,
        "提示": 2,
        "建议纳入监测户数": 1,
    }
    # counts and text line up on the left of the value column, as on a paper form
    assert {ws.cell(r, 2).alignment.horizontal for r in range(3, ws.max_row + 1)} == {"left"}


# --- a returned copy dropped again ---

def test_rechecking_returned_copy_gives_same_result(made, config):
    _, result, out = made
    again = check_file(out, config, as_of=AS_OF)
    assert again.readable
    assert again.issues == result.issues
    assert again.to_json()["households"] == result.to_json()["households"]


def test_returned_copy_of_returned_copy_does_not_duplicate(made, config, tmp_path, via):
    _, result, out = made
    again = check_file(out, config, as_of=AS_OF)
    out2 = write_returned_copy(again, tmp_path / "second.xlsx", config, via=via).path
    first, second = openpyxl.load_workbook(out), openpyxl.load_workbook(out2)
    assert second.sheetnames == first.sheetnames
    assert [c.value for c in second["户信息"][1]] == [c.value for c in first["户信息"][1]]
    assert second["户信息"].max_column == CLERK_COLUMNS + len(SYSTEM_HEADERS)
    assert second["问题清单"].max_row == first["问题清单"].max_row == 6
    for _, _, sheet, coord in PLANTED:
        assert second[sheet][coord].comment.text == first[sheet][coord].comment.text
    values = cell_values(out2, skip_columns={"户信息": set(_system_positions(second["户信息"]).values())})
    originals = cell_values(out, skip_columns={"户信息": set(_system_positions(first["户信息"]).values())})
    for sheet in VILLAGE_SHEETS:
        assert values[sheet] == originals[sheet], sheet


def test_fixed_problem_loses_fill_and_comment(made, config, tmp_path, via):
    _, _, out = made
    fixed = tmp_path / "fixed.xlsx"
    wb = openpyxl.load_workbook(out)
    wb["户信息"]["H2"] = "普通农户"
    wb.save(fixed)
    result = check_file(fixed, config, as_of=AS_OF)
    assert ("NOT_ALLOWED", "户信息", 2) not in {(i.code, i.sheet, i.row) for i in result.issues}
    assert len(result.issues) == 4
    out2 = write_returned_copy(result, tmp_path / "fixed_反馈.xlsx", config, via=via).path
    wb2 = openpyxl.load_workbook(out2)
    ws = wb2["户信息"]
    assert ws["H2"].value == "普通农户"
    assert ws["H2"].comment is None
    assert fill_rgb(ws["H2"]) is None
    assert fill_rgb(ws["Q2"]) == WARNING and ws["Q2"].comment.author == AUTHOR  # still a problem: still marked
    assert ws.cell(2, _system_positions(ws)["校验结果"]).value == "错误2处，提示2条"
    assert wb2["问题清单"].max_row == 5


def test_changed_assessment_clears_stale_system_values(tmp_path, config, via):
    _, _, out = returned(tmp_path, config, base_rows(), via=via)
    wb = openpyxl.load_workbook(out)
    ws = wb["户信息"]
    pos = _system_positions(ws)
    assert ws.cell(3, pos["建议类别"]).value == "脱贫不稳定户"
    ws["O3"] = 20000  # the clerk corrects household B's 转移性收入: now 21500 元/人, above the line
    fixed = tmp_path / "fixed.xlsx"
    wb.save(fixed)
    result = check_file(fixed, config, as_of=AS_OF)
    assert [a.proposed for _, a in result.pairs()] == [False, False]
    ws2 = openpyxl.load_workbook(write_returned_copy(result, tmp_path / "f_反馈.xlsx", config, via=via).path)[
        "户信息"]
    assert ws2.cell(3, pos["研判结论"]).value == "暂不纳入：人均纯收入高于监测线，刚性支出未使其降入监测范围，两不愁三保障及饮水安全有保障"
    assert ws2.cell(3, pos["建议类别"]).value is None
    assert ws2.cell(3, pos["帮扶建议"]).value is None


def test_cleared_household_row_has_no_stale_system_values(made, config, tmp_path, via):
    _, _, out = made
    wb = openpyxl.load_workbook(out)
    ws = wb["户信息"]
    for cell in ws[3][:CLERK_COLUMNS]:  # the clerk deletes household B (rows cannot be deleted: sheet protected)
        cell.value = None
    for cell in wb["家庭成员"][5]:
        cell.value = None
    edited = tmp_path / "edited.xlsx"
    wb.save(edited)
    result = check_file(edited, config, as_of=AS_OF)
    assert [h.head_id for h in result.households] == [HEAD_A]
    ws2 = openpyxl.load_workbook(write_returned_copy(result, tmp_path / "e_反馈.xlsx", config, via=via).path)[
        "户信息"]
    assert [ws2.cell(3, c).value for c in _system_positions(ws2).values()] == [None] * 8


def test_clerk_comment_on_offending_cell_is_kept(tmp_path, config, via):
    src = write(tmp_path / "v.xlsx", config, problem_rows())
    wb = openpyxl.load_workbook(src)
    wb["户信息"]["H2"].comment = Comment("户主说填一般户", "村干部")
    wb.save(src)
    result = check_file(src, config, as_of=AS_OF)
    out = write_returned_copy(result, tmp_path / "o.xlsx", config, via=via).path
    text = openpyxl.load_workbook(out)["户信息"]["H2"].comment.text
    assert "户主说填一般户" in text
    assert "“一般户”不是“户类型”的可选值。" in text


def test_returned_copy_column_definitions_do_not_overlap(made):
    src, _, out = made
    assert ranges_overlap(col_ranges(src, "户信息")) == []  # the template itself is clean
    assert ranges_overlap(col_ranges(out, "户信息")) == []


# --- other input formats ---

@pytest.fixture(scope="module")
def xls_input(tmp_path_factory, config, lo_profile):
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice (soffice) not installed")
    tmp = tmp_path_factory.mktemp("xls")
    src = write(tmp / "v.xlsx", config, problem_rows())
    xls = soffice_convert(src, "xls", tmp / "xls", lo_profile)
    return xls


@needs_soffice
def test_xls_returned_copy_is_xlsx_with_same_values(xls_input, config, tmp_path):
    result = check_file(xls_input, config, as_of=AS_OF)
    placed = write_returned_copy(result, tmp_path / "v_反馈.xls", config)
    assert placed.path == tmp_path / "v_反馈.xlsx"
    assert not (tmp_path / "v_反馈.xls").exists()
    src = pc.CalamineWorkbook.from_path(str(xls_input))
    out = pc.CalamineWorkbook.from_path(str(placed.path))
    assert out.sheet_names == ["问题清单", "回执", *src.sheet_names]
    receipt = openpyxl.load_workbook(placed.path)["回执"]
    assert receipt["A1"].value == "村级监测台账处理回执"
    assert {receipt.cell(r, 2).alignment.horizontal for r in range(3, receipt.max_row + 1)} == {"left"}
    for name in src.sheet_names:
        before = src.get_sheet_by_name(name).to_python(skip_empty_area=False)
        after = out.get_sheet_by_name(name).to_python(skip_empty_area=False)
        if name == "户信息":
            assert after[0][CLERK_COLUMNS:] == list(SYSTEM_HEADERS)
            after = [r[:CLERK_COLUMNS] for r in after]
            before = [r[:CLERK_COLUMNS] for r in before]
        assert after == before, name
    wb = openpyxl.load_workbook(placed.path)
    assert fill_rgb(wb["户信息"]["H2"]) == ERROR and wb["户信息"]["H2"].comment.author == AUTHOR
    assert wb["户信息"].protection.sheet is True


@needs_soffice
def test_xls_returned_copy_keeps_hidden_sheets_hidden(xls_input, config, tmp_path):
    src = pc.CalamineWorkbook.from_path(str(xls_input))
    hidden = {m.name for m in src.sheets_metadata if m.visible != pc.SheetVisibleEnum.Visible}
    assert hidden == {"下拉选项", "系统信息"}
    result = check_file(xls_input, config, as_of=AS_OF)
    out = write_returned_copy(result, tmp_path / "v_反馈.xlsx", config).path
    wb = openpyxl.load_workbook(out)
    assert {ws.title for ws in wb.worksheets if ws.sheet_state != "visible"} == hidden


# --- LibreOffice opens what we write ---

@needs_soffice
@pytest.mark.skipif(shutil.which("pdfinfo") is None, reason="poppler-utils not installed")
def test_libreoffice_renders_returned_copy_to_pdf(made, lo_profile, tmp_path):
    _, _, out = made
    pdf = soffice_convert(out, "pdf", tmp_path / "pdf", lo_profile)
    assert pdf_pages(pdf) >= 5  # 问题清单, 回执, 填表说明, 户信息, 家庭成员 … (hidden sheets not printed)
    text = pdf_text(pdf)
    for needle in ("问题说明", "“一般户”不是“户类型”的可选值。", "文件指纹（SHA-256）", "李秀英", "校验结果",
                   "脱贫不稳定户"):
        assert needle in text, needle


@pytest.fixture(scope="module")
def resaved(made, lo_profile, tmp_path_factory) -> Path:
    """The returned copy opened in LibreOffice and saved as .xlsx, as a clerk with LibreOffice would (one conversion
    for the tests that read it; none of them changes it)."""
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice (soffice) not installed")
    return soffice_convert(made[2], "xlsx", tmp_path_factory.mktemp("lo"), lo_profile)


@needs_soffice
def test_libreoffice_resaves_returned_copy_as_xlsx(made, config, resaved):
    _, result, out = made
    ours, theirs = openpyxl.load_workbook(out), openpyxl.load_workbook(resaved)
    assert theirs.sheetnames == ours.sheetnames
    assert [ws.sheet_state for ws in theirs.worksheets] == [ws.sheet_state for ws in ours.worksheets]
    ws = theirs["户信息"]
    assert [c.value for c in ws[1]][CLERK_COLUMNS:] == list(SYSTEM_HEADERS)
    assert ws.protection.sheet is True
    assert ws["H2"].value == "一般户" and fill_rgb(ws["H2"]) == ERROR
    assert "“一般户”不是“户类型”的可选值。" in ws["H2"].comment.text
    links = [theirs["问题清单"].cell(r, 9).hyperlink.location for r in range(2, 7)]
    assert sorted(links) == sorted(["'户信息'!G2", "'户信息'!H2", "'户信息'!Q2", "'家庭成员'!H4", "'帮扶措施'!B2"])
    # and the checker still reads the re-saved copy the same way
    assert [(i.code, i.sheet, i.row, i.column) for i in check_file(resaved, config, as_of=AS_OF).issues] == \
        [(i.code, i.sheet, i.row, i.column) for i in result.issues]


@needs_soffice
def test_fixed_problem_unmarked_after_libreoffice_save(config, resaved, tmp_path, via):
    wb = openpyxl.load_workbook(resaved)
    wb["户信息"]["H2"] = "普通农户"
    fixed = tmp_path / "fixed.xlsx"
    wb.save(fixed)
    result = check_file(fixed, config, as_of=AS_OF)
    assert "NOT_ALLOWED" not in {i.code for i in result.issues if i.sheet == "户信息"}
    ws = openpyxl.load_workbook(write_returned_copy(result, tmp_path / "f_反馈.xlsx", config, via=via).path)[
        "户信息"]
    assert ws["H2"].comment is None
    assert fill_rgb(ws["H2"]) is None
