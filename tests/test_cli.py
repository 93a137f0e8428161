"""`excel-bridge` as a real subprocess: check's exit codes, JSON, the Chinese summary with each 改法, --out
naming; a folder given to check; -v; every word argparse prints, in Chinese."""

from __future__ import annotations

import argparse
import ast
import datetime as dt
import inspect
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from cli_helpers import BUNDLED_NOTE, TIME, english_words, run_cli, unwritable_dir
from conftest import CORPUS, needs_soffice
from factory import AS_OF, HEAD_A, HEAD_B, base_rows, household, member, write
from xlsx_helpers import SYSTEM_HEADERS, soffice_convert

from excel_bridge.idcard import make_id
from excel_bridge.messages import ARGPARSE
from excel_bridge.workspace import Workspace
from excel_bridge.writers.common import display_width

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
    assert proc.stderr.splitlines() == [BUNDLED_NOTE]  # no workspace here: 曲江区's built-in settings, said


def test_errors_exit_1_and_summary_lists_them(error_file):
    proc = run(error_file, "--as-of", AS_OF.isoformat())
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.splitlines() == [
        "errors.xlsx：发现 2 处错误、1 条提示（共 2 户、4 人）。",
        "  [错误] 家庭成员 第4行“在校生状况”：“文化程度”和“在校生状况”只能填一项，两项都填了。",
        "      改法：在校生或学龄前儿童只填“在校生状况”，其他人只填“文化程度”。",
        "  [错误] 户信息 第2行“户类型”：“一般户”不是“户类型”的可选值。",
        "      改法：请从下拉列表中选择：脱贫户、普通农户。",
        "  [提示] 户信息 第2行“人均纯收入”：人均纯收入填的是 11000 元，按各项收入计算应为 12000.00 元，相差超过 1 元，系统按计算值研判。",
        "      改法：人均纯收入 =（工资性收入+生产经营性收入+财产性收入+转移性收入−生产经营性支出）÷家庭人口数，请核对。",
        "建议纳入监测 1 户。",
    ]
    # the plain summary carries the same hints as --json, issue by issue
    code, obj = run_json(error_file, "--as-of", AS_OF.isoformat())
    assert code == 1
    hints = [line.removeprefix("      改法：") for line in proc.stdout.splitlines() if line.startswith("      改法：")]
    assert sorted(hints) == sorted(i["hint"] for i in obj["issues"])


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
    assert lines[1:41] == [line for r in range(2, 22) for line in (
        f"  [错误] 户信息 第{r}行“户类型”：“一般户”不是“户类型”的可选值。", "      改法：请从下拉列表中选择：脱贫户、普通农户。")]
    assert lines[41] == "  ……另有 5 条，见反馈文件的“问题清单”。"
    assert lines[42] == "建议纳入监测 0 户。"
    assert len(lines) == 43


def test_empty_file_exit_2(tmp_path):
    empty = tmp_path / "空.xlsx"
    empty.write_bytes(b"")
    proc = run(empty)
    assert proc.returncode == 2
    assert proc.stdout.splitlines() == [
        "空.xlsx：无法读取。文件是空的（0 字节），可能没有保存完整或复制时中断。",
        "  改法：请在 Excel/WPS 中打开原文件，确认内容无误并保存后，重新放入文件夹。"]
    assert proc.stderr == ""
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
def xls_file(tmp_path_factory, config, lo_profile):
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice (soffice) not installed")
    tmp = tmp_path_factory.mktemp("xls")
    src = write(tmp / "村台账.xlsx", config, error_rows())
    return soffice_convert(src, "xls", tmp / "out", lo_profile)


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
    # people over 64 recorded as 普通劳动力 (the generator's elderly farmers): a hint of the revised docs/domain.md
    *[("C-LABOUR-AGE", "warning", "家庭成员", row, "劳动技能", "普通劳动力") for row in (2, 7, 13, 24, 38, 39, 42, 43)],
]


def test_example_workbook_known_issues():
    code, obj = run_json(EXAMPLE, "--as-of", "2021-12-20")
    assert code == 1
    assert [(i["code"], i["severity"], i["sheet"], i["row"], i["column"], i["value"]) for i in obj["issues"]] \
        == EXAMPLE_ISSUES
    assert len(obj["households"]) == 12
    assert sum(1 for h in obj["households"] if h["proposed"]) == 3
    # revised docs/domain.md: 长期慢性病 without a heavy burden is no longer 重点关注, R-RIGID no longer marks a
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
    assert len(lines) == 28  # the summary line, 13 issues each with its 改法, the proposals


# --- a folder, a folder that cannot be written ---

def test_a_folder_given_to_check_says_it_is_a_folder(tmp_path, config):
    folder = tmp_path / "马坝镇"
    folder.mkdir()
    write(folder / "石塘村.xlsx", config)
    empty = tmp_path / "空文件夹"
    empty.mkdir()
    ws = tmp_path / "曲江区"
    Workspace.init(ws)
    for path, lines in (
        (folder, [f"马坝镇：无法读取。“{folder}”是一个文件夹，不是台账文件。",
                  f"  改法：请写出其中一个台账文件，例如 excel-bridge check {folder / '石塘村.xlsx'}（一次校验一个文件）。"]),
        (empty, [f"空文件夹：无法读取。“{empty}”是一个文件夹，不是台账文件。",
                 f"  改法：请写出其中一个台账文件，例如 excel-bridge check {empty / '某村监测台账.xlsx'}（一次校验一个文件）。"]),
        (ws, [f"曲江区：无法读取。“{ws}”是区级工作目录，不是台账文件。",
              f"  改法：要处理各镇收件箱里的台账，请用 excel-bridge process {ws}；只校验一个文件时，请写出那个文件，例如 excel-bridge check 某村.xlsx。"]),
    ):
        proc = run(path)
        assert (proc.returncode, proc.stdout.splitlines(), proc.stderr) == (2, lines, ""), path
    code, obj = run_json(folder)
    assert code == 2 and obj["readable"] is False
    assert [(i["code"], i["message"]) for i in obj["issues"]] == [("FILE_IS_FOLDER", f"“{folder}”是一个文件夹，不是台账文件。")]


def test_out_into_a_folder_without_write_permission(error_file, tmp_path):
    with unwritable_dir(tmp_path / "只读") as folder:
        proc = run(error_file, "--out", folder / "反馈.xlsx", "--as-of", AS_OF.isoformat())
        assert proc.returncode == 2 and proc.stdout == ""
        assert proc.stderr.startswith(f"错误：无法在“{folder}”中写出反馈文件：没有权限"), proc.stderr
        assert len(proc.stderr.splitlines()) == 1
        assert list(folder.iterdir()) == []


# --- -v ---

def test_verbose_check_logs_in_chinese_with_times():
    proc = run(EXAMPLE, "--as-of", "2021-12-20")
    assert proc.returncode == 1 and proc.stderr.splitlines() == [BUNDLED_NOTE]  # no log lines without -v
    for args in (("-v", "check", EXAMPLE), ("check", EXAMPLE, "-v")):  # before or after the command
        proc = run_cli(*args, "--as-of", "2021-12-20")
        assert proc.returncode == 1
        lines = proc.stderr.splitlines()
        assert len(lines) == 2, proc.stderr
        size = EXAMPLE.stat().st_size
        assert re.fullmatch(TIME + rf" 信息 {EXAMPLE.name}：读取、校验和研判用时 \d+\.\d\d 秒（{size} 字节，内容指纹 [0-9a-f]{{12}}…）",
                            lines[0]), lines[0]
        assert lines[1] == BUNDLED_NOTE
        assert proc.stdout == run(EXAMPLE, "--as-of", "2021-12-20").stdout


@pytest.mark.all_towns
def test_verbose_process_names_the_settings_and_every_workbook_written(ws, config):
    from factory import drop

    drop(ws, config, base_rows())
    proc = run_cli("process", ws.root, "--wait", "0.05", "--workers", "1", "--as-of", AS_OF.isoformat(), "-v")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0] == "马坝镇/石塘村.xlsx：已入账。2户，错误0处，提示0条"
    lines = proc.stderr.splitlines()
    assert all(re.match(TIME + " (信息|注意|错误) ", line) for line in lines), proc.stderr
    said = [line[9:] for line in lines]
    assert said[0] == f"信息 使用工作目录 {ws.root.resolve()} 的设置（曲江区，区划代码 440205，9 个镇）"
    written = [line.removeprefix("信息 写出 ") for line in said if line.startswith("信息 写出 ")]
    assert "反馈/马坝镇/石塘村/石塘村_反馈.xlsx" in written and "区级/区级总台账.xlsx" in written
    assert {f"反馈/{t}/镇级/{t}_镇级核查表.xlsx" for t in ws.settings().towns} <= set(written)
    assert re.fullmatch(rf"信息 本轮结束：处理 1 个文件，写出 {len(written)} 个工作簿，0 个文件还在复制中，用时 \d+\.\d 秒", said[-1])
    assert not english_words("\n".join(said).replace(str(ws.root.resolve()), "")), said


# --- argparse in Chinese ---

def usage_error(*lines: str) -> tuple[int, str, list[str]]:
    return 2, "", list(lines)


SEE = "运行“excel-bridge -h”可以查看用法和说明。"
TOP_USAGE = "用法：excel-bridge [-h] [--version] [-v] 命令 ..."


@pytest.mark.parametrize("args, expected", [
    ((), usage_error(TOP_USAGE, "excel-bridge：错误：缺少必填的参数：命令", SEE)),
    (("chek", "a.xlsx"), usage_error(
        TOP_USAGE, "excel-bridge：错误：命令：没有“chek”这一项（可选：'check', 'template', 'init', 'process', 'watch', "
                   "'history', 'export', 'import', 'report', 'round', 'city', 'rules-page', 'demo'）", SEE)),
    (("init",), usage_error(
        "用法：excel-bridge init [-h] [-v] [--name 区名] [--code 区划代码] [--from 设置文件] 区名",
        "excel-bridge init：错误：缺少必填的参数：区名", "运行“excel-bridge init -h”可以查看用法和说明。")),
    (("history", "123", "--workspace"), usage_error(
        "用法：excel-bridge history [-h] [-v] [--workspace 工作目录] [--database 数据库地址]",
        "                           户编号或身份证号",
        "excel-bridge history：错误：--workspace：后面要写一个值", "运行“excel-bridge history -h”可以查看用法和说明。")),
    (("template", "a.xlsx", "b.xlsx"), usage_error(
        "用法：excel-bridge template [-h] [-v] [--town 镇名] [--village 村名] [--force]",
        "                            [--workspace 工作目录] [--schemas 目录] [--rules 目录]",
        "                            输出文件",
        "excel-bridge template：错误：不认识这些参数：b.xlsx", "运行“excel-bridge template -h”可以查看用法和说明。")),
    (("history", "123", "--as-of", "2021-12-31"), usage_error(
        "用法：excel-bridge history [-h] [-v] [--workspace 工作目录] [--database 数据库地址]",
        "                           户编号或身份证号",
        "excel-bridge history：错误：不认识这些参数：--as-of 2021-12-31", "运行“excel-bridge history -h”可以查看用法和说明。")),
    (("demo", "--villages", "三"), usage_error(
        "用法：excel-bridge demo [-h] [-v] [--villages 数目] [--households 数目] [--mistakes 数目]",
        "                        [--seed 数目] [--workers 数目]",
        "                        [目录]",
        "excel-bridge demo：错误：--villages：应填整数，写的是“三”", "运行“excel-bridge demo -h”可以查看用法和说明。")),
    (("check", "a.xlsx", "--as-of", "2021/12/31"), usage_error(
        "用法：excel-bridge check [-h] [-v] [--json] [--out [反馈文件]] [--as-of 日期]",
        "                         [--workspace 工作目录] [--schemas 目录] [--rules 目录]",
        "                         文件",
        "excel-bridge check：错误：--as-of：日期格式应为 2021-08-11：2021/12/31", "运行“excel-bridge check -h”可以查看用法和说明。")),
])
def test_wrong_command_lines_are_told_in_chinese(args, expected):
    proc = run_cli(*args, timeout=60)
    assert (proc.returncode, proc.stdout, proc.stderr.splitlines()) == expected


COMMANDS = ("check", "template", "init", "process", "watch", "history", "demo", "export", "report", "import", "round", "city")


@pytest.mark.parametrize("command", (None, *COMMANDS))
def test_every_help_is_chinese(command):
    proc = run_cli(*(["--help"] if command is None else [command, "-h"]), timeout=60)
    assert proc.returncode == 0 and proc.stderr == ""
    text = proc.stdout
    assert text.startswith("用法：excel-bridge")
    assert "\n选项:\n" in text and "  -h, --help" in text and "显示本说明后退出" in text
    assert english_words(text) == set(), english_words(text)
    assert "显示处理过程（带时间，写到标准错误）：用的哪份设置、每轮用时、写出的每个工作簿、读取的审核决定等" in text.replace("\n", "").replace(" ", "")
    for line in text.splitlines():  # wrapped by how wide it shows: 100 columns
        assert display_width(line) <= 100, line
    if command is None:
        assert "退出码：0 完成；1 文件有错误（check）或没有找到这一户（history）；" in text


def test_init_help_exactly():
    proc = run_cli("init", "-h", timeout=60)
    assert proc.stdout.splitlines() == [
        "用法：excel-bridge init [-h] [-v] [--name 区名] [--code 区划代码] [--from 设置文件] 区名",
        "",
        "建立区级工作目录（区级设置、收件箱、反馈、归档、区级总台账、台账数据库）",
        "",
        "参数:",
        "  区名             区名，同时是新建工作目录的名字；也可以带上路径，如 D:\\监测\\南雄市（区名取最后一",
        "                   段）",
        "",
        "选项:",
        "  -h, --help       显示本说明后退出",
        "  -v, --verbose    显示处理过程（带时间，写到标准错误）：用的哪份设置、每轮用时、写出的每个工作",
        "                   簿、读取的审核决定等",
        "  --name 区名      区名与目录名不同时，用它给出区名",
        "  --code 区划代码  本区 6 位区划代码（户籍身份证号的前 6 位，如曲江区为 440205）；不给时要在设置文",
        "                   件中补填",
        "  --from 设置文件  用一个已经填好的区级设置文件（如另一台电脑上的 区级设置.yaml），不再另写设置",
    ]


def test_every_user_facing_argparse_word_is_translated():
    """argparse's msgids in the running Python: each one a user can meet has its Chinese in ARGPARSE (a newer
    Python adding one fails here, not on a district's screen)."""
    tree_ = ast.parse(inspect.getsource(argparse))
    used = set()
    for node in ast.walk(tree_):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("_", "ngettext"):
            used |= {a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)}
    assert {"usage: ", "options", "positional arguments", "the following arguments are required: %s",
            "unrecognized arguments: %s", "show this help message and exit"} <= used
    developer_only = {  # mistakes in how a program builds its parser, or features we do not use
        "'required' is an invalid argument for positionals", "%r is not callable", ".__call__() not defined",
        'argument "-" with mode %r', "cannot have multiple subparser arguments",
        "cannot merge actions - two groups are named %r", "conflicting subparser alias: %s",
        "conflicting subparser: %s", "dest= is required for options like %r", "invalid conflict_resolution value: %r",
        "mutually exclusive arguments must be optional", "unexpected option string: %s",
        "unknown parser %(parser_name)r (choices: %(choices)s)", "argument '%(argument_name)s' is deprecated",
        "command '%(parser_name)s' is deprecated", "option '%(option)s' is deprecated",
        "conflicting option string: %s", "conflicting option strings: %s",
        "invalid option string %(option)r: must start with a character %(prefix_chars)r"}
    assert used - developer_only - set(ARGPARSE) == set()
    # argparse is left as it was after a parse
    from excel_bridge.argparse_zh import chinese
    before = argparse._("usage: ")
    with chinese():
        assert argparse._("usage: ") == "用法："
    assert argparse._("usage: ") == before == "usage: "
