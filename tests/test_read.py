"""The reader on real files: odd layouts clerks make, header matching, Excel row numbers, and every
way a file can be unusable (each gives exactly one issue and exit code 2)."""

from __future__ import annotations

import json
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
from conftest import CORPUS, DATA
from factory import (
    AS_OF,
    HEAD_A,
    HEAD_B,
    HEAD_C,
    SON_A,
    WIFE_A,
    base_rows,
    household,
    merged_town,
    plain_village,
    table,
    write,
    write_plain,
)

from excel_bridge.check import check_file
from excel_bridge.errors import UnreadableFile
from excel_bridge.read import read_workbook


def _limit_memory() -> None:
    limit = 4 * 1024 ** 3
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def cells(result) -> list[tuple[str, str | None, int | None, str | None, str | None]]:
    """Each issue as (code, sheet, row, column, value)."""
    return [(i.code, i.sheet, i.row, i.column, i.value) for i in result.issues]


def check(path: Path, config):
    return check_file(path, config, as_of=AS_OF)


def fullwidth(text: str) -> str:
    return text.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789X"})


# --- the template itself ------------------------------------------------------------------------------

def test_template_file_is_read_with_excel_rows(tmp_path, config):
    data = read_workbook(write(tmp_path / "v.xlsx", config), config.schemas)
    assert data.format == "xlsx"
    assert data.missing == [] and data.header_problems == []
    assert {k: (s.name, s.header_row) for k, s in data.sheets.items()} == {
        "household": ("户信息", 1), "member": ("家庭成员", 1), "measure": ("帮扶措施", 1), "review": ("评议公示", 1)}
    hh = data.sheets["household"]
    assert [r for r, _ in hh.rows] == [2, 3]
    assert hh.columns["head_id"] == 5 and hh.columns["note"] == 32
    assert hh.value(hh.rows[1][1], "head_id") == HEAD_B
    assert [r for r, _ in data.sheets["member"].rows] == [2, 3, 4, 5]
    assert data.meta["镇"] == "马坝镇" and data.meta["村"] == "石塘村" and data.meta["模板编号"] == "excel_bridge.village"


# --- where the header is, and which rows are records --------------------------------------------------

def test_header_found_under_two_title_rows(tmp_path, config):
    rows = base_rows()
    rows["household"][1]["phone"] = "12345"          # a warning on the second household: Excel row 5
    sheets = plain_village(config, rows)
    sheets["户信息"] = [["石塘村防止返贫监测户信息表"],
                       ["填报单位：马坝镇石塘村", None, None, None, "填报日期：2021年12月20日"],
                       *sheets["户信息"]]
    path = write_plain(tmp_path / "title.xlsx", sheets, merges={"户信息": ["A1:AG1"]})
    data = read_workbook(path, config.schemas)
    assert data.sheets["household"].header_row == 3
    assert [r for r, _ in data.sheets["household"].rows] == [4, 5]
    result = check(path, config)
    assert cells(result) == [("PHONE_FORMAT", "户信息", 5, "联系电话", "12345")]
    assert result.issues[0].severity == "warning"
    assert [(h.row, h.head_id) for h in result.households] == [(4, HEAD_A), (5, HEAD_B)]


def test_header_below_blank_rows_and_right_of_blank_columns(tmp_path, config):
    """家庭成员 starting at C3: rows and columns keep the positions Excel shows."""
    rows = base_rows()
    rows["member"][1]["sex"] = "男"                   # 黄丽 (WIFE_A) is 女 by her ID: member row 2 → Excel row 5
    sheets = plain_village(config, rows)
    sheets["家庭成员"] = [[], [], *[[None, None, *r] for r in sheets["家庭成员"]]]
    path = write_plain(tmp_path / "offset.xlsx", sheets)
    member = read_workbook(path, config.schemas).sheets["member"]
    assert member.header_row == 3
    assert member.columns["head_id"] == 2 and member.columns["sex"] == 6
    assert [r for r, _ in member.rows] == [4, 5, 6, 7]
    result = check(path, config)
    assert cells(result) == [("SEX_MISMATCH", "家庭成员", 5, "性别", "男")]
    assert [(m.row, m.get("person_id")) for m in result.parsed.members] == [
        (4, HEAD_A), (5, WIFE_A), (6, SON_A), (7, HEAD_B)]


def test_blank_rows_skipped_and_true_rows_kept(tmp_path, config):
    rows = base_rows()
    rows["household"][1]["household_type"] = "贫困户"  # not an allowed value, on the row after the gap
    sheets = plain_village(config, rows)
    hh = sheets["户信息"]
    sheets["户信息"] = [hh[0], [], hh[1], [None] * 5, ["  ", "", "\u3000"], hh[2], [], []]
    mem = sheets["家庭成员"]
    sheets["家庭成员"] = [mem[0], mem[1], [], mem[2], mem[3], [], [], mem[4]]
    path = write_plain(tmp_path / "gaps.xlsx", sheets)
    result = check(path, config)
    assert cells(result) == [("NOT_ALLOWED", "户信息", 6, "户类型", "贫困户")]
    assert [(h.row, h.head_id) for h in result.households] == [(3, HEAD_A), (6, HEAD_B)]
    assert [m.row for m in result.parsed.members] == [2, 4, 5, 8]
    assert len(result.households[0].members) == 3


def test_footer_rows_skipped(tmp_path, config):
    sheets = plain_village(config)
    sheets["户信息"] += [[], ["填表人：张三", None, None, None, "审核人：李四"], ["说明：本表每户一行"]]
    result = check(write_plain(tmp_path / "footer.xlsx", sheets), config)
    assert result.issues == []
    assert [h.row for h in result.households] == [2, 3]


def test_totals_row_skipped(tmp_path, config):
    sheets = plain_village(config)
    header = sheets["户信息"][0]
    totals = [None] * len(header)
    totals[header.index("户主姓名")] = "合计"
    for name, value in (("家庭人口数", 4), ("工资性收入", 30000), ("生产经营性收入", 8000), ("转移性收入", 9500),
                        ("生产经营性支出", 3500)):
        totals[header.index(name)] = value
    sheets["户信息"].append(totals)
    result = check(write_plain(tmp_path / "totals.xlsx", sheets), config)
    assert cells(result) == []
    assert [h.row for h in result.households] == [2, 3]


def test_totals_row_with_a_sequence_number_and_spaced_word_skipped(tmp_path, config):
    sheets = plain_village(config)
    header = sheets["户信息"][0]
    totals = [None] * len(header)
    totals[header.index("组")] = "3"
    totals[header.index("户主姓名")] = "合  计"
    totals[header.index("家庭人口数")] = 4
    sheets["户信息"].append(totals)
    result = check(write_plain(tmp_path / "totals.xlsx", sheets), config)
    assert cells(result) == []
    assert [h.row for h in result.households] == [2, 3]


# --- header matching ----------------------------------------------------------------------------------

def test_header_variants_and_aliases_matched(tmp_path, config):
    sheets = plain_village(config)
    hh = sheets["户信息"][0]
    hh[hh.index("镇")] = "＊镇"
    hh[hh.index("组")] = "村民小组"                       # alias
    hh[hh.index("户主身份证号")] = " 户主\n身份证号 "
    hh[hh.index("家庭人口数")] = "家庭人口数*"
    hh[hh.index("其他风险1")] = "其他风险１"
    mem = sheets["家庭成员"][0]
    mem[mem.index("务工时间（月）")] = "务工时间 (月)"      # half-width brackets and a space
    mem[mem.index("身份证号")] = "证件号码"                  # alias
    mem[mem.index("姓名")] = "姓\u3000名"
    sheets["监测户信息"] = sheets.pop("户信息")               # sheet alias
    sheets["成员信息"] = sheets.pop("家庭成员")               # sheet alias
    path = write_plain(tmp_path / "variants.xlsx", sheets)
    data = read_workbook(path, config.schemas)
    household, member = data.sheets["household"], data.sheets["member"]
    assert (household.name, member.name) == ("监测户信息", "成员信息")
    assert len(household.columns) == len(config.schemas.household.columns)
    assert len(member.columns) == len(config.schemas.member.columns)
    assert household.headers["group"] == "村民小组"
    assert household.headers["head_id"] == "户主 身份证号"
    assert member.headers["person_id"] == "证件号码"
    assert member.columns["work_months"] == 12
    assert household.unknown == [] and member.unknown == []
    result = check(path, config)
    assert result.issues == []
    assert [m.get("person_id") for m in result.parsed.members] == [HEAD_A, WIFE_A, SON_A, HEAD_B]
    assert [m.get("work_months") for m in result.parsed.members] == [10, 10, 0, 0]
    assert [h.get("group") for h in result.households] == ["一组", "一组"]


def test_renamed_sheet_found_by_its_headers(tmp_path, config):
    rows = base_rows()
    rows["household"][0]["size"] = 4                   # 3 members on file → SIZE_MISMATCH on Sheet1 row 2
    sheets = plain_village(config, rows)
    sheets = {"Sheet1": sheets.pop("户信息"), **sheets}
    path = write_plain(tmp_path / "renamed.xlsx", sheets)
    data = read_workbook(path, config.schemas)
    assert data.sheets["household"].name == "Sheet1"
    assert data.missing == []
    result = check(path, config)
    assert cells(result) == [("SIZE_MISMATCH", "Sheet1", 2, "家庭人口数", "4")]
    assert len(result.households) == 2


def test_unknown_column_is_a_warning(tmp_path, config):
    sheets = plain_village(config)
    sheets["户信息"] = [[*r, v] for r, v in zip(sheets["户信息"], ["联系地址", "马坝镇石塘村一组8号", None], strict=True)]
    result = check(write_plain(tmp_path / "unknown.xlsx", sheets), config)
    assert cells(result) == [("COLUMN_UNKNOWN", "户信息", 1, "联系地址", "联系地址")]
    assert result.issues[0].severity == "warning"
    assert result.exit_code == 0
    assert len(result.households) == 2


def test_missing_required_column(tmp_path, config):
    sheets = plain_village(config)
    sheets["户信息"] = table(config, "household", base_rows()["household"], drop=("household_type",))
    result = check(write_plain(tmp_path / "missing.xlsx", sheets), config)
    assert cells(result) == [("COLUMN_MISSING", "户信息", 1, "户类型", None)]
    assert result.issues[0].severity == "error"
    assert result.exit_code == 1
    assert all("household_type" in h.invalid for h in result.households)


def test_missing_optional_column_is_fine(tmp_path, config):
    sheets = plain_village(config)
    sheets["户信息"] = table(config, "household", base_rows()["household"], drop=("phone", "note", "group"))
    result = check(write_plain(tmp_path / "optional.xlsx", sheets), config)
    assert result.issues == []
    assert result.exit_code == 0


@pytest.mark.parametrize("label", ["序号", "序 号", "行号"])
def test_serial_number_column_ignored_silently(tmp_path, config, label):
    sheets = plain_village(config)
    for name in ("户信息", "家庭成员"):
        sheets[name] = [[label if i == 0 else i, *r] for i, r in enumerate(sheets[name])]
    path = write_plain(tmp_path / "serial.xlsx", sheets)
    data = read_workbook(path, config.schemas)
    assert data.sheets["household"].columns["household_no"] == 1
    assert data.sheets["household"].unknown == []
    result = check(path, config)
    assert result.issues == []
    assert [h.head_id for h in result.households] == [HEAD_A, HEAD_B]


# --- ID cells -----------------------------------------------------------------------------------------

def id_number_workbook(tmp_path: Path, config) -> Path:
    """WIFE_A's 身份证号 stored as a number, as Excel keeps it: 15 significant digits (440205197206010000)."""
    rows = base_rows()
    rows["member"][1]["person_id"] = float(WIFE_A[:15] + "000")
    return write_plain(tmp_path / "idnum.xlsx", plain_village(config, rows))


def test_id_stored_as_number_is_reported_at_its_cell(tmp_path, config):
    result = check(id_number_workbook(tmp_path, config), config)
    assert [(i.code, i.sheet, i.row, i.column) for i in result.issues] == [("ID_AS_NUMBER", "家庭成员", 3, "身份证号")]
    assert result.issues[0].severity == "error"
    assert result.parsed.members[1].get("person_id") is None   # never repaired by guessing
    assert "person_id" in result.parsed.members[1].invalid
    assert result.exit_code == 1


def test_id_stored_as_number_shows_what_excel_shows(tmp_path, config):
    """Excel keeps 15 significant digits and shows 440205197206010000 (not the float's 440205197206009984)."""
    result = check(id_number_workbook(tmp_path, config), config)
    assert result.issues[0].value == "440205197206010000"


def test_id_in_template_written_as_number(tmp_path, config):
    """The template writer writes a Python int as a number cell: the reader must not take it as an ID."""
    rows = base_rows()
    rows["household"][1]["head_id"] = int(HEAD_B)
    result = check(write(tmp_path / "v.xlsx", config, rows), config)
    assert [(i.code, i.sheet, i.row, i.column) for i in result.issues] == [
        ("ID_AS_NUMBER", "户信息", 3, "户主身份证号"), ("MEMBER_ORPHAN", "家庭成员", 5, "户主身份证号")]


def test_fullwidth_lowercase_and_spaced_ids_accepted(tmp_path, config):
    x_id = "44020519900404009X"
    rows = base_rows()
    rows["household"][0]["head_id"] = fullwidth(HEAD_A)
    rows["member"][1]["person_id"] = " " + WIFE_A[:6] + " " + WIFE_A[6:] + "\u3000"
    rows["household"].append(household(x_id.lower(), head_name="赵六", size=1))
    rows["member"].append({**rows["member"][3], "head_id": fullwidth(x_id).replace("Ｘ", "ｘ"), "person_id": x_id,
                           "name": "赵六", "sex": None})
    result = check(write_plain(tmp_path / "fw.xlsx", plain_village(config, rows)), config)
    assert result.issues == []
    assert [h.head_id for h in result.households] == [HEAD_A, HEAD_B, x_id]
    assert [m.get("person_id") for m in result.households[0].members] == [HEAD_A, WIFE_A, SON_A]
    assert [m.get("person_id") for m in result.households[2].members] == [x_id]


def test_id_with_wrong_check_character_at_its_cell(tmp_path, config):
    rows = base_rows()
    rows["member"][2]["person_id"] = SON_A[:17] + ("0" if SON_A[17] != "0" else "1")
    result = check(write_plain(tmp_path / "bad.xlsx", plain_village(config, rows)), config)
    assert [(i.code, i.sheet, i.row, i.column) for i in result.issues] == [("ID_CHECKSUM", "家庭成员", 4, "身份证号")]


# --- merged cells -------------------------------------------------------------------------------------

def test_vertically_merged_town_is_filled_down(tmp_path, config):
    sheets, merges = merged_town(config)
    path = write_plain(tmp_path / "merged.xlsx", sheets, merges=merges)
    raw = openpyxl.load_workbook(path)["户信息"]
    assert raw["B3"].value is None and raw["B4"].value is None  # really merged: only the top cell has a value
    result = check(path, config)
    assert result.issues == []
    assert [(h.row, h.head_id, h.get("town"), h.get("village")) for h in result.households] == [
        (2, HEAD_A, "马坝镇", "石塘村"), (3, HEAD_B, "马坝镇", "石塘村"), (4, HEAD_C, "马坝镇", "石塘村")]


@pytest.mark.parametrize("fmt", ["xls", "ods"])
def test_vertically_merged_town_filled_down_when_converted(config, fmt):
    """The same layout converted by LibreOffice to .xls and .ods (tests/data/make_fixtures.py); calamine reports
    no merged ranges for .ods, so read.py finds them in its content.xml."""
    result = check(DATA / f"merged_town.{fmt}", config)
    assert result.parsed.data.format == fmt
    assert result.issues == []
    assert [(h.row, h.head_id, h.get("town"), h.get("village")) for h in result.households] == [
        (2, HEAD_A, "马坝镇", "石塘村"), (3, HEAD_B, "马坝镇", "石塘村"), (4, HEAD_C, "马坝镇", "石塘村")]


def test_stray_cell_in_last_excel_cell_is_one_issue_not_a_crash(tmp_path, config):
    path = write_plain(tmp_path / "stray.xlsx", plain_village(config))
    wb = openpyxl.load_workbook(path)
    wb["户信息"]["XFD1048576"] = "x"
    wb.save(path)
    env = {**os.environ, "RUST_BACKTRACE": "0"}
    proc = subprocess.run([sys.executable, "-m", "excel_bridge.cli", "check", str(path), "--json"],
                          capture_output=True, text=True, timeout=60, preexec_fn=_limit_memory, env=env)
    assert proc.returncode == 2, proc.stderr[-500:]
    lines = proc.stdout.splitlines()
    assert len(lines) == 1
    assert [i["code"] for i in json.loads(lines[0])["issues"]] == ["FILE_TOO_MANY_CELLS"]


# --- wrong or odd suffixes ----------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["改了后缀.xls", "改了后缀.et", "改了后缀.XLSX", "改了后缀.xlsb"])
def test_xlsx_with_another_suffix_is_still_read(tmp_path, config, name):
    rows = base_rows()
    rows["household"][0]["household_type"] = "贫困户"
    src = write(tmp_path / "v.xlsx", config, rows)
    path = tmp_path / name
    shutil.copy(src, path)
    result = check(path, config)
    assert result.readable is True
    assert result.parsed.data.format == "xlsx"
    assert cells(result) == [("NOT_ALLOWED", "户信息", 2, "户类型", "贫困户")]
    assert result.exit_code == 1
    assert result.to_json()["households"] == check(src, config).to_json()["households"]


@pytest.mark.parametrize("source, name, fmt", [
    ("village_small.xls", "改了后缀.xlsx", "xls"),
    ("village_small.xls", "WPS表格.et", "xls"),
    ("village_small.xls", "大写.XLS", "xls"),
    ("village_small.ods", "改了后缀.xlsx", "ods"),
    ("village_small.ods", "改了后缀.xls", "ods"),
])
def test_other_formats_with_another_suffix_are_read(tmp_path, config, source, name, fmt):
    path = tmp_path / name
    shutil.copy(DATA / source, path)
    result = check(path, config)
    assert result.parsed.data.format == fmt
    assert cells(result) == [("SEX_MISMATCH", "家庭成员", 3, "性别", "男")]


# --- unusable files: exactly one issue, exit code 2 ---------------------------------------------------

_CJK = re.compile(r"[\u4e00-\u9fff]")


def assert_unusable(result, code: str) -> None:
    """The file cannot be used at all: exit code 2, not readable, and exactly one file-level error."""
    assert result.exit_code == 2
    assert result.readable is False
    assert result.valid is False
    assert [i.code for i in result.issues] == [code]
    issue = result.issues[0]
    assert issue.severity == "error"
    assert (issue.sheet, issue.row, issue.column) == (None, None, None)
    assert _CJK.search(issue.message), issue.message
    assert issue.hint and issue.hint.strip() and _CJK.search(issue.hint), issue.hint
    assert result.households == []


def test_empty_file(tmp_path, config):
    path = tmp_path / "空文件.xlsx"
    path.write_bytes(b"")
    result = check(path, config)
    assert_unusable(result, "FILE_EMPTY")
    assert "空" in result.issues[0].message


def test_truncated_xlsx_is_corrupt_and_says_incomplete(tmp_path, config):
    data = write(tmp_path / "v.xlsx", config).read_bytes()
    path = tmp_path / "没复制完.xlsx"
    path.write_bytes(data[: len(data) // 2])
    result = check(path, config)
    assert_unusable(result, "FILE_CORRUPT")
    assert "不完整" in result.issues[0].message


def test_random_bytes_named_xlsx(tmp_path, config):
    data = random.Random(20211220).randbytes(8192)
    assert not data.startswith((b"PK", b"\xd0\xcf\x11\xe0"))
    path = tmp_path / "乱码.xlsx"
    path.write_bytes(data)
    assert_unusable(check(path, config), "FILE_CORRUPT")


@pytest.mark.parametrize("name", ["台账.txt", "台账.csv"])
def test_text_and_csv_are_not_supported(tmp_path, config, name):
    """Even a CSV export of the household sheet itself is refused: only workbooks are read."""
    header = plain_village(config)["户信息"]
    text = "\n".join(",".join("" if v is None else str(v) for v in row) for row in header) + "\n"
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    result = check(path, config)
    assert_unusable(result, "FILE_FORMAT")
    assert Path(name).suffix in result.issues[0].message


def test_word_document_named_xlsx(tmp_path, config):
    path = tmp_path / "通知.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("[Content_Types].xml",
                    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
                    'package/2006/content-types"><Override PartName="/word/document.xml" ContentType="application/'
                    'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
        zf.writestr("word/document.xml",
                    '<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
                    'wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>关于开展防返贫监测的通知</w:t></w:r></w:p>'
                    '</w:body></w:document>')
    assert_unusable(check(path, config), "FILE_CORRUPT")


def test_workbook_with_only_unrelated_sheets(tmp_path, config):
    path = write_plain(tmp_path / "工资表.xlsx", {"工资表": [["姓名", "工资"], ["张三", 3200], ["李四", 2800]]})
    assert_unusable(check(path, config), "FILE_NOT_MONITORING")


@pytest.mark.parametrize("name", ["pycalamine-password.xlsx", "pycalamine-password.xls", "pycalamine-password.ods",
                                  "pycalamine-password.xlsb", "calamine-pass_protected.xlsx"])
def test_password_protected_files(tmp_path, config, name):
    path = tmp_path / name
    shutil.copy(CORPUS / name, path)
    result = check(path, config)
    assert_unusable(result, "FILE_PASSWORD")
    assert "密码" in result.issues[0].message


def test_file_over_size_limit(tmp_path, config):
    path = write(tmp_path / "v.xlsx", config)
    size = path.stat().st_size
    result = check_file(path, config, as_of=AS_OF, max_bytes=size - 1)
    assert_unusable(result, "FILE_TOO_LARGE")
    assert check_file(path, config, as_of=AS_OF, max_bytes=size).readable is True  # the limit itself is allowed


def test_too_many_cells_by_limit(tmp_path, config):
    path = write(tmp_path / "v.xlsx", config)
    with pytest.raises(UnreadableFile) as info:
        read_workbook(path, config.schemas, max_cells=10)
    assert info.value.code == "FILE_TOO_MANY_CELLS"
    assert _CJK.search(str(info.value)) and info.value.hint


def test_stray_cell_in_last_row_is_too_many_cells_quickly(tmp_path, config):
    """A value typed far below the table (A1048576) makes the sheet a million rows tall: refused by the cell
    budget from the sheet's own extent, before a grid of a million rows is built (bench/hostile.py times it)."""
    path = write_plain(tmp_path / "stray_row.xlsx", plain_village(config))
    wb = openpyxl.load_workbook(path)
    wb["户信息"]["A1048576"] = "x"
    wb.save(path)
    result = check(path, config)
    assert_unusable(result, "FILE_TOO_MANY_CELLS")
    assert "“户信息”表的数据区域过大（1048576 行 × " in result.issues[0].message  # the extent, not a grid


def test_corrupt_xls(tmp_path, config):
    path = tmp_path / "坏文件.xls"
    shutil.copy(CORPUS / "calamine-too_small.xls", path)
    assert_unusable(check(path, config), "FILE_CORRUPT")


# --- the largest sheet read on a second thread --------------------------------------------------------

def _large_village(tmp_path: Path, config) -> Path:
    """A seeded village of 400 households (≈1,400 members): its 家庭成员 is large enough to be read ahead."""
    import datetime as dt

    from excel_bridge.demo import IdPool, generate_village
    from excel_bridge.writers.template import write_village_workbook

    village = generate_village(random.Random(7), config, IdPool("440205"), town="马坝镇", village="石塘村",
                               households=400, as_of=AS_OF, mistakes=12)
    path = tmp_path / "大村.xlsx"
    write_village_workbook(path, config, town="马坝镇", village="石塘村", rows=village.rows,
                           created=dt.datetime(2021, 12, 20, 9, 0))
    return path


def _as_read(data) -> dict:
    return {kind: (s.name, s.header_row, s.columns, s.rows) for kind, s in data.sheets.items()}


def test_reading_the_largest_sheet_ahead_changes_nothing(tmp_path, config, monkeypatch):
    from excel_bridge import read

    path = _large_village(tmp_path, config)
    assert read._largest({"户信息": "household", "家庭成员": "member"},
                         read.declared_sizes(path.read_bytes(), read.MAX_SHEET_CELLS)) == "家庭成员"
    ahead = read_workbook(path, config.schemas)
    with_ahead = check(path, config)
    monkeypatch.setattr(read, "PREFETCH_MIN_CELLS", 10 ** 12)  # now every sheet is read here, in turn
    alone = read_workbook(path, config.schemas)
    assert list(ahead.sheets) == list(alone.sheets) == ["household", "member", "measure", "review"]
    assert _as_read(ahead) == _as_read(alone)
    assert len(alone.sheets["member"].rows) > 1300
    assert cells(with_ahead) == cells(check(path, config)) and len(with_ahead.issues) >= 12


def test_without_a_thread_every_sheet_is_read_in_turn(tmp_path, config, monkeypatch):
    """A worker whose memory cap leaves no room for a thread's stack reads the same, one sheet at a time."""
    import threading

    path = _large_village(tmp_path, config)
    expected = _as_read(read_workbook(path, config.schemas))

    def cannot_start(self):
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(threading.Thread, "start", cannot_start)
    assert _as_read(read_workbook(path, config.schemas)) == expected


def test_a_members_sheet_too_large_is_refused_by_its_name_when_read_ahead(tmp_path, config):
    """The sheet read on the second thread fails as it would have here: FILE_TOO_MANY_CELLS naming it."""
    path = write_plain(tmp_path / "stray_member_row.xlsx", plain_village(config))
    wb = openpyxl.load_workbook(path)
    wb["家庭成员"]["A1048576"] = "x"
    wb.save(path)
    from excel_bridge import read

    declared = read.declared_sizes(path.read_bytes(), read.MAX_SHEET_CELLS)
    assert read._largest({"户信息": "household", "家庭成员": "member"}, declared) == "家庭成员"
    result = check(path, config)
    assert_unusable(result, "FILE_TOO_MANY_CELLS")
    assert "家庭成员" in result.issues[0].message


# --- merged ranges of an .ods (calamine reports none) -------------------------------------------------

_ODS_CONTENT = """<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
    xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"
    xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:spreadsheet>
<table:table table:name="户信息">
  <table:table-header-rows><table:table-row><table:table-cell/></table:table-row></table:table-header-rows>
  <table:table-row table:number-rows-repeated="3"><table:table-cell table:number-columns-repeated="5"/></table:table-row>
  <table:table-row-group>
    <table:table-row>
      <table:table-cell table:number-columns-repeated="2"/>
      <table:table-cell table:number-rows-spanned="2"><text:p>马坝镇</text:p></table:table-cell>
      <table:table-cell table:number-columns-spanned="2" table:number-rows-spanned="1"><text:p>备注</text:p></table:table-cell>
      <table:covered-table-cell/>
      <table:table-cell><table:table table:name="内嵌"><table:table-row>
        <table:table-cell table:number-rows-spanned="9"/></table:table-row></table:table></table:table-cell>
    </table:table-row>
    <table:table-row><table:table-cell table:number-columns-repeated="2"/><table:covered-table-cell/></table:table-row>
  </table:table-row-group>
  <table:table-row table:number-rows-repeated="1048570"><table:table-cell/></table:table-row>
</table:table>
<table:table table:name="家庭成员"><table:table-row><table:table-cell table:number-rows-spanned="1"/></table:table-row>
</table:table>
</office:spreadsheet></office:body></office:document-content>"""


def _ods_bytes(content: str) -> bytes:
    import io

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr("content.xml", content)
    return out.getvalue()


def test_ods_merged_ranges_are_placed_by_counting_rows_and_cells_repeats_included():
    from excel_bridge.read import _ods_merges

    assert _ods_merges(_ods_bytes(_ODS_CONTENT)) == {
        # row 5 (0-based 4): after one header row and three repeated rows; column C after two repeated cells
        "户信息": [((4, 2), (5, 2)), ((4, 3), (4, 4))],  # C5:C6 down, D5:E5 across; a nested table's ignored
    }
    assert _ods_merges(_ods_bytes(_ODS_CONTENT), max_cells=5) == {}  # past its budget of cell elements: none


@pytest.mark.parametrize("content", [
    "not xml at all <",
    '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
])
def test_ods_merges_of_content_it_cannot_read_are_none(content):
    from excel_bridge.read import _ods_merges

    assert _ods_merges(_ods_bytes(content)) == {}
    assert _ods_merges(b"not a zip") == {}
