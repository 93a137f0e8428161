"""Eligibility (研判), category, assistance suggestion, consistency and elimination rules of DOMAIN.md.

Rules use three-valued logic: True, False, or None when an input the rule needs is invalid. A
household is proposed when any of R-INCOME, R-DROP, R-RIGID, R-GUARANTEE holds, even if another is
unknown; it is not proposed only when all four are known to be false.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from .config import Config
from .issues import Issue, make_issue
from .messages import TEXT
from .validate import Household, Record

GUARANTEE_KEYS = ("food_clothing", "education_secure", "medical_secure", "housing_secure", "water_secure")
RISK_KEYS = ("main_risk", "other_risk_1", "other_risk_2")
ELIGIBILITY_RULES = ("R-INCOME", "R-DROP", "R-RIGID", "R-GUARANTEE")
CENT = Decimal("0.01")


def cents(value: float) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def any3(values: list[bool | None]) -> bool | None:
    """Kleene OR: True if any is True, None if none is True but some are unknown."""
    if any(v is True for v in values):
        return True
    if any(v is None for v in values):
        return None
    return False


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
    issues: list[Issue] = field(default_factory=list)

    @property
    def holds(self) -> list[str]:
        return [rid for rid, v in self.results.items() if v is True]

    @property
    def unknown(self) -> list[str]:
        return [rid for rid, v in self.results.items() if v is None]


# risk-elimination verdicts (plan 五(二)), and whether each lets the chain start
ELIGIBLE, CONTINUE, HOLD, UNKNOWN = "eligible", "continue", "hold", "unknown"
ELIMINATION_ELIGIBLE: dict[str, bool | None] = {ELIGIBLE: True, CONTINUE: False, HOLD: None, UNKNOWN: None}


class Assessor:
    """Applies the configured rules to validated households."""

    def __init__(self, config: Config) -> None:
        rules = config.rules
        self.config = config
        self.drop_ratio = Decimal(str(rules.rule("R-DROP").param("drop_ratio")))
        rigid = rules.rule("R-RIGID")
        self.rigid_needs_expense = bool((rigid.model_extra or {}).get("require_expenditure", True))
        self.risk_tags: dict[str, str] = rules.rule("R-GUARANTEE").param("risk_tags")
        special = rules.rule("R-SPECIAL")
        self.special_health = set(special.param("health_any"))
        self.severe_grades = set(special.param("disability_grades_any"))
        self.mild_types = set(special.param("disability_types_mild"))
        self.mild_grades = set(special.param("disability_grades_mild"))
        self.sudden_risks = set(rules.rule("CATEGORY").param("sudden_risk_types"))
        assistance = rules.rule("ASSISTANCE")
        self.able = set(assistance.param("able_labour"))
        self.dev_measures = set(assistance.param("development_measures"))
        self.labour_risk = rules.rule("C-LABOUR-RISK").param("risk_type")
        self.dev_months = int(rules.rule("C-DEV-MEASURE").param("months"))
        self.matching: dict[str, list[str]] = rules.rule("C-RISK-MEASURE").param("matching_measures")
        self.elim_months = int(rules.rule("R-ELIMINATE").param("min_months"))
        self.hh_spec = config.schemas.household

    # --- single rules ---
    def r_income(self, hh: Household) -> bool | None:
        if hh.per_capita_income is None or hh.line is None:
            return None
        return cents(hh.per_capita_income) < cents(hh.line)

    def r_drop(self, hh: Household) -> bool | None:
        if "prev_per_capita_income" in hh.invalid:
            return None
        prev = hh.get("prev_per_capita_income")
        if prev is None:
            return False
        if hh.per_capita_income is None:
            return None
        prev_c = cents(prev)
        if prev_c <= 0:
            return False
        return prev_c - cents(hh.per_capita_income) >= prev_c * self.drop_ratio

    def rigid_total(self, hh: Household) -> Decimal | None:
        if not hh.ok("medical_expense", "other_rigid_expense"):
            return None
        return cents(hh.get("medical_expense") or 0) + cents(hh.get("other_rigid_expense") or 0)

    def r_rigid(self, hh: Household) -> bool | None:
        total = self.rigid_total(hh)
        if total is None:
            return None
        if total == 0 and self.rigid_needs_expense:
            return False
        if hh.get("size") is None:
            return None
        rigid = total / Decimal(hh.get("size"))
        if hh.per_capita_income is None or hh.line is None:
            return None
        return cents(hh.per_capita_income) - rigid < cents(hh.line)

    def guarantee_failures(self, hh: Household) -> list[str]:
        return [k for k in GUARANTEE_KEYS if hh.get(k) == "否"]

    def r_guarantee(self, hh: Household) -> bool | None:
        if self.guarantee_failures(hh) or any(m.get("medical_insurance") == "否" for m in hh.members):
            return True
        if not hh.ok(*GUARANTEE_KEYS) or any("medical_insurance" in m.invalid for m in hh.members):
            return None
        return False

    def member_special(self, m: Record) -> bool:
        health = set(m.get("health") or ())
        if health & self.special_health:
            return True
        grade, kind = m.get("disability_grade"), m.get("disability_type")
        if grade in self.severe_grades:
            return True
        if kind in self.mild_types and grade in self.mild_grades:
            return True
        return m.get("disabled_care") == "是" and m.get("tekun") == "是"

    def r_special(self, hh: Household) -> bool | None:
        if any(self.member_special(m) for m in hh.members):
            return True
        if any(not m.ok("health", "disability_type", "disability_grade", "disabled_care", "tekun")
               for m in hh.members):
            return None
        return False

    def has_labour(self, hh: Household) -> bool | None:
        if any(m.get("labour") in self.able for m in hh.members):
            return True
        if not hh.members or any("labour" in m.invalid for m in hh.members):
            return None
        return False

    def declared_risks(self, hh: Household) -> list[str]:
        return list(dict.fromkeys(r for r in (hh.get(k) for k in RISK_KEYS) if r))

    def risk_types(self, hh: Household) -> list[str]:
        risks = self.declared_risks(hh)
        for key in self.guarantee_failures(hh):
            tag = self.risk_tags.get(key)
            if tag and tag not in risks:
                risks.append(tag)
        return risks

    # --- the whole assessment ---
    def assess(self, hh: Household, *, identified: dt.date | None = None, as_of: dt.date) -> Assessment:
        results: dict[str, bool | None] = {
            "R-INCOME": self.r_income(hh),
            "R-DROP": self.r_drop(hh),
            "R-RIGID": self.r_rigid(hh),
            "R-GUARANTEE": self.r_guarantee(hh),
            "R-SPECIAL": self.r_special(hh),
        }
        proposed = any3([results[r] for r in ELIGIBILITY_RULES])
        risks = self.risk_types(hh)
        category = self._category(hh, proposed, results)
        labour = self.has_labour(hh)
        identified = identified or hh.get("identified_date")
        monitored = proposed is True or identified is not None
        assistance = scope = None
        if monitored and labour is not None:
            assistance = "开发式帮扶" if labour else "兜底保障"
        if monitored:
            scope = "综合帮扶" if len(risks) > 1 else "单项措施"
        result = Assessment(results=results, proposed=proposed, category=category, risk_types=risks,
                            priority=results["R-SPECIAL"] is True, assistance=assistance, scope=scope,
                            has_labour=labour)
        result.issues = self._consistency(hh, result, identified, as_of)
        return result

    def _category(self, hh: Household, proposed: bool | None, results: dict[str, bool | None]) -> str | None:
        if proposed is not True or "household_type" in hh.invalid or hh.get("household_type") is None:
            return None
        if hh.get("household_type") == "脱贫户":
            return "脱贫不稳定户"
        sudden = any3([results["R-RIGID"], results["R-DROP"],
                       None if "main_risk" in hh.invalid else hh.get("main_risk") in self.sudden_risks])
        if sudden is None:
            return None
        return "突发严重困难户" if sudden else "边缘易致贫户"

    def _consistency(self, hh: Household, a: Assessment, identified: dt.date | None, as_of: dt.date) -> list[Issue]:
        col = self.hh_spec.column
        issues: list[Issue] = []
        measures = {m.get("category") for m in hh.measures}
        declared_at = {hh.get(k): k for k in reversed(RISK_KEYS) if hh.get(k)}
        if a.has_labour is False and self.labour_risk in declared_at:
            issues.append(make_issue("C-LABOUR-RISK", sheet=hh.sheet, row=hh.row,
                                     column=col(declared_at[self.labour_risk]).header, value=self.labour_risk))
        if a.has_labour and identified is not None and months_between(identified, as_of) >= self.dev_months \
                and not measures & self.dev_measures:
            issues.append(make_issue("C-DEV-MEASURE", sheet=hh.sheet, row=hh.row, column=col("identified_date").header,
                                     value=months_between(identified, as_of)))
        tagged_at = {tag: key for key, tag in self.risk_tags.items()}
        # Measures are planned after identification (plan 五(一)), so only identified households are held to it.
        for risk in a.risk_types if identified is not None else ():
            wanted = self.matching.get(risk)
            if not wanted or measures & set(wanted):
                continue
            key = declared_at.get(risk) or tagged_at.get(risk)
            issues.append(make_issue("C-RISK-MEASURE", sheet=hh.sheet, row=hh.row,
                                     column=col(key).header if key else None, value=risk,
                                     expected="、".join(wanted)))
        return issues

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
        if months < self.elim_months:
            return CONTINUE, TEXT["elimination.too_soon"].format(months=months, minimum=self.elim_months)
        if not hh.measures:
            return CONTINUE, TEXT["elimination.no_measure"]
        if a.results["R-INCOME"] is None:
            return UNKNOWN, TEXT["elimination.income_unknown"]
        if a.results["R-INCOME"] is not False:
            return CONTINUE, TEXT["elimination.income_low"]
        if a.results["R-DROP"] is True or (hh.get("prev_per_capita_income") is not None
                                           and hh.per_capita_income is not None
                                           and cents(hh.per_capita_income) < cents(hh.get("prev_per_capita_income"))):
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
