"""Issue 21's "Done when", end to end through the real CLI on both backends: starting from an empty workspace and a
national export only, a district imports (`excel-bridge import`), every village receives its pre-filled workbook, a
village fills it (and adds a lead) and drops it back (`process`), the lead is identified through the town's and the
district's workbooks, the town exports it for the provincial system (`export 省系统`) and marks it 已录入 with its
national 户编号 in 省系统录入 — which then replaces the provisional LS number in the ledger, the master and the
village's next returned copy."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import openpyxl
import pytest
from cli_helpers import run_cli
from factory import MASTER_SHEET, TOWN_SHEET, decide, person, table_of
from national_export import household, national_number, write_xlsx
from xlsx_helpers import fill_rgb, header_columns

from excel_bridge.decision_sheet import ENTRY_SHEET, TOKEN_HEADER
from excel_bridge.workspace import Workspace
from excel_bridge.writers.common import TO_FILL

pytestmark = pytest.mark.backends

T = dt.date.today()
D = dt.timedelta
TOWNS = {"马坝镇": ["石塘村", "龙岗村"], "大塘镇": ["大塘村"]}
SETTINGS_TOWNS = "towns:\n  马坝镇:\n  - 石塘村\n  - 龙岗村\n  大塘镇:\n  - 大塘村\n"


def national_households():
    """Two towns' villages: identified (帮扶中), one eliminated, 脱贫户 not monitored."""
    return [
        household(national_number(1, 1, 1), "马坝镇", "石塘村", seed=1, size=3, category="边缘易致贫户", eliminated="否",
                  identified="2021-05", risks=["因病"]),
        household(national_number(1, 1, 2), "马坝镇", "石塘村", seed=2, size=2, category="脱贫不稳定户", eliminated="是",
                  identified="2021-03", eliminated_on="2021-11"),
        household(national_number(1, 1, 3), "马坝镇", "石塘村", seed=3, size=4),
        household(national_number(1, 2, 1), "马坝镇", "龙岗村", seed=4, size=2, category="突发严重困难户", eliminated="否",
                  identified="2021-07", risks=["因意外事故"]),
        household(national_number(1, 2, 2), "马坝镇", "龙岗村", seed=5, size=1),
        household(national_number(2, 1, 1), "大塘镇", "大塘村", seed=6, size=3, category="边缘易致贫户", eliminated="否",
                  identified="2021-09", risks=["因学"]),
        household(national_number(2, 1, 2), "大塘镇", "大塘村", seed=7, size=2),
    ]


def cli(*args: object, database: str | None) -> str:
    done = run_cli(*args, *(("--database", database) if database else ()))
    assert (done.returncode, done.stderr) == (0, ""), done.stdout + done.stderr
    return done.stdout


def process(root: Path, database: str | None) -> str:
    return cli("process", root, "--wait", "0.05", "--workers", "1", database=database)


NEW_HEAD = person(dt.date(1985, 4, 12), 71)  # 赵建国, the lead the village adds
NEW_WIFE = person(dt.date(1987, 8, 3), 82)
NEW_NAME = "赵建国"
NATIONAL_NO = "44020501010099"  # what the provincial system gives the new household
# what the clerk types in each marked cell of the pre-filled households (their 人均纯收入 stays 12000: items agree)
INCOMES = {3: (30000, 6000, 0, 3000, 3000), 2: (20000, 4000, 0, 2000, 2000), 4: (40000, 6000, 0, 4000, 2000)}
INCOME_HEADERS = ("工资性收入", "生产经营性收入", "财产性收入", "转移性收入", "生产经营性支出")
TYPED = {"线索来源": "入户走访", "收入年度": 2021, "吃穿不愁": "是", "义务教育有保障": "是", "基本医疗有保障": "是",
         "承诺授权": "是", "监测联系人": "刘村干", "联系人电话": "13900139000", "享受低保": "否", "特困供养": "否",
         "失能": "否"}


def ledger(root: Path, database: str | None) -> dict[str, tuple]:
    """Every household of the ledger by head ID: (town, village, state, 户编号, provisional, category, members)."""
    with Workspace.open(root).open_store(database) as store:
        return {h.head_id: (h.town, h.village, h.state, h.household_no, h.provisional, h.category,
                            len(store.households.members_of(h.id))) for h in store.households.list()}


def fill_prefilled(path: Path, target: Path) -> dict[str, int]:
    """The clerk's work in Excel: every marked cell of the pre-filled rows typed, then a new household (a lead whose
    income is below the line) with its members and its passed 评议公示; saved under `target`. Returns how many cells
    were marked, by header."""
    book = openpyxl.load_workbook(path)
    marked: dict[str, int] = {}
    h, m, r = book["户信息"], book["家庭成员"], book["评议公示"]
    hc, mc, rc = header_columns(h), header_columns(m), header_columns(r)
    for sheet, cols in ((h, hc), (m, mc)):
        for row in range(2, sheet.max_row + 1):
            for header, col in cols.items():
                cell = sheet.cell(row, col)
                if fill_rgb(cell) != TO_FILL:
                    continue
                marked[header] = marked.get(header, 0) + 1
                if header in INCOME_HEADERS:
                    cell.value = INCOMES[sheet.cell(row, cols["家庭人口数"]).value][INCOME_HEADERS.index(header)]
                else:
                    cell.value = TYPED[header]
    last = max(row for row in range(2, h.max_row + 1) if h.cell(row, hc["户主身份证号"]).value)
    for header, value in (("镇", "马坝镇"), ("村", "石塘村"), ("组", "二组"), ("户主姓名", NEW_NAME),
                          ("户主身份证号", NEW_HEAD), ("联系电话", "13712345678"), ("户类型", "普通农户"), ("家庭人口数", 2),
                          ("线索来源", "入户走访"), ("收入年度", 2021), ("工资性收入", 8000), ("生产经营性收入", 4000),
                          ("财产性收入", 0), ("转移性收入", 3000), ("生产经营性支出", 1000), ("吃穿不愁", "是"),
                          ("义务教育有保障", "是"), ("基本医疗有保障", "是"), ("住房安全有保障", "是"),
                          ("饮水安全有保障", "是"), ("主要风险", "就业不稳定减收"), ("承诺授权", "是")):
        h.cell(last + 1, hc[header], value=value)
    last = max(row for row in range(2, m.max_row + 1) if m.cell(row, mc["身份证号"]).value)
    for k, (pid, name, relation, labour) in enumerate(((NEW_HEAD, NEW_NAME, "户主", "普通劳动力"),
                                                       (NEW_WIFE, "孙桂兰", "配偶", "普通劳动力")), start=1):
        for header, value in (("户主身份证号", NEW_HEAD), ("姓名", name), ("身份证号", pid), ("与户主关系", relation),
                              ("文化程度", "初中"), ("健康状况", "健康"), ("劳动技能", labour), ("务工时间（月）", 4),
                              ("参加基本医疗保险", "是"), ("享受低保", "否"), ("特困供养", "否"), ("失能", "否")):
            m.cell(last + k, mc[header], value=value)
    for header, value in (("户主身份证号", NEW_HEAD), ("事项", "纳入监测"), ("民主评议日期", T - D(20)), ("评议结果", "通过"),
                          ("公示开始日期", T - D(19)), ("公示结束日期", T - D(15)), ("公示异议", "无")):
        cell = r.cell(2, rc[header], value=value)
        if isinstance(value, dt.date):
            cell.number_format = "yyyy-mm-dd"
    book.save(target)
    return marked


def answer_entry(path: Path, name: str, values: dict[str, object]) -> None:
    """The town types its 录入结论 on the 省系统录入 row of household head `name` and saves in place."""
    book = openpyxl.load_workbook(path)
    sheet = book[ENTRY_SHEET]
    header = next(r for r in range(1, 6) if TOKEN_HEADER in [c.value for c in sheet[r]])
    cols = {c.value: c.column for c in sheet[header] if c.value is not None}
    row = next(r for r in range(header + 1, sheet.max_row + 1) if sheet.cell(r, cols["户主姓名"]).value == name)
    for h, v in values.items():
        sheet.cell(row, cols[h]).value = v
        if isinstance(v, dt.date):
            sheet.cell(row, cols[h]).number_format = "yyyy-mm-dd"
    book.save(path)


def exported(path: Path) -> list[list]:
    return [list(r) for r in openpyxl.load_workbook(path)["省系统录入数据"].iter_rows(values_only=True)]


def returned(ws: Workspace, name: str) -> dict[str, dict]:
    """The village's latest returned copy of the dropped workbook: 户信息 rows by 户主姓名."""
    path = ws.returned_copy_path("马坝镇", "石塘村", name)
    return {r["户主姓名"]: r for r in table_of(path, "户信息", "流程状态")}


def test_from_a_national_export_to_the_national_number_through_the_cli(tmp_path, backend):
    # an empty workspace: init, then the district lists its towns and villages in 区级设置.yaml
    root = tmp_path / "曲江区"
    done = run_cli("init", root, "--code", "440205")
    assert done.returncode == 0, done.stderr
    settings = root / "区级设置.yaml"
    settings.write_text(settings.read_text(encoding="utf-8").replace("towns:\n", SETTINGS_TOWNS, 1), encoding="utf-8")
    ws = Workspace.open(root)

    # the national export only: imported
    national = national_households()
    said = cli("import", write_xlsx(tmp_path / "监测对象名单.xlsx", national), "--workspace", root,
               database=backend).splitlines()
    first = ws.prefilled_path("马坝镇", "石塘村")
    assert said == [
        "“监测对象名单.xlsx”：“Sheet1”表第 3 行为表头，读取 17 人，归为 7 户。",
        "大塘镇：2 户 5 人，其中帮扶中 1 户、风险已消除 0 户；未能使用 0 行",
        "马坝镇：5 户 12 人，其中帮扶中 2 户、风险已消除 1 户；未能使用 0 行",
        "新登记 7 户，更新 0 户，未变 0 户；冲突 0 户（未导入），与村级台账不一致 0 项（未改动台账）。",
        f"导入说明：{ws.import_note_path('监测对象名单.xlsx')}",
        "已为 3 个村写出预填的村级监测台账（反馈/<镇>/<村>/，请各村补填标色的单元格后放回收件箱），"
        f"例如：{first}"]
    imported = {hh.head.person_id: (hh.town, hh.village, state, hh.number, False, category, len(hh.persons))
                for hh, state, category in zip(national, (
                    "帮扶中", "风险已消除", "未纳入", "帮扶中", "未纳入", "帮扶中", "未纳入"), (
                    "边缘易致贫户", "脱贫不稳定户", None, "突发严重困难户", None, "边缘易致贫户", None), strict=True)}
    assert ledger(root, backend) == imported

    # every village finds its own households pre-filled: 户编号, IDs as text, state; its members
    for town, villages in TOWNS.items():
        for village in villages:
            path = ws.prefilled_path(town, village)
            mine = [hh for hh in national if (hh.town, hh.village) == (town, village)]
            rows = table_of(path, "户信息", "户主身份证号")
            assert [(r["户编号"], r["户主身份证号"], r["户主姓名"], r["流程状态"]) for r in rows] == [
                (hh.number, hh.head.person_id, hh.head.name, imported[hh.head.person_id][2]) for hh in mine], path
            members = table_of(path, "家庭成员", "身份证号")
            assert [(m["户主身份证号"], m["身份证号"], m["姓名"]) for m in members] == [
                (hh.head.person_id, p.person_id, p.name) for hh in mine for p in hh.persons], path

    # 石塘村 fills the marked cells, adds 赵建国 (7000 元/人, below the line) with his passed 评议公示, drops it back
    dropped = ws.town_inbox("马坝镇") / first.name
    assert fill_prefilled(first, dropped) == {
        "线索来源": 3, "收入年度": 3, "工资性收入": 3, "生产经营性收入": 3, "财产性收入": 3, "转移性收入": 3,
        "生产经营性支出": 3, "吃穿不愁": 3, "义务教育有保障": 3, "基本医疗有保障": 3, "承诺授权": 3,
        "监测联系人": 1, "联系人电话": 1, "享受低保": 9, "特困供养": 9, "失能": 9}  # 监测联系人: the one 帮扶中
    assert process(root, backend).splitlines()[0] == "马坝镇/石塘村监测台账（预填）.xlsx：已入账。4户，错误0处，提示4条"
    with ws.open_store(backend) as store:
        *_, sub = store.submissions.all()  # after the import's own
        assert (sub.file_name, sub.status) == (first.name, "applied")
        issues = {(i.code, i.severity, i.row, i.column) for i in store.submissions.issues_of(sub.id)}
        [one] = store.households.find(national[0].head.person_id)
        assert (one.data["contact_person"], one.data["wage_income"], one.data["consent"]) == ("刘村干", 30000, "是")
    # no error, and nothing "still to fill": only what the rules say of the national data (heads over 64 given as
    # 普通劳动力; 因病因残 without a measure)
    assert issues == {("C-LABOUR-AGE", "warning", 2, "劳动技能"), ("C-LABOUR-AGE", "warning", 5, "劳动技能"),
                      ("C-LABOUR-AGE", "warning", 7, "劳动技能"), ("C-RISK-MEASURE", "warning", 2, "主要风险")}
    lead = ("马坝镇", "石塘村", "待镇核查", "LS440205000001", True, None, 2)
    assert ledger(root, backend) == {**imported, NEW_HEAD: lead}  # the imported ones as they were: nobody twice
    assert len(table_of(ws.master_path, "监测户台账", "流程状态")) == 8
    assert len(table_of(ws.master_path, "家庭成员", "身份证号")) == 17 + 2

    # the chain, by the workbooks: the town's 同意, then the district's
    decide(ws.town_review_path("马坝镇"), TOWN_SHEET, NEW_NAME, "同意", "入户核实情况属实", "王核查", T)
    assert process(root, backend).splitlines()[0] == "马坝镇/马坝镇_镇级核查表.xlsx：已读取审核决定。1 项决定生效"
    assert ledger(root, backend)[NEW_HEAD][2] == "待区认定"
    decide(ws.master_path, MASTER_SHEET, NEW_NAME, "同意", "同意纳入监测", "李审核", T)
    assert process(root, backend).splitlines()[0] == "区级/区级总台账.xlsx：已读取审核决定。1 项决定生效"
    assert ledger(root, backend) == {**imported,
                                     NEW_HEAD: ("马坝镇", "石塘村", "帮扶中", "LS440205000001", True, "边缘易致贫户", 2)}

    # what the town enters into the provincial system: 赵建国's two persons, nobody imported (already there)
    header = exported(next(ws.town_private("马坝镇").glob("马坝镇_省系统录入_*.xlsx")))[0]
    persons = [[None, None, "曲江区", "马坝镇", "石塘村", "二组", "LS440205000001", None, name, pid, 2, relation, None,
                "初中", None, "健康", "普通劳动力", 4, "是", "因务工就业不稳", "否", "是", 7000, "13712345678", None, None,
                None, "一般农户", "边缘易致贫户", "否", T.isoformat(), None, "新认定"]
               for name, pid, relation in ((NEW_NAME, NEW_HEAD, "户主"), ("孙桂兰", NEW_WIFE, "配偶"))]
    assert header[-1] == "录入原因" and len(header) == 33
    [passed] = sorted(ws.town_private("马坝镇").glob("马坝镇_省系统录入_*.xlsx"))  # the identifying pass wrote it
    assert exported(passed) == [header, *persons]
    assert not list(ws.town_private("大塘镇").glob("大塘镇_省系统录入_*.xlsx"))
    # the command: nothing new since that pass's export; from today on, into the file named, the same rows
    assert re.fullmatch(r"马坝镇：自 \S+ \d\d:\d\d 以来没有新的需录入省系统的户，没有写出文件\n",
                        cli("export", "省系统", "--town", "马坝镇", "--workspace", root, database=backend))
    out = tmp_path / "给省系统.xlsx"
    assert cli("export", "省系统", "--town", "马坝镇", "--since", T.isoformat(), "--out", out, "--workspace", root,
               database=backend) == f"马坝镇：已写出需录入省系统的 1 户 2 人：{out}\n"
    assert exported(out) == [header, *persons]

    # the town types 已录入 with the national 户编号 in 省系统录入, saved in place
    [row] = table_of(ws.town_review_path("马坝镇"), ENTRY_SHEET, TOKEN_HEADER)
    assert {k: v for k, v in row.items() if k != TOKEN_HEADER} == {
        "村": "石塘村", "户编号": "LS440205000001", "户主姓名": NEW_NAME, "录入结论": "", "国家户编号": "", "录入人": "",
        "录入日期": "", "户主身份证号": NEW_HEAD, "事项": "纳入监测", "决定日期": T, "已过天数": 0, "认定类别": "边缘易致贫户",
        "目前状态": "帮扶中"}
    answer_entry(ws.town_review_path("马坝镇"), NEW_NAME,
                 {"录入结论": "已录入", "国家户编号": NATIONAL_NO, "录入人": "赵录入", "录入日期": T})
    assert process(root, backend).splitlines()[0] == "马坝镇/马坝镇_镇级核查表.xlsx：已读取审核决定。1 项决定生效"

    # the national number everywhere: the ledger, the master's 监测户台账, the village's next returned copy
    assert ledger(root, backend) == {**imported,
                                     NEW_HEAD: ("马坝镇", "石塘村", "帮扶中", NATIONAL_NO, False, "边缘易致贫户", 2)}
    [mine] = [r for r in table_of(ws.master_path, "监测户台账", "流程状态") if r["户主姓名"] == NEW_NAME]
    assert (mine["户编号"], mine["临时编号"], mine["流程状态"]) == (NATIONAL_NO, "", "帮扶中")
    copy = returned(ws, dropped.name)
    assert (copy[NEW_NAME]["户编号"], copy[NEW_NAME]["流程状态"]) == (NATIONAL_NO, "帮扶中")
    assert {name: r["户编号"] for name, r in copy.items()} == {
        **{hh.head.name: hh.number for hh in national[:3]}, NEW_NAME: NATIONAL_NO}
    assert table_of(ws.town_review_path("马坝镇"), ENTRY_SHEET, TOKEN_HEADER) == []  # entered: off the sheet
    assert table_of(ws.master_path, "省系统录入", "情况") == []  # nothing decided and not entered, no LS number

    # a second export lists nothing new: its 户编号 changed by the town's own answer is no change to enter
    assert [re.sub(r"自 \S+ \d\d:\d\d", "自…", line) for line in
            cli("export", "省系统", "--workspace", root, database=backend).splitlines()] == [
        "马坝镇：自… 以来没有新的需录入省系统的户，没有写出文件", "大塘镇：自… 以来没有新的需录入省系统的户，没有写出文件"]
    assert sorted(ws.town_private("马坝镇").glob("马坝镇_省系统录入_*.xlsx")) == [passed]
    if backend:  # every command used the PostgreSQL ledger it was given: the workspace's own SQLite file stayed empty
        assert ledger(root, None) == {}
