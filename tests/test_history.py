"""`excel-bridge history ID [--workspace DIR]` as a real subprocess (docs/domain.md: “A household's history can
be listed”): every transition with when, from → to, level, the person named in the file, the source
file's fingerprint and the comment — and never a full ID number.

The district is built once through real files: 李秀英 goes 线索 → 待镇核查 → 待区认定 → 帮扶中 (王核查 at
the town, 李审核 at the district); 陈伟 is a lead the town returns with a reason.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from factory import (
    HEAD_A,
    HEAD_B,
    MASTER_SHEET,
    SON_A,
    TOWN,
    TOWN_SHEET,
    WIFE_A,
    base_rows,
    decide,
    drop,
    review,
    sha256_file,
)

from excel_bridge.idcard import mask_id
from excel_bridge.pipeline import Processor
from excel_bridge.workspace import Workspace

T = dt.date.today()
D = dt.timedelta
EXE = Path(sys.executable).with_name("excel-bridge")
STEP = re.compile(r"^  (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)  (\S+)\s+(\S+) → (\S+)\s+(\S+)\s+(.*?)"
                  r"(?:（来源文件指纹 ([0-9a-f]{12})…）)?$")


def history(*args: str) -> subprocess.CompletedProcess:
    cmd = [str(EXE)] if EXE.exists() else [sys.executable, "-m", "excel_bridge.cli"]
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run([*cmd, "history", *map(str, args)], capture_output=True, text=True, encoding="utf-8",
                          env=env, timeout=60)


@pytest.fixture(scope="module")
def district(tmp_path_factory, runner):
    ws = Workspace.init(tmp_path_factory.mktemp("history") / "曲江区")
    cfg = ws.config()
    rows = base_rows()
    rows["household"][0].update(wage_income=12000)  # 陈伟: 6000 元/人, a lead too
    rows["review"] = [review(h, review_date=T - D(20), notice_start=T - D(19), notice_end=T - D(15))
                      for h in (HEAD_A, HEAD_B)]
    book = ws.town_review_path(TOWN)
    sha = {}
    with Processor(ws, as_of=T, runner=runner) as p:
        sha["village"] = sha256_file(drop(ws, cfg, rows))
        p.run_pass(wait=0.05)
        decide(book, TOWN_SHEET, "李秀英", "同意", "入户核实属实", "王核查", T)
        decide(book, TOWN_SHEET, "陈伟", "退回", "收入核算有误", "王核查", T)
        sha["town"] = sha256_file(book)
        p.run_pass(wait=0.05)
        decide(ws.master_path, MASTER_SHEET, "李秀英", "同意", "同意纳入监测", "李审核", T)
        sha["master"] = sha256_file(ws.master_path)
        p.run_pass(wait=0.05)
    return ws, sha


def steps(stdout: str) -> list[tuple[str, ...]]:
    out = []
    for line in stdout.splitlines()[1:]:
        m = STEP.match(line)
        assert m, line
        out.append(m.groups()[1:])
    return out


def test_history_by_household_number_lists_the_whole_story(district):
    ws, sha = district
    result = history("LS440205000002", "--workspace", ws.root)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == ("马坝镇石塘村 李秀英户（户编号 LS440205000002，户主身份证号 440205********0440）当前状态：帮扶中")
    v, t, m = sha["village"][:12], sha["town"][:12], sha["master"][:12]
    assert steps(result.stdout) == [
        ("登记", "—", "线索", "系统级", "研判建议纳入监测，登记为线索", v),
        ("状态变更", "线索", "待镇核查", "村级",
         f"评议公示通过：民主评议{T - D(20)}通过，公示{T - D(19)}至{T - D(15)}", v),
        ("状态变更", "待镇核查", "待区认定", "镇级（王核查）", "同意：入户核实属实", t),
        ("状态变更", "待区认定", "帮扶中", "区级（李审核）", "同意：同意纳入监测", m),
    ]
    stamps = [STEP.match(line).group(1) for line in lines[1:]]
    assert stamps == sorted(stamps)


def test_history_shows_a_return_with_its_reason_and_person(district):
    ws, sha = district
    result = history("LS440205000001", "--workspace", ws.root)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].endswith("当前状态：线索")
    assert steps(result.stdout)[-1] == ("状态变更", "待镇核查", "线索", "镇级（王核查）", "退回：收入核算有误",
                                        sha["town"][:12])


@pytest.mark.parametrize("key", [
    HEAD_B,
    f"  {HEAD_B} ",
    HEAD_B.translate(str.maketrans("0123456789", "０１２３４５６７８９")),
], ids=["plain", "spaces", "full-width"])
def test_history_by_head_id_finds_the_same_household(district, key):
    ws, _ = district
    by_id = history(key, "--workspace", ws.root)
    assert by_id.returncode == 0, by_id.stderr
    assert by_id.stdout == history("LS440205000002", "--workspace", ws.root).stdout


@pytest.mark.parametrize("member,name", [(WIFE_A, "黄丽"), (SON_A, "陈强")], ids=["wife", "son"])
def test_history_by_any_members_id_finds_the_household_and_says_whose_id_it_is(district, member, name):
    ws, _ = district
    result = history(member.lower(), "--workspace", ws.root)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    by_number = history("LS440205000001", "--workspace", ws.root).stdout.splitlines()
    assert lines[0] == by_number[0] and lines[0].startswith("马坝镇石塘村 陈伟户（户编号 LS440205000001")
    assert lines[1] == f"  （身份证号 {mask_id(member)} 是本户成员{name}）"
    assert lines[2:] == by_number[1:]
    assert member not in result.stdout


def test_history_never_prints_a_full_id_number(district):
    ws, _ = district
    for key in ("LS440205000001", "LS440205000002"):
        out = history(key, "--workspace", ws.root).stdout
        assert not re.search(r"\d{17}[\dX]", out)
        assert HEAD_A not in out and HEAD_B not in out


def test_history_of_an_unknown_household(district):
    ws, _ = district
    result = history("LS440205999999", "--workspace", ws.root)
    assert result.returncode == 1
    assert result.stdout.strip() == "没有找到户编号为“LS440205999999”、或户主及成员中有这个身份证号的户。"


def test_history_outside_a_workspace_is_a_clear_error(tmp_path):
    result = history("LS440205000001", "--workspace", tmp_path)
    assert result.returncode == 3
    assert result.stderr.startswith(f"错误：{tmp_path} 不是 excel_bridge 工作目录（找不到 区级设置.yaml）")
    assert result.stdout == ""
