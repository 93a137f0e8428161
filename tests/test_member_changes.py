"""Members change (issue 22): a member who left keeps their 家庭成员 row with 减少原因 (and 变动日期) — not counted in
家庭人口数, not judged, free to be listed in another household —, a new member's row carries 增加原因; compared with the
members the ledger last accepted, each change is an event in the household's history (`excel-bridge history`), and
a change the file does not explain is marked in the returned copy. Real workbooks, a real pass, both backends."""

from __future__ import annotations

import datetime as dt

import pytest
from cli_helpers import run_cli
from factory import (
    HEAD_A,
    SON_A,
    WIFE_A,
    base_rows,
    calamine_records,
    check,
    drop,
    household,
    member,
    person,
)

from excel_bridge.idcard import mask_id

pytestmark = pytest.mark.backends_full  # PostgreSQL: EB_TEST_BACKENDS=all (bench/pg_statements.py)

BABY = person(dt.date(2021, 5, 1), 77)
COUSIN = person(dt.date(1985, 2, 2), 99)


def baby(**over):
    return member(HEAD_A, BABY, "之子", name="陈小宝", education=None, schooling="学龄前儿童", labour="无劳动力",
                  work_months=0, **over)


def test_a_departed_row_is_not_counted_and_may_be_listed_in_its_new_household(tmp_path, config):
    """黄丽 splits off (分户) into a household of her own in the same file: her old row says so, and is neither a
    member of 陈伟's household (size 2) nor a duplicate of her new row."""
    rows = base_rows()
    rows["household"][0]["size"] = 2
    rows["member"][1].update(leave_reason="分户", change_date=dt.date(2021, 11, 1))
    rows["household"].append(household(WIFE_A, head_name="黄丽", size=1))
    rows["member"].append(member(WIFE_A, WIFE_A, "户主", name="黄丽", sex="女"))
    result = check(tmp_path, config, rows)
    assert [(i.code, i.sheet, i.row) for i in result.issues if i.severity == "error"] == []
    assert not any(i.code in ("SIZE_MISMATCH", "DUPLICATE_PERSON") for i in result.issues)
    chen = result.households[0]
    assert [m.get("person_id") for m in chen.members] == [HEAD_A, SON_A]
    assert [(m.get("person_id"), m.get("leave_reason")) for m in chen.departed] == [(WIFE_A, "分户")]


def test_the_member_columns_are_in_the_template_and_the_instructions(tmp_path, config):
    from factory import sheet_rows, write

    path = write(tmp_path / "t.xlsx", config, base_rows())
    headers = sheet_rows(path, "家庭成员")[0]
    assert headers[-3:] == ["减少原因", "增加原因", "变动日期"]
    text = [str(v) for row in sheet_rows(path, "填表说明") for v in row if v]
    assert any(t.startswith("10. 家庭成员有变动时：离开本户的成员（死亡、婚嫁迁出、分户）不要删除其行") for t in text)


@pytest.fixture
def first(ws, proc):
    cfg = ws.config()
    drop(ws, cfg, base_rows())
    assert [o.status for o in proc.run_pass(wait=0.05).files] == ["applied"]
    return cfg


def _members(ws):
    with ws.open_store() as store:
        [hh] = [h for h in store.households.list() if h.head_id == HEAD_A]
        return hh, sorted(m["person_id"] for m in store.households.members_of(hh.id))


def test_a_member_who_left_and_one_born_are_recorded_with_their_reasons(ws, proc, first):
    rows = base_rows()
    rows["member"][1].update(leave_reason="婚嫁迁出", change_date=dt.date(2021, 12, 1))
    rows["member"].append(baby(join_reason="出生", change_date=dt.date(2021, 5, 1)))
    drop(ws, first, rows)  # 家庭人口数 stays 3: 陈伟, 陈强, 陈小宝
    report = proc.run_pass(wait=0.05)
    [outcome] = report.files
    assert outcome.status == "applied"
    hh, members = _members(ws)
    assert members == sorted([HEAD_A, SON_A, BABY])
    with ws.open_store() as store:
        issues = store.submissions.issues_of(store.submissions.latest_for_village("马坝镇", "石塘村").id)
        events = [(e.event, e.comment, e.effective_date) for e in store.events.of(hh.id)
                  if e.event.startswith("member_")]
    assert not [i for i in issues if i.code.startswith("MEMBER_") or i.code == "SIZE_MISMATCH"]
    assert events == [
        ("member_left", f"成员减少：黄丽（{mask_id(WIFE_A)}），原因：婚嫁迁出，变动日期 2021-12-01", dt.date(2021, 12, 1)),
        ("member_joined", f"成员增加：陈小宝（{mask_id(BABY)}），原因：出生，变动日期 2021-05-01", dt.date(2021, 5, 1)),
    ]

    result = run_cli("history", HEAD_A, "--workspace", ws.root)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any("成员减少" in line and f"成员减少：黄丽（{mask_id(WIFE_A)}），原因：婚嫁迁出，变动日期 2021-12-01" in line
               for line in lines)
    assert any("成员增加" in line and f"成员增加：陈小宝（{mask_id(BABY)}），原因：出生" in line for line in lines)
    assert WIFE_A not in result.stdout and BABY not in result.stdout  # masked

    # the same household sent again with the departed row still there, or deleted: nothing more is recorded
    rows["household"][0]["note"] = "再次提交"
    drop(ws, first, rows)
    proc.run_pass(wait=0.05)
    del rows["member"][1]
    rows["household"][0]["note"] = "删去已减少的成员"
    drop(ws, first, rows)
    proc.run_pass(wait=0.05)
    with ws.open_store() as store:
        assert len([e for e in store.events.of(hh.id) if e.event.startswith("member_")]) == 2


def test_a_change_the_file_does_not_explain_is_marked_in_the_returned_copy(ws, proc, first):
    rows = base_rows()
    del rows["member"][2]  # 陈强 gone, no row left to say why
    rows["member"].append(member(HEAD_A, COUSIN, "其他", name="陈表哥"))  # a new member, no 增加原因
    drop(ws, first, rows)
    [outcome] = proc.run_pass(wait=0.05).files
    assert outcome.status == "applied"
    hh, members = _members(ws)
    assert members == sorted([HEAD_A, WIFE_A, COUSIN])
    with ws.open_store() as store:
        issues = store.submissions.issues_of(store.submissions.latest_for_village("马坝镇", "石塘村").id)
        events = [(e.event, e.comment) for e in store.events.of(hh.id) if e.event.startswith("member_")]
    assert events == [("member_left", f"成员减少：陈强（{mask_id(SON_A)}），台账未填原因"),
                      ("member_joined", f"成员增加：陈表哥（{mask_id(COUSIN)}），台账未填原因")]
    marked = sorted((i.code, i.severity, i.sheet, i.row, i.column) for i in issues if i.code.startswith("MEMBER_"))
    assert marked == [("MEMBER_JOINED_NO_REASON", "warning", "家庭成员", 5, "增加原因"),
                      ("MEMBER_LEFT_NO_REASON", "warning", "户信息", 2, "家庭人口数")]

    assert outcome.feedback is not None
    listed = calamine_records(outcome.feedback, "问题清单", header_row=_header_row(outcome.feedback))
    messages = [str(r.get("问题说明") or r.get("说明") or "") for r in listed]
    assert f"“家庭成员”中没有了陈强（身份证号 {mask_id(SON_A)}），上次提交时此人还在本户，系统已按成员减少记录。" in messages
    assert "陈表哥是上次提交后本户新增的成员，没有填写“增加原因”。" in messages


def _header_row(path) -> int:
    from factory import sheet_rows

    for i, row in enumerate(sheet_rows(path, "问题清单")[:10]):
        if "工作表" in row:
            return i
    raise AssertionError("问题清单 has no header")
