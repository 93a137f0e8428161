"""Eligibility (研判), category, labour, assistance suggestion and elimination rules of docs/domain.md.

Rules use three-valued logic: True, False, or None when an input the rule needs is invalid. A
household is proposed when any of R-INCOME, R-RIGID, R-GUARANTEE holds, even if another is unknown;
it is not proposed only when all three are known to be false; otherwise its verdict is None
(无法研判) and `unknown_inputs` names the cells to fix. R-DROP marks a household either way but only
proposes it through R-INCOME. Money is compared exactly (see figures.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from . import figures
from .config import Config
from .messages import TEXT
from .schema import GUARANTEE_KEYS
from .validate import Household, Record

RISK_KEYS = ("main_risk", "other_risk_1", "other_risk_2")
SPECIAL_INPUTS = ("health", "disability_type", "disability_grade", "disabled_care", "tekun")  # members' cells
ELIGIBILITY_RULES = ("R-INCOME", "R-RIGID", "R-GUARANTEE")  # R-DROP proposes only together with R-INCOME
INCOME_INPUTS = (*figures.INCOME_KEYS, "business_cost", "size", "per_capita_income", "income_year")
RULE_INPUTS: dict[str, tuple[str, ...]] = {  # 户信息 cells each rule reads (members' cells are added apart)
    "R-INCOME": INCOME_INPUTS,
    "R-DROP": (*INCOME_INPUTS, "prev_per_capita_income"),
    "R-RIGID": (*INCOME_INPUTS, *figures.RIGID_KEYS),
    "R-GUARANTEE": GUARANTEE_KEYS,
}


def proposing(holds: Sequence[str]) -> list[str]:
    """Of the rules that hold, those that propose the household: R-DROP only together with R-INCOME."""
    return [r for r in holds if r in ELIGIBILITY_RULES or (r == "R-DROP" and "R-INCOME" in holds)]


def any3(values: list[bool | None]) -> bool | None:
    """Kleene OR: True if any is True, None if none is True but some are unknown."""
    unknown = False
    for v in values:
        if v is True:
            return True
        if v is None:
            unknown = True
    return None if unknown else False


def all3(values: list[bool | None]) -> bool | None:
    """Kleene AND: False if any is False, None if none is False but some are unknown."""
    unknown = False
    for v in values:
        if v is False:
            return False
        if v is None:
            unknown = True
    return None if unknown else True


def months_between(start: dt.date, end: dt.date) -> int:
    months = (end.year - start.year) * 12 + (end.month - start.month)
    return months - (1 if end.day < start.day else 0)


@dataclass
class Assessment:
    """The 研判 of one household; rule ids as in rules/assessment.yaml."""

    results: dict[str, bool | None]
    proposed: bool | None
    category: str | None
    risk_types: list[str]
    priority: bool
    assistance: str | None
    scope: str | None
    has_labour: bool | None
    unknown_inputs: list[str] = field(default_factory=list)  # headers of the invalid cells behind a None verdict
    ages: list[int | None] = field(default_factory=list)  # of hh.members on the day judged (None: unknown)

    @property
    def holds(self) -> list[str]:
        return [rid for rid, v in self.results.items() if v is True]

    @property
    def unknown(self) -> list[str]:
        return [rid for rid, v in self.results.items() if v is None]

    @property
    def drop_to_verify(self) -> bool:
        """R-DROP holds but the household is above the range: a warning to verify, not a proposal."""
        return self.results.get("R-DROP") is True and self.results.get("R-INCOME") is False


# risk-elimination verdicts (plan 五(二)), and whether each lets the chain start
ELIGIBLE, CONTINUE, HOLD, UNKNOWN = "eligible", "continue", "hold", "unknown"
ELIMINATION_ELIGIBLE: dict[str, bool | None] = {ELIGIBLE: True, CONTINUE: False, HOLD: None, UNKNOWN: None}


class Assessor:
    """Applies the configured rules to validated households."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.rules = config.rules.rules
        self.inclusive = config.rules.line.line_inclusive
        self.hh_spec = config.schemas.household
        labour, special = self.rules.labour, self.rules.special
        self.full_labour, self.partial_labour = set(labour.full_labour), set(labour.partial_labour)
        self.able_labour = self.full_labour | self.partial_labour
        self.kept_after_drop = 1 - Fraction(self.rules.drop.drop_ratio)  # a fall of ≥ ratio keeps ≤ this share
        self.serious, self.chronic = set(special.serious_illness), set(special.chronic_illness)
        self.severe, self.mild_types = set(special.severe_grades), set(special.mild_types)
        self.mild_grades = set(special.mild_grades)

    # --- the monitoring range (plan 三) ---
    def within(self, per_person: Fraction, line: Fraction) -> bool:
        """以下 includes the line itself unless the district set line_inclusive: false."""
        left, right = per_person.numerator * line.denominator, line.numerator * per_person.denominator
        return left <= right if self.inclusive else left < right  # in integers: Fraction compares slowly

    # --- single rules (pc: figures.per_capita, line: figures.line, computed once per household) ---
    def r_income(self, pc: Fraction | None, line: Fraction | None) -> bool | None:
        return None if pc is None or line is None else self.within(pc, line)

    def r_drop(self, hh: Household, pc: Fraction | None) -> bool | None:
        if "prev_per_capita_income" in hh.invalid:
            return None
        prev = figures.amount(hh.get("prev_per_capita_income"))
        if prev is None or prev <= 0:
            return False
        if pc is None:
            return None
        # prev − pc ≥ prev × ratio, exactly: pc ≤ prev × kept, in integers (Fraction arithmetic is slow)
        prev_n, prev_d = prev.as_integer_ratio()
        kept = self.kept_after_drop
        return pc.numerator * prev_d * kept.denominator <= prev_n * kept.numerator * pc.denominator

    def r_rigid(self, hh: Household, income: bool | None, pc: Fraction | None, line: Fraction | None) -> bool | None:
        """Hardship caused by rigid spending: above the range by income, within it once the spending is taken."""
        if hh.ok(*figures.RIGID_KEYS) and not any(map(hh.values.get, figures.RIGID_KEYS)):
            return False  # no spending (blank or 0): most households, without converting the amounts
        total = figures.rigid_total(hh)
        if total is None:
            return None
        if total == 0 or income is True:
            return False  # no spending, or already within the range by income alone
        if income is None:
            return None
        size = figures.known_size(hh)
        assert pc is not None and line is not None and size is not None  # R-INCOME is known
        return self.within(pc - Fraction(total) / size, line)

    def guarantee_failures(self, hh: Household) -> list[str]:
        get = hh.values.get
        return [k for k in GUARANTEE_KEYS if get(k) == "否"]

    def r_guarantee(self, hh: Household) -> bool | None:
        if self.guarantee_failures(hh) or any(m.values.get("medical_insurance") == "否" for m in hh.members):
            return True
        if not hh.ok(*GUARANTEE_KEYS) or any("medical_insurance" in m.invalid for m in hh.members):
            return None
        return False

    def member_special(self, m: Record, age: int | None, hh: Household) -> bool | None:
        """重点关注 (plan 二): 大病; 负担较重的慢性病; 重度残疾; 3、4级精神/智力残疾 (also inside 多重); 失能特困老年人."""
        s = self.rules.special
        get = m.values.get  # called for every member of every household: no method call per cell
        health = get("health") or ()
        grade = get("disability_grade")
        if not self.serious.isdisjoint(health) or grade in self.severe or (
                grade in self.mild_grades and not self.mild_types.isdisjoint(get("disability_type") or ())):
            return True
        found: list[bool | None] = []
        if not self.chronic.isdisjoint(health):  # 负担较重: the household's own medical spending shows the burden
            found.append(None if "medical_expense" in hh.invalid
                         else (figures.amount(hh.get("medical_expense")) or Decimal(0)) >= s.chronic_burden_yuan)
        if get("disabled_care") == "是" and get("tekun") == "是":
            found.append(None if age is None else age >= s.care_elderly_age)
        if m.invalid and not m.ok(*SPECIAL_INPUTS):
            found.append(None)
        return any3(found)

    def r_special(self, hh: Household, ages: list[int | None]) -> bool | None:
        return any3([self.member_special(m, age, hh) for m, age in zip(hh.members, ages, strict=True)])

    # --- labour (plan 五(二), 六(一)(二)); ages: figures.age_of of each member, computed once ---
    def working_age(self, age: int | None) -> bool | None:
        return None if age is None else self.rules.labour.min_age <= age <= self.rules.labour.max_age

    def can_work(self, m: Record, age: int | None, kinds: set[str]) -> bool | None:
        """A member of working age whose 劳动技能 is one of `kinds`."""
        if "labour" in m.invalid:
            return None
        if m.values.get("labour") not in kinds:
            return False
        return self.working_age(age)

    def has_labour(self, hh: Household, ages: list[int | None]) -> bool | None:
        """Someone aged 16–64 with 普通/技能 or 弱/半 labour; only 丧失/无劳动力 (or nobody of working age)
        is "cannot work"."""
        if not hh.members:
            return None
        return any3([self.can_work(m, age, self.able_labour) for m, age in zip(hh.members, ages, strict=True)])

    def assistance(self, hh: Household, labour: bool | None, ages: list[int | None]) -> str | None:
        """开发式帮扶 for those who can earn; 兜底保障 (plus 开发式 where possible) for partial labour with
        no work and no such income; 兜底保障 when nobody can work (plan 六(一)(二))."""
        if labour is not True:
            return None if labour is None else TEXT["assistance.security"]
        earns: list[bool | None] = []
        for m, age in zip(hh.members, ages, strict=True):
            earns.append(self.can_work(m, age, self.full_labour))
            worked = None if "work_months" in m.invalid else (m.get("work_months") or 0) > 0
            earns.append(all3([self.can_work(m, age, self.partial_labour), worked]))
        for key in ("wage_income", "business_income"):
            earns.append(None if key in hh.invalid else (figures.amount(hh.get(key)) or 0) > 0)
        develop = any3(earns)
        if develop is None:
            return None
        return TEXT["assistance.development"] if develop else TEXT["assistance.security_and_development"]

    # --- risks ---
    def declared_risks(self, hh: Household) -> list[str]:
        get = hh.values.get
        return list(dict.fromkeys([r for k in RISK_KEYS if (r := get(k))]))

    def risk_types(self, hh: Household) -> list[str]:
        risks = self.declared_risks(hh)
        for key in self.guarantee_failures(hh):
            tag = self.rules.guarantee.risk_tags.get(key)
            if tag and tag not in risks:
                risks.append(tag)
        return risks

    # --- the whole assessment ---
    def assess(self, hh: Household, *, identified: dt.date | None = None, as_of: dt.date) -> Assessment:
        pc, line = figures.per_capita(hh), figures.line(hh)
        ages = [figures.age_of(m, as_of) for m in hh.members]
        income = self.r_income(pc, line)
        results: dict[str, bool | None] = {
            "R-INCOME": income,
            "R-DROP": self.r_drop(hh, pc),
            "R-RIGID": self.r_rigid(hh, income, pc, line),
            "R-GUARANTEE": self.r_guarantee(hh),
            "R-SPECIAL": self.r_special(hh, ages),
        }
        proposed = any3([results[r] for r in ELIGIBILITY_RULES])
        risks = self.risk_types(hh)
        labour = self.has_labour(hh, ages)
        identified = identified or hh.get("identified_date")
        monitored = proposed is True or identified is not None
        assistance = self.assistance(hh, labour, ages) if monitored else None
        scope = TEXT["assistance.comprehensive" if len(risks) > 1 else "assistance.single"] if monitored else None
        return Assessment(results=results, proposed=proposed, category=self._category(hh, proposed, results),
                          risk_types=risks, priority=results["R-SPECIAL"] is True, assistance=assistance,
                          scope=scope, has_labour=labour, ages=ages,
                          unknown_inputs=self._unknown_inputs(hh, results) if proposed is None else [])

    def _category(self, hh: Household, proposed: bool | None, results: dict[str, bool | None]) -> str | None:
        """脱贫户 → 脱贫不稳定户; sudden hardship → 突发严重困难户; otherwise 边缘易致贫户 (plan 二, 六(一))."""
        if proposed is not True or "household_type" in hh.invalid or hh.get("household_type") is None:
            return None
        if hh.get("household_type") == "脱贫户":
            return "脱贫不稳定户"
        c = self.rules.category
        disaster = any3([None if key in hh.invalid else hh.get(key) in c.sudden_risk_types for key in RISK_KEYS])
        total = figures.rigid_total(hh)
        heavy = None if total is None else total >= c.sudden_rigid_yuan
        sudden = any3([results["R-RIGID"], all3([results["R-DROP"], results["R-INCOME"]]), disaster,
                       all3([results["R-INCOME"], heavy])])
        if sudden is None:
            return None
        return "突发严重困难户" if sudden else "边缘易致贫户"

    def _unknown_inputs(self, hh: Household, results: dict[str, bool | None]) -> list[str]:
        """The headers of the invalid cells that leave the eligibility rules unknown (for 研判结论)."""
        keys = [k for rule in ELIGIBILITY_RULES if results[rule] is None for k in RULE_INPUTS[rule]]
        headers = [self.hh_spec.column(k).header for k in dict.fromkeys(keys) if k in hh.invalid]
        if results["R-GUARANTEE"] is None and any("medical_insurance" in m.invalid for m in hh.members):
            headers.append(self.config.schemas.member.column("medical_insurance").header)
        return headers

    # --- risk elimination (plan 五(二)、五(三)) ---
    def elimination(self, hh: Household, *, identified: dt.date | None, as_of: dt.date) -> tuple[bool | None, str]:
        """(eligible, reason in Chinese). None = 暂不标注 (nobody can work) or inputs invalid."""
        verdict, reason = self.elimination_verdict(hh, identified=identified, as_of=as_of)
        return ELIMINATION_ELIGIBLE[verdict], reason

    def elimination_verdict(self, hh: Household, *, identified: dt.date | None, as_of: dt.date) -> tuple[str, str]:
        """(verdict, reason in Chinese); verdict is one of ELIMINATION_ELIGIBLE's keys."""
        identified = identified or hh.get("identified_date")
        a = self.assess(hh, identified=identified, as_of=as_of)
        if identified is None:
            return CONTINUE, TEXT["elimination.not_identified"]
        months = months_between(identified, as_of)
        minimum = self.rules.eliminate.min_months
        if months < minimum:
            return CONTINUE, TEXT["elimination.too_soon"].format(months=months, minimum=minimum)
        if not hh.measures:
            return CONTINUE, TEXT["elimination.no_measure"]
        if a.results["R-INCOME"] is None:
            return UNKNOWN, TEXT["elimination.income_unknown"]
        if a.results["R-INCOME"] is not False:
            return CONTINUE, TEXT["elimination.income_low"]
        prev, pc = figures.amount(hh.get("prev_per_capita_income")), figures.per_capita(hh)
        if a.results["R-DROP"] is True or (prev is not None and pc is not None and pc < prev):
            return CONTINUE, TEXT["elimination.falling"]
        if a.results["R-RIGID"] is not False:
            return CONTINUE, TEXT["elimination.rigid"]
        if a.results["R-GUARANTEE"] is not False:
            return CONTINUE, TEXT["elimination.guarantee"]
        if a.has_labour is False:
            return HOLD, TEXT["elimination.no_labour"]
        if a.has_labour is None:
            return UNKNOWN, TEXT["elimination.labour_unknown"]
        return ELIGIBLE, TEXT["elimination.eligible"]
