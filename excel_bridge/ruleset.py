"""Load rules/*.yaml: the monitoring line by year, rule parameters with their plan clauses, workflow timing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from .config_files import invalid, read_yaml
from .errors import ConfigError
from .messages import TEXT, render


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
            raise ConfigError(TEXT["config.rule_param"].format(title=self.title, name=name))
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
    missing = [r for r in REQUIRED_RULES if r not in ruleset.rules]
    if missing:
        raise ConfigError(TEXT["config.rules_missing"].format(rules="、".join(missing)))
    return ruleset
