"""A town verifies department warnings in its own workbook (docs/domain.md “Department lists”): the 部门预警 sheet of
the 镇级核查表 written by a real pass, 核实结论 typed with openpyxl and saved, read back and applied the way a
pass will (read_department_decisions / apply_department_decisions) — row token, right town, not stale —
属实-建议纳入 making a household not under monitoring a 线索 through the workflow, the village's next
returned copy saying so and nothing else of the list, overdue warnings in 预警. On SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import re

import openpyxl
import pytest
from department_lists import decide_warning, medical_list, warning_table
from factory import (
    AS_OF,
    HEAD_A,
    HEAD_B,
    WIFE_A,
    all_cell_text,
    base_rows,
    drop,
    ledger_row,
    note_line,
    sha256_file,
    sheet_rows,
    table_of,
    transitions_of,
)

from excel_bridge.alerts import all_alerts
from excel_bridge.decisions import Unreadable
from excel_bridge.departments.apply import apply_department_file
from excel_bridge.departments.verdicts import apply_department_decisions, read_department_decisions
from excel_bridge.idcard import make_id
from excel_bridge.ledger_tokens import row_token
from excel_bridge.pipeline import Processor

pytestmark = pytest.mark.backends

TOWN = "马坝镇"
RECEIVED = dt.datetime(2021, 12, 20, 9, 30)
DEADLINE = AS_OF + dt.timedelta(days=15)
TYPED = dt.date(2021, 12, 22)
STRANGER = make_id("440205", dt.date(1981, 3, 3), 123)
FACT_A = "2021年合规自付医疗费用 25,000 元"
FACT_B = "2021年合规自付医疗费用 6,000 元"
LEAD_OPINION = ("镇里核实医保部门筛查预警属实，建议纳入监测（线索来源：部门筛查预警；风险类型：因病因残）：请入户核实，"
                "在台账中据实填写本户的收入、支出和风险，组织民主评议并公示满5天后提交")
NOTE = "上次提交中未生效的决定："


@pytest.fixture
def cfg(ws):
    return ws.config()


def run(proc, **kw):
    return proc.run_pass(wait=0.05, **kw)


def book(ws, town: str = TOWN):
    return ws.town_review_path(town)


def returned_row(ws, name: str) -> dict:
    [row] = [r for r in table_of(ws.returned_copy_path(TOWN, "石塘村", "石塘村.xlsx"), "户信息", "流程状态") if r["户主姓名"] == name]
    return row


def with_warnings(ws, cfg, proc, people=(("黄丽", WIFE_A, 25000), ("李秀英", HEAD_B, 6000), ("路人", STRANGER, 30000)),
                  *, name: str = "医保推送名单.xlsx", at: dt.datetime = RECEIVED, as_of: dt.date = AS_OF,
                  first: bool = True):
    """The village processed (A 陈伟 未纳入, B 李秀英 线索) unless not `first`, then a 医保 list applied and the
    outputs of the pass that took it."""
    if first:
        drop(ws, cfg, base_rows())
        run(proc)
    with ws.open_store() as store:
        outcome = apply_department_file(store, ws, cfg, medical_list(ws.departments / "医保" / name, list(people)),
                                        received=at, as_of=as_of)
    run(proc, force_outputs=True)  # the pass that took the list writes the town workbooks and the master again
    return outcome


def verify(ws, cfg, path, *, town: str = TOWN, today: dt.date = AS_OF):
    """What a pass does with a saved town workbook's 部门预警 (the pass also takes its household decisions)."""
    rows = read_department_decisions(path)
    sha = sha256_file(path)
    with ws.open_store() as store, store.atomic():
        result = apply_department_decisions(store, rows, town=town, sha256=sha, file_name=path.name,
                                            config=cfg, today=today)
        # read once per version, as the pass remembers it: the next pass does not take this version again
        store.outputs.remember(ws.key(path), sha, "read", at=dt.datetime.now().replace(microsecond=0))
    return result


def warning_states(ws) -> dict[str, tuple]:
    with ws.open_store() as store:
        return {w.person_id: (w.status, w.comment, w.verified_by, w.verified_date, w.lead_created)
                for w in store.departments.all_warnings()}


def validation(path, sheet: str, header: str):
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    cols = {c.value: c.column_letter for c in ws[2]}
    cell = f"{cols[header]}3"
    [dv] = [dv for dv in ws.data_validations.dataValidation if cell in dv.sqref]
    return dv, ws, cols


def test_the_town_sheet_has_one_row_per_warning_with_its_deadline_dropdown_and_hidden_token(ws, cfg, proc):
    with_warnings(ws, cfg, proc)
    path = book(ws)
    assert openpyxl.load_workbook(path, read_only=True).sheetnames[:6] == ["待镇审核", "本镇已决定", "部门预警", "本镇已核实",
                                                                          "省系统录入", "村级提交情况"]
    assert table_of(path, "本镇已核实", "核实结论") == []  # nothing verified yet
    rows = warning_table(path)
    tokens = [r.pop("行令牌") for r in rows]
    assert rows == [
        {"部门": "医保", "村": "石塘村", "户编号": "LS440205000001", "户主姓名": "李秀英", "户状态": "线索", "姓名": "李秀英",
         "身份证号": HEAD_B, "风险类型": "因病因残", "情况": FACT_B, "收到日期": AS_OF, "核实期限": DEADLINE,
         "期限状态": "剩 15 天", "核实结论": "", "核实意见": "", "核实人": "", "核实日期": ""},
        {"部门": "医保", "村": "石塘村", "户编号": "", "户主姓名": "陈伟", "户状态": "未纳入", "姓名": "黄丽",
         "身份证号": WIFE_A, "风险类型": "因病因残", "情况": FACT_A, "收到日期": AS_OF, "核实期限": DEADLINE,
         "期限状态": "剩 15 天", "核实结论": "", "核实意见": "", "核实人": "", "核实日期": ""}]
    assert all(re.fullmatch(r"W\d+-1-[0-9a-f]{8}-[0-9a-f]{16}", t) for t in tokens)
    dv, sheet, cols = validation(path, "部门预警", "核实结论")
    assert (dv.type, dv.formula1) == ("list", '"属实-建议纳入,属实-已在监测,不属实"')
    assert sheet.column_dimensions[cols["行令牌"]].hidden and sheet.protection.sheet
    assert str(sheet["A1"].value).startswith("马坝镇部门预警：")
    assert warning_table(book(ws, "大塘镇")) == []  # only the town's own households


def test_confirmed_for_a_household_not_monitored_makes_it_a_lead_and_its_next_returned_copy_says_so(ws, cfg, proc):
    with_warnings(ws, cfg, proc)
    decide_warning(book(ws), "黄丽", "属实-建议纳入", "入户核实，医疗支出大", "王核查", TYPED)
    result = verify(ws, cfg, book(ws))
    assert (result.applied, result.refused, result.leads, result.villages) == (1, [], 1, {(TOWN, "石塘村")})
    hh = ledger_row(ws, HEAD_A)
    assert (hh.state, hh.lead_date, hh.household_no, hh.provisional, hh.opinion) == (
        "线索", TYPED, "LS440205000002", True, LEAD_OPINION)
    assert (hh.data["lead_source"], hh.data["main_risk"]) == ("部门筛查预警", "因病因残")
    [move] = transitions_of(ws, HEAD_A)
    assert (move.action, move.from_state, move.to_state, move.level, move.person, move.comment, move.effective_date,
            move.source_sha256) == ("部门预警核实纳入", "未纳入", "线索", "镇", "王核查",
                                    "医保预警（因病因残）核实属实：入户核实，医疗支出大", TYPED, sha256_file(book(ws)))
    assert warning_states(ws)[WIFE_A] == ("属实-建议纳入", "入户核实，医疗支出大", "王核查", TYPED, True)
    run(proc, force_outputs=True)
    assert [r["姓名"] for r in warning_table(book(ws))] == ["李秀英"]  # verified: off the town's list
    assert table_of(book(ws), "本镇已核实", "核实结论") == [  # … and kept on its record, like 本镇已决定
        {"村": "石塘村", "户主姓名": "陈伟", "姓名": "黄丽", "部门": "医保", "情况": FACT_A, "核实结论": "属实-建议纳入",
         "核实意见": "入户核实，医疗支出大", "核实人": "王核查", "核实日期": TYPED, "新增线索": "是",
         "户编号": "LS440205000002", "目前户状态": "线索", "风险类型": "因病因残", "收到日期": AS_OF}]
    assert str(sheet_rows(book(ws), "本镇已核实")[0][0]).startswith("马坝镇已核实的部门预警（最近的在前）")
    # the village's next returned copy (the same file dropped again re-issues it with the ledger's word)
    drop(ws, cfg, base_rows())
    run(proc)
    row = returned_row(ws, "陈伟")
    assert (row["户编号"], row["流程状态"], row["审核意见"]) == ("LS440205000002", "线索", LEAD_OPINION)
    text = "\n".join(all_cell_text(ws.returned_copy_path(TOWN, "石塘村", "石塘村.xlsx")))
    for private in ("合规自付医疗费用", "25,000", "6,000", STRANGER, "D-YB", "核实期限", "部门预警表"):
        assert private not in text  # nothing of the list itself: only the household's own status and opinion


def test_the_lead_survives_a_file_sent_again_for_other_households_until_its_own_row_changes(ws, cfg, proc):
    with_warnings(ws, cfg, proc)
    decide_warning(book(ws), "黄丽", "属实-建议纳入", "属实", "王核查", TYPED)
    verify(ws, cfg, book(ws))
    rows = base_rows()
    rows["household"][1]["phone"] = "13912345678"  # only 李秀英's row changed
    drop(ws, cfg, rows)
    run(proc)
    assert ledger_row(ws, HEAD_A).state == "线索"
    rows["household"][0]["wage_income"] = 32000  # 陈伟's row after 入户核实: still above the line
    drop(ws, cfg, rows)
    run(proc)
    hh = ledger_row(ws, HEAD_A)
    # rules advise, people decide: a lead from a department warning is never dismissed by the rules alone
    assert (hh.state, [m.action for m in transitions_of(ws, HEAD_A)]) == (
        "线索", ["部门预警核实纳入", "研判不建议纳入"])
    assert hh.opinion.startswith("研判不建议纳入：人均纯收入")
    assert hh.data["lead_source"] == "入户走访"  # the file's own values replace what the town's move wrote


def test_confirmed_monitored_and_not_true_record_the_verdict_and_move_nothing(ws, cfg, proc):
    with_warnings(ws, cfg, proc)
    decide_warning(book(ws), "李秀英", "属实-已在监测", None, "王核查", TYPED)
    decide_warning(book(ws), "黄丽", "不属实", "医疗费用为报销前金额", "王核查")
    result = verify(ws, cfg, book(ws), today=AS_OF + dt.timedelta(days=3))
    assert (result.applied, result.leads, result.refused) == (2, 0, [])
    assert warning_states(ws) == {
        HEAD_B: ("属实-已在监测", None, "王核查", TYPED, False),
        WIFE_A: ("不属实", "医疗费用为报销前金额", "王核查", AS_OF + dt.timedelta(days=3), False)}
    assert (ledger_row(ws, HEAD_A).state, ledger_row(ws, HEAD_B).state) == ("未纳入", "线索")
    assert transitions_of(ws, HEAD_A) == []
    with ws.open_store() as store:
        [event] = [e for e in store.events.of(ledger_row(ws, HEAD_A).id) if e.event == "department"]
    assert (event.action, event.level, event.person, event.comment) == (
        "不属实", "镇", "王核查", f"医保预警：{FACT_A}；核实意见：医疗费用为报销前金额")


def test_a_verification_missing_what_it_needs_is_refused_with_a_note_in_the_next_copy(ws, cfg, proc):
    with_warnings(ws, cfg, proc)
    path = book(ws)
    decide_warning(path, "黄丽", "不属实", None, "王核查", TYPED)
    decide_warning(path, "李秀英", "属实-建议纳入", "属实", None, TYPED)
    result = verify(ws, cfg, path)
    assert result.applied == 0
    assert result.refused == [
        "部门预警表中李秀英户（户编号LS440205000001）：石塘村李秀英（医保预警）选择了“属实-建议纳入”，但没有填写核实人（每项决定都要记录经办人），"
        "本次决定未生效，请在新表格的这一行重新选择并补全后保存",
        "部门预警表中陈伟户：石塘村黄丽（医保预警）选择了“不属实”，但没有写明原因（核实意见栏），"
        "本次决定未生效，请在新表格的这一行重新选择并补全后保存"]
    assert {s for s, *_ in warning_states(ws).values()} == {"待核实"}
    run(proc, force_outputs=True)
    assert note_line(book(ws), "待镇审核") == NOTE + "；".join(result.refused)
    # the wrong word, the wrong choice for the household, a token typed by hand
    path = book(ws)
    decide_warning(path, "黄丽", "属实-已在监测", "在监测", "王核查", TYPED)
    with ws.open_store() as store:
        hh = store.households.get(ledger_row(ws, HEAD_B).id)
        household_token = row_token(store, hh)
    decide_warning(path, "李秀英", "属实", "属实", "王核查", TYPED)
    result = verify(ws, cfg, path)
    assert result.refused == [
        "部门预警表中李秀英户（户编号LS440205000001）：“属实”不是可选的结论（可选：属实-建议纳入、属实-已在监测、不属实）",
        "部门预警表中陈伟户：石塘村黄丽（医保预警）：该户当前为“未纳入”，不在监测中，不能选“属实-已在监测”；"
        "情况属实请选“属实-建议纳入”"]
    decide_warning(path, "李秀英", "属实-已在监测", "属实", "王核查", TYPED, token=household_token)
    decide_warning(path, "黄丽", None)
    assert verify(ws, cfg, path).refused == [
        "部门预警表中李秀英户（户编号LS440205000001）：这一行的隐藏行令牌缺失或被改动，无法确认是哪一户，请使用系统最新生成的表格"]
    assert {s for s, *_ in warning_states(ws).values()} == {"待核实"}


def test_a_row_from_an_old_copy_is_stale_once_verified_changed_or_withdrawn(ws, cfg, proc, tmp_path):
    with_warnings(ws, cfg, proc)
    old = book(ws).with_name("旧表.xlsx")
    old.write_bytes(book(ws).read_bytes())
    decide_warning(book(ws), "李秀英", "属实-已在监测", None, "王核查", TYPED)
    assert verify(ws, cfg, book(ws)).applied == 1
    assert verify(ws, cfg, book(ws)).refused == [
        "部门预警表中李秀英户（户编号LS440205000001）：石塘村李秀英（医保预警）已是“属实-已在监测”，这一行来自旧版表格，本次核实结论未生效"]
    # a newer list: 黄丽's amount changed (a new revision), 路人 gone; then one without 黄丽 at all
    with_warnings(ws, cfg, proc, [("黄丽", WIFE_A, 27000)], name="十二月.xlsx", at=RECEIVED + dt.timedelta(days=1),
                  first=False)
    decide_warning(old, "黄丽", "不属实", "不属实", "王核查", TYPED, save_to=tmp_path / "a.xlsx")
    assert verify(ws, cfg, tmp_path / "a.xlsx").refused == [
        "部门预警表中陈伟户：石塘村黄丽（医保预警）已按部门的新名单更新为“2021年合规自付医疗费用 27,000 元”，"
        "这一行来自旧版表格，请在最新表格中重新核实"]
    with_warnings(ws, cfg, proc, [("路人", STRANGER, 30000)], name="一月.xlsx", at=RECEIVED + dt.timedelta(days=2),
                  first=False)
    assert verify(ws, cfg, tmp_path / "a.xlsx").refused == [
        "部门预警表中陈伟户：石塘村黄丽（医保预警）已是“部门已撤销”，这一行来自旧版表格，本次核实结论未生效"]
    assert warning_states(ws)[HEAD_B][0] == "属实-已在监测"


def test_a_row_carried_into_another_towns_workbook_is_refused(ws, cfg, proc):
    with_warnings(ws, cfg, proc)
    token = warning_table(book(ws))[1]["行令牌"]
    other = book(ws, "大塘镇")
    wb = openpyxl.load_workbook(other)
    sheet = wb["部门预警"]
    cols = {c.value: c.column for c in sheet[2] if c.value}
    for header, value in {"户主姓名": "陈伟", "姓名": "黄丽", "核实结论": "不属实", "核实意见": "查无此事",
                          "核实人": "赵核查", "行令牌": token}.items():
        sheet.cell(3, cols[header]).value = value
    wb.save(other)
    result = verify(ws, cfg, other, town="大塘镇")
    assert result.refused == ["部门预警表中陈伟户：这一行的预警不属于大塘镇，不能在本镇核查表中决定"]
    assert warning_states(ws)[WIFE_A][0] == "待核实"


def test_a_workbook_without_the_sheet_reads_as_no_decision_and_one_without_its_token_column_is_unreadable(
        ws, cfg, proc):
    with_warnings(ws, cfg, proc)
    path = book(ws)
    wb = openpyxl.load_workbook(path)
    del wb["部门预警"]
    wb.save(path.with_name("旧版.xlsx"))
    assert read_department_decisions(path.with_name("旧版.xlsx")) == []
    wb = openpyxl.load_workbook(path)
    wb["部门预警"].delete_cols(17)
    wb.save(path.with_name("删列.xlsx"))
    with pytest.raises(Unreadable, match="“部门预警”中隐藏的“行令牌”列被删除"):
        read_department_decisions(path.with_name("删列.xlsx"))


def test_overdue_warnings_are_marked_in_the_town_sheet_and_appear_in_both_alert_sheets(ws, cfg, proc):
    with_warnings(ws, cfg, proc)
    late = DEADLINE + dt.timedelta(days=3)
    with Processor(ws, as_of=late, workers=1) as later:
        later.run_pass(wait=0.05, force_outputs=True)
    assert [r["期限状态"] for r in warning_table(book(ws))] == ["已超期 3 天", "已超期 3 天"]
    message = "医保预警（黄丽：2021年合规自付医疗费用 25,000 元）2021-12-20 收到，应于 2022-01-04 前核实，已超期 3 天仍未核实"
    town_alerts = [r for r in table_of(book(ws), "预警", "说明") if r["类型"] == "部门预警超期"]
    assert [(r["村"], r["户主姓名"], r["说明"]) for r in town_alerts][1] == ("石塘村", "陈伟", message)
    master_alerts = [r for r in table_of(ws.master_path, "预警", "说明") if r["类型"] == "部门预警超期"]
    assert [(r["镇"], r["说明"]) for r in master_alerts][1] == (TOWN, message)
    with ws.open_store() as store:
        assert len([a for a in all_alerts(store, cfg, DEADLINE) if a.kind == "部门预警超期"]) == 0  # the last day
        assert len([a for a in all_alerts(store, cfg, late) if a.kind == "部门预警超期"]) == 2
    with Processor(ws, as_of=DEADLINE, workers=1) as on_the_day:
        on_the_day.run_pass(wait=0.05, force_outputs=True)
    assert [r["期限状态"] for r in warning_table(book(ws))] == ["今天到期", "今天到期"]
