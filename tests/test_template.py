"""`excel-bridge template`: the blank village workbook clerks receive (docs/domain.md “Workbooks”), and where it may be written."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
import python_calamine as pc
import yaml
from cli_helpers import BUNDLED_NOTE, run_cli, unwritable_dir
from conftest import needs_soffice
from openpyxl.utils import column_index_from_string, get_column_letter
from xlsx_helpers import col_ranges, ranges_overlap, soffice_convert

from excel_bridge.writers.common import display_width

SCHEMAS = Path(__file__).resolve().parents[1] / "schemas"
SHEETS = ("填表说明", "户信息", "家庭成员", "帮扶措施", "评议公示")
KINDS = {"户信息": "household", "家庭成员": "member", "帮扶措施": "measure", "评议公示": "review"}
TOWNS = ("马坝镇", "大塘镇", "枫湾镇", "小坑镇", "沙溪镇", "乌石镇", "樟市镇", "白土镇", "罗坑镇")
LAST_INPUT_ROW = 10001  # validations reach 10,000 rows below the header


def _yaml(kind: str) -> dict:
    return yaml.safe_load((SCHEMAS / f"{kind}.yaml").read_text(encoding="utf-8"))


LISTS = yaml.safe_load((SCHEMAS / "lists.yaml").read_text(encoding="utf-8"))


def _columns(sheet: str) -> list[dict]:
    return _yaml(KINDS[sheet])["columns"]


def _allowed(col: dict) -> list[str] | None:
    if col.get("type") == "town":
        return list(TOWNS)
    if "allowed" in col:
        return [str(v) for v in col["allowed"]]
    if "allowed_from" in col:
        return [str(v) for v in LISTS[col["allowed_from"]]]
    return None


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("template") / "村级监测台账.xlsx"
    proc = run_cli("template", out, "--town", "马坝镇", "--village", "石塘村")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"已写出模板：{out}"
    return out


@pytest.fixture(scope="module")
def book(template):
    return openpyxl.load_workbook(template)


def test_console_script_writes_the_same_sheets(tmp_path):
    exe = Path(sys.executable).with_name("excel-bridge")
    if not exe.exists():
        pytest.skip("console script not installed next to this interpreter")
    out = tmp_path / "t.xlsx"
    proc = subprocess.run([str(exe), "template", str(out), "--town", "马坝镇", "--village", "石塘村"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert openpyxl.load_workbook(out).sheetnames == [*SHEETS, "下拉选项", "系统信息"]


def test_sheets_in_order_with_hidden_lists_and_meta(book):
    assert book.sheetnames == [*SHEETS, "下拉选项", "系统信息"]
    states = {ws.title: ws.sheet_state for ws in book.worksheets}
    assert states == {**{s: "visible" for s in SHEETS}, "下拉选项": "hidden", "系统信息": "hidden"}
    assert book.active.title == "填表说明"


def test_meta_sheet(book):
    from excel_bridge.config import load_config

    meta = {r[0]: r[1] for r in book["系统信息"].iter_rows(values_only=True)}
    assert meta["模板编号"] == "excel_bridge.village"
    assert meta["模板版本"] == load_config().schemas.version == "1.1.1.1"
    assert meta["镇"] == "马坝镇"
    assert meta["村"] == "石塘村"
    assert meta["区"] == "曲江区"
    assert meta["区划代码"] == "440205"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", meta["生成时间"])


@pytest.mark.parametrize("sheet", list(KINDS))
def test_headers_are_the_schema_headers_in_order(book, sheet):
    ws = book[sheet]
    assert [c.value for c in ws[1]] == [c["header"] for c in _columns(sheet)]
    assert ws.max_row == 1  # blank template: no data rows


@pytest.mark.parametrize("sheet", list(KINDS))
def test_choice_columns_have_list_validation_with_schema_values(book, sheet):
    ws = book[sheet]
    lists = book["下拉选项"]
    validations = ws.data_validations.dataValidation
    checked = 0
    for i, col in enumerate(_columns(sheet), start=1):
        allowed = _allowed(col)
        if allowed is None:
            continue
        letter = get_column_letter(i)
        rng = f"{letter}2:{letter}{LAST_INPUT_ROW}"
        found = [dv for dv in validations if dv.type == "list" and str(dv.sqref) == rng]
        assert len(found) == 1, col["header"]
        dv = found[0]
        m = re.fullmatch(r"'?下拉选项'?!\$([A-Z]+)\$(\d+):\$([A-Z]+)\$(\d+)", dv.formula1)
        assert m, dv.formula1
        assert m.group(1) == m.group(3)
        cells = [lists[f"{m.group(1)}{r}"].value for r in range(int(m.group(2)), int(m.group(4)) + 1)]
        assert cells == allowed, col["header"]
        assert dv.showDropDown in (None, False)  # (True would hide the arrow)
        assert dv.errorStyle == ("warning" if col["type"] == "multichoice" else None)  # None = stop
        checked += 1
    assert checked == {"户信息": 13, "家庭成员": 14, "帮扶措施": 3, "评议公示": 4}[sheet]


def _validations_for(ws, letter: str) -> list:
    return [dv for dv in ws.data_validations.dataValidation if str(dv.sqref) == f"{letter}2:{letter}{LAST_INPUT_ROW}"]


@pytest.mark.parametrize("sheet", list(KINDS))
def test_date_money_integer_id_validations(book, sheet):
    ws = book[sheet]
    seen = set()
    for i, col in enumerate(_columns(sheet), start=1):
        dvs = _validations_for(ws, get_column_letter(i))
        kind = col.get("type", "text")
        if kind == "date":
            # serials of 1900-01-01 .. 2100-12-31
            assert [(dv.type, dv.formula1, dv.formula2) for dv in dvs] == [("date", "1", "73415")]
        elif kind == "money":
            assert [(dv.type, dv.operator, dv.formula1) for dv in dvs] == [("decimal", "greaterThanOrEqual", "0")]
        elif kind == "integer":
            low = col.get("min")
            high = col.get("max")
            assert [dv.type for dv in dvs] == ["whole"], col["header"]
            assert float(dvs[0].formula1) == (low if low is not None else -1e9)
            assert float(dvs[0].formula2) == (high if high is not None else 1e9)
        elif kind == "year":
            assert [(dv.type, dv.formula1, dv.formula2) for dv in dvs] == [("whole", "1900", "2200")]
        elif kind == "id":
            assert [(dv.type, dv.operator, dv.formula1) for dv in dvs] == [("textLength", "equal", "18")]
        else:
            continue
        seen.add(kind)
    assert seen == {"户信息": {"date", "money", "integer", "year", "id"}, "家庭成员": {"date", "integer", "id"},
                    "帮扶措施": {"date", "money", "id"}, "评议公示": {"date", "id"}}[sheet]


def _column_dimension(ws, index: int):
    covering = [d for d in ws.column_dimensions.values() if d.min is not None and d.min <= index <= d.max]
    assert len(covering) == 1, (ws.title, index, [(d.min, d.max) for d in covering])
    return covering[0]


@pytest.mark.parametrize("sheet", list(KINDS))
def test_id_and_phone_columns_are_text_formatted(book, sheet):
    ws = book[sheet]
    n = 0
    for i, col in enumerate(_columns(sheet), start=1):
        if col.get("type") in ("id", "phone"):
            assert _column_dimension(ws, i).number_format == "@", col["header"]
            n += 1
    assert n == {"户信息": 3, "家庭成员": 2, "帮扶措施": 1, "评议公示": 1}[sheet]


def test_id_typed_into_filled_template_stays_text(tmp_path, config):
    """A data cell written by the template writer in an ID column is a string with format '@'."""
    from factory import HEAD_A, write

    path = write(tmp_path / "v.xlsx", config)
    ws = openpyxl.load_workbook(path)["户信息"]
    assert ws["F2"].value == HEAD_A
    assert ws["F2"].number_format == "@"
    assert ws["G3"].value == "0751-6669428" and ws["G3"].number_format == "@"


@pytest.mark.parametrize("sheet", list(KINDS))
def test_header_frozen_and_filtered(book, sheet):
    ws = book[sheet]
    assert ws.freeze_panes is not None
    assert re.fullmatch(r"[A-Z]+2", ws.freeze_panes), ws.freeze_panes
    frozen_cols = column_index_from_string(ws.freeze_panes[:-1]) - 1
    assert frozen_cols == {"户信息": 5, "家庭成员": 2, "帮扶措施": 0, "评议公示": 0}[sheet]
    assert ws.auto_filter.ref.startswith("A1:")


@pytest.mark.parametrize("sheet", list(KINDS))
def test_column_widths_fit_headers(book, sheet):
    ws = book[sheet]
    for i, col in enumerate(_columns(sheet), start=1):
        width = _column_dimension(ws, i).width
        assert width >= display_width(col["header"]), (col["header"], width)
        assert width >= col.get("width", 12), col["header"]


@pytest.mark.parametrize("sheet", list(KINDS))
def test_every_header_has_an_input_message(book, sheet):
    ws = book[sheet]
    prompts = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation if dv.prompt}
    for i, col in enumerate(_columns(sheet), start=1):
        ref = f"{get_column_letter(i)}1"
        assert ref in prompts, col["header"]
        dv = prompts[ref]
        assert dv.showInputMessage is True
        assert dv.promptTitle == col["header"][:32]
        assert 0 < len(dv.prompt) <= 255
        if col.get("hint"):
            assert col["hint"][:40] in dv.prompt, col["header"]
        if _allowed(col) and col.get("type") != "town":
            assert "可选：" in dv.prompt


def test_required_headers_are_red(book):
    ws = book["户信息"]
    for i, col in enumerate(_columns("户信息"), start=1):
        colour = ws.cell(1, i).font.color.rgb if ws.cell(1, i).font.color is not None else None
        assert (colour == "FFC00000") is col.get("required", True), col["header"]


def test_template_col_ranges_do_not_overlap(template):
    for sheet in (*SHEETS, "下拉选项", "系统信息"):
        assert ranges_overlap(col_ranges(template, sheet)) == [], sheet


def test_blank_template_checks_clean(template, config):
    from excel_bridge.check import check_file

    result = check_file(template, config)
    assert result.readable and result.issues == [] and result.households == []


@needs_soffice
def test_libreoffice_opens_template(template, tmp_path, lo_profile):
    ods = soffice_convert(template, "ods", tmp_path / "ods", lo_profile)
    book = pc.CalamineWorkbook.from_path(str(ods))
    assert book.sheet_names == [*SHEETS, "下拉选项", "系统信息"]
    hidden = {m.name for m in book.sheets_metadata if m.visible != pc.SheetVisibleEnum.Visible}
    assert hidden == {"下拉选项", "系统信息"}
    for sheet in KINDS:
        rows = book.get_sheet_by_name(sheet).to_python()
        assert rows[0] == [c["header"] for c in _columns(sheet)], sheet
    # the converted file is still a template our reader accepts
    from excel_bridge.check import check_file
    from excel_bridge.config import load_config

    result = check_file(ods, load_config())
    assert result.readable and result.issues == []


def test_committed_workbooks_are_what_the_generator_makes(tmp_path, config):
    """workbooks/ holds generated files: regenerating them gives the same sheets and cell values, so the
    README's regeneration command and the tests pinned on the example never drift apart."""
    import python_calamine as pc

    from excel_bridge.demo import EXAMPLE_FILE, TEMPLATE_FILE, write_examples

    write_examples(tmp_path, config)
    committed = Path(__file__).resolve().parents[1] / "workbooks"
    for name in (TEMPLATE_FILE, EXAMPLE_FILE):
        fresh, kept = pc.CalamineWorkbook.from_path(str(tmp_path / name)), pc.CalamineWorkbook.from_path(
            str(committed / name))
        assert fresh.sheet_names == kept.sheet_names
        for sheet in kept.sheet_names:
            if sheet == "系统信息":  # holds the generation time
                continue
            assert fresh.get_sheet_by_name(sheet).to_python() == kept.get_sheet_by_name(sheet).to_python(), sheet


# --- where the template may be written (`excel-bridge template OUT`) ---

def _sheets(path: Path) -> list[str]:
    return openpyxl.load_workbook(path).sheetnames


def test_an_existing_file_is_never_overwritten_without_force(tmp_path):
    filled = tmp_path / "石塘村台账.xlsx"
    filled.write_bytes(b"PK filled by the clerk")  # stands for a filled ledger: bytes of its own
    proc = run_cli("template", filled)
    assert (proc.returncode, proc.stdout, proc.stderr.splitlines()) == (2, "", [
        f"错误：“{filled}”已经存在，没有覆盖（它可能是已经填好的台账）。请换一个文件名；确认不要原文件时，加 --force 替换它"])
    assert filled.read_bytes() == b"PK filled by the clerk"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["石塘村台账.xlsx"]

    proc = run_cli("template", filled, "--force")
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, f"已写出模板：{filled}（替换了原有文件）\n", BUNDLED_NOTE + "\n")
    assert _sheets(filled) == [*SHEETS, "下拉选项", "系统信息"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["石塘村台账.xlsx"]  # no temporary file left


def test_missing_folders_are_made(tmp_path):
    out = tmp_path / "马坝镇" / "石塘村" / "模板.xlsx"
    proc = run_cli("template", out, "--town", "马坝镇", "--village", "石塘村")
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, f"已写出模板：{out}\n", BUNDLED_NOTE + "\n")
    assert _sheets(out) == [*SHEETS, "下拉选项", "系统信息"]
    upper = tmp_path / "大写.XLSX"
    assert run_cli("template", upper).returncode == 0 and _sheets(upper)[0] == "填表说明"


@pytest.mark.parametrize("name, message", [
    ("模板.xls", "错误：“模板.xls”不是 .xlsx 文件名：模板只能是 .xlsx 格式，用“.xls”的名字保存，Excel/WPS 打开时会报文件格式与扩展名不符。"
                 "请改用 .xlsx 结尾的名字，例如 {dir}/模板.xlsx"),
    ("模板.ods", "错误：“模板.ods”不是 .xlsx 文件名：模板只能是 .xlsx 格式，用“.ods”的名字保存，Excel/WPS 打开时会报文件格式与扩展名不符。"
                 "请改用 .xlsx 结尾的名字，例如 {dir}/模板.xlsx"),
    ("模板.xlsm", "错误：“模板.xlsm”不是 .xlsx 文件名：模板只能是 .xlsx 格式，用“.xlsm”的名字保存，Excel/WPS 打开时会报文件格式与扩展名不符。"
                  "请改用 .xlsx 结尾的名字，例如 {dir}/模板.xlsx"),
    ("模板", "错误：“模板”没有扩展名：模板是 .xlsx 格式，请写成 {dir}/模板.xlsx"),
])
def test_only_an_xlsx_name(tmp_path, name, message):
    proc = run_cli("template", tmp_path / name)
    assert (proc.returncode, proc.stdout, proc.stderr.splitlines()) == (2, "", [message.format(dir=tmp_path)])
    assert list(tmp_path.iterdir()) == []


def test_a_folder_or_a_path_through_a_file(tmp_path):
    folder = tmp_path / "模板"
    folder.mkdir()
    a_file = tmp_path / "文件"
    a_file.write_text("", encoding="utf-8")
    for out, message in (
        (folder, f"错误：“{folder}”是一个文件夹：请给出要写出的文件名，例如 {folder / '村级监测台账模板.xlsx'}"),
        (a_file / "模板.xlsx", f"错误：无法建立文件夹“{a_file}”：已有一个同名的文件挡在这里，请把它改名或移走，或换一个名字"),
    ):
        proc = run_cli("template", out)
        assert (proc.returncode, proc.stdout, proc.stderr.splitlines()) == (2, "", [message]), out
    assert list(folder.iterdir()) == [] and a_file.read_text(encoding="utf-8") == ""


def test_a_folder_without_write_permission(tmp_path):
    with unwritable_dir(tmp_path / "只读") as folder:
        proc = run_cli("template", folder / "模板.xlsx")
        assert proc.returncode == 2 and proc.stdout == ""
        assert proc.stderr.startswith(f"错误：无法在“{folder}”中写出模板：没有权限"), proc.stderr
        assert len(proc.stderr.splitlines()) == 1
        assert list(folder.iterdir()) == []


# --- the policy document number: the district's own, from 区级设置.yaml ---

def _basis(path: Path) -> str:
    return openpyxl.load_workbook(path)["填表说明"]["A2"].value


def test_the_policy_document_number_is_the_districts_own_setting(tmp_path, template):
    from excel_bridge.settings import new_district
    from excel_bridge.workspace import Workspace

    assert _basis(template) == "依据《关于健全防止返贫动态监测和帮扶机制的实施方案》（韶曲农组〔2021〕6号）"  # 曲江区's
    root = tmp_path / "南雄市"
    settings = dataclasses.replace(new_district("南雄市", code="440282"), towns={"乌迳镇": []})
    Workspace.init(root, settings)
    settings_file = root / "区级设置.yaml"
    text = settings_file.read_text(encoding="utf-8")
    assert "policy_document: ''" in text and "韶曲农组" not in text.replace("如曲江区为 韶曲农组〔2021〕6号", "")
    out = tmp_path / "南雄市模板.xlsx"
    proc = run_cli("template", out, "--workspace", root)
    assert proc.returncode == 0, proc.stderr
    assert _basis(out) == "依据本区《关于健全防止返贫动态监测和帮扶机制的实施方案》"  # never 曲江区's number
    settings_file.write_text(text.replace("policy_document: ''", "policy_document: 雄农组〔2022〕3号"), encoding="utf-8")
    proc = run_cli("template", out, "--workspace", root, "--force")
    assert proc.returncode == 0, proc.stderr
    assert _basis(out) == "依据《关于健全防止返贫动态监测和帮扶机制的实施方案》（雄农组〔2022〕3号）"
