"""Load rules/*.yaml: the monitoring line by year, every rule's parameters with their plan clauses and
sources, workflow timing.

Each rule is a typed model with `extra="forbid"` (like the schemas): a misspelt parameter in a district's
YAML is a Chinese configuration error naming the rule and the key, never a silently ignored setting.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .config_files import invalid, read_yaml
from .errors import ConfigError
from .messages import TEXT, render

_STRICT = ConfigDict(extra="forbid", frozen=True, defer_build=True)  # a cached Config builds none (config_cache)
_DESCRIPTIVE = ("clause", "title", "summary", "sources", "meanings")  # words about a rule, not its settings


class Sourced(BaseModel):
    """A YAML section whose numbers each name their source (a plan clause, or 实践) in `sources`."""

    model_config = _STRICT
    sources: dict[str, str] = Field(default_factory=dict)
    # what a parameter means, in a few words, for the page the district signs (rules/README.md)
    meanings: dict[str, str] = Field(default_factory=dict)

    def parameters(self) -> dict[str, Any]:
        """The settings a district may change (everything but the descriptive fields)."""
        return {name: getattr(self, name) for name in type(self).model_fields if name not in _DESCRIPTIVE}

    @model_validator(mode="after")
    def _sources_name_parameters(self) -> "Sourced":
        unknown = sorted((set(self.sources) | set(self.meanings)) - set(self.parameters()))
        if unknown:
            raise ValueError(TEXT["config.source_unknown"].format(names="、".join(unknown)))
        return self


class MonitoringLine(Sourced):
    clause: str = "三"
    floor: Decimal
    lines: dict[int, Decimal]
    # plan 三 "1.5倍以下": 以下 includes the number itself (民法典 第1259条); false reads it as "below"
    line_inclusive: bool = True

    @field_validator("lines")
    @classmethod
    def _not_empty(cls, v: dict[int, Decimal]) -> dict[int, Decimal]:
        if not v:
            raise ValueError(TEXT["config.lines_empty"])
        return v


class Rule(Sourced):
    """One rule's entry: its plan clause, title and one-sentence summary, then its own typed parameters."""

    clause: str
    title: str
    summary: str = ""  # one sentence for the page the district signs; a workspace copy written before has none


class IncomeRule(Rule):
    """R-INCOME: its line and line_inclusive live in monitoring_line.yaml."""


class DropRule(Rule):
    drop_ratio: Decimal = Field(gt=0, lt=1)


class RigidRule(Rule):
    pass


class GuaranteeRule(Rule):
    risk_tags: dict[str, str]


class SpecialRule(Rule):
    serious_illness: list[str]
    chronic_illness: list[str]
    chronic_burden_yuan: Decimal = Field(ge=0)
    severe_grades: list[str]
    mild_types: list[str]
    mild_grades: list[str]
    care_elderly_age: int = Field(ge=0)


class CategoryRule(Rule):
    sudden_risk_types: list[str]
    sudden_rigid_yuan: Decimal = Field(ge=0)


class LabourRule(Rule):
    min_age: int = Field(ge=0)
    max_age: int = Field(ge=0)
    full_labour: list[str]
    partial_labour: list[str]


class AssistanceRule(Rule):
    development_measures: list[str]


class LabourRiskRule(Rule):
    risk_type: str


class LabourAgeRule(Rule):
    pass


class SchoolAgeRule(Rule):
    min_age: int = Field(ge=0)
    max_age: int = Field(ge=0)
    in_school: list[str]


class DevMeasureRule(Rule):
    months: int = Field(ge=0)


class RiskMeasureRule(Rule):
    matching_measures: dict[str, list[str]]


class MeasureStackRule(Rule):
    min_measures: int = Field(ge=2)


class EliminateRule(Rule):
    min_months: int = Field(ge=0)


class ScaleRule(Rule):
    period_days: int = Field(ge=1)
    new_share: Decimal = Field(ge=0, le=1)
    min_households: int = Field(ge=1)
    risk_type_households: int = Field(ge=1)
    risk_types_watched: list[str]


class ToleranceRule(Rule):
    yuan: Decimal = Field(ge=0)


class Rules(BaseModel):
    """rules/assessment.yaml: every rule by its id (the id reads the same in YAML, workbooks, ledger and tests)."""

    model_config = _STRICT
    income: IncomeRule = Field(alias="R-INCOME")
    drop: DropRule = Field(alias="R-DROP")
    rigid: RigidRule = Field(alias="R-RIGID")
    guarantee: GuaranteeRule = Field(alias="R-GUARANTEE")
    special: SpecialRule = Field(alias="R-SPECIAL")
    category: CategoryRule = Field(alias="CATEGORY")
    labour: LabourRule = Field(alias="LABOUR")
    assistance: AssistanceRule = Field(alias="ASSISTANCE")
    labour_risk: LabourRiskRule = Field(alias="C-LABOUR-RISK")
    labour_age: LabourAgeRule = Field(alias="C-LABOUR-AGE")
    school_age: SchoolAgeRule = Field(alias="C-SCHOOL-AGE")
    dev_measure: DevMeasureRule = Field(alias="C-DEV-MEASURE")
    risk_measure: RiskMeasureRule = Field(alias="C-RISK-MEASURE")
    measure_stack: MeasureStackRule = Field(alias="C-MEASURE-STACK")
    eliminate: EliminateRule = Field(alias="R-ELIMINATE")
    scale: ScaleRule = Field(alias="SCALE")
    tolerance: ToleranceRule = Field(alias="INCOME-TOLERANCE")

    def by_id(self) -> dict[str, Rule]:
        return {field.alias or name: getattr(self, name) for name, field in type(self).model_fields.items()}


class Workflow(Sourced):
    notice_min_days: int = 5
    identification_deadline_days: int = 15
    provincial_entry_days: int = 10
    # 定期信息采集 (plan 五(二)): a 帮扶中 household neither updated nor visited for this many months is a warning
    follow_up_months: int = Field(default=6, ge=1)


PLAN_FLOOR = Decimal(9060)  # plan 三: the 2020 provincial relative-poverty standard; no line may be below it


class RuleSet(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)
    line: MonitoringLine
    rules: Rules
    workflow: Workflow

    def line_for(self, year: int) -> Decimal:
        """The monitoring line of an income year; a missing year is a configuration error naming it."""
        value = self.line.lines.get(year)
        if value is None:
            raise ConfigError(TEXT["config.line_missing"].format(year=year))
        return value

    def has_line(self, year: int) -> bool:
        return year in self.line.lines

    def rule(self, rule_id: str) -> Rule:
        return self.rules.by_id()[rule_id]

    def clause(self, rule_id: str) -> str:
        return self.rule(rule_id).clause


def load_rules(directory: Path) -> RuleSet:
    directory = Path(directory)
    line_raw = read_yaml(directory / "monitoring_line.yaml", "规则")
    rules_raw = (read_yaml(directory / "assessment.yaml", "规则") or {}).get("rules")
    workflow_raw = read_yaml(directory / "workflow.yaml", "规则") or {}
    try:
        ruleset = RuleSet.model_validate({"line": line_raw, "rules": rules_raw, "workflow": workflow_raw})
    except ValidationError as exc:
        raise invalid(directory, "规则", exc) from exc
    if ruleset.line.floor < PLAN_FLOOR:
        raise ConfigError(TEXT["config.floor_too_low"].format(floor=ruleset.line.floor, plan=PLAN_FLOOR))
    for year, value in ruleset.line.lines.items():
        if value < ruleset.line.floor:
            raise ConfigError(render("LINE_BELOW_FLOOR", value=year, expected=value, limit=ruleset.line.floor)[0])
    return ruleset
