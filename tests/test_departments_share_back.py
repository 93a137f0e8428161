"""Sharing back (plan 七(二)): `excel-bridge export 民政` as a real subprocess on a workspace whose ledger a real pass
filled, and the monthly copy in 区级/部门共享/ — the identified households only, with category, state, risk
types, measures and members with their ID numbers; nothing else (no phone, income or health). Both backends."""

from __future__ import annotations

import datetime as dt

import pytest
from cli_helpers import run_cli
from factory import AS_OF, HEAD_A, HEAD_B, all_cell_text, base_rows, drop, measure, sheet_rows, table_of

from excel_bridge.departments.share_back import monthly_exports

pytestmark = pytest.mark.backends

NUMBER = "44020512345678"


@pytest.fixture
def cfg(ws):
    return ws.config()


@pytest.fixture
def filled(ws, cfg, proc):
    """A (陈伟) not monitored; B (李秀英) identified before, 帮扶中, with a 低保 measure."""
    rows = base_rows()
    rows["household"][1].update(household_no=NUMBER, identified_date=dt.date(2021, 6, 1), contact_person="王帮扶",
                                contact_phone="13800000001")
    rows["member"][3]["dibao"] = "是"
    rows["measure"] = [measure(HEAD_B, "低保", content="纳入农村低保", responsible="马坝镇民政办")]
    drop(ws, cfg, rows)
    proc.run_pass(wait=0.05)
    return ws


def test_export_writes_the_monitored_households_for_the_department(filled):
    ws = filled
    proc = run_cli("export", "民政", "--workspace", ws.root, "--as-of", "2021-12-20")
    out = ws.root / "区级" / "部门共享" / "民政_监测对象_20211220.xlsx"
    assert (proc.returncode, proc.stderr) == (0, "")
    assert proc.stdout == f"已写出推送民政的监测对象信息：{out}（监测户 1 户，成员 1 人，帮扶措施 1 项）\n"
    assert sheet_rows(out, "监测户")[1][0] == "统计范围：截至2021-12-20的全部监测户"
    [hh] = table_of(out, "监测户", "户主身份证号")
    assert {k: hh[k] for k in ("镇", "村", "户编号", "户主姓名", "户主身份证号", "家庭人口数", "户类型", "当前状态",
                               "识别纳入日期", "低保人数", "变动日期")} == {
        "镇": "马坝镇", "村": "石塘村", "户编号": NUMBER, "户主姓名": "李秀英", "户主身份证号": HEAD_B, "家庭人口数": 1,
        "户类型": "脱贫户", "当前状态": "帮扶中", "识别纳入日期": dt.date(2021, 6, 1), "低保人数": 1,
        "变动日期": AS_OF}
    assert hh["监测类别"] == "脱贫不稳定户" and hh["帮扶措施"] == "低保"
    [person] = table_of(out, "家庭成员", "身份证号")
    assert (person["姓名"], person["身份证号"], person["与户主关系"], person["享受低保"]) == ("李秀英", HEAD_B, "户主", "是")
    [m] = table_of(out, "帮扶措施", "措施类别")
    assert (m["措施类别"], m["措施内容"], m["责任单位"]) == ("低保", "纳入农村低保", "马坝镇民政办")
    text = "\n".join(all_cell_text(out))
    assert HEAD_A not in text  # not under monitoring: not the department's to have
    for private in ("13800000001", "0751-6669428", "13800138000", "王帮扶", "人均纯收入", "健康"):
        assert private not in text


def test_export_since_a_day_lists_only_what_changed_since(filled):
    ws = filled
    out = ws.root / "给民政.xlsx"
    proc = run_cli("export", "民政", "--since", "2021-12-21", "--workspace", ws.root, "--out", out,
                   "--as-of", "2021-12-31")
    assert proc.returncode == 0 and "（监测户 0 户，成员 0 人，帮扶措施 0 项）" in proc.stdout
    assert sheet_rows(out, "监测户")[1][0] == "统计范围：2021-12-21至2021-12-31有变动的监测户"
    assert table_of(out, "监测户", "户主身份证号") == []
    proc = run_cli("export", "民政", "--since", "2021-12-20", "--workspace", ws.root, "--out", out)
    assert proc.returncode == 0 and [h["户主姓名"] for h in table_of(out, "监测户", "户主身份证号")] == ["李秀英"]


def test_export_refuses_a_department_not_shared_with_and_an_output_that_is_not_xlsx(filled):
    ws = filled
    # 医保 is not shared the monitored households: `export 医保` gives its measures (tests/test_measures.py); a name
    # that is no department and no measure's 责任单位 is refused
    proc = run_cli("export", "医保局办公室", "--workspace", ws.root)
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr.strip().startswith("错误：“医保局办公室”既不是 rules/departments.yaml 中的部门")
    proc = run_cli("export", "民政", "--workspace", ws.root, "--out", ws.root / "给民政.xls")
    assert (proc.returncode, proc.stderr.strip()) == (2, f"错误：输出文件要以 .xlsx 结尾：{ws.root / '给民政.xls'}")
    # only the month's copy the pass wrote: nothing for the refused name, no .xls
    assert sorted(p.name for p in (ws.root / "区级" / "部门共享").iterdir()) == ["民政_监测对象_2021年12月.xlsx"]


def test_monthly_exports_write_once_a_month(filled, cfg):
    ws = filled
    first = ws.root / "区级" / "部门共享" / "民政_监测对象_2021年12月.xlsx"
    assert first.is_file()  # the pass's district job wrote the month's copy
    stamp = first.stat().st_mtime_ns
    with ws.open_store() as store:
        assert monthly_exports(store, ws, cfg, AS_OF) == []
        assert monthly_exports(store, ws, cfg, AS_OF + dt.timedelta(days=5)) == []
        assert first.stat().st_mtime_ns == stamp
        first.unlink()  # someone moved it away: the month is written again
        assert [p.path.name for p in monthly_exports(store, ws, cfg, AS_OF + dt.timedelta(days=6))] == [
            "民政_监测对象_2021年12月.xlsx"]
        [january] = monthly_exports(store, ws, cfg, dt.date(2022, 1, 3))
    assert january.path.name == "民政_监测对象_2022年01月.xlsx"
    assert sheet_rows(january.path, "监测户")[1][0] == "统计范围：截至2022-01-03的全部监测户"
    assert [h["户主姓名"] for h in table_of(january.path, "监测户", "户主身份证号")] == ["李秀英"]
