"""`check` and `template` use the district they stand in (issue 18, item 9): --workspace; else the workspace in
the current folder or above it; else (check) the workspace of the district the file's hidden 系统信息 names;
曲江区's built-in settings only when none, said on the terminal. A file from another district is said to be one.
Real `excel-bridge` subprocesses (run_cli with cwd=), real workbooks read back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_helpers import BUNDLED_NOTE, run_cli
from factory import calamine_rows, write_village

from excel_bridge.settings import DistrictSettings
from excel_bridge.workspace import Workspace

WENGYUAN = DistrictSettings(district="翁源县", district_code="440229", supervision_phone="",
                            towns={"龙仙镇": ["青云村", "新江村"], "官渡镇": []})
BUNDLED = BUNDLED_NOTE
OTHER = "这份台账是曲江区的（模板隐藏的“系统信息”表这样记载），不是翁源县的，不能按翁源县的镇村名单校验。"


@pytest.fixture
def wengyuan(tmp_path) -> Path:
    """A 翁源县 workspace (as `excel-bridge init` makes it, its towns filled in) inside tmp_path/区县/."""
    root = tmp_path / "区县" / "翁源县"
    Workspace.init(root, WENGYUAN)
    return root


def _meta(path: Path) -> dict[str, str]:
    return {str(r[0]): str(r[1]) for r in calamine_rows(path, "系统信息") if r and r[0]}


def test_template_and_check_inside_a_workspace_use_its_towns(wengyuan):
    made = run_cli("template", "青云村.xlsx", "--town", "龙仙镇", "--village", "青云村", cwd=wengyuan)
    assert (made.returncode, made.stdout, made.stderr) == (0, "已写出模板：青云村.xlsx\n", "")
    meta = _meta(wengyuan / "青云村.xlsx")
    assert (meta["区"], meta["区划代码"], meta["镇"], meta["村"]) == ("翁源县", "440229", "龙仙镇", "青云村")
    # from a sub-folder of the workspace: the workspace above it
    inbox = wengyuan / "收件箱" / "龙仙镇"
    (wengyuan / "青云村.xlsx").rename(inbox / "青云村.xlsx")
    checked = run_cli("check", "青云村.xlsx", cwd=inbox)
    assert (checked.returncode, checked.stderr) == (0, ""), checked.stdout + checked.stderr
    assert checked.stdout.splitlines()[0] == "青云村.xlsx：通过校验，共 0 户、0 人，提示 0 条。"


def test_a_town_of_the_workspace_is_a_town_and_qujiangs_is_not(wengyuan, config):
    """A village file of 龙仙镇 written with 曲江区's template is judged with 翁源县's towns, and said to be 曲江区's."""
    qujiang = write_village(wengyuan / "马坝镇石塘村.xlsx", config)  # 曲江区's template and towns
    proc = run_cli("check", qujiang.name, "--json", cwd=wengyuan)
    assert proc.returncode == 1 and proc.stderr == "", proc.stderr
    issues = json.loads(proc.stdout)["issues"]
    assert issues[0]["code"] == "FILE_OTHER_DISTRICT" and issues[0]["message"] == OTHER
    assert {i["value"] for i in issues if i["code"] == "TOWN_UNKNOWN"} == {"马坝镇"}
    assert "龙仙镇、官渡镇" in next(i["hint"] for i in issues if i["code"] == "TOWN_UNKNOWN")


def test_check_outside_any_workspace_finds_the_district_its_file_names(wengyuan):
    made = run_cli("template", "t.xlsx", "--workspace", wengyuan, cwd=wengyuan.parent)
    assert made.returncode == 0 and made.stderr == "", made.stderr
    moved = wengyuan.parent / "t.xlsx"
    assert _meta(moved)["区"] == "翁源县"
    # standing beside the workspace (not in it): the hidden sheet says 翁源县, the workspace next to it is 翁源县
    proc = run_cli("check", "t.xlsx", cwd=wengyuan.parent)
    assert (proc.returncode, proc.stderr) == (0, ""), proc.stdout + proc.stderr
    # the file inside the workspace, run from elsewhere: the workspace above the file
    inside = wengyuan / "收件箱" / "龙仙镇" / "t.xlsx"
    moved.rename(inside)
    proc = run_cli("check", inside, cwd=wengyuan.parent.parent)
    assert (proc.returncode, proc.stderr) == (0, ""), proc.stdout + proc.stderr


def test_no_workspace_anywhere_uses_qujiang_and_says_so(tmp_path, wengyuan):
    alone = tmp_path / "别处"
    alone.mkdir()
    made = run_cli("template", "t.xlsx", cwd=alone)
    assert (made.returncode, made.stdout, made.stderr.splitlines()) == (0, "已写出模板：t.xlsx\n", [BUNDLED])
    assert _meta(alone / "t.xlsx")["区"] == "曲江区"
    proc = run_cli("check", "t.xlsx", cwd=alone)
    assert (proc.returncode, proc.stderr.splitlines()) == (0, [BUNDLED]), proc.stdout


def test_a_file_of_another_district_checked_in_a_workspace_names_both(wengyuan, tmp_path):
    alone = tmp_path / "别处"
    alone.mkdir()
    assert run_cli("template", "曲江.xlsx", cwd=alone).returncode == 0
    proc = run_cli("check", alone / "曲江.xlsx", cwd=wengyuan)
    assert proc.returncode == 1 and proc.stderr == "", proc.stderr
    assert proc.stdout.splitlines()[:3] == [
        "曲江.xlsx：发现 1 处错误、0 条提示（共 0 户、0 人）。",
        f"  [错误] {OTHER}",
        "      改法：校验曲江区的台账，请在曲江区的工作目录中运行，或加 --workspace 指向它；"
        "如果本村确属翁源县，请使用翁源县下发的模板重新填写。"]
