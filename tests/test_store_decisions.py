"""The store's read models of decisions (what the town decided on the households waiting for the district; what
a town sent up and what came back) and the decisions people typed that were refused, kept for the next copy.
Real ledgers on both backends; the events are made through workflow.transition as a pass makes them."""

from __future__ import annotations

import datetime as dt

import pytest

from excel_bridge.store import Store
from excel_bridge.workflow import DISTRICT, LEAD, TOWN, TOWN_CHECK, VILLAGE, transition

pytestmark = pytest.mark.backends

AT = dt.datetime(2021, 12, 20, 9, 0, 0)


def _household(store: Store, name: str, *, town: str = "马坝镇", state: str = LEAD) -> int:
    with store.atomic():
        return store.households.create(
            head_id=f"H-{name}", head_name=name, town=town,
            village="石塘村", state=state, household_no=None, provisional=False, lead_date=None,
            identified_date=None, submission_id=None, row=2, data={}, assessment={"proposed": True}, errors=0,
            warnings=0, at=AT)


def _move(store: Store, hid: int, action: str, level: str, *, person: str | None = None,
          comment: str | None = None, day: dt.date | None = None, minutes: int = 0) -> None:
    with store.atomic():
        hh = store.households.get(hid)
        transition(store.moves, hh, action, level, at=AT + dt.timedelta(minutes=minutes), person=person, comment=comment,
                   decided_on=day)


def test_latest_decision_of_a_level_for_many_households_in_one_read(store):
    a, b, c = (_household(store, n) for n in ("陈伟", "李秀英", "王五"))
    for hid in (a, b, c):
        _move(store, hid, "评议公示通过", VILLAGE)
    _move(store, a, "退回", TOWN, person="王核查", comment="收入核算有误", day=dt.date(2021, 12, 1), minutes=1)
    _move(store, a, "评议公示通过", VILLAGE, minutes=2)
    _move(store, a, "同意", TOWN, person="张核查", comment="入户核实属实", day=dt.date(2021, 12, 10), minutes=3)
    _move(store, b, "同意", TOWN, person="王核查", day=dt.date(2021, 12, 11), minutes=4)
    found = store.events.latest_decisions(TOWN, [a, b, c, 999])
    assert set(found) == {a, b}  # c: no town decision yet; 999: no such household
    assert (found[a].action, found[a].comment, found[a].person, found[a].effective_date, found[a].to_state) == (
        "同意", "入户核实属实", "张核查", dt.date(2021, 12, 10), "待区认定")
    assert (found[b].action, found[b].comment, found[b].person, found[b].effective_date) == (
        "同意", None, "王核查", dt.date(2021, 12, 11))
    assert store.events.latest_decisions(DISTRICT, [a, b]) == {}
    assert store.events.latest_decisions(TOWN, []) == {}


def test_latest_decisions_of_more_households_than_one_query_list_holds(store):
    ids = [_household(store, f"户{n:04d}", state=TOWN_CHECK) for n in range(1203)]
    with store.atomic():
        for hid in ids[::2]:
            transition(store.moves, store.households.get(hid), "同意", TOWN, at=AT, person="王核查")
    found = store.events.latest_decisions(TOWN, ids)
    assert sorted(found) == ids[::2]


def test_what_a_town_sent_up_and_what_came_back(store):
    a, b, c, other = (_household(store, n, state=TOWN_CHECK) for n in ("陈伟", "李秀英", "王五", "赵六"))
    with store.atomic():
        store.households.create(head_id="440205197001019999", head_name="外镇户", town="大塘镇", village="新塘村",
                                state=TOWN_CHECK, household_no=None, provisional=False, lead_date=None,
                                identified_date=None, submission_id=None, row=3, data={}, assessment={},
                                errors=0, warnings=0, at=AT)
    _move(store, a, "同意", TOWN, person="王核查", comment="属实", day=dt.date(2021, 12, 1), minutes=1)
    _move(store, a, "退回", DISTRICT, person="李审核", comment="请补充材料", day=dt.date(2021, 12, 5), minutes=2)
    _move(store, a, "评议公示通过", VILLAGE, minutes=3)
    _move(store, a, "同意", TOWN, person="王核查", comment="已补充", day=dt.date(2021, 12, 8), minutes=4)
    _move(store, b, "退回", TOWN, person="王核查", comment="不符合条件", day=dt.date(2021, 12, 2), minutes=5)
    _move(store, c, "同意", TOWN, person="张核查", day=dt.date(2021, 12, 3), minutes=6)
    _move(store, c, "不予认定", DISTRICT, person="李审核", comment="有稳定收入", day=dt.date(2021, 12, 6), minutes=7)
    sent = store.views.town_decisions("马坝镇", town_level=TOWN, district_level=DISTRICT)
    assert [(s.head_name, s.town_decision.action, s.town_decision.effective_date,
             s.district_decision.action if s.district_decision else None,
             s.district_decision.comment if s.district_decision else None, s.state) for s in sent] == [
        ("陈伟", "同意", dt.date(2021, 12, 8), None, None, "待区认定"),       # sent up again, the district not yet
        ("王五", "同意", dt.date(2021, 12, 3), "不予认定", "有稳定收入", "未纳入"),
        ("李秀英", "退回", dt.date(2021, 12, 2), None, None, "线索"),
        ("陈伟", "同意", dt.date(2021, 12, 1), "退回", "请补充材料", "待区认定"),
    ]
    assert other not in {s.household_id for s in sent}  # 赵六: the town has not decided
    assert store.views.town_decisions("大塘镇", town_level=TOWN, district_level=DISTRICT) == []


def test_refused_decisions_are_kept_per_level_and_household_and_cleared_per_town(store):
    a, b = _household(store, "陈伟"), _household(store, "李秀英", town="大塘镇")
    with store.atomic():
        store.drafts.keep(level=TOWN, household_id=a, town="马坝镇", version=2, decision="退回", comment=None,
                          person="王核查", decided_on=dt.date(2021, 12, 1), flagged=("comment",), at=AT)
        store.drafts.keep(level=TOWN, household_id=a, town="马坝镇", version=3, decision="同意", comment="属实",
                          person=None, decided_on=None, flagged=("person",), at=AT)  # replaces the first
        store.drafts.keep(level=TOWN, household_id=b, town="大塘镇", version=1, decision="可以", comment=None,
                          person=None, decided_on=None, flagged=("decision", "person"), at=AT)
        store.drafts.keep(level=DISTRICT, household_id=a, town="马坝镇", version=3, decision="不予认定",
                          comment=None, person=None, decided_on=None, flagged=("comment", "person"), at=AT)
    town = store.drafts.of(TOWN, [a, b, 999])
    assert (town[a].version, town[a].decision, town[a].comment, town[a].person, town[a].flagged) == (
        3, "同意", "属实", None, ("person",))
    assert (town[b].decision, town[b].flagged) == ("可以", ("decision", "person"))
    assert store.drafts.of(DISTRICT, [a, b])[a].decision == "不予认定"
    with store.atomic():
        store.drafts.clear(level=TOWN, town="马坝镇")  # 马坝镇's workbook was read again
    assert set(store.drafts.of(TOWN, [a, b])) == {b}
    assert set(store.drafts.of(DISTRICT, [a, b])) == {a}
    with store.atomic():
        store.drafts.clear(level=DISTRICT, town=None)
    assert store.drafts.of(DISTRICT, [a, b]) == {}


def test_the_last_return_or_refusal_of_many_households_is_each_ones_last_alone(store):
    """status.statuses reads a village's 退回/不予认定 days at once: the same days last_reset gives one by one."""
    from excel_bridge.workflow import last_reset, last_resets

    a, b, c = (_household(store, name) for name in ("甲", "乙", "丙"))
    for hid in (a, b):  # both go to the town; the town sends a back twice and b once
        _move(store, hid, "评议公示通过", VILLAGE)
    _move(store, a, "退回", TOWN, comment="收入核算有误", day=dt.date(2021, 12, 5), minutes=1)
    _move(store, a, "评议公示通过", VILLAGE, minutes=2)
    _move(store, a, "退回", TOWN, comment="再核", day=dt.date(2021, 12, 9), minutes=3)
    _move(store, b, "退回", TOWN, comment="缺材料", day=dt.date(2021, 12, 7), minutes=4)
    assert last_resets(store.moves, [a, b, c]) == {a: dt.date(2021, 12, 9), b: dt.date(2021, 12, 7)}
    assert [last_reset(store.moves, h) for h in (a, b, c)] == [dt.date(2021, 12, 9), dt.date(2021, 12, 7), None]
    assert last_resets(store.moves, []) == {}
