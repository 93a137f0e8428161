"""What the rules say back to the clerk as issues (all 提示): a sharp drop to verify, and the consistency
checks of docs/domain.md — labour against risks and ages, schooling, measures against risks. Each code is a
rule id of rules/assessment.yaml (or R-DROP-VERIFY, R-DROP's warning) with its text in the catalogue."""

from __future__ import annotations

import datetime as dt
import weakref
from fractions import Fraction

from . import figures
from .issues import Issue, make_issue
from .messages import Severity
from .rules import RISK_KEYS, Assessment, Assessor, months_between
from .validate import Household


class _Constants:
    """What the checks need of the rules, worked out once per Assessor rather than once per household."""

    def __init__(self, assessor: Assessor) -> None:
        rules = assessor.rules
        self.col = assessor.hh_spec.column
        self.labour_header = assessor.config.schemas.member.column("labour").header
        self.schooling_header = assessor.config.schemas.member.column("schooling").header
        self.tagged_at = {tag: key for key, tag in rules.guarantee.risk_tags.items()}
        self.full_labour = frozenset(rules.labour.full_labour)
        self.working = (rules.labour.min_age, rules.labour.max_age)
        self.schooling = (rules.school_age.min_age, rules.school_age.max_age)
        self.in_school = frozenset(rules.school_age.in_school)
        self.development = frozenset(rules.assistance.development_measures)
        self.matching = {risk: (frozenset(wanted), "、".join(wanted))
                         for risk, wanted in rules.risk_measure.matching_measures.items() if wanted}


_CONSTANTS: weakref.WeakKeyDictionary[Assessor, _Constants] = weakref.WeakKeyDictionary()


def _constants(assessor: Assessor) -> _Constants:
    found = _CONSTANTS.get(assessor)
    if found is None:
        found = _CONSTANTS[assessor] = _Constants(assessor)
    return found


def consistency_issues(assessor: Assessor, hh: Household, a: Assessment, *, identified: dt.date | None,
                       as_of: dt.date) -> list[Issue]:
    rules = assessor.rules
    k = _constants(assessor)
    get = hh.values.get
    identified = identified or get("identified_date")
    issues: list[Issue] = []
    measures = [m.values.get("category") for m in hh.measures]
    measured = set(measures)

    def at_household(code: str, key: str | None, value: object, severity: Severity | None = None,
                     **fields: object) -> None:
        issues.append(make_issue(code, sheet=hh.sheet, row=hh.row, column=k.col(key).header if key else None,
                                 value=value, severity=severity, **fields))

    if a.drop_to_verify:
        prev, now = figures.amount(hh.get("prev_per_capita_income")), figures.per_capita(hh)
        assert prev is not None and now is not None  # R-DROP holds
        fall = (Fraction(prev) - now) / Fraction(prev)
        at_household("R-DROP-VERIFY", "prev_per_capita_income", float(prev), now=float(now),
                     ratio=f"{float(fall):.2%}", limit=f"{float(rules.drop.drop_ratio):.0%}")
    labour = rules.labour
    risks_declared = [r for key in RISK_KEYS if (r := get(key))]
    if a.has_labour is False and rules.labour_risk.risk_type in risks_declared:
        at_household("C-LABOUR-RISK", _declared_at(hh, rules.labour_risk.risk_type), rules.labour_risk.risk_type,
                     low=labour.min_age, high=labour.max_age)
    (work_low, work_high), (school_low, school_high) = k.working, k.schooling
    education_secure = get("education_secure") == "是"
    for m, age in zip(hh.members, a.ages, strict=True):
        if age is None:
            continue
        mget = m.values.get
        if mget("labour") in k.full_labour and not work_low <= age <= work_high:
            issues.append(make_issue("C-LABOUR-AGE", sheet=m.sheet, row=m.row, column=k.labour_header,
                                     value=mget("labour"), name=mget("name") or "", age=age,
                                     low=labour.min_age, high=labour.max_age))
        if education_secure and school_low <= age <= school_high \
                and mget("schooling") not in k.in_school and "schooling" not in m.invalid:
            issues.append(make_issue("C-SCHOOL-AGE", sheet=m.sheet, row=m.row, column=k.schooling_header,
                                     value=mget("schooling"), name=mget("name") or "", age=age,
                                     low=school_low, high=school_high))
    # Measures are planned after identification (plan 五(一)), so only identified households are held to them.
    if identified is not None:
        months = months_between(identified, as_of)
        if a.has_labour and months >= rules.dev_measure.months and measured.isdisjoint(k.development):
            at_household("C-DEV-MEASURE", "identified_date", months)
        for risk in a.risk_types:
            wanted = k.matching.get(risk)
            if wanted is None or not measured.isdisjoint(wanted[0]):
                continue
            at_household("C-RISK-MEASURE", _declared_at(hh, risk) or k.tagged_at.get(risk), risk,
                         expected=wanted[1])
    if len(a.risk_types) == 1 and len(measures) >= rules.measure_stack.min_measures:
        risk = a.risk_types[0]
        at_household("C-MEASURE-STACK", _declared_at(hh, risk) or k.tagged_at.get(risk), risk, n=len(measures))
    return issues


def _declared_at(hh: Household, risk: str) -> str | None:
    """The first risk column that declares `risk`."""
    return next((key for key in RISK_KEYS if hh.values.get(key) == risk), None)
