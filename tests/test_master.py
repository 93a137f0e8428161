"""Outputs of a pass: the district master (区级总台账) read back with python_calamine and compared with the
ledger, its charts, filters and frozen headers, town review workbooks, atomic placement, and a locked target."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import zipfile
from collections import Counter
from pathlib import Path

import pytest
from cli_helpers import run_cli
from factory import (
    AS_OF,
    HEAD_B,
    base_rows,
    calamine_records,
    calamine_rows,
    calamine_sheet_names,
    lone_household,
    person,
    review,
    submissions_of,
    write_village,
)
from xlsx_helpers import MAIN_NS, sheet_xml

from excel_bridge.alerts import all_alerts
from excel_bridge.demo import build_demo
from excel_bridge.pipeline import Processor
from excel_bridge.workflow import REMOVED, STATES
from excel_bridge.workspace import Workspace
from excel_bridge.writers.common import Placed

REQUIRED_SHEETS = ["总览", "统计", "考核", "监测户台账", "家庭成员", "待区审核", "预警", "问题汇总", "提交记录"]
# sheet → (header row, the first column not frozen: the ones left of it say who a row is and stay in view)
TABLE_SHEETS = {"监测户台账": (0, "G"), "家庭成员": (0, "F"), "待区审核": (1, "G"), "预警": (0, "A"), "问题汇总": (0, "A"),
                "提交记录": (0, "A")}
SIDE_NAME = re.compile(r"^区级总台账\(更新于\d{6}\)\.xlsx$")
HEAD_Y = person(dt.date(1975, 8, 8), 81)


def _sql(ws, query: str, **params) -> list:
    """Rows of a plain SQL query on the workspace's ledger (the master is checked against the tables
    themselves, not against the store's own read models)."""
    from sqlalchemy import text

    with ws.open_store() as store:
        return [r._mapping for r in store.db.rows(text(query), params)]


def _blank(v):
    return "" if v is None else v


@pytest.fixture(scope="module")
def demo(tmp_path_factory, runner):
    """A small demo district (2 towns × 2 villages × 8 households, with mistakes) after one pass."""
    root = tmp_path_factory.mktemp("demo") / "district"
    built = build_demo(root, villages=2, households=8, seed=11, mistakes=3, as_of=AS_OF, towns=2)
    ws = Workspace.open(built.root)
    with Processor(ws, as_of=AS_OF, runner=runner) as processor:
        report = processor.run_pass(wait=0.05)
        again = processor.run_pass(wait=0.05)
    return ws, built, report, again


def test_demo_pass_applies_every_file_and_writes_the_master_once(demo):
    ws, built, report, again = demo
    villages = [o for o in report.files if not o.status.startswith("dept_")]
    assert sorted(o.name for o in villages) == sorted(p.name for p in built.files)
    assert {o.status for o in villages} == {"applied"}
    assert sum(o.households for o in villages) == built.households == 32
    # the five departments' demo lists, taken in the same pass
    assert sorted(o.name for o in report.files if o.status == "dept_applied") == sorted(p.name for p in built.lists)
    masters = [o for o in report.outputs if o.path.parent == ws.district_dir]
    assert masters == [Placed(ws.master_path, locked=False)]
    assert again.files == [] and again.outputs == []  # nothing new: nothing rewritten
    assert list(ws.root.rglob(".~eb-*")) == []  # every workbook was moved into place


def test_master_sheet_names_and_structure(demo):
    ws, *_ = demo
    names = calamine_sheet_names(ws.master_path)
    assert names[:len(REQUIRED_SHEETS)] == REQUIRED_SHEETS
    with zipfile.ZipFile(ws.master_path) as zf:
        charts = [n for n in zf.namelist() if re.fullmatch(r"xl/charts/chart\d+\.xml", n)]
        assert len(charts) >= 2
        for chart in charts:
            assert b"<c:chart>" in zf.read(chart) or b"<c:chart " in zf.read(chart)
    overview = sheet_xml(ws.master_path, "总览")
    assert overview.find(f"{{{MAIN_NS}}}drawing") is not None  # the charts are on 总览
    for sheet, (header_row, scrolled) in TABLE_SHEETS.items():
        root = sheet_xml(ws.master_path, sheet)
        auto = root.find(f"{{{MAIN_NS}}}autoFilter")
        assert auto is not None, sheet
        assert auto.get("ref").startswith(f"A{header_row + 1}:"), (sheet, auto.get("ref"))
        pane = root.find(f".//{{{MAIN_NS}}}pane")
        assert pane is not None and pane.get("state") == "frozen", sheet
        assert pane.get("topLeftCell") == f"{scrolled}{header_row + 2}", sheet


def test_overview_charts_stand_evenly_beside_the_tables_and_count_in_whole_numbers(demo):
    """总览 (issue 12): the three charts one under another right of the tables, equal gaps, none over a table or
    another chart; the risk chart labels every one of its risk types, on a whole-number axis."""
    ws, *_ = demo
    xdr = "{http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing}"
    chart_ns = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"
    with zipfile.ZipFile(ws.master_path) as zf:
        from xml.etree import ElementTree as ET

        drawing = ET.fromstring(zf.read("xl/drawings/drawing1.xml"))
        anchors = [tuple(int(a.find(f"{xdr}{end}/{xdr}{what}").text) for end in ("from", "to")
                         for what in ("col", "row")) for a in drawing.iter(f"{xdr}twoCellAnchor")]
        charts = {n: ET.fromstring(zf.read(n)) for n in zf.namelist() if re.fullmatch(r"xl/charts/chart\d+\.xml", n)}
    assert len(anchors) == 3
    tables_end = len(STATES) + 2  # 镇, the states, 已移出, 合计: columns A..K
    assert all(c0 > tables_end for c0, _, _, _ in anchors)  # right of every table
    assert len({(c0, c1) for c0, _, c1, _ in anchors}) == 1  # one column of charts, one width
    gaps = [b[1] - a[3] for a, b in zip(anchors, anchors[1:], strict=False)]
    assert all(g >= 0 for g in gaps) and len(set(gaps)) == 1, anchors  # no overlap, even spacing
    [bar] = [c for c in charts.values() if c.find(f".//{chart_ns}barChart") is not None
             and c.find(f".//{chart_ns}barDir").get("val") == "bar"]
    assert bar.find(f".//{chart_ns}catAx/{chart_ns}tickLblSkip").get("val") == "1"
    value_axis = bar.find(f".//{chart_ns}valAx")
    assert value_axis.find(f"{chart_ns}numFmt").get("formatCode") == "0"
    assert float(value_axis.find(f".//{chart_ns}majorUnit").get("val")).is_integer()
    assert value_axis.find(f".//{chart_ns}min").get("val") == "0"
    # its categories are the ten risk types of the table (all labelled: tickLblSkip 1 above)
    ref = bar.find(f".//{chart_ns}cat//{chart_ns}f").text
    first, last = (int(n) for n in re.fullmatch(r"总览!\$A\$(\d+):\$A\$(\d+)", ref).groups())
    rows = calamine_rows(ws.master_path, "总览")
    assert [rows[r - 1][0] for r in range(first, last + 1)] == [
        "因病因残", "因灾因意外事故", "住房不安全", "饮水不安全", "就业不稳定减收", "产业失败", "政策衔接", "扶贫资产监管不善",
        "小额贷款逾期", "其他"]


def test_master_households_equal_ledger_households(demo):
    ws, *_ = demo
    sheet = calamine_records(ws.master_path, "监测户台账")
    rows = _sql(ws, "SELECT * FROM households ORDER BY town, village, id")
    assert len(rows) == 32
    expected = []
    for r in rows:
        d = json.loads(r["data"])
        expected.append((r["town"], r["village"], _blank(r["household_no"]), r["head_name"], r["head_id"], r["state"],
                         "在册" if r["on_file"] else REMOVED, _blank(d.get("_per_capita_income")),
                         r["errors"], r["warnings"]))
    got = [(x["镇"], x["村"], x["户编号"], x["户主姓名"], x["户主身份证号"], x["流程状态"], x["在册"], x["人均纯收入"],
            x["错误"], x["提示"]) for x in sheet]
    assert got == expected
    for x in sheet:  # IDs stay text, never numbers
        assert isinstance(x["户主身份证号"], str) and len(x["户主身份证号"]) == 18
        assert isinstance(x["户编号"], str)
        assert isinstance(x["联系电话"], str)


def test_master_members_equal_ledger_members(demo):
    ws, *_ = demo
    sheet = calamine_records(ws.master_path, "家庭成员")
    rows = _sql(ws, "SELECT m.*, h.head_id FROM members m JOIN households h ON h.id = m.household_id"
                    " ORDER BY m.town, m.village, m.household_id, m.id")
    total = _sql(ws, "SELECT COUNT(*) AS n FROM members")[0]["n"]
    assert len(sheet) == len(rows) == total > 32
    expected = [(r["town"], r["village"], r["head_id"], _blank(r["person_id"]), _blank(r["name"])) for r in rows]
    got = [(x["镇"], x["村"], x["户主身份证号"], x["身份证号"], x["姓名"]) for x in sheet]
    assert got == expected
    assert all(isinstance(x["身份证号"], str) for x in sheet)
    assert all(len(x["身份证号"]) == 18 for x in sheet if x["身份证号"])


def test_master_overview_counts_equal_sql_counts(demo):
    ws, *_ = demo
    rows = calamine_rows(ws.master_path, "总览")
    header_at = next(i for i, r in enumerate(rows) if r and r[0] == "镇")
    header = rows[header_at]
    assert header[1:len(STATES) + 3] == [*STATES, REMOVED, "合计"]
    sql = Counter()
    for r in _sql(ws, "SELECT town, CASE WHEN on_file=1 THEN state ELSE :removed END AS s, COUNT(*) AS n"
                      " FROM households GROUP BY town, s", removed=REMOVED):
        sql[(r["town"], r["s"])] = r["n"]
    towns = list(ws.settings().towns)
    categories = Counter()
    risks = Counter()
    # issue 20: only 监测对象 (帮扶中, 待镇验收, 待区审批) by their 认定类别; leads and the chain are 在途
    for r in _sql(ws, "SELECT category, assessment FROM households WHERE on_file=1"
                      " AND state IN ('帮扶中', '待镇验收', '待区审批')"):
        categories[r["category"]] += 1
        for risk in json.loads(r["assessment"]).get("risk_types", []):
            risks[risk] += 1
    columns = [*STATES, REMOVED]
    by_label = {r[0]: r for r in rows[header_at + 1: header_at + 2 + len(towns)]}
    assert list(by_label) == [*towns, "全区"]
    for town in towns:
        row = by_label[town]
        assert [row[1 + i] for i in range(len(columns))] == [sql[(town, s)] for s in columns], town
        assert row[1 + len(columns)] == sum(sql[(town, s)] for s in columns)
    total = by_label["全区"]
    assert [total[1 + i] for i in range(len(columns))] == [sum(sql[(t, s)] for t in towns) for s in columns]
    assert total[1 + len(columns)] == 32
    assert any(r[0] == "监测线：2021年 9600 元/人·年" for r in rows)
    labelled = {r[0]: r[1] for r in rows[header_at + len(towns) + 2:] if r and isinstance(r[0], str) and r[0]}
    for cat in ("脱贫不稳定户", "边缘易致贫户", "突发严重困难户"):
        assert labelled[cat] == categories[cat], cat
    for risk, n in risks.items():
        assert labelled[risk] == n, risk
    assert labelled["监测对象户数（每户只计一次）"] == sum(categories.values())
    leads = _sql(ws, "SELECT COUNT(*) AS n FROM households WHERE on_file=1 AND state = '线索'")[0]["n"]
    assert leads > 0  # the demo's leads are there, and counted in none of the category or risk rows


def test_master_submissions_issues_alerts_and_decisions_equal_the_ledger(demo):
    ws, built, *_ = demo
    with ws.open_store() as store:
        subs = submissions_of(ws)
        issues = Counter((s["village"], i.code, i.sheet, i.row) for s in subs for i in store.submissions.issues_of(s["id"]))
        config = ws.config()
        alerts = all_alerts(store, config, AS_OF)
        waiting = store.households.list(states=["待区认定", "待区审批"], on_file=True)
    submitted = calamine_records(ws.master_path, "提交记录")
    assert sorted(r["序号"] for r in submitted) == sorted(s["id"] for s in subs)
    assert {(r["文件"], r["结果"], r["类型"]) for r in submitted} == {(p.name, "已入账", "村级台账") for p in built.files}
    assert all(isinstance(r["文件指纹（SHA-256）"], str) and len(r["文件指纹（SHA-256）"]) == 64 for r in submitted)
    problems = calamine_records(ws.master_path, "问题汇总")
    got = Counter((r["村"], r["代码"], r["工作表"], r["行"] if r["行"] != "" else None) for r in problems)
    assert got == issues and sum(issues.values()) >= built.mistakes
    assert [(r["类型"], r["镇"], r["村"], r["说明"]) for r in calamine_records(ws.master_path, "预警")] == [
        (a.kind, a.town, a.village, a.message) for a in alerts]
    decisions = calamine_records(ws.master_path, "待区审核", header_row=1)
    assert len(decisions) == len(waiting)
    header = calamine_rows(ws.master_path, "待区审核")[1]
    assert {"区级结论", "审核意见", "审核人", "审核日期", "行令牌"} <= set(header)


def test_a_first_import_is_every_villages_baseline(demo):
    """Issue 9: on the demo's first import every village fired a 规模性返贫 warning (every household of a first
    file counted as newly found). A village's first file is its baseline now: no share-based warning."""
    ws, *_ = demo
    with ws.open_store() as store:
        alerts = all_alerts(store, ws.config(), AS_OF)
        on_file = store.households.list(on_file=True)
    assert sum(1 for r in on_file if r.state == "线索") > 0  # leads were found, yet none is "newly found"
    assert [a for a in alerts if a.kind == "规模性返贫风险" and "风险涉及" not in a.message] == []


# --- town review workbooks: only that town, decision columns ---

def test_town_review_workbooks_list_only_their_own_towns_households(tmp_path, config, runner):
    ws = Workspace.init(tmp_path / "ws")
    x = base_rows()
    x["review"] = [review(HEAD_B)]  # 评议通过, 公示 5 days, ended: B goes to the town
    write_village(ws.town_inbox("马坝镇") / "石塘村.xlsx", config, x)
    hh, m = lone_household(HEAD_Y, "张三", wage_income=2000)  # 8000 per person: proposed
    write_village(ws.town_inbox("大塘镇") / "新村.xlsx", config,
                  {"household": [hh], "member": [m], "measure": [], "review": [review(HEAD_Y)]},
                  town="大塘镇", village="新村")
    with Processor(ws, as_of=AS_OF, runner=runner) as processor:
        report = processor.run_pass(wait=0.05)
    assert {o.status for o in report.files} == {"applied"}
    for town, head, village in (("马坝镇", HEAD_B, "石塘村"), ("大塘镇", HEAD_Y, "新村")):
        book = ws.town_review_path(town)
        rows = calamine_records(book, "待镇审核", header_row=1)
        assert [(r["事项"], r["村"], r["户主身份证号"]) for r in rows] == [("纳入监测核查", village, head)], town
        assert all(r["核查结论"] == "" and r["行令牌"] for r in rows)
        submitted = calamine_records(book, "村级提交情况")
        assert [(r["村"], r["处理结果"]) for r in submitted] == [(village, "已入账")]
        text = " ".join(str(v) for sheet in calamine_sheet_names(book) for row in calamine_rows(book, sheet)
                        for v in row)
        other = HEAD_Y if town == "马坝镇" else HEAD_B
        assert other not in text  # a town's files contain only that town's households
    master = calamine_records(ws.master_path, "监测户台账")
    assert sorted((r["户主身份证号"], r["流程状态"]) for r in master if r["流程状态"] == "待镇核查") == sorted(
        [(HEAD_B, "待镇核查"), (HEAD_Y, "待镇核查")])


# --- a locked target ---

def _chattr(flag: str, path: Path) -> bool:
    try:
        return subprocess.run(["chattr", flag, str(path)], capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


@pytest.fixture
def locked_ws(tmp_path, config, runner):
    """A workspace with one village applied and its master made immutable (chattr +i)."""
    ws = Workspace.init(tmp_path / "ws")
    write_village(ws.town_inbox("马坝镇") / "石塘村.xlsx", config)
    with Processor(ws, as_of=AS_OF, runner=runner) as processor:
        processor.run_pass(wait=0.05)
    assert ws.master_path.exists()
    if not _chattr("+i", ws.master_path):
        pytest.skip("chattr +i is not available here")
    try:
        yield ws
    finally:
        _chattr("-i", ws.master_path)


def _drop_y(ws: Workspace, config) -> None:
    hh, m = lone_household(HEAD_Y, "张三", wage_income=40000)
    write_village(ws.town_inbox("大塘镇") / "新村.xlsx", config, {"household": [hh], "member": [m], "measure": [],
                                                                  "review": []}, town="大塘镇", village="新村")


def test_locked_master_is_written_beside_it_and_reported(locked_ws, config, runner):
    ws = locked_ws
    before = ws.master_path.read_bytes()
    _drop_y(ws, config)
    with Processor(ws, as_of=AS_OF, runner=runner) as processor:
        report = processor.run_pass(wait=0.05)
        assert [(o.name, o.status) for o in report.files] == [("新村.xlsx", "applied")]
        masters = [o for o in report.outputs if o.path.parent == ws.district_dir]
        assert len(masters) == 1 and masters[0].locked
        side = masters[0].path
        assert SIDE_NAME.match(side.name), side.name
        assert side.exists()
        assert ws.master_path.read_bytes() == before
        heads = {r["户主身份证号"] for r in calamine_records(side, "监测户台账")}
        assert HEAD_Y in heads and len(heads) == 3
        assert HEAD_Y not in {r["户主身份证号"] for r in calamine_records(ws.master_path, "监测户台账")}
        # the side file we wrote is not mistaken for district decisions on the next pass
        quiet = processor.run_pass(wait=0.05)
        assert quiet.files == [] and quiet.outputs == []
    assert [p.name for p in ws.district_dir.iterdir() if p.name.startswith(".~eb-")] == []


def test_locked_master_is_reported_by_the_process_command(locked_ws, config):
    ws = locked_ws
    _drop_y(ws, config)
    proc = run_cli("process", ws.root, "--wait", "0.05", "--as-of", AS_OF.isoformat(), "--workers", "1")
    assert proc.returncode == 0, proc.stderr
    locked = [line for line in proc.stdout.splitlines() if "另存为" in line]
    assert len(locked) == 1, proc.stdout
    prefix = "目标文件正被打开（可能在 Excel 中），新版本已另存为："
    assert locked[0].startswith(prefix)
    side = Path(locked[0][len(prefix):])
    assert side.parent == ws.district_dir and SIDE_NAME.match(side.name) and side.exists()
    assert HEAD_Y in {r["户主身份证号"] for r in calamine_records(side, "监测户台账")}
