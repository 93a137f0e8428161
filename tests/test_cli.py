"""`excel-bridge check` as a real subprocess: exit codes, JSON, the Chinese summary, --out naming."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from conftest import CORPUS, needs_soffice
from factory import AS_OF, HEAD_A, HEAD_B, base_rows, household, member, write
from xlsx_helpers import SYSTEM_HEADERS, soffice_convert

from excel_bridge.idcard import make_id

EXAMPLE = Path(__file__).resolve().parents[1] / "workbooks" / "示例_马坝镇石塘村监测台账.xlsx"
PASSWORD_XLSX = CORPUS / "pycalamine-password.xlsx"
ISSUE_KEYS = {"code", "severity", "sheet", "row", "column", "value", "message", "hint"}
HOUSEHOLD_KEYS = {"head_id", "household_id", "town", "village", "size", "per_capita_income", "line", "rules",
                  "proposed", "category", "risk_types", "priority", "assistance", "scope"}


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "excel_bridge.cli", "check", *map(str, args)],
                          capture_output=True, text=True, timeout=180, cwd=cwd)


def run_json(*args: str) -> tuple[int, dict]:
    proc = run(*args, "--json")
    lines = proc.stdout.splitlines()
    assert len(lines) == 1, proc.stdout  # exactly one JSON object, nothing else on stdout
    obj = json.loads(lines[0])
    assert isinstance(obj, dict)
    assert set(obj) == {"file", "readable", "valid", "issues", "households"}
    return proc.returncode, obj


def error_rows() -> dict:
    rows = base_rows()
    rows["household"][0].update(household_type="一般户", per_capita_income=11000)
    rows["member"][2]["education"] = "初中"
    return rows


@pytest.fixture
def valid_file(tmp_path, config) -> Path:
    return write(tmp_path / "valid.xlsx", config)


@pytest.fixture
def error_file(tmp_path, config) -> Path:
    return write(tmp_path / "errors.xlsx", config, error_rows())


# --- exit codes ---

def test_valid_file_exit_0_and_summary(valid_file):
    proc = run(valid_file, "--as-of", AS_OF.isoformat())
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["valid.xlsx：通过校验，共 2 户、4 人，提示 0 条。", "建议纳入监测 1 户。"]
    assert proc.stderr == ""


def test_errors_exit_1_and_summary_lists_them(error_file):
    proc = run(error_file, "--as-of", AS_OF.isoformat())
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.splitlines() == [
        "errors.xlsx：发现 2 处错误、1 条提示（共 2 户、4 人）。",
        "  [错误] 家庭成员 第4行“在校生状况”：“文化程度”和“在校生状况”只能填一项，两项都填了。",
        "  [错误] 户信息 第2行“户类型”：“一般户”不是“户类型”的可选值。",
        "  [提示] 户信息 第2行“人均纯收入”：人均纯收入填的是 11000 元，按各项收入计算应为 12000.00 元，相差超过 1 元，系统按计算值研判。",
        "建议纳入监测 1 户。",
    ]


def test_summary_is_capped_at_20_issues(tmp_path, config):
    rows = {"household": [], "member": [], "measure": [], "review": []}
    for i in range(25):
        head = make_id("440205", dt.date(1960, 1, 1) + dt.timedelta(days=40 * i), 101 + 2 * i)
        rows["household"].append(household(head, household_type="一般户", size=1))
        rows["member"].append(member(head, head, "户主"))
    path = write(tmp_path / "many.xlsx", config, rows)
    proc = run(path, "--as-of", AS_OF.isoformat())
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert lines[0] == "many.xlsx：发现 25 处错误、0 条提示（共 25 户、25 人）。"
    assert lines[1:21] == [f"  [错误] 户信息 第{r}行“户类型”：“一般户”不是“户类型”的可选值。" for r in range(2, 22)]
    assert lines[21] == "  ……另有 5 条，见反馈文件的“问题清单”。"
    assert lines[22] == "建议纳入监测 0 户。"
    assert len(lines) == 23


def test_empty_file_exit_2(tmp_path):
    empty = tmp_path / "空.xlsx"
    empty.write_bytes(b"")
    proc = run(empty)
    assert proc.returncode == 2
    assert proc.stdout.splitlines() == [
        "空.xlsx：无法读取。文件是空的（0 字节），可能没有保存完整或复制时中断。"
        "请在 Excel/WPS 中打开原文件，确认内容无误并保存后，重新放入文件夹。"]
    code, obj = run_json(empty)
    assert code == 2
    assert obj["readable"] is False and obj["valid"] is False and obj["households"] == []
    assert [i["code"] for i in obj["issues"]] == ["FILE_EMPTY"]


def test_password_file_exit_2():
    assert PASSWORD_XLSX.exists()
    proc = run(PASSWORD_XLSX)
    assert proc.returncode == 2
    assert proc.stdout.startswith("pycalamine-password.xlsx：无法读取。文件设置了打开密码，系统无法读取。")
    code, obj = run_json(PASSWORD_XLSX)
    assert code == 2
    assert obj["readable"] is False
    assert obj["issues"] == [{
        "code": "FILE_PASSWORD", "severity": "error", "sheet": None, "row": None, "column": None, "value": None,
        "message": "文件设置了打开密码，系统无法读取。",
        "hint": "请在 Excel/WPS 中取消打开密码（文件→信息→保护工作簿→用密码进行加密，清空密码）后重新提交。"}]


def test_unreadable_with_out_writes_nothing(tmp_path):
    bad = tmp_path / "坏.xlsx"
    bad.write_bytes(b"PK\x03\x04 this is not a zip")
    proc = run(bad, "--out")
    assert proc.returncode == 2
    assert "文件已损坏" in proc.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["坏.xlsx"]


def test_wrong_suffix_exit_2(tmp_path):
    txt = tmp_path / "台账.txt"
    txt.write_text("户主姓名,户主身份证号\n", encoding="utf-8")
    code, obj = run_json(txt)
    assert code == 2
    assert [i["code"] for i in obj["issues"]] == ["FILE_FORMAT"]


def test_missing_file_message_is_chinese(tmp_path):
    code, obj = run_json(tmp_path / "不存在.xlsx")
    assert code == 2
    message = obj["issues"][0]["message"]
    assert "No such file" not in message
    assert "损坏" not in message


# --- --json ---

def test_json_object_shape_and_values(error_file):
    code, obj = run_json(error_file, "--as-of", AS_OF.isoformat())
    assert code == 1
    assert obj["file"] == str(error_file)
    assert obj["readable"] is True and obj["valid"] is False
    for issue in obj["issues"]:
        assert set(issue) == ISSUE_KEYS
        assert issue["severity"] in {"error", "warning"}
        assert isinstance(issue["message"], str) and issue["message"]
        assert isinstance(issue["hint"], str) and issue["hint"]
    assert [(i["code"], i["severity"], i["sheet"], i["row"], i["column"], i["value"]) for i in obj["issues"]] == [
        ("NOT_ALLOWED", "error", "户信息", 2, "户类型", "一般户"),
        ("EDU_BOTH", "error", "家庭成员", 4, "在校生状况", "初中"),
        ("INCOME_MISMATCH", "warning", "户信息", 2, "人均纯收入", "11000"),
    ]
    for hh in obj["households"]:
        assert set(hh) == HOUSEHOLD_KEYS
    by_head = {h["head_id"]: h for h in obj["households"]}
    assert list(by_head) == [HEAD_A, HEAD_B]
    assert by_head[HEAD_B] == {
        "head_id": HEAD_B, "household_id": None, "town": "马坝镇", "village": "石塘村", "size": 1,
        "per_capita_income": 8000.0, "line": 9600.0, "rules": ["R-INCOME"], "proposed": True,
        "category": "脱贫不稳定户", "risk_types": [], "priority": False, "assistance": "兜底保障", "scope": "单项措施"}
    assert by_head[HEAD_A]["per_capita_income"] == 12000.0
    assert by_head[HEAD_A]["proposed"] is False


def test_json_valid_file(valid_file):
    code, obj = run_json(valid_file, "--as-of", AS_OF.isoformat())
    assert code == 0
    assert obj["valid"] is True and obj["issues"] == []
    assert len(obj["households"]) == 2


def test_json_with_out_still_one_object(error_file):
    code, obj = run_json(error_file, "--out", "--as-of", AS_OF.isoformat())
    assert code == 1
    assert obj["readable"] is True
    assert error_file.with_name("errors_反馈.xlsx").exists()


# --- --out ---

def test_out_without_name_writes_stem_feedback(error_file):
    proc = run(error_file, "--out", "--as-of", AS_OF.isoformat())
    assert proc.returncode == 1
    out = error_file.with_name("errors_反馈.xlsx")
    assert out.exists()
    assert proc.stdout.splitlines()[-1] == f"已写出反馈文件：{out}"
    ws = openpyxl.load_workbook(out)["户信息"]
    assert [c.value for c in ws[1]][-8:] == list(SYSTEM_HEADERS)
    assert sorted(p.name for p in error_file.parent.iterdir()) == ["errors.xlsx", "errors_反馈.xlsx"]


def test_out_with_name(error_file, tmp_path):
    target = tmp_path / "sub" / "反馈.xlsx"
    proc = run(error_file, "--out", target, "--as-of", AS_OF.isoformat())
    assert proc.returncode == 1
    assert target.exists()
    assert proc.stdout.splitlines()[-1] == f"已写出反馈文件：{target}"
    assert openpyxl.load_workbook(target).sheetnames[0] == "问题清单"


def test_out_for_valid_file_exit_0(valid_file):
    proc = run(valid_file, "--out", "--as-of", AS_OF.isoformat())
    assert proc.returncode == 0
    wb = openpyxl.load_workbook(valid_file.with_name("valid_反馈.xlsx"))
    assert wb["问题清单"].cell(2, 7).value == "本文件未发现问题。"


@pytest.fixture(scope="module")
def xls_file(tmp_path_factory, config):
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice (soffice) not installed")
    tmp = tmp_path_factory.mktemp("xls")
    src = write(tmp / "村台账.xlsx", config, error_rows())
    return soffice_convert(src, "xls", tmp / "out", tmp / "profile")


@needs_soffice
def test_xls_input_out_writes_xlsx(xls_file, tmp_path):
    xls = tmp_path / xls_file.name
    shutil.copy(xls_file, xls)
    proc = run(xls, "--out", "--as-of", AS_OF.isoformat())
    assert proc.returncode == 1, proc.stdout + proc.stderr
    out = tmp_path / "村台账_反馈.xlsx"
    assert proc.stdout.splitlines()[0] == "村台账.xls：发现 2 处错误、1 条提示（共 2 户、4 人）。"
    assert proc.stdout.splitlines()[-1] == f"已写出反馈文件：{out}"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["村台账.xls", "村台账_反馈.xlsx"]
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames[:2] == ["问题清单", "回执"]
    assert wb["户信息"]["H2"].value == "一般户"
    assert wb["户信息"]["H2"].comment is not None


@needs_soffice
def test_xls_input_out_named_xls_becomes_xlsx(xls_file, tmp_path):
    proc = run(xls_file, "--out", tmp_path / "返回.xls", "--as-of", AS_OF.isoformat())
    assert proc.returncode == 1
    assert proc.stdout.splitlines()[-1] == f"已写出反馈文件：{tmp_path / '返回.xlsx'}"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["返回.xlsx"]


# --- the committed example workbook ---

EXAMPLE_ISSUES = [
    ("NOT_ALLOWED", "error", "户信息", 9, "户类型", "一般户"),
    ("ID_AS_NUMBER", "error", "家庭成员", 12, "身份证号", "440205200806015000"),  # 15 significant digits, as Excel shows
    ("EDU_BOTH", "error", "家庭成员", 36, "在校生状况", "高中"),
    ("SIZE_MISMATCH", "error", "户信息", 4, "家庭人口数", "5"),
    # row 4's INCOME_MISMATCH is gone: with a wrong size there is no per-person figure to compare (issue 9)
    ("INCOME_MISMATCH", "warning", "户信息", 9, "人均纯收入", "5872.5"),
    # people over 64 recorded as 普通劳动力 (the generator's elderly farmers): a hint of the revised DOMAIN.md
    *[("C-LABOUR-AGE", "warning", "家庭成员", row, "劳动技能", "普通劳动力") for row in (2, 7, 13, 24, 38, 39, 42, 43)],
]


def test_example_workbook_known_issues():
    code, obj = run_json(EXAMPLE, "--as-of", "2021-12-20")
    assert code == 1
    assert [(i["code"], i["severity"], i["sheet"], i["row"], i["column"], i["value"]) for i in obj["issues"]] \
        == EXAMPLE_ISSUES
    assert len(obj["households"]) == 12
    assert sum(1 for h in obj["households"] if h["proposed"]) == 3
    # revised DOMAIN.md: 长期慢性病 without a heavy burden is no longer 重点关注, R-RIGID no longer marks a
    # household already within the range, and the wrong-size household (row 4) is 无法研判
    assert [h["rules"] for h in obj["households"] if h["proposed"]] == [
        ["R-RIGID", "R-GUARANTEE", "R-SPECIAL"], ["R-GUARANTEE"], ["R-INCOME", "R-DROP", "R-GUARANTEE"]]
    assert [h["proposed"] for h in obj["households"]][2] is None


def test_example_workbook_summary():
    proc = run(EXAMPLE, "--as-of", "2021-12-20")
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert lines[0] == "示例_马坝镇石塘村监测台账.xlsx：发现 4 处错误、9 条提示（共 12 户、43 人）。"
    assert lines[-1] == "建议纳入监测 3 户。"
    assert len(lines) == 15  # the summary, 13 issues, the proposal count
