"""The store's department tables and read models (store.departments) on SQLite and PostgreSQL: the ledger's people
as evaluate() takes them (JSON values extracted by each database), commands that never touch a verified
outcome, and the monitored households shared back with their members, measures and last change."""

from __future__ import annotations

import datetime as dt

import pytest

from excel_bridge.departments import LEDGER_COLUMNS, ledger_frame
from excel_bridge.store import Store

pytestmark = pytest.mark.backends

AT = dt.datetime(2021, 12, 20, 9, 0)
DAY = dt.date(2021, 12, 20)


def household(store: Store, head: str, *, state: str, town: str = "马坝镇", village: str = "石塘村",
              household_type: str = "普通农户", members: list[dict] = (), measures: list[dict] = (),
              on_file: bool = True) -> int:
    with store.atomic():
        hid = store.households.create(
            household_no=f"NO{head[-4:]}", provisional=False, head_id=head, head_name=f"户主{head[-2:]}", town=town,
            village=village, state=state, lead_date=None, identified_date=DAY if state == "帮扶中" else None,
            submission_id=None, row=None, data={"household_type": household_type},
            assessment={"category": "边缘易致贫户", "risk_types": ["因病因残"]}, errors=0, warnings=0, at=AT)
        store.households.replace_children(hid, town=town, village=village, members=list(members),
                                          measures=list(measures), reviews=[])
        if not on_file:
            store.households.mark_removed(hid, at=AT)
        store.events.record(household_id=hid, event="created", to_state=state, level="系统", at=AT,
                            effective_date=DAY - dt.timedelta(days=30))
    return hid


def person(pid: str, **data) -> dict:
    return {"person_id": pid, "name": f"人{pid[-2:]}", "relation": "户主", "dibao": "否", "tekun": "否", **data}


def test_the_ledgers_people_as_evaluate_takes_them(store):
    a = household(store, "A" * 18, state="帮扶中", household_type="脱贫户", members=[
        person("A" * 18, dibao="是", disability_type=["肢体"], disability_grade="二级"),
        person("B" * 18, relation="之子", disability_type=["精神", "智力"], disability_grade="三级"),
        {"person_id": None, "name": "无号"}])
    b = household(store, "C" * 18, state="未纳入", town="大塘镇", village="新塘村", on_file=False,
                  members=[person("C" * 18, tekun="是", disability_type="视力", disability_grade="一级")])
    people = store.departments.ledger_people()
    assert tuple(people.columns) == LEDGER_COLUMNS
    assert people.to_dict("records") == [
        {"person_id": "A" * 18, "household": a, "town": "马坝镇", "village": "石塘村", "household_type": "脱贫户",
         "state": "帮扶中", "on_file": True, "dibao": "是", "tekun": "否", "disability_type": "肢体",
         "disability_grade": "二级"},
        {"person_id": "B" * 18, "household": a, "town": "马坝镇", "village": "石塘村", "household_type": "脱贫户",
         "state": "帮扶中", "on_file": True, "dibao": "否", "tekun": "否", "disability_type": "多重",
         "disability_grade": "三级"},
        {"person_id": "C" * 18, "household": b, "town": "大塘镇", "village": "新塘村", "household_type": "普通农户",
         "state": "未纳入", "on_file": False, "dibao": "否", "tekun": "是", "disability_type": "视力",
         "disability_grade": "一级"}]
    assert ledger_frame(people).equals(people)


def _list(store: Store, department: str = "医保") -> int:
    with store.atomic():
        return store.departments.add_list(department=department, file_name="x.xlsx", sha256="s", received_at=AT,
                                          received_date=DAY, status="applied", fingerprint="f")


def _warning(store: Store, list_id: int, hid: int, person_id: str) -> None:
    with store.atomic():
        store.departments.add_warnings(list_id, [
            {"department": "医保", "rule_id": "D-YB-OTHER", "person_id": person_id, "name": "某", "household_id": hid,
             "town": "马坝镇", "village": "石塘村", "risk_type": "因病因残", "guarantee": None, "fact": "事实",
             "received_date": DAY, "deadline": DAY + dt.timedelta(days=15), "sheet": "S", "row": 2}], at=AT)


def test_a_verified_warning_is_never_withdrawn_nor_verified_again(store):
    hid = household(store, "A" * 18, state="未纳入", members=[person("A" * 18), person("B" * 18)])
    first = _list(store)
    _warning(store, first, hid, "A" * 18)
    _warning(store, first, hid, "B" * 18)
    wa, wb = store.departments.open_warnings("医保")
    with store.atomic():
        store.departments.verify(wa.id, status="不属实", comment="查无", person="王", day=DAY, source_sha256="h",
                                 lead_created=False, at=AT)
        store.departments.withdraw([wa.id, wb.id], reason="not_listed", at=AT)
        store.departments.verify(wb.id, status="不属实", comment="迟了", person="王", day=DAY, source_sha256="h",
                                 lead_created=False, at=AT)
    after = {w.person_id: (w.status, w.comment, w.closed_reason) for w in store.departments.all_warnings()}
    assert after == {"A" * 18: ("不属实", "查无", None), "B" * 18: ("部门已撤销", None, "not_listed")}
    assert [w.person_id for w in store.departments.verified("医保")] == ["A" * 18]
    assert store.departments.open_warnings("医保") == []
    assert store.departments.overdue(DAY + dt.timedelta(days=30)) == []


def test_latest_lists_and_overdue_are_per_department_and_town(store):
    hid = household(store, "A" * 18, state="未纳入", members=[person("A" * 18)])
    old, new, other = _list(store), _list(store), _list(store, "民政")
    with store.atomic():
        store.departments.add_list(department="医保", file_name="y.xlsx", sha256="t", received_at=AT, received_date=DAY,
                                   status="refused")
    assert {d: lst.id for d, lst in store.departments.latest_lists().items()} == {"医保": new, "民政": other}
    assert store.departments.latest_list("医保").id == new and old < new
    _warning(store, new, hid, "A" * 18)
    assert store.departments.overdue(DAY + dt.timedelta(days=15)) == []  # the last day still counts
    [late] = store.departments.overdue(DAY + dt.timedelta(days=16), town="马坝镇")
    assert (late.household_no, late.head_name, late.household_state, late.on_file) == ("NOAAAA", "户主AA", "未纳入", True)
    assert store.departments.overdue(DAY + dt.timedelta(days=16), town="大塘镇") == []


def test_share_rows_are_the_monitored_households_with_members_measures_and_last_change(store):
    measure = {"category": "健康帮扶", "content": "落实大病医疗救助", "start_date": "2021-07-01", "responsible": "镇卫生院"}
    a = household(store, "A" * 18, state="帮扶中", members=[person("A" * 18), person("B" * 18, relation="配偶")],
                  measures=[measure])
    household(store, "C" * 18, state="线索", members=[person("C" * 18)])
    household(store, "D" * 18, state="帮扶中", members=[person("D" * 18)], on_file=False)
    e = household(store, "E" * 18, state="风险已消除", members=[person("E" * 18)])
    with store.atomic():
        store.events.record(household_id=e, event="transition", action="同意", from_state="待区审批",
                            to_state="风险已消除", level="区", at=AT, effective_date=DAY - dt.timedelta(days=2))
    [row] = store.departments.share_rows(states=["帮扶中", "待镇验收", "待区审批"])
    assert (row.household.id, [m["person_id"] for m in row.members], row.changed) == (
        a, ["A" * 18, "B" * 18], DAY - dt.timedelta(days=30))
    assert row.measures == [{**measure, "start_date": dt.date(2021, 7, 1)}]
    since = store.departments.share_rows(states=["帮扶中", "风险已消除"], since=DAY - dt.timedelta(days=7))
    assert [(r.household.head_id, r.changed) for r in since] == [("E" * 18, DAY - dt.timedelta(days=2))]
