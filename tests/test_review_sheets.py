"""The decision sheets as people work in them (issue 12): the decision right beside the household's name, both
frozen in view; the district seeing the town's own conclusion; the town's list of what it decided and what the
district made of it. Real workbooks written by a real pass, opened with openpyxl, decided and read back."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
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
    person,
    review,
    table_of,
    write_village,
)
from openpyxl.utils.cell import get_column_letter

from excel_bridge.decisions import read_decisions
from excel_bridge.pipeline import Processor
from excel_bridge.workflow import DISTRICT
from excel_bridge.workflow import TOWN as TOWN_LEVEL
from excel_bridge.writers.town import SENT_UP_SHEET

T = dt.date.today()
D = dt.timedelta

pytestmark = pytest.mark.backends

TOWN_HEADERS = ["事项", "村", "组", "户编号", "户主姓名", "核查结论", "核查意见", "核查人", "核查日期", "户主身份证号",
                "家庭人口数", "户类型", "人均纯收入", "监测线", "研判依据", "建议类别", "风险类型", "重点关注", "帮扶建议",
                "村级评议公示", "进入本环节", "行令牌"]
DISTRICT_HEADERS = ["镇", "事项", "村", "组", "户编号", "户主姓名", "区级结论", "审核意见", "审核人", "审核日期", "镇级结论",
                    "镇级意见", "镇核查人", "镇核查日期", *TOWN_HEADERS[9:]]


@pytest.fixture
def proc(ws, runner):  # conftest's workspace, dated today, on the session's worker
    with Processor(ws, as_of=T, runner=runner) as p:
        yield p


def run(p: Processor) -> None:
    p.run_pass(wait=0.05)


def town_book(ws, town: str = TOWN) -> Path:
    return ws.town_review_path(town)


def both_leads() -> dict:
    """A (6000 元/人) and B (8000 元/人), both with a passed review whose notice ended 15 days ago."""
    rows = base_rows()
    rows["household"][0].update(wage_income=12000)
    rows["review"] = [review(h, review_date=T - D(20), notice_start=T - D(19), notice_end=T - D(15))
                      for h in (HEAD_A, HEAD_B)]
    return rows


def header_row(sheet, token: str = "行令牌") -> int:
    return next(r for r in range(1, 6) if token in [c.value for c in sheet[r]])


def test_decision_columns_stand_beside_the_name_and_stay_in_view(ws, proc):
    drop(ws, ws.config(), both_leads())
    run(proc)
    wb = openpyxl.load_workbook(town_book(ws))
    sheet = wb[TOWN_SHEET]
    h = header_row(sheet)
    assert h == 2 and [c.value for c in sheet[h]] == TOWN_HEADERS
    assert sheet.freeze_panes == "F3"  # the header row and 事项…户主姓名 stay put while the clerk scrolls
    token = get_column_letter(len(TOWN_HEADERS))
    assert sheet.column_dimensions[token].hidden and sheet[f"{token}3"].value.count("-") == 3
    [choice] = [dv for dv in sheet.data_validations.dataValidation if "F3" in dv.sqref]
    assert (choice.type, choice.formula1, str(choice.sqref)) == ("list", '"同意,退回,不予纳入"', "F3:F4")
    [day] = [dv for dv in sheet.data_validations.dataValidation if "I3" in dv.sqref]
    assert day.type == "date"
    assert [sheet[f"E{r}"].value for r in (3, 4)] == ["陈伟", "李秀英"]
    assert sheet["F3"].protection.locked is False and sheet["J3"].protection.locked is True
    assert sheet["G3"].alignment.wrap_text  # 核查意见 wraps
    assert sheet["O3"].value == "人均纯收入不高于监测线" and sheet["O3"].alignment.wrap_text  # 研判依据 in words

    # decided as a clerk does, then read back by header: the right household gets the right values
    decide(town_book(ws), TOWN_SHEET, "李秀英", "退回", "收入核算有误", "王核查", T - D(1))
    decide(town_book(ws), TOWN_SHEET, "陈伟", "同意", "入户核实属实", "王核查", T)
    rows = read_decisions(town_book(ws), TOWN_LEVEL)
    assert [(r.row, r.name, r.decision, r.comment, r.person, r.date) for r in rows] == [
        (3, "陈伟", "同意", "入户核实属实", "王核查", T), (4, "李秀英", "退回", "收入核算有误", "王核查", T - D(1))]
    run(proc)
    assert (ledger_row(ws, HEAD_A).state, ledger_row(ws, HEAD_B).state) == ("待区认定", "线索")

    # the district's sheet: the same shape, 镇 first, and the town's own conclusion beside its decision
    master = openpyxl.load_workbook(ws.master_path)[MASTER_SHEET]
    h = header_row(master)
    assert [c.value for c in master[h]] == DISTRICT_HEADERS
    assert master.freeze_panes == "G3"
    assert [master.cell(3, c).value for c in range(1, 15)] == [
        TOWN, "纳入监测认定", "石塘村", "一组", "LS440205000001", "陈伟", None, None, None, None,
        "同意", "入户核实属实", "王核查", dt.datetime.combine(T, dt.time())]
    assert master["N3"].number_format == "yyyy-mm-dd"
    assert master.cell(3, 15 + 5).value == "人均纯收入不高于监测线（R-INCOME）"  # the district keeps the rule id
    [choice] = [dv for dv in master.data_validations.dataValidation if "G3" in dv.sqref]
    assert choice.formula1 == '"同意,退回,不予认定"'
    decide(ws.master_path, MASTER_SHEET, "陈伟", "同意", "同意纳入监测", "李审核", T)
    [row] = read_decisions(ws.master_path, DISTRICT)
    assert (row.row, row.name, row.decision, row.comment, row.person, row.date) == (
        3, "陈伟", "同意", "同意纳入监测", "李审核", T)


@pytest.mark.all_towns
def test_the_town_keeps_what_it_sent_up_and_what_came_back(ws, proc):
    cfg = ws.config()
    drop(ws, cfg, both_leads())
    head = person(dt.date(1952, 1, 20), 46)  # 李秀英 of 大塘镇新塘村: another woman of that name
    other = base_rows()
    other["household"] = [other["household"][1] | {"head_id": head}]
    other["member"] = [other["member"][3] | {"head_id": head, "person_id": head}]
    other["review"] = [review(head, review_date=T - D(20), notice_start=T - D(19), notice_end=T - D(15))]
    write_village(ws.town_inbox("大塘镇") / "新塘村.xlsx", cfg, other, town="大塘镇", village="新塘村")
    run(proc)
    decide(town_book(ws), TOWN_SHEET, "陈伟", "同意", "入户核实属实", "王核查", T - D(2))
    decide(town_book(ws), TOWN_SHEET, "李秀英", "退回", "收入核算有误", "王核查", T - D(1))
    decide(town_book(ws, "大塘镇"), TOWN_SHEET, "李秀英", "同意", "属实", "赵核查", T)
    run(proc)
    decide(ws.master_path, MASTER_SHEET, "陈伟", "退回", "请补充务工收入证明", "李审核", T)
    run(proc)
    assert table_of(town_book(ws), SENT_UP_SHEET, "核查结论") == [
        {"村": "石塘村", "户编号": "LS440205000002", "户主姓名": "李秀英", "事项": "纳入监测核查", "核查结论": "退回",
         "核查意见": "收入核算有误", "核查人": "王核查", "核查日期": T - D(1),
         "区级结论": "", "区级意见": "", "区级日期": "", "目前状态": "线索"},
        {"村": "石塘村", "户编号": "LS440205000001", "户主姓名": "陈伟", "事项": "纳入监测核查", "核查结论": "同意",
         "核查意见": "入户核实属实", "核查人": "王核查", "核查日期": T - D(2),
         "区级结论": "退回", "区级意见": "请补充务工收入证明", "区级日期": T,
         "目前状态": "线索"},
    ]
    [theirs] = table_of(town_book(ws, "大塘镇"), SENT_UP_SHEET, "核查结论")
    assert (theirs["户主姓名"], theirs["核查人"], theirs["区级结论"], theirs["目前状态"]) == ("李秀英", "赵核查", "", "待区认定")
    sheet = openpyxl.load_workbook(town_book(ws))[SENT_UP_SHEET]
    assert sheet.freeze_panes == "D3" and sheet["F3"].alignment.wrap_text
    assert table_of(town_book(ws, "白土镇"), SENT_UP_SHEET, "核查结论") == []


# --- a refused decision: every missing field named, what was typed kept in the row ---------------------------

def fill(cell) -> str | None:
    return cell.fill.fgColor.rgb[-6:] if cell.fill is not None and cell.fill.fill_type == "solid" else None


def test_a_refused_decision_names_every_missing_field_and_comes_back_as_typed(ws, proc):
    drop(ws, ws.config(), both_leads())
    run(proc)
    decide(town_book(ws), TOWN_SHEET, "李秀英", "退回", None, None, T - D(1))  # no reason, no person
    decide(town_book(ws), TOWN_SHEET, "陈伟", "同意", "入户核实属实", None, None)  # no person
    run(proc)
    assert (ledger_row(ws, HEAD_A).state, ledger_row(ws, HEAD_B).state) == ("待镇核查", "待镇核查")
    assert note_line(town_book(ws), TOWN_SHEET) == "上次提交中未生效的决定：" + "；".join([
        "陈伟户（户编号LS440205000001）：石塘村陈伟户选择了“同意”，但没有填写核查人（每项决定都要记录经办人），本次决定未生效"
        "（已填的保留在新表格的这一行，补上标红的格子后保存即可）",
        "李秀英户（户编号LS440205000002）：石塘村李秀英户选择了“退回”，但没有写明原因（核查意见栏）、没有填写核查人（每项决定都要记录经办人），"
        "本次决定未生效（已填的保留在新表格的这一行，补上标红的格子后保存即可）"])
    wb = openpyxl.load_workbook(town_book(ws))
    sheet = wb[TOWN_SHEET]
    assert header_row(sheet) == 3  # the note line above the header
    row = {sheet.cell(r, 5).value: r for r in (4, 5)}
    a, b = row["陈伟"], row["李秀英"]
    assert [sheet.cell(a, c).value for c in range(6, 10)] == ["同意", "入户核实属实", None, None]
    assert [fill(sheet.cell(a, c)) for c in range(6, 10)] == ["FFF2CC", "FFF2CC", "FFC7CE", "FFF2CC"]
    assert [sheet.cell(b, c).value for c in range(6, 10)] == ["退回", None, None, dt.datetime.combine(T - D(1),
                                                                                                 dt.time())]
    assert [fill(sheet.cell(b, c)) for c in range(6, 10)] == ["FFF2CC", "FFC7CE", "FFC7CE", "FFF2CC"]
    assert sheet.cell(b, 7).protection.locked is False and sheet.cell(b, 9).number_format == "yyyy-mm-dd"

    # the town fills in only what is missing and saves: both decisions count
    decide(town_book(ws), TOWN_SHEET, "陈伟", "同意", "入户核实属实", "王核查", None)
    decide(town_book(ws), TOWN_SHEET, "李秀英", "退回", "收入核算有误", "王核查", T - D(1))
    run(proc)
    assert (ledger_row(ws, HEAD_A).state, ledger_row(ws, HEAD_B).state) == ("待区认定", "线索")
    assert table_of(town_book(ws), TOWN_SHEET, "行令牌") == []


def test_a_refused_decision_emptied_again_is_forgotten(ws, proc):
    drop(ws, ws.config(), both_leads())
    run(proc)
    decide(town_book(ws), TOWN_SHEET, "陈伟", "不予认定", "不符合", "王核查", T)  # not the town's choice
    run(proc)
    [first, _] = table_of(town_book(ws), TOWN_SHEET, "行令牌")
    assert (first["户主姓名"], first["核查结论"], first["核查意见"], first["核查人"]) == ("陈伟", "不予认定", "不符合", "王核查")
    # regenerated without a new file (the next day): still there
    run_again = proc.run_pass(wait=0.05, force_outputs=True)
    assert run_again.files == []
    assert table_of(town_book(ws), TOWN_SHEET, "行令牌")[0]["核查结论"] == "不予认定"
    # the town empties the row and saves: the next copy has it empty, nothing decided
    decide(town_book(ws), TOWN_SHEET, "陈伟", None, None, None, None)
    run(proc)
    assert ledger_row(ws, HEAD_A).state == "待镇核查"
    assert [r["核查结论"] for r in table_of(town_book(ws), TOWN_SHEET, "行令牌")] == ["", ""]


def test_a_refused_district_decision_comes_back_in_the_master(ws, proc):
    rows = both_leads()
    drop(ws, ws.config(), rows)
    run(proc)
    decide(town_book(ws), TOWN_SHEET, "李秀英", "同意", "属实", "王核查", T)
    run(proc)
    decide(ws.master_path, MASTER_SHEET, "李秀英", "不予认定", None, None, T)
    run(proc)
    assert ledger_row(ws, HEAD_B).state == "待区认定"
    master = openpyxl.load_workbook(ws.master_path)[MASTER_SHEET]
    h = header_row(master)
    assert [master.cell(h + 1, c).value for c in (6, 7, 8, 9)] == ["李秀英", "不予认定", None, None]
    assert [fill(master.cell(h + 1, c)) for c in (7, 8, 9)] == ["FFF2CC", "FFC7CE", "FFC7CE"]
    assert "没有写明原因（审核意见栏）、没有填写审核人" in note_line(ws.master_path, MASTER_SHEET)
