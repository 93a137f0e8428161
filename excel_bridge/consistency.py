"""What the rules say back to the clerk as issues (all 提示): a sharp drop to verify, and the consistency
checks of DOMAIN.md — labour against risks and ages, schooling, measures against risks. Each code is a
rule id of rules/assessment.yaml (or R-DROP-VERIFY, R-DROP's warning) with its text in the catalogue."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

from . import figures
from .issues import Issue, make_issue
from .rules import RISK_KEYS, Assessment, Assessor, months_between
from .validate import Household


def consistency_issues(assessor: Assessor, hh: Household, a: Assessment, *, identified: dt.date | None,
                       as_of: dt.date) -> list[Issue]:
    rules = assessor.rules
    col = assessor.hh_spec.column
    mcol = assessor.config.schemas.member.column
    get = hh.values.get
    identified = identified or get("identified_date")
    issues: list[Issue] = []
    measures = [m.values.get("category") for m in hh.measures]
    declared_at = {risk: k for k in reversed(RISK_KEYS) if (risk := get(k))}
    tagged_at = {tag: key for key, tag in rules.guarantee.risk_tags.items()}

    def at_household(code: str, key: str | None, value: object, **fields: object) -> None:
        issues.append(make_issue(code, sheet=hh.sheet, row=hh.row, column=col(key).header if key else None,
                                 value=value, **fields))

    if a.drop_to_verify:
        prev, now = figures.amount(hh.get("prev_per_capita_income")), figures.per_capita(hh)
        assert prev is not None and now is not None  # R-DROP holds
        fall = (Fraction(prev) - now) / Fraction(prev)
        at_household("R-DROP-VERIFY", "prev_per_capita_income", float(prev), now=float(now),
                     ratio=f"{float(fall):.2%}", limit=f"{float(rules.drop.drop_ratio):.0%}")
    labour = rules.labour
    if a.has_labour is False and rules.labour_risk.risk_type in declared_at:
        at_household("C-LABOUR-RISK", declared_at[rules.labour_risk.risk_type], rules.labour_risk.risk_type,
                     low=labour.min_age, high=labour.max_age)
    school = rules.school_age
    working, schooling = (labour.min_age, labour.max_age), (school.min_age, school.max_age)
    for m, age in zip(hh.members, a.ages):
        if age is None:
            continue
        if m.values.get("labour") in labour.full_labour and not working[0] <= age <= working[1]:
            issues.append(make_issue("C-LABOUR-AGE", sheet=m.sheet, row=m.row, column=mcol("labour").header,
                                     value=m.get("labour"), name=m.get("name") or "", age=age,
                                     low=labour.min_age, high=labour.max_age))
        if schooling[0] <= age <= schooling[1] and get("education_secure") == "是" \
                and m.get("schooling") not in school.in_school and "schooling" not in m.invalid:
            issues.append(make_issue("C-SCHOOL-AGE", sheet=m.sheet, row=m.row, column=mcol("schooling").header,
                                     value=m.get("schooling"), name=m.get("name") or "", age=age,
                                     low=school.min_age, high=school.max_age))
    dev = rules.dev_measure
    if a.has_labour and identified is not None and months_between(identified, as_of) >= dev.months \
            and not set(measures) & set(rules.assistance.development_measures):
        at_household("C-DEV-MEASURE", "identified_date", months_between(identified, as_of))
    # Measures are planned after identification (plan 五(一)), so only identified households are held to it.
    for risk in a.risk_types if identified is not None else ():
        wanted = rules.risk_measure.matching_measures.get(risk)
        if not wanted or set(measures) & set(wanted):
            continue
        at_household("C-RISK-MEASURE", declared_at.get(risk) or tagged_at.get(risk), risk, expected="、".join(wanted))
    if len(a.risk_types) == 1 and len(measures) >= rules.measure_stack.min_measures:
        risk = a.risk_types[0]
        at_household("C-MEASURE-STACK", declared_at.get(risk) or tagged_at.get(risk), risk, n=len(measures))
    return issues
