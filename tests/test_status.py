"""What the clerk reads in 流程状态 and 审核意见 of the returned copy (status.py, returned/plan.py): a notice entered
and running says so and when the household moves on by itself; one not started yet likewise; what would stop
it is named; a household the ledger did not take says why and how to fix it. Real files through real passes."""

from __future__ import annotations

import datetime as dt

import pytest
from factory import HEAD_A, HEAD_B, TOWN, base_rows, drop, ledger_row, measure, review, table_of, write

from excel_bridge.check import check_file
from excel_bridge.pipeline import Processor
from excel_bridge.returned import write_returned_copy

T = dt.date.today()
D = dt.timedelta
ELIGIBLE = "收入稳定达标、“两不愁三保障”及饮水安全巩固，可以启动风险消除程序"

pytestmark = pytest.mark.backends


@pytest.fixture
def proc(ws, runner):  # conftest's workspace, dated today, on the session's worker
    with Processor(ws, as_of=T, runner=runner) as p:
        yield p


def shown(ws) -> dict[str, dict]:
    """户主姓名 → the system columns of the returned copy's 户信息."""
    return {r["户主姓名"]: r for r in table_of(ws.returned_copy_path(TOWN, "石塘村", "石塘村.xlsx"), "户信息", "流程状态")}


def leads(a: dict, b: dict) -> dict:
    """A (6000 元/人) and B (8000 元/人), both leads, with the given 纳入监测 reviews."""
    rows = base_rows()
    rows["household"][0].update(wage_income=12000)
    rows["review"] = [review(HEAD_A, **a), review(HEAD_B, **b)]
    return rows


def test_a_notice_running_or_not_started_yet_says_when_the_household_goes_to_the_town(ws, proc):
    running = dict(review_date=T - D(3), notice_start=T - D(2), notice_end=T + D(3))
    later = dict(review_date=T - D(1), notice_start=T + D(1), notice_end=T + D(5))
    drop(ws, ws.config(), leads(running, later))
    proc.run_pass(wait=0.05)
    assert ledger_row(ws, HEAD_A).state == ledger_row(ws, HEAD_B).state == "线索"
    rows = shown(ws)
    assert (rows["陈伟"]["流程状态"], rows["陈伟"]["审核意见"]) == ("线索", f"公示中，至{T + D(3)}结束后自动报镇核查")
    assert (rows["李秀英"]["流程状态"], rows["李秀英"]["审核意见"]) == (
        "线索", f"已评议通过，公示将于{T + D(1)}开始，至{T + D(5)}结束后自动报镇核查")
    # the day after it ends the household has gone to the town, and says so
    proc.as_of = T + D(4)
    proc.run_pass(wait=0.05, force_outputs=True)
    assert ledger_row(ws, HEAD_A).state == "待镇核查"
    assert shown(ws)["陈伟"]["审核意见"] == "村级评议公示已完成，等待镇里核查"


def test_a_running_notice_names_what_would_stop_the_household(ws, proc):
    running = dict(review_date=T - D(3), notice_start=T - D(2), notice_end=T + D(3))
    rows = leads(running, running)
    rows["household"][0]["consent"] = "否"         # 陈伟 has not signed
    rows["household"][1]["lead_source"] = "路过"    # 李秀英's row has an error
    drop(ws, ws.config(), rows)
    proc.run_pass(wait=0.05)
    got = shown(ws)
    assert got["陈伟"]["审核意见"] == (
        f"公示中，至{T + D(3)}结束后自动报镇核查；但农户还没有签承诺授权（“承诺授权”应填“是”），公示结束前请补签并重新提交，"
        "否则不能报镇核查")
    assert got["李秀英"]["审核意见"] == (
        f"公示中，至{T + D(3)}结束后自动报镇核查；本户还有错误，请按标红的格子改正后重新提交，否则公示结束后也不能报镇核查")


def test_a_risk_elimination_notice_running_says_it_goes_to_the_town_for_acceptance(ws, proc):
    rows = base_rows()
    rows["household"][0].update(household_no="44020500000001", identified_date=T - D(250))
    rows["measure"] = [measure(HEAD_A)]
    rows["review"] = [review(HEAD_A, matter="风险消除", review_date=T - D(3), notice_start=T - D(2),
                             notice_end=T + D(3))]
    drop(ws, ws.config(), rows)
    proc.run_pass(wait=0.05)
    assert ledger_row(ws, HEAD_A).state == "帮扶中"
    assert shown(ws)["陈伟"]["审核意见"] == f"公示中，至{T + D(3)}结束后自动报镇验收；风险消除研判：{ELIGIBLE}"


BAD_HEAD = HEAD_B[:-1] + ("0" if HEAD_B[-1] != "0" else "1")  # one digit typed wrong: the check character fails
ID_REASON = (f"本户没有入账，不能研判和报审：户主身份证号有误——身份证号“{BAD_HEAD}”的最后一位校验码不对，号码中有数字填错了。"
             "改法：")


def bad_id_rows() -> dict:
    rows = base_rows()
    rows["household"][1]["head_id"] = BAD_HEAD
    rows["member"][3].update(head_id=BAD_HEAD, person_id=BAD_HEAD)
    return rows


def test_a_household_with_a_bad_head_id_says_why_it_is_not_recorded_and_how_to_fix_it(ws, proc):
    drop(ws, ws.config(), bad_id_rows())
    proc.run_pass(wait=0.05)
    got = shown(ws)
    assert got["陈伟"]["流程状态"] == "未纳入"
    assert got["李秀英"]["流程状态"] == "未入账"
    assert got["李秀英"]["审核意见"].startswith(ID_REASON) and len(got["李秀英"]["审核意见"]) > len(ID_REASON) + 4


def test_a_file_only_checked_says_so_and_still_names_a_bad_head_id(tmp_path, config):
    src = write(tmp_path / "石塘村.xlsx", config, bad_id_rows())
    out = write_returned_copy(check_file(src, config, as_of=T), tmp_path / "石塘村_反馈.xlsx", config).path
    got = {r["户主姓名"]: r for r in table_of(out, "户信息", "流程状态")}
    assert (got["陈伟"]["流程状态"], got["陈伟"]["审核意见"]) == ("未入账（仅校验）", "")
    assert got["李秀英"]["流程状态"] == "未入账"
    assert got["李秀英"]["审核意见"].startswith(ID_REASON)


def test_clerks_read_words_and_the_district_keeps_rule_ids_after_them(ws, proc):
    """No rule id (R-INCOME, C-LABOUR-AGE …) anywhere a village or a town reads; the district's sheets give the
    words first and the id after them."""
    import re

    from factory import all_cell_text

    rows = leads(dict(review_date=T - D(20), notice_start=T - D(19), notice_end=T - D(15)),
                 dict(review_date=T - D(20), notice_start=T - D(19), notice_end=T - D(15)))
    rows["member"][3].update(labour="普通劳动力")  # 李秀英, born 1950, past working age: C-LABOUR-AGE
    drop(ws, ws.config(), rows)
    proc.run_pass(wait=0.05)
    code = re.compile(r"\b[RC]-[A-Z]{3,}")
    returned = ws.returned_copy_path(TOWN, "石塘村", "石塘村.xlsx")
    issues = table_of(returned, "问题清单", "问题说明")
    assert any("劳动年龄" in r["问题说明"] for r in issues)  # the labour warning is there, in words
    for path in (returned, ws.town_review_path(TOWN)):
        assert [t for t in all_cell_text(path) if code.search(t)] == [], path.name
    master = {r["户主姓名"]: r for r in table_of(ws.master_path, "监测户台账", "成立的规则")}
    assert master["李秀英"]["成立的规则"] == "人均纯收入不高于监测线（R-INCOME）"
    [labour] = [r for r in table_of(ws.master_path, "问题汇总", "代码") if r["代码"] == "C-LABOUR-AGE"]
    headers = list(labour)
    assert headers.index("代码") == headers.index("说明") + 1 and "劳动年龄" in labour["说明"]
