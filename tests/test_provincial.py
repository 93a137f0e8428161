"""The provincial system step (DOMAIN.md "The provincial system"; issue 21, its provincial half), end to end through
the real files: the district's 同意 puts the household on the town's 省系统录入 sheet; the town answers 已录入 with
the 国家户编号 the provincial system gave (typed into the workbook with openpyxl and saved, as a clerk would); the
next pass replaces the provisional LS… number in the ledger, the master and the village's returned copy.
Refused answers are named in the note line of the town's next workbook, the ledger unchanged."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import openpyxl
import pytest
from cli_helpers import run_cli
from factory import (
    HEAD_A,
    HEAD_B,
    MASTER_SHEET,
    TOWN,
    TOWN_SHEET,
    base_rows,
    decide,
    drop,
    ledger_row,
    note_line,
    review,
    table_of,
    wait_until,
)

from excel_bridge.decision_sheet import ENTRY_SHEET, TOKEN_HEADER
from excel_bridge.national.mapping import load_import_rules
from excel_bridge.pipeline import Processor

T = dt.date.today()
D = dt.timedelta
NATIONAL = "44020500100123"
LS = "LS440205000001"

pytestmark = pytest.mark.backends


@pytest.fixture
def cfg(ws):
    return ws.config()


@pytest.fixture
def proc(ws, runner):
    with Processor(ws, as_of=T, runner=runner) as p:
        yield p


def run(p: Processor):
    return p.run_pass(wait=0.05)


def lead_rows(**household_a) -> dict:
    """B (李秀英, 8000 元/人) with a passed 纳入监测 review; A (陈伟) not proposed, with what `household_a` sets."""
    rows = base_rows()
    rows["household"][0].update(household_a)
    rows["household"][1]["phone"] = "13912345678"
    rows["review"] = [review(HEAD_B, review_date=T - D(20), notice_start=T - D(19), notice_end=T - D(15))]
    return rows


def identified(ws, cfg, p, **household_a) -> None:
    """B through the chain to 帮扶中 (the town's and the district's 同意, saved in place)."""
    drop(ws, cfg, lead_rows(**household_a))
    run(p)
    decide(ws.town_review_path(TOWN), TOWN_SHEET, "李秀英", "同意", "入户核实情况属实", "王核查", T)
    run(p)
    decide(ws.master_path, MASTER_SHEET, "李秀英", "同意", "同意纳入监测", "李审核", T)
    run(p)
    assert ledger_row(ws, HEAD_B).state == "帮扶中"


def entries(ws) -> list[dict]:
    return table_of(ws.town_review_path(TOWN), ENTRY_SHEET, TOKEN_HEADER)


def answer(path: Path, name: str, decision: str | None, number: object = None, person: str | None = None,
           date: dt.date | None = None) -> None:
    """Type the town's 录入结论 on the row of household head `name` of 省系统录入 and save in place."""
    wb = openpyxl.load_workbook(path)
    sheet = wb[ENTRY_SHEET]
    header = next(r for r in range(1, 6) if TOKEN_HEADER in [c.value for c in sheet[r]])
    cols = {c.value: c.column for c in sheet[header] if c.value is not None}
    row = next(r for r in range(header + 1, sheet.max_row + 1) if sheet.cell(r, cols["户主姓名"]).value == name)
    for h, v in zip(("录入结论", "国家户编号", "录入人", "录入日期"), (decision, number, person, date), strict=True):
        sheet.cell(row, cols[h]).value = v
        if isinstance(v, dt.date):
            sheet.cell(row, cols[h]).number_format = "yyyy-mm-dd"
    wb.save(path)


def returned_row(ws, name: str) -> dict:
    path = ws.returned_copy_path(TOWN, "石塘村", "石塘村.xlsx")
    [row] = [r for r in table_of(path, "户信息", "流程状态") if r["户主姓名"] == name]
    return row


def master_row(ws, name: str) -> dict:
    [row] = [r for r in table_of(ws.master_path, "监测户台账", "流程状态") if r["户主姓名"] == name]
    return row


def provincial_events(ws, head_id: str) -> list:
    with ws.open_store() as store:
        hid = store.households.find(head_id)[0].id
        return [e for e in store.events.of(hid) if e.event == "provincial"]


def test_district_decision_to_town_entry_to_national_number_everywhere(ws, cfg, proc):
    identified(ws, cfg, proc)
    b = ledger_row(ws, HEAD_B)
    # the town's workbook lists B to enter: its provisional number, its head, the ID as 待镇审核 shows it
    [row] = entries(ws)
    assert {k: v for k, v in row.items() if k != TOKEN_HEADER} == {
        "村": "石塘村", "户编号": LS, "户主姓名": "李秀英", "录入结论": "", "国家户编号": "", "录入人": "",
        "录入日期": "", "户主身份证号": HEAD_B, "事项": "纳入监测", "决定日期": T, "已过天数": 0,
        "认定类别": "脱贫不稳定户", "目前状态": "帮扶中"}
    assert row[TOKEN_HEADER].startswith(f"P{b.id}-")
    wb = openpyxl.load_workbook(ws.town_review_path(TOWN))
    sheet = wb[ENTRY_SHEET]
    [dv] = [dv for dv in sheet.data_validations.dataValidation if dv.type == "list"]
    assert (dv.formula1, str(dv.sqref)) == ('"已录入,暂未录入"', "D3")
    assert sheet.freeze_panes == "D3"  # the header and 村/户编号/户主姓名 stay in view beside the answer
    assert sheet.cell(3, 5).number_format == "@"  # 国家户编号 typed as text keeps every digit

    # 暂未录入: recorded, the row stays
    answer(ws.town_review_path(TOWN), "李秀英", "暂未录入", None, "赵录入", T)
    assert run(proc).files[0].message == "1 项决定生效"
    assert [(e.action, e.person, e.level, e.comment) for e in provincial_events(ws, HEAD_B)] == [
        ("暂未录入", "赵录入", "镇", f"纳入监测（区级决定 {T}）暂未录入省系统")]
    assert [r["户主姓名"] for r in entries(ws)] == ["李秀英"]
    assert ledger_row(ws, HEAD_B).household_no == LS

    # 已录入 with the 国家户编号 (typed with a space and full-width digits: normalised)
    answer(ws.town_review_path(TOWN), "李秀英", "已录入", " ４４０２０５００１００１２３", "赵录入", T)
    assert run(proc).files[0].message == "1 项决定生效"
    b = ledger_row(ws, HEAD_B)
    assert (b.household_no, b.provisional, b.state) == (NATIONAL, False, "帮扶中")
    assert [(e.action, e.person, e.effective_date, e.comment) for e in provincial_events(ws, HEAD_B)][1:] == [
        ("已录入", "赵录入", T, f"纳入监测（区级决定 {T}）已录入省系统，国家户编号 {NATIONAL}（替换 {LS}）")]
    assert entries(ws) == []  # entered: off the sheet
    assert note_line(ws.town_review_path(TOWN), TOWN_SHEET) is None
    hh = master_row(ws, "李秀英")
    assert (hh["户编号"], hh["临时编号"], hh["流程状态"]) == (NATIONAL, "", "帮扶中")
    assert returned_row(ws, "李秀英")["户编号"] == NATIONAL  # the village's copy, rewritten after the decision

    # the clerk drops a copy of before, B's cell still holding the LS number: the national number stays
    staged = Path(ws.root) / "_staging" / "石塘村.xlsx"
    wb = openpyxl.load_workbook(staged)
    sheet = wb["户信息"]
    header = next(r for r in range(1, 6) if "户编号" in [c.value for c in sheet[r]])
    col = next(c.column for c in sheet[header] if c.value == "户编号")
    row_b = next(r for r in range(header + 1, sheet.max_row + 1)
                 if "李秀英" in [c.value for c in sheet[r]])
    sheet.cell(row_b, col).value = LS
    wb.save(ws.town_inbox(TOWN) / "石塘村.xlsx")
    run(proc)
    b = ledger_row(ws, HEAD_B)
    assert (b.household_no, b.provisional, b.state) == (NATIONAL, False, "帮扶中")
    assert returned_row(ws, "李秀英")["户编号"] == NATIONAL  # the stale LS cell replaced in the new copy


def test_refused_answers_are_named_in_the_next_workbook_and_change_nothing(ws, cfg, proc):
    taken = "44020500000099"
    identified(ws, cfg, proc, household_no=taken)  # A (陈伟, not monitored) already holds a national number
    book = ws.town_review_path(TOWN)
    who = f"省系统录入表中李秀英户（户编号{LS}）："
    cases = [
        (("已录入", None, "赵录入", T),
         "石塘村李秀英户选择了“已录入”，但没有填写国家户编号（本户现在是临时编号 LS440205000001，请填写省系统中的户编号），"
         "本次录入结论未生效，请在新表格的这一行重新选择并补全后保存"),
        (("已录入", "12345", "赵录入", T),
         "石塘村李秀英户：“12345”不像国家户编号（国家户编号应为 10 到 22 位数字），请照省系统中显示的户编号填写，本次录入结论未生效"),
        (("已录入", LS, "赵录入", T),
         f"石塘村李秀英户：“{LS}”是本系统分配的临时编号，不是国家户编号，请在国家户编号栏填写省系统中的户编号，本次录入结论未生效"),
        (("已录入", 440205001001234567.0, "赵录入", T),
         "石塘村李秀英户：国家户编号被存成了数字，超过 15 位的数字已丢失末尾几位；请把该格设为文本后重新输入，本次录入结论未生效"),
        (("已录入", taken, "赵录入", T),
         f"石塘村李秀英户填写的国家户编号“{taken}”已是石塘村陈伟户的户编号，一个户编号只能属于一户；请核对后重新填写"),
        (("已录入", NATIONAL, None, T),
         "石塘村李秀英户选择了“已录入”，但没有填写录入人（每项决定都要记录经办人），本次录入结论未生效，请在新表格的这一行重新选择并补全后保存"),
        (("录好了", NATIONAL, "赵录入", T), "“录好了”不是可选的结论（可选：已录入、暂未录入）"),
    ]
    for typed, reason in cases:
        answer(book, "李秀英", *typed)
        assert run(proc).files[0].message == "0 项决定生效，1 项未生效（见新表格顶部说明）"
        assert note_line(book, TOWN_SHEET) == f"上次提交中未生效的决定：{who}{reason}", typed
        b = ledger_row(ws, HEAD_B)
        assert (b.household_no, b.provisional) == (LS, True)
        assert [r["户主姓名"] for r in entries(ws)] == ["李秀英"]
    assert provincial_events(ws, HEAD_B) == []
    assert ledger_row(ws, HEAD_A).household_no == taken


def test_master_and_kaohe_list_decisions_not_entered_after_the_days_of_the_rules(ws, cfg, proc):
    drop(ws, cfg, lead_rows())
    run(proc)
    decide(ws.town_review_path(TOWN), TOWN_SHEET, "李秀英", "同意", "入户核实情况属实", "王核查", T - D(13))
    run(proc)
    decide(ws.master_path, MASTER_SHEET, "李秀英", "同意", "同意纳入监测", "李审核", T - D(12))
    run(proc)
    [late] = table_of(ws.master_path, "省系统录入", "情况")
    assert late == {"镇": TOWN, "村": "石塘村", "户编号": LS, "户主姓名": "李秀英",
                    "情况": "区级决定后超过 10 天未录入省系统；仍为临时编号", "事项": "纳入监测", "决定日期": T - D(12),
                    "已过天数": 12, "目前状态": "帮扶中"}
    kind = "未录入省系统超过10天"
    [count] = [r for r in table_of(ws.master_path, "考核", kind) if r["镇"] == TOWN]
    assert (count[kind], count["合计"]) == (1, 3)  # and 帮扶中 without 监测联系人, without a measure
    town_count = table_of(ws.town_review_path(TOWN), "本镇考核", kind)[0]
    assert (town_count["镇"], town_count[kind]) == (TOWN, 1)
    assert entries(ws)[0]["已过天数"] == 12

    # the district gives the towns 15 days (its copy of rules/workflow.yaml): B is listed for its number only
    rules = Path(ws.root) / "rules" / "workflow.yaml"
    rules.write_text(rules.read_text(encoding="utf-8").replace("provincial_entry_days: 10", "provincial_entry_days: 15"),
                     encoding="utf-8")
    proc.run_pass(wait=0.05, force_outputs=True)
    [only] = table_of(ws.master_path, "省系统录入", "情况")
    assert (only["户编号"], only["情况"], only["决定日期"]) == (LS, "已认定，仍为临时编号（尚无国家户编号）", "")
    [count] = [r for r in table_of(ws.master_path, "考核", "未录入省系统超过15天") if r["镇"] == TOWN]
    assert count["未录入省系统超过15天"] == 0

    # entered with its national number: off both lists
    answer(ws.town_review_path(TOWN), "李秀英", "已录入", NATIONAL, "赵录入", T)
    run(proc)
    assert table_of(ws.master_path, "省系统录入", "情况") == []
    [count] = [r for r in table_of(ws.master_path, "考核", "未录入省系统超过15天") if r["镇"] == TOWN]
    assert count["未录入省系统超过15天"] == 0


def exported(path: Path) -> list[list]:
    wb = openpyxl.load_workbook(path)
    return [list(r) for r in wb["省系统录入数据"].iter_rows(values_only=True)]


def test_export_for_the_provincial_system_through_the_cli(ws, cfg, proc):
    header = [*load_import_rules().national_headers(), "录入原因"]
    assert len(header) == 33 and header[:10] == ["序号", "数据日期", "县(市、区、旗)", "乡(镇)", "行政村", "自然村", "户编号",
                                                 "人编号", "姓名", "证件号码"]
    b_row = [None, None, "曲江区", TOWN, "石塘村", "一组", LS, None, "李秀英", HEAD_B, 1, "户主", None, "初中", None, "健康",
             "弱劳动力或半劳动力", 0, "是", None, "否", "是", 8000, "13912345678", None, None, None, "脱贫户", "脱贫不稳定户",
             "否", T.isoformat(), None]
    identified(ws, cfg, proc)
    # the pass that identified B wrote what the town must enter into its own folder
    [first] = sorted(ws.town_private(TOWN).glob(f"{TOWN}_省系统录入_*.xlsx"))
    assert exported(first) == [header, [*b_row, "新认定"]]
    sheet = openpyxl.load_workbook(first)["省系统录入数据"]
    assert sheet.freeze_panes == "J2"  # the header, and who the person is up to 姓名
    assert sheet.print_title_rows == "$1:$1"
    assert [sheet.cell(2, c).number_format for c in (7, 10, 24)] == ["@", "@", "@"]  # 户编号, 证件号码, 户联系电话

    # nothing decided since that export (made on the day its file is named for: not T after midnight)
    day = dt.datetime.strptime(first.stem.rsplit("_省系统录入_", 1)[1], "%Y%m%d_%H%M%S").date()
    run = run_cli("export", "省系统", "--town", TOWN, "--workspace", ws.root)
    assert (run.returncode, run.stderr) == (0, "")
    assert re.fullmatch(rf"{TOWN}：自 {day} \d\d:\d\d 以来没有新的需录入省系统的户，没有写出文件\n", run.stdout), run.stdout
    # --since: what was decided from that day on, into the file named
    out = Path(ws.root) / "给省系统.xlsx"
    run = run_cli("export", "省系统", "--town", TOWN, "--since", T.isoformat(), "--out", out, "--workspace", ws.root)
    assert (run.returncode, run.stderr, run.stdout) == (0, "", f"{TOWN}：已写出需录入省系统的 1 户 1 人：{out}\n")
    assert exported(out) == [header, [*b_row, "新认定"]]
    # every town, each since its last export (every pass made one, writing a file only when there was something)
    run = run_cli("export", "省系统", "--workspace", ws.root)
    assert run.returncode == 0 and [line.split("：")[0] for line in run.stdout.splitlines()] == list(cfg.settings.towns)
    assert all(re.fullmatch(rf"\S+：自 {day} \d\d:\d\d 以来没有新的需录入省系统的户，没有写出文件", line)
               for line in run.stdout.splitlines()), run.stdout
    run = run_cli("export", "省系统", "--town", "花果山镇", "--workspace", ws.root)
    assert (run.returncode, run.stdout) == (2, "")
    assert run.stderr.startswith("错误：“花果山镇”不是本区登记的镇（可选：")

    # the village changes B's phone: the next pass exports B again, as 信息变更
    rows = lead_rows()
    rows["household"][1]["phone"] = "13700001111"
    drop(ws, cfg, rows)
    # one file a second, the name carries the time: the pass runs once the clock is past the first file's second
    named = dt.datetime.strptime(first.stem.rsplit("_省系统录入_", 1)[1], "%Y%m%d_%H%M%S")
    assert wait_until(lambda: dt.datetime.now().replace(microsecond=0) > named, 10, interval=0.02)
    proc.run_pass(wait=0.05)
    *_, latest = sorted(ws.town_private(TOWN).glob(f"{TOWN}_省系统录入_*.xlsx"))
    assert latest != first
    changed = [*b_row, "信息变更"]
    changed[23] = "13700001111"
    assert exported(latest) == [header, changed]


def test_a_household_made_from_the_same_is_not_listed_again_but_a_changed_mapping_lists_it(ws, cfg, proc):
    """Each export remembers what every identified household's rows were made from (its values, members and
    measures, the mapping rules, the mapping's code); what is made from the same is not made again and not listed.
    The district editing rules/import.yaml changes what B's rows say: the next export lists B as 信息变更, in the
    new words, though nothing of B changed."""
    from excel_bridge.provincial.export import export_provincial, last_export

    identified(ws, cfg, proc)
    with ws.open_store() as store:
        hid = str(ledger_row(ws, HEAD_B).id)
        before = last_export(store, TOWN)
        assert set(before.inputs) == set(before.rows) == {hid}
        [(nothing, placed)] = export_provincial(store, ws, cfg, town=TOWN)
        assert (nothing.rows, placed, nothing.digests, nothing.inputs) == ([], None, before.rows, before.inputs)
    rules = ws.root / "rules" / "import.yaml"
    text = rules.read_text(encoding="utf-8")
    assert "  脱贫不稳定户: [脱贫不稳定户, 脱贫不稳定]\n" in text
    rules.write_text(text.replace("  脱贫不稳定户: [脱贫不稳定户, 脱贫不稳定]\n", "  脱贫不稳定户: [脱贫不稳定, 脱贫不稳定户]\n"),
                     encoding="utf-8")
    with ws.open_store() as store:
        [(changed, placed)] = export_provincial(store, ws, cfg, town=TOWN)
        assert placed is not None and [(r.reason, r.household.head_id) for r in changed.rows] == [("信息变更", HEAD_B)]
        assert changed.inputs[hid] != before.inputs[hid] and changed.digests[hid] != before.rows[hid]
    [row] = exported(placed.path)[1:]
    assert (row[27], row[28], row[-1]) == ("脱贫户", "脱贫不稳定", "信息变更")


def test_each_district_decision_is_entered_once_the_latest_one_counts(store):
    """The read model on both backends: a household the district identified is due until the town's 已录入; its
    later elimination is due again (事项 风险消除); 暂未录入 keeps it due; a household off file is not listed."""
    from excel_bridge.provincial.entries import due
    from excel_bridge.workflow import DISTRICT, TOWN, VILLAGE, transition

    at = dt.datetime(2021, 12, 1, 9)
    with store.atomic():
        rows = store.households.create_rows([dict(
            head_id=f"44020519700101{n:04d}", head_name=f"户主{n}", town=TOWN, village="一村", state="线索",
            household_no=f"LS440205{n:06d}", provisional=True, lead_date=at.date(), identified_date=None,
            submission_id=None, row=n, data={}, assessment={"proposed": True}, errors=0, warnings=0, at=at)
            for n in (1, 2)])
    one, two = (r.id for r in rows)

    def walk(hid: int, steps, day: dt.date) -> None:
        for action, level in steps:
            with store.atomic():
                transition(store.moves, store.households.get(hid), action, level, at=dt.datetime.combine(day, dt.time(10)),
                           decided_on=day, person="张三")

    identify = (("评议公示通过", VILLAGE), ("同意", TOWN), ("同意", DISTRICT))
    walk(one, identify, dt.date(2021, 12, 2))
    walk(two, identify, dt.date(2021, 12, 3))
    assert [(e.household_id, e.decided_into, e.decided_on, e.provisional) for e in due(store)] == [
        (one, "帮扶中", dt.date(2021, 12, 2), True), (two, "帮扶中", dt.date(2021, 12, 3), True)]
    first = due(store)[0].decision_id
    with store.atomic():
        store.provincial.record_entry(household_id=one, action="暂未录入", level=TOWN, at=at, person="赵录入",
                                      day=dt.date(2021, 12, 4), source_sha256="x", comment=None)
    assert [e.household_id for e in due(store, town=TOWN)] == [one, two]
    with store.atomic():
        store.provincial.record_entry(household_id=one, action="已录入", level=TOWN, at=at, person="赵录入",
                                      day=dt.date(2021, 12, 5), source_sha256="x", comment=None)
        store.households.mark_removed(two, at=at)
    assert due(store) == [] and due(store, town="大塘镇") == []
    walk(one, (("风险消除评议公示通过", VILLAGE), ("同意", TOWN), ("同意", DISTRICT)), dt.date(2021, 12, 20))
    [again] = due(store)
    assert (again.household_id, again.decided_into, again.decided_on, again.state) == (
        one, "风险已消除", dt.date(2021, 12, 20), "风险已消除")
    assert again.decision_id > first
    assert store.provincial.number_holders(f"LS440205{1:06d}") == [one]


def test_a_row_counts_only_in_its_own_towns_workbook_for_the_decision_it_shows(store):
    """apply_entries on both backends: a 省系统录入 row copied into another town's workbook, a token typed by hand,
    a row written before the household's 户编号 changed, and two rows for one household."""
    from excel_bridge.decisions import DecisionRow
    from excel_bridge.ledger_tokens import entry_token
    from excel_bridge.provincial.entries import apply_entries, due
    from excel_bridge.workflow import DISTRICT, TOWN, VILLAGE, transition

    at = dt.datetime(2021, 12, 1, 9)
    with store.atomic():
        [row] = store.households.create_rows([dict(
            head_id=HEAD_B, head_name="李秀英", town=TOWN, village="石塘村", state="线索", household_no=LS,
            provisional=True, lead_date=at.date(), identified_date=None, submission_id=None, row=3, data={},
            assessment={"proposed": True}, errors=0, warnings=0, at=at)])
    for action, level in (("评议公示通过", VILLAGE), ("同意", TOWN), ("同意", DISTRICT)):
        with store.atomic():
            transition(store.moves, store.households.get(row.id), action, level, at=at, decided_on=at.date())
    [e] = due(store)
    token = entry_token(store, e)

    def typed(token: str, number: str = NATIONAL) -> DecisionRow:
        return DecisionRow(row=3, decision="已录入", comment=number, person="赵录入", date=None, token=token,
                           name="李秀英", number=LS, raw_comment=number)

    def refused(rows: list[DecisionRow], town: str = TOWN) -> list[str]:
        result = apply_entries(store, rows, town=town, sha256="s", file_name="f.xlsx", now=at)
        return result.refused

    assert refused([typed(token)], town="大塘镇") == [
        f"省系统录入表中李秀英户（户编号{LS}）：这一行的户不属于大塘镇，不能在本镇核查表中决定"]
    forged = f"P{row.id}-{e.decision_id}-{token.split('-')[2]}-{'0' * 16}"
    assert refused([typed(forged)]) == [
        f"省系统录入表中李秀英户（户编号{LS}）：行令牌无效，无法确认是哪一户，请使用系统最新生成的表格"]
    with store.atomic():
        store.households.assign_number(row.id, "44020500100999", provisional=False)  # a village file gave one
    assert refused([typed(token)]) == [
        f"省系统录入表中李秀英户（户编号{LS}）：石塘村李秀英户的户编号、户主姓名或身份证号在这份表格生成后有变化，"
        "这一行来自旧版表格，请在最新表格中填写"]
    [e] = due(store)
    fresh = entry_token(store, e)
    assert refused([typed(fresh), typed(fresh, "44020500100998")]) == [
        f"省系统录入表中李秀英户（户编号{LS}）：这一户在本表中已有一行录入结论生效，这一行未采用"]
    assert (store.households.get(row.id).household_no, due(store)) == (NATIONAL, [])
