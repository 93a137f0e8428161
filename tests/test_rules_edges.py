"""Issue 9: the rules at their edges, as the revised docs/domain.md ("Rules") states them.

Every case is a real workbook written by the template writer and read back: checked with `check_file`,
the headline cases also through `excel-bridge check --json --as-of 2021-12-31` as a subprocess (the
process-pass cases are in test_rules_process.py). Ages are counted on END (2021-12-31); a person born
on 31 December turns that age on END itself.
"""

from __future__ import annotations

import datetime as dt
import json
from fractions import Fraction

import pytest
from cli_helpers import run_cli
from factory import check, household, measure, member, person, review

from excel_bridge.returned.plan import assessment_text
from excel_bridge.rules import Assessor

END = dt.date(2021, 12, 31)
HH, MEM, REV = "户信息", "家庭成员", "评议公示"
_ids: dict[tuple, str] = {}
_per_age: dict[int, int] = {}


def born(age: int, key: tuple) -> str:
    """A valid ID of someone who turns `age` on END — the same one for the same key (a household sent
    again is the same household), a fresh one otherwise."""
    if (key, age) not in _ids:
        _per_age[age] = _per_age.get(age, 0) + 1
        _ids[(key, age)] = person(dt.date(END.year - age, 12, 31), _per_age[age])
    return _ids[(key, age)]


def home(name: str, *, age: int = 45, size: int | None = None, wage: float = 0, business: float = 0,
         transfer: float = 0, cost: float = 0, labour: str = "普通劳动力", work: int = 10,
         others: tuple[dict, ...] = (), **over) -> dict:
    """One household: a head aged `age` plus `others` (made with `other`), incomes for the whole
    household; `size` defaults to the members listed."""
    head = born(age, (name,))
    members = [member(head, head, "户主", name=name, labour=labour, work_months=work)]
    for i, spec in enumerate(others, start=1):
        spec = dict(spec)
        members.append({**spec, "head_id": head, "person_id": born(spec.pop("_age"), (name, i))})
        members[-1].pop("_age", None)
    row = household(head, head_name=name, size=size if size is not None else len(members), wage_income=wage,
                    business_income=business, property_income=0, transfer_income=transfer, business_cost=cost,
                    **over)
    return {"household": [row], "member": members, "measure": [], "review": []}


def other(age: int, relation: str = "配偶", **over) -> dict:
    """A member of the household `home` puts it in (its ID is made there)."""
    return {**member("", "", relation, **{"name": "家人", **over}), "_age": age}


def village(*homes: dict) -> dict:
    return {k: [r for h in homes for r in h[k]] for k in ("household", "member", "measure", "review")}


def judged(tmp_path, config, *homes: dict):
    """(result, [(household, assessment)] in file order)."""
    r = check(tmp_path, config, village(*homes), as_of=END)
    return r, r.pairs()


def codes(result) -> list[tuple]:
    return [(i.code, i.severity, i.sheet, i.row, i.column, i.value) for i in result.issues]


# --- the line: 以下 includes the number itself (plan 三; 民法典 第1259条), compared exactly -------------

@pytest.mark.parametrize("wage, proposed", [(9599.99, True), (9600, True), (9600.01, False)],
                         ids=["1分below", "at-the-line", "1分above"])
def test_at_the_line_and_one_fen_either_side(tmp_path, config, wage, proposed):
    r, [(hh, a)] = judged(tmp_path, config, home("陈一", wage=wage))
    assert r.issues == []
    assert hh.per_capita_income == wage and hh.line == 9600
    assert (a.holds, a.proposed) == ((["R-INCOME"], True) if proposed else ([], False))
    assert a.category == ("边缘易致贫户" if proposed else None)
    assert (a.assistance, a.scope) == (("开发式帮扶", "单项措施") if proposed else (None, None))


def test_line_inclusive_false_reads_below(tmp_path, config):
    from test_rules import rules_copy

    from excel_bridge.config import load_config

    def edit(name, data):
        if name == "monitoring_line.yaml":
            return {**data, "line_inclusive": False}
    strict = load_config(rules_dir=rules_copy(tmp_path, edit))
    assert strict.rules.line.line_inclusive is False
    r, pairs = judged(tmp_path, strict, home("陈一", wage=9600), home("陈二", wage=9599.99))
    assert r.issues == []
    assert [(a.holds, a.proposed) for _, a in pairs] == [([], False), (["R-INCOME"], True)]


def test_a_fraction_of_a_fen_below_is_below(tmp_path, config):
    """28,799.99 / 3 = 9,599.9967: never rounded to 9,600.00 before the comparison."""
    r, [(hh, a)] = judged(tmp_path, config, home("陈三", wage=28799.99, others=(other(43), other(20, "之子"))))
    assert r.issues == []
    assert hh.per_capita_income == float(Fraction(2879999, 300)) != 9600.0
    assert (a.holds, a.proposed, a.category) == (["R-INCOME"], True, "边缘易致贫户")


def test_income_mismatch_compares_exactly(tmp_path, config):
    """INCOME-TOLERANCE 1 元: 9,601.00 filled against 28,800.01 / 3 = 9,600.0033 is off by 0.9967 — no issue;
    9,601.01 is off by 1.0067 — a hint."""
    near = home("陈四", wage=28800.01, per_capita_income=9601, others=(other(43), other(20, "之子")))
    far = home("陈五", wage=28800.01, per_capita_income=9601.01, others=(other(44), other(21, "之子")))
    r, _ = judged(tmp_path, config, near, far)
    assert codes(r) == [("INCOME_MISMATCH", "warning", HH, 3, "人均纯收入", "9601.01")]


# --- R-DROP: proposes only with R-INCOME; above the range it is a warning to verify ---------------------

@pytest.mark.parametrize("now, holds", [(28004, False), (28000, True), (27996, True)],
                         ids=["29.99%", "30%", "30.01%"])
def test_drop_above_the_range_is_a_warning_to_verify(tmp_path, config, now, holds):
    r, [(_, a)] = judged(tmp_path, config, home("林一", wage=now, prev_per_capita_income=40000))
    assert a.results["R-DROP"] is holds and a.results["R-INCOME"] is False
    assert (a.holds, a.proposed, a.category, a.assistance) == ((["R-DROP"] if holds else []), False, None, None)
    assert codes(r) == ([("R-DROP-VERIFY", "warning", HH, 2, "上年人均纯收入", "40000")] if holds else [])
    if holds:
        issue = r.issues[0]
        assert issue.message == (f"人均纯收入 {now} 元比上年的 40000 元下降了 {(40000 - now) / 400:.2f}%（达到 30% "
                                 "的大幅缩减标准），但仍高于监测线，系统不建议纳入监测；收入大幅下降，请入户核实。")
        assert r.valid  # a 提示: it never stops the file
    assert assessment_text(a, config).endswith(  # the rule in words with its clause, no rule id
        "；收入大幅缩减（方案二）：收入大幅下降但仍高于监测线，请入户核实" if holds else "两不愁三保障及饮水安全有保障")


@pytest.mark.parametrize("now, category", [(8401.2, "边缘易致贫户"), (8400, "突发严重困难户"),
                                           (8398.8, "突发严重困难户")], ids=["29.99%", "30%", "30.01%"])
def test_drop_within_the_range_makes_the_hardship_sudden(tmp_path, config, now, category):
    r, [(_, a)] = judged(tmp_path, config, home("林二", wage=now, prev_per_capita_income=12000))
    assert r.issues == []
    assert a.holds == (["R-INCOME", "R-DROP"] if category == "突发严重困难户" else ["R-INCOME"])
    assert (a.proposed, a.category) == (True, category)


# --- a wrong size: every per-person figure unknown, the household 无法研判 ---------------------------------

def test_size_disagreeing_with_the_members_leaves_the_household_unjudged(tmp_path, config):
    """家庭人口数 4 with 3 members and 33,000: not 8,250 and proposed, not 11,000 either — unknown."""
    r, [(hh, a)] = judged(tmp_path, config, home("黄一", size=4, wage=33000, others=(other(43), other(20, "之子"))))
    assert codes(r) == [("SIZE_MISMATCH", "error", HH, 2, "家庭人口数", "4")]  # no INCOME_MISMATCH: nothing to compare
    assert (hh.get("size"), hh.per_capita_income, hh.computed_income) == (4, None, None)
    assert a.results == {"R-INCOME": None, "R-DROP": False, "R-RIGID": False, "R-GUARANTEE": False, "R-SPECIAL": False}
    assert (a.proposed, a.category, a.assistance, a.unknown_inputs) == (None, None, None, ["家庭人口数"])
    assert assessment_text(a, config) == "无法研判：“家庭人口数”填写有误或与其他表不一致，请先改正；改正前本户不进入审核流程"


def test_an_invalid_income_names_its_cell_in_the_verdict(tmp_path, config):
    r, [(_, a)] = judged(tmp_path, config, home("黄二", wage="三万", medical_expense="很多"))
    assert [c[:5] for c in codes(r)] == [("NOT_NUMBER", "error", HH, 2, "工资性收入"),
                                         ("NOT_NUMBER", "error", HH, 2, "合规自付医疗支出")]
    assert (a.proposed, a.unknown_inputs) == (None, ["工资性收入", "合规自付医疗支出"])
    assert assessment_text(a, config).startswith("无法研判：“工资性收入”、“合规自付医疗支出”填写有误")


# --- labour: 16–64, 弱/半 counts as able; the assistance suggestion -------------------------------------

def test_partial_labour_that_worked_is_labour(tmp_path, config):
    """The household that never reached the town: its only worker 弱/半, 8 months of work, 就业不稳定减收."""
    r, [(_, a)] = judged(tmp_path, config, home("吴一", wage=8000, labour="弱劳动力或半劳动力", work=8,
                                                 main_risk="就业不稳定减收"))
    assert r.issues == [] and r.valid  # no C-LABOUR-RISK: an error here stopped the village step
    assert (a.has_labour, a.holds, a.category, a.assistance, a.scope) == (
        True, ["R-INCOME"], "边缘易致贫户", "开发式帮扶", "单项措施")


@pytest.mark.parametrize("over, assistance", [
    ({"transfer": 8000}, "兜底保障+开发式帮扶"),           # 弱/半, no work, no wage or business income
    ({"business": 3000, "transfer": 5000}, "开发式帮扶"),  # business income: it earns
    ({"transfer": 8000, "work": 3}, "开发式帮扶"),         # it worked
], ids=["no-work-no-income", "business-income", "worked"])
def test_partial_labour_assistance(tmp_path, config, over, assistance):
    work = over.pop("work", 0)
    r, [(_, a)] = judged(tmp_path, config, home("吴二", labour="弱劳动力或半劳动力", work=work, **over))
    assert r.issues == []
    assert (a.has_labour, a.proposed, a.assistance) == (True, True, assistance)


def test_two_partial_workers_above_the_line_may_be_eliminated(tmp_path, config):
    """Two 弱/半 members working 10–12 months with 13,000 per person: 开发式帮扶 and eligible, not 暂不标注."""
    rows = home("吴三", wage=26000, labour="弱劳动力或半劳动力", work=12, household_no="44020512345678",
                identified_date=dt.date(2021, 1, 5),
                others=(other(48, labour="弱劳动力或半劳动力", work_months=10),))
    rows["measure"] = [measure(rows["household"][0]["head_id"], "就业帮扶")]
    r, [(hh, a)] = judged(tmp_path, config, rows)
    assert r.issues == []
    assert (a.has_labour, a.proposed, a.assistance) == (True, False, "开发式帮扶")
    verdict, reason = Assessor(config).elimination_verdict(hh, identified=None, as_of=END)
    assert (verdict, reason) == ("eligible", "收入稳定达标、“两不愁三保障”及饮水安全巩固，可以启动风险消除程序")


def test_nobody_of_working_age_is_not_marked_eliminated(tmp_path, config):
    rows = home("吴四", age=70, wage=12000, labour="弱劳动力或半劳动力", household_no="44020512345679",
                identified_date=dt.date(2021, 1, 5))
    rows["measure"] = [measure(rows["household"][0]["head_id"], "低保")]
    r, [(hh, a)] = judged(tmp_path, config, rows)
    assert r.issues == []
    assert (a.has_labour, a.assistance) == (False, "兜底保障")
    verdict, reason = Assessor(config).elimination_verdict(hh, identified=None, as_of=END)
    assert verdict == "hold" and "暂不标注" in reason


def test_labour_risk_without_anyone_able_is_a_hint(tmp_path, config):
    r, [(_, a)] = judged(tmp_path, config, home("吴五", age=70, wage=8000, labour="丧失劳动力",
                                                 main_risk="就业不稳定减收"))
    assert codes(r) == [("C-LABOUR-RISK", "warning", HH, 2, "主要风险", "就业不稳定减收")]
    assert r.valid and (a.has_labour, a.assistance) == (False, "兜底保障")


@pytest.mark.parametrize("age, able", [(15, False), (16, True), (59, True), (60, True), (64, True), (65, False)])
def test_working_age_sixteen_to_sixty_four(tmp_path, config, age, able):
    """A household of an old man who lost the ability to work and one 普通劳动力 member of `age`."""
    rows = home("赵一", age=70, wage=8000, labour="丧失劳动力", work=0, others=(other(age, "之子", name="赵二"),))
    r, [(_, a)] = judged(tmp_path, config, rows)
    expected = [] if able else [("C-LABOUR-AGE", "warning", MEM, 3, "劳动技能", "普通劳动力")]
    if age == 15:  # out of school at 15 while 义务教育有保障 = 是
        expected.append(("C-SCHOOL-AGE", "warning", MEM, 3, "在校生状况", None))
    assert codes(r) == expected
    assert (a.has_labour, a.assistance) == ((True, "开发式帮扶") if able else (False, "兜底保障"))
    if not able:
        assert r.issues[0].message == f"赵二今年 {age} 岁，不在 16–64 岁的劳动年龄内，却登记为“普通劳动力”。"


def test_a_child_recorded_as_labour_is_no_labour(tmp_path, config):
    rows = home("赵三", age=70, wage=8000, labour="丧失劳动力", work=0,
                others=(other(8, "之孙子", name="赵四", education=None, schooling="小学"),))
    r, [(_, a)] = judged(tmp_path, config, rows)
    assert codes(r) == [("C-LABOUR-AGE", "warning", MEM, 3, "劳动技能", "普通劳动力")]
    assert (a.has_labour, a.assistance) == (False, "兜底保障")


@pytest.mark.parametrize("age, warned", [(5, False), (6, True), (12, True), (15, True), (16, False)])
def test_school_age_out_of_school_while_education_is_secure(tmp_path, config, age, warned):
    rows = home("钱一", wage=8000, others=(other(age, "之女", name="钱二", labour="无劳动力", work_months=0,
                                                   education="小学"),))
    r, _ = judged(tmp_path, config, rows)
    assert codes(r) == ([("C-SCHOOL-AGE", "warning", MEM, 3, "在校生状况", None)] if warned else [])
    if warned:
        assert r.issues[0].message.startswith(f"钱二今年 {age} 岁，在 6–15 岁的义务教育年龄")


def test_school_age_not_raised_when_education_is_already_insecure(tmp_path, config):
    rows = home("钱三", wage=8000, education_secure="否",
                others=(other(12, "之女", labour="无劳动力", work_months=0, education="小学"),))
    r, _ = judged(tmp_path, config, rows)
    assert r.issues == []


# --- special groups (重点关注, plan 二) -----------------------------------------------------------------

@pytest.mark.parametrize("age, special", [(45, False), (59, False), (60, True)])
def test_disabled_and_tekun_counts_from_sixty(tmp_path, config, age, special):
    rows = home("孙一", age=age, wage=8000, labour="丧失劳动力", work=0)
    rows["member"][0].update(disabled_care="是", tekun="是")
    r, [(_, a)] = judged(tmp_path, config, rows)
    assert r.issues == []
    assert (a.results["R-SPECIAL"], a.priority) == (special, special)


@pytest.mark.parametrize("medical, special", [(4999.99, False), (5000, True)])
def test_chronic_illness_counts_with_a_heavy_burden(tmp_path, config, medical, special):
    rows = home("孙二", wage=20000, medical_expense=medical)
    rows["member"][0]["health"] = "长期慢性病"
    r, [(_, a)] = judged(tmp_path, config, rows)
    assert r.issues == []
    assert a.results["R-SPECIAL"] is special


@pytest.mark.parametrize("kinds, grade, special, hint", [
    ("多重、智力、肢体", "三级", True, False),
    ("智力、肢体", "四级", True, False),
    ("多重、肢体、视力", "三级", False, False),
    ("多重", "三级", False, True),
    ("多重", "二级", True, True),
], ids=["多重含智力", "多类含智力", "多重不含", "只写多重", "多重二级"])
def test_multiple_disability_is_judged_by_its_kinds(tmp_path, config, kinds, grade, special, hint):
    rows = home("孙三", wage=20000)
    rows["member"][0].update(health="残疾", disability_type=kinds, disability_grade=grade)
    r, [(_, a)] = judged(tmp_path, config, rows)
    assert codes(r) == ([("DISABILITY_MULTIPLE_PARTS", "warning", MEM, 2, "残疾类别", "多重")] if hint else [])
    assert a.results["R-SPECIAL"] is special


# --- R-RIGID as a cause, and the category -----------------------------------------------------------------

@pytest.mark.parametrize("over, rigid, category", [
    ({}, False, "边缘易致贫户"),
    ({"medical_expense": 1}, False, "边缘易致贫户"),            # already within by income: 1 元 is no cause
    ({"medical_expense": 19999.99}, False, "边缘易致贫户"),
    ({"medical_expense": 15000, "other_rigid_expense": 5000}, False, "突发严重困难户"),  # CATEGORY: 20,000 a year
    ({"other_risk_2": "因灾因意外事故"}, False, "突发严重困难户"),  # any of the three risk columns
], ids=["no-expense", "1元", "19999.99", "20000", "因灾-其他风险2"])
def test_rigid_spending_of_a_household_already_within_the_range(tmp_path, config, over, rigid, category):
    r, [(_, a)] = judged(tmp_path, config, home("周一", wage=8000, **over))
    assert r.issues == []
    assert (a.results["R-RIGID"], a.holds[:1], a.category) == (rigid, ["R-INCOME"], category)


def test_expense_bringing_an_above_range_household_into_the_range(tmp_path, config):
    cases = [home(f"周{m}", wage=24000, others=(other(41),), medical_expense=m) for m in (4799.99, 4800)]
    r, pairs = judged(tmp_path, config, *cases)  # 12,000 − 4,800 / 2 = 9,600: at the line
    assert r.issues == []
    assert [(a.results["R-RIGID"], a.proposed, a.category) for _, a in pairs] == [
        (False, False, None), (True, True, "突发严重困难户")]


# --- the file's own review and notice: the same verdict in `check` as in `process` --------------------------

@pytest.mark.parametrize("over, expected", [
    ({}, [("CONSENT_MISSING", "error", HH, 2, "承诺授权", "否")]),
    ({"notice_start": dt.date(2021, 12, 28), "notice_end": dt.date(2022, 1, 3)}, []),  # still running on END
    ({"notice_end": dt.date(2021, 11, 5)}, [("NOTICE_TOO_SHORT", "error", REV, 2, "公示结束日期", "4")]),
], ids=["ended", "running", "four-days"])
def test_consent_missing_once_the_notice_has_ended(tmp_path, config, over, expected):
    rows = home("郑一", wage=8000, consent="否")
    rows["review"] = [review(rows["household"][0]["head_id"], **over)]
    r, _ = judged(tmp_path, config, rows)
    assert codes(r) == expected
    assert r.exit_code == (1 if expected else 0)


def test_an_identified_households_inclusion_review_is_history(tmp_path, config):
    """A 纳入监测 review of a household already identified (it may predate this system) is not re-judged."""
    rows = home("郑二", wage=8000, consent="否", household_no="44020512345670", identified_date=dt.date(2020, 5, 1))
    rows["review"] = [review(rows["household"][0]["head_id"], notice_end=dt.date(2021, 11, 3))]
    rows["measure"] = [measure(rows["household"][0]["head_id"], "就业帮扶")]
    r, _ = judged(tmp_path, config, rows)
    assert r.issues == []


# --- the headline cases through `excel-bridge check --json --as-of 2021-12-31` ---------------------------

def _check_json(path) -> tuple[int, dict]:
    proc = run_cli("check", path, "--json", "--as-of", END.isoformat())
    [line] = proc.stdout.splitlines()
    return proc.returncode, json.loads(line)


def test_headline_cases_through_the_command(tmp_path, config):
    from factory import write

    ended = home("郑三", wage=8000, consent="否")
    ended["review"] = [review(ended["household"][0]["head_id"])]
    homes = [home("甲", wage=9600),                                                          # at the line
             home("乙", wage=28799.99, others=(other(43), other(20, "之子"))),              # 9,599.9967
             home("丙", wage=28000, prev_per_capita_income=40000),                          # a 30 % drop above
             home("丁", size=4, wage=33000, others=(other(43), other(20, "之子"))),         # a wrong size
             home("戊", wage=8000, labour="弱劳动力或半劳动力", work=8, main_risk="就业不稳定减收"),
             ended]                                                                          # consent missing
    code, obj = _check_json(write(tmp_path / "边界.xlsx", config, village(*homes)))
    assert code == 1 and obj["valid"] is False
    assert [(i["code"], i["severity"], i["sheet"], i["row"], i["column"], i["value"]) for i in obj["issues"]] == [
        ("SIZE_MISMATCH", "error", HH, 5, "家庭人口数", "4"),
        ("R-DROP-VERIFY", "warning", HH, 4, "上年人均纯收入", "40000"),
        ("CONSENT_MISSING", "error", HH, 7, "承诺授权", "否")]
    got = [(h["per_capita_income"], h["rules"], h["proposed"], h["category"], h["assistance"])
           for h in obj["households"]]
    assert got == [
        (9600.0, ["R-INCOME"], True, "边缘易致贫户", "开发式帮扶"),
        (float(Fraction(2879999, 300)), ["R-INCOME"], True, "边缘易致贫户", "开发式帮扶"),  # 9599.9966…
        (28000.0, ["R-DROP"], False, None, None),
        (None, [], None, None, None),
        (8000.0, ["R-INCOME"], True, "边缘易致贫户", "开发式帮扶"),
        (8000.0, ["R-INCOME"], True, "边缘易致贫户", "开发式帮扶")]


def test_partial_labour_household_is_valid_through_the_command(tmp_path, config):
    from factory import write

    rows = village(home("己", wage=8000, labour="弱劳动力或半劳动力", work=8, main_risk="就业不稳定减收"),
                   home("庚", age=65, wage=9600.01, labour="普通劳动力"))
    code, obj = _check_json(write(tmp_path / "弱劳动力.xlsx", config, rows))
    assert code == 0 and obj["valid"] is True
    assert [(i["code"], i["severity"], i["row"]) for i in obj["issues"]] == [("C-LABOUR-AGE", "warning", 3)]
    assert [(h["proposed"], h["assistance"]) for h in obj["households"]] == [(True, "开发式帮扶"), (False, None)]
