"""A newer list from a department against its open warnings: new, kept, withdrawn (部门已撤销), and never a
verified outcome closed or raised again for the same fact — end to end from two real list files."""

from __future__ import annotations

import datetime as dt

import pytest
from department_lists import write_xlsx

from excel_bridge.departments import (
    WITHDRAWN,
    Area,
    DepartmentWarning,
    Verified,
    evaluate,
    ledger_frame,
    load_departments,
    read_list,
    reconcile,
)
from excel_bridge.departments.reconciliation import NO_LONGER_HOLDS, NOT_LISTED
from excel_bridge.idcard import make_id

NOV, DEC = dt.date(2021, 11, 5), dt.date(2021, 12, 6)
P1, P2, P3, P4 = (make_id("440205", dt.date(1950 + 5 * i, 3, 3), 7 * i + 1) for i in range(4))


def warning(person, rule="D-YB-OTHER", *, household=1, fact="合规自付医疗费用 21,000 元", received=NOV, dept="医保"):
    return DepartmentWarning(department=dept, rule_id=rule, person_id=person, name="", risk_type="因病因残",
                             guarantee=None, fact=fact, household=household, town="马坝镇", village="石塘村",
                             received=received, deadline=received + dt.timedelta(days=15))


def test_new_kept_and_withdrawn():
    opens = [warning(P1), warning(P2), warning(P3)]
    news = [warning(P1, fact="合规自付医疗费用 26,000 元", received=DEC), warning(P4, received=DEC)]
    changes = reconcile(opens, news, department="医保", listed={P1, P3, P4})
    assert changes.new == (news[1],)
    assert changes.kept == ((opens[0], news[0]),)
    assert [(w.warning.person_id, w.reason) for w in changes.withdrawn] == [(P2, NOT_LISTED), (P3, NO_LONGER_HOLDS)]
    assert changes.already_verified == ()
    assert WITHDRAWN == "部门已撤销"


def test_a_verified_fact_is_not_raised_again_but_a_changed_one_is():
    verified = [Verified(("医保", P1, "D-YB-OTHER"), "合规自付医疗费用 21,000 元"),
                Verified(("医保", P2, "D-YB-OTHER"), "合规自付医疗费用 21,000 元")]
    news = [warning(P1, received=DEC), warning(P2, fact="合规自付医疗费用 35,000 元", received=DEC)]
    changes = reconcile([], news, department="医保", listed={P1, P2}, verified=verified)
    assert changes.already_verified == (news[0],) and changes.new == (news[1],)
    assert changes.withdrawn == () and changes.kept == ()


def test_a_person_in_two_households_and_a_person_who_moved():
    opens = [warning(P1, household=1), warning(P1, household=7), warning(P2, household=2)]
    news = [warning(P1, household=7, received=DEC), warning(P1, household=1, received=DEC),
            warning(P2, household=5, received=DEC)]
    changes = reconcile(opens, news, department="医保", listed={P1, P2})
    assert changes.kept == ((opens[1], news[0]), (opens[0], news[1]), (opens[2], news[2]))
    assert changes.new == () and changes.withdrawn == ()


def test_an_empty_newer_list_withdraws_every_open_warning_and_other_departments_are_refused():
    opens = [warning(P1), warning(P2, rule="D-YB-POOR")]
    changes = reconcile(opens, [], department="医保", listed=set())
    assert [w.warning for w in changes.withdrawn] == opens
    with pytest.raises(ValueError):
        reconcile([warning(P1, dept="民政", rule="D-MZ-GRANTED")], [], department="医保", listed=set())


def test_two_monthly_lists_end_to_end(tmp_path):
    depts = load_departments()
    dept = depts.department("医保")
    ledger = ledger_frame([{"person_id": p, "household": n, "town": "马坝镇", "village": "石塘村",
                            "household_type": "普通农户"} for n, p in enumerate((P1, P2, P3, P4), start=1)])
    area = Area("440205", ("马坝镇",))
    head = ["姓名", "身份证号", "合规自付医疗费用"]
    november = write_xlsx(tmp_path / "11月.xlsx", [head, ["甲", P1, 21000], ["乙", P2, 22000], ["丙", P3, 23000]])
    december = write_xlsx(tmp_path / "12月.xlsx", [["十二月推送"], head, ["甲", P1, 21000], ["丙", P3, 2300],
                                                    ["丁", P4, 40000]])
    first = evaluate(read_list(november, dept), ledger, received=NOV, area=area)
    opened = reconcile([], first.warnings, department="医保", listed=read_list(november, dept).listed).new
    assert sorted(w.person_id for w in opened) == [P1, P2, P3]
    p2 = next(w for w in opened if w.person_id == P2)
    later = read_list(december, dept)
    second = evaluate(later, ledger, received=DEC, area=area)
    # P2's warning has been verified by the town meanwhile: it is no longer open, so it is not an input
    changes = reconcile([w for w in opened if w.person_id != P2], second.warnings, department="医保",
                        listed=later.listed, verified=[Verified(p2.key, p2.fact)])
    assert [(o.person_id, o.deadline, n.deadline) for o, n in changes.kept] == [(P1, dt.date(2021, 11, 20),
                                                                                dt.date(2021, 12, 21))]
    assert [(w.warning.person_id, w.reason) for w in changes.withdrawn] == [(P3, NO_LONGER_HOLDS)]
    assert [(w.person_id, w.fact) for w in changes.new] == [(P4, "合规自付医疗费用 40,000 元")]
