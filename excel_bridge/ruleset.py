"""Load rules/*.yaml: the monitoring line by year, rule parameters with their plan clauses, workflow timing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from .errors import ConfigError
from .messages import render


class MonitoringLine(BaseModel):
    model_config = ConfigDict(extra="forbid")
    clause: str = "三"
    floor: float
    lines: dict[int, float]

    @field_validator("lines")
    @classmethod
    def _not_empty(cls, v: dict[int, float]) -> dict[int, float]:
        if not v:
            raise ValueError("lines 中至少要有一个年份的监测线")
        return v


class RuleParams(BaseModel):
    """One rule's entry: its plan clause, title and free parameters."""

    model_config = ConfigDict(extra="allow")
    clause: str
    title: str

    def param(self, name: str) -> Any:
        extra = self.model_extra or {}
        if name not in extra:
            raise ConfigError(f"rules/assessment.yaml 中规则“{self.title}”缺少参数 {name}")
        return extra[name]


class Workflow(BaseModel):
    model_config = ConfigDict(extra="forbid")
    notice_min_days: int = 5
    identification_deadline_days: int = 15


PLAN_FLOOR = 9060  # plan 三: the 2020 provincial relative-poverty standard; no line may be below it

REQUIRED_RULES = ("R-INCOME", "R-DROP", "R-RIGID", "R-GUARANTEE", "R-SPECIAL", "CATEGORY", "ASSISTANCE",
                  "C-LABOUR-RISK", "C-DEV-MEASURE", "C-RISK-MEASURE", "R-ELIMINATE", "SCALE", "INCOME-TOLERANCE")


class RuleSet(BaseModel):
    model_config = ConfigDict(extra="forbid")
    line: MonitoringLine
    rules: dict[str, RuleParams]
    workflow: Workflow

    def line_for(self, year: int) -> float:
        """The monitoring line of an income year; a missing year is a configuration error naming it."""
        value = self.line.lines.get(year)
        if value is None:
            raise ConfigError(render("LINE_UNCONFIGURED", value=year)[0])
        return value

    def has_line(self, year: int) -> bool:
        return year in self.line.lines

    def rule(self, rule_id: str) -> RuleParams:
        return self.rules[rule_id]

    def clause(self, rule_id: str) -> str:
        return self.rules[rule_id].clause


def _yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"找不到规则文件 {path}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"规则文件 {path} 格式错误：{exc}") from exc


def load_rules(directory: Path) -> RuleSet:
    directory = Path(directory)
    line_raw = _yaml(directory / "monitoring_line.yaml")
    rules_raw = (_yaml(directory / "assessment.yaml") or {}).get("rules")
    workflow_raw = _yaml(directory / "workflow.yaml") or {}
    try:
        ruleset = RuleSet.model_validate({"line": line_raw, "rules": rules_raw, "workflow": workflow_raw})
    except ValidationError as exc:
        raise ConfigError(f"规则文件（{directory}）有误：{exc}") from exc
    if ruleset.line.floor < PLAN_FLOOR:
        raise ConfigError(f"rules/monitoring_line.yaml 中的底线 {ruleset.line.floor:g} 元低于方案规定的 {PLAN_FLOOR} 元"
                          "（2020年省相对贫困标准），不能下调")
    for year, value in ruleset.line.lines.items():
        if value < ruleset.line.floor:
            raise ConfigError(render("LINE_BELOW_FLOOR", value=year, expected=value, limit=ruleset.line.floor)[0])
    missing = [r for r in REQUIRED_RULES if r not in ruleset.rules]
    if missing:
        raise ConfigError(f"rules/assessment.yaml 缺少规则：{'、'.join(missing)}")
    return ruleset
