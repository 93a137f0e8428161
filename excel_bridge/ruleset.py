"""Load rules/*.yaml: the monitoring line by year, every rule's parameters with their plan clauses and
sources, workflow timing.

Each rule is a typed dataclass, strict (config_types.py, like the schemas): a misspelt parameter in a district's
YAML is a Chinese configuration error naming the rule and the key, never a silently ignored setting.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

from .config_files import read_yaml
from .config_types import STRICT, After, field_names, key_of, read_as
from .errors import ConfigError
from .messages import TEXT, render

_DESCRIPTIVE = ("clause", "title", "summary", "sources", "meanings")  # words about a rule, not its settings


def _not_empty(v: dict[int, Decimal]) -> dict[int, Decimal]:
    if not v:
        raise ValueError(TEXT["config.lines_empty"])
    return v


@dataclass(frozen=True, kw_only=True)
class Sourced:
    """A YAML section whose numbers each name their source (a plan clause, or 实践) in `sources`."""

    __pydantic_config__ = STRICT
    sources: dict[str, str] = field(default_factory=dict)
    # what a parameter means, in a few words, for the page the district signs (rules/README.md)
    meanings: dict[str, str] = field(default_factory=dict)

    def parameters(self) -> dict[str, Any]:
        """The settings a district may change (everything but the descriptive fields)."""
        return {name: getattr(self, name) for name in field_names(self) if name not in _DESCRIPTIVE}

    def __post_init__(self) -> None:  # (pydantic runs it once the fields are valid)
        unknown = sorted((set(self.sources) | set(self.meanings)) - set(self.parameters()))
        if unknown:
            raise ValueError(TEXT["config.source_unknown"].format(names="、".join(unknown)))


@dataclass(frozen=True, kw_only=True)
class MonitoringLine(Sourced):
    clause: str = "三"
    floor: Decimal
    lines: Annotated[dict[int, Decimal], After(_not_empty)]
    # plan 三 "1.5倍以下": 以下 includes the number itself (民法典 第1259条); false reads it as "below"
    line_inclusive: bool = True


@dataclass(frozen=True, kw_only=True)
class Rule(Sourced):
    """One rule's entry: its plan clause, title and one-sentence summary, then its own typed parameters."""

    clause: str
    title: str
    summary: str = ""  # one sentence for the page the district signs; a workspace copy written before has none


@dataclass(frozen=True, kw_only=True)
class IncomeRule(Rule):
    """R-INCOME: its line and line_inclusive live in monitoring_line.yaml."""


@dataclass(frozen=True, kw_only=True)
class DropRule(Rule):
    drop_ratio: Decimal = field(metadata={"gt": 0, "lt": 1})


@dataclass(frozen=True, kw_only=True)
class RigidRule(Rule):
    pass


@dataclass(frozen=True, kw_only=True)
class GuaranteeRule(Rule):
    risk_tags: dict[str, str]


@dataclass(frozen=True, kw_only=True)
class SpecialRule(Rule):
    serious_illness: list[str]
    chronic_illness: list[str]
    chronic_burden_yuan: Decimal = field(metadata={"ge": 0})
    severe_grades: list[str]
    mild_types: list[str]
    mild_grades: list[str]
    care_elderly_age: int = field(metadata={"ge": 0})


@dataclass(frozen=True, kw_only=True)
class CategoryRule(Rule):
    sudden_risk_types: list[str]
    sudden_rigid_yuan: Decimal = field(metadata={"ge": 0})


@dataclass(frozen=True, kw_only=True)
class LabourRule(Rule):
    min_age: int = field(metadata={"ge": 0})
    max_age: int = field(metadata={"ge": 0})
    full_labour: list[str]
    partial_labour: list[str]


@dataclass(frozen=True, kw_only=True)
class AssistanceRule(Rule):
    development_measures: list[str]


@dataclass(frozen=True, kw_only=True)
class LabourRiskRule(Rule):
    risk_type: str


@dataclass(frozen=True, kw_only=True)
class LabourAgeRule(Rule):
    pass


@dataclass(frozen=True, kw_only=True)
class SchoolAgeRule(Rule):
    min_age: int = field(metadata={"ge": 0})
    max_age: int = field(metadata={"ge": 0})
    in_school: list[str]


@dataclass(frozen=True, kw_only=True)
class DevMeasureRule(Rule):
    months: int = field(metadata={"ge": 0})


@dataclass(frozen=True, kw_only=True)
class RiskMeasureRule(Rule):
    matching_measures: dict[str, list[str]]


@dataclass(frozen=True, kw_only=True)
class MeasureStackRule(Rule):
    min_measures: int = field(metadata={"ge": 2})


@dataclass(frozen=True, kw_only=True)
class EliminateRule(Rule):
    min_months: int = field(metadata={"ge": 0})


@dataclass(frozen=True, kw_only=True)
class ScaleRule(Rule):
    period_days: int = field(metadata={"ge": 1})
    new_share: Decimal = field(metadata={"ge": 0, "le": 1})
    min_households: int = field(metadata={"ge": 1})
    risk_type_households: int = field(metadata={"ge": 1})
    risk_types_watched: list[str]


@dataclass(frozen=True, kw_only=True)
class ToleranceRule(Rule):
    yuan: Decimal = field(metadata={"ge": 0})


@dataclass(frozen=True, kw_only=True)
class Rules:
    """rules/assessment.yaml: every rule by its id (the id reads the same in YAML, workbooks, ledger and tests)."""

    __pydantic_config__ = STRICT
    income: IncomeRule = field(metadata={"alias": "R-INCOME"})
    drop: DropRule = field(metadata={"alias": "R-DROP"})
    rigid: RigidRule = field(metadata={"alias": "R-RIGID"})
    guarantee: GuaranteeRule = field(metadata={"alias": "R-GUARANTEE"})
    special: SpecialRule = field(metadata={"alias": "R-SPECIAL"})
    category: CategoryRule = field(metadata={"alias": "CATEGORY"})
    labour: LabourRule = field(metadata={"alias": "LABOUR"})
    assistance: AssistanceRule = field(metadata={"alias": "ASSISTANCE"})
    labour_risk: LabourRiskRule = field(metadata={"alias": "C-LABOUR-RISK"})
    labour_age: LabourAgeRule = field(metadata={"alias": "C-LABOUR-AGE"})
    school_age: SchoolAgeRule = field(metadata={"alias": "C-SCHOOL-AGE"})
    dev_measure: DevMeasureRule = field(metadata={"alias": "C-DEV-MEASURE"})
    risk_measure: RiskMeasureRule = field(metadata={"alias": "C-RISK-MEASURE"})
    measure_stack: MeasureStackRule = field(metadata={"alias": "C-MEASURE-STACK"})
    eliminate: EliminateRule = field(metadata={"alias": "R-ELIMINATE"})
    scale: ScaleRule = field(metadata={"alias": "SCALE"})
    tolerance: ToleranceRule = field(metadata={"alias": "INCOME-TOLERANCE"})

    def by_id(self) -> dict[str, Rule]:
        return {key_of(f): getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True, kw_only=True)
class Workflow(Sourced):
    notice_min_days: int = 5
    identification_deadline_days: int = 15
    provincial_entry_days: int = 10
    # 定期信息采集 (plan 五(二)): a 帮扶中 household neither updated nor visited for this many months is a warning
    follow_up_months: int = field(default=6, metadata={"ge": 1})


PLAN_FLOOR = Decimal(9060)  # plan 三: the 2020 provincial relative-poverty standard; no line may be below it


@dataclass(kw_only=True)
class RuleSet:
    __pydantic_config__ = STRICT
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
    ruleset = read_as(RuleSet, {"line": line_raw, "rules": rules_raw, "workflow": workflow_raw}, directory, "规则")
    if ruleset.line.floor < PLAN_FLOOR:
        raise ConfigError(TEXT["config.floor_too_low"].format(floor=ruleset.line.floor, plan=PLAN_FLOOR))
    for year, value in ruleset.line.lines.items():
        if value < ruleset.line.floor:
            raise ConfigError(render("LINE_BELOW_FLOOR", value=year, expected=value, limit=ruleset.line.floor)[0])
    return ruleset
