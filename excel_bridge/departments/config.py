"""rules/departments.yaml as typed models: each department's folder, header aliases, facts and warning
rules (plan 四(三), 七(一)(二)). A typo in a district's copy is refused with its entry and line, in Chinese."""

from __future__ import annotations

import re
import string
from pathlib import Path
from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator

from ..config import bundled_dir
from ..config_cache import remembered
from ..config_files import invalid, read_yaml
from ..errors import ConfigError
from ..messages import TEXT
from ..schema import Schemas, load_schemas

DEPARTMENTS_FILE = "departments.yaml"
RULE_KINDS = frozenset({"threshold", "values", "listed", "disability", "benefit_granted", "benefit_stopped"})
# fields every sentence template may use besides the department's facts
BUILTIN_FIELDS = frozenset({"部门", "阈值"})

# a rule's field → (the schemas' terms it must be one of, the message when it is not)
TERM_FIELDS = {"risk_type": ("risk_types", "dept.config_risk_type"),
               "guarantee": ("guarantees", "dept.config_guarantee"),
               "lead_source": ("lead_sources", "dept.config_lead_source")}
FactType = Literal["text", "money", "number", "year", "date", "choice"]
LedgerFlag = Literal["dibao", "tekun"]  # columns of the ledger people frame (享受低保, 特困供养)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Fact(_Strict):
    """One column a department's list carries (an amount, a grade, a date), found by its header aliases."""

    headers: list[str] = Field(min_length=1)
    type: FactType = "text"
    required: bool = False  # a list without it cannot be judged: a note, nothing changes
    values: dict[str, list[str]] = Field(default_factory=dict)  # choice: canonical value → what lists write
    from_sheet_name: bool = False  # choice: a list split into sheets by value (低保 / 特困 sheets)

    @model_validator(mode="after")
    def _choice_has_values(self) -> "Fact":
        if self.type == "choice" and not self.values:
            raise ValueError("type: choice 要写出 values（规范值: [别名…]）")
        if self.type != "choice" and (self.values or self.from_sheet_name):
            raise ValueError("values / from_sheet_name 只用于 type: choice")
        return self


class _Rule(_Strict):
    id: str = Field(pattern=r"^D-[A-Z0-9]+(-[A-Z0-9]+)*$")
    title: str = Field(min_length=1)
    clause: str = Field(min_length=1)  # plan clause
    source: str = Field(min_length=1)  # where the number comes from: 方案 / 实践 / 暂定 …
    risk_type: str | None = None  # one of schemas/lists.yaml risk_types (plan 六(四))
    guarantee: str | None = None  # the header of one of household.yaml's guarantee columns (两不愁三保障)
    sentence: list[str] = Field(min_length=1)  # the first template whose facts are all present is used
    only_household_types: list[str] = Field(default_factory=list)  # ledger 户类型 the rule applies to
    except_household_types: list[str] = Field(default_factory=list)  # … or does not (people not in the ledger: none)
    # a lead the town makes from a warning of this rule (属实-建议纳入) records this channel (线索来源, e.g. 信访信息;
    # none: 部门筛查预警) and, where the list gives it, the day the channel received it (a date fact: 受理日期)
    lead_source: str | None = None
    lead_date_fact: str | None = None

    @field_validator("risk_type", "guarantee", "lead_source")
    @classmethod
    def _known_term(cls, v: str | None, info: ValidationInfo) -> str | None:
        terms, message = TERM_FIELDS[info.field_name or ""]
        known = _terms(info).get(terms, ())
        if v is not None and v not in known:
            raise ValueError(TEXT[message].format(value=v, known="、".join(known)))
        return v

    def facts_used(self) -> list[str]:
        return []

    def choice_values(self) -> dict[str, list[str]]:
        """Fact → the canonical values this rule names (checked against the fact's values)."""
        return {}


class ThresholdRule(_Rule):
    """A number at least a threshold (医保 自付费用, 应急 损失, 金融 逾期天数)."""

    kind: Literal["threshold"]
    fact: str
    at_least: float = Field(ge=0)

    def facts_used(self) -> list[str]:
        return [self.fact]


class ValuesRule(_Rule):
    """A choice among some values (住建 C/D级, 人社 失业登记); optionally only within N days of receipt."""

    kind: Literal["values"]
    fact: str
    values: list[str] = Field(min_length=1)
    date_fact: str | None = None
    within_days: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _both_or_neither(self) -> "ValuesRule":
        if (self.date_fact is None) != (self.within_days is None):
            raise ValueError("date_fact 和 within_days 要同时填写")
        return self

    def facts_used(self) -> list[str]:
        return [self.fact] + ([self.date_fact] if self.date_fact else [])

    def choice_values(self) -> dict[str, list[str]]:
        return {self.fact: self.values}


class ListedRule(_Rule):
    """Being on the list is the warning (水务, 教育, 卫健)."""

    kind: Literal["listed"]


class DisabilityRule(_Rule):
    """残联: a severe grade of any type, or a milder grade of some types, not recorded as such in the ledger."""

    kind: Literal["disability"]
    type_fact: str
    grade_fact: str
    severe_grades: list[str] = Field(min_length=1)
    mild_types: list[str] = Field(default_factory=list)
    mild_grades: list[str] = Field(default_factory=list)

    def facts_used(self) -> list[str]:
        return [self.type_fact, self.grade_fact]

    def choice_values(self) -> dict[str, list[str]]:
        return {self.type_fact: self.mild_types, self.grade_fact: self.severe_grades + self.mild_grades}


class BenefitRule(_Rule):
    """民政: a benefit granted that the ledger does not record (benefit_granted), or stopped while the
    ledger still records it (benefit_stopped)."""

    kind: Literal["benefit_granted", "benefit_stopped"]
    category_fact: str
    ledger_flags: dict[str, LedgerFlag] = Field(min_length=1)  # category → ledger column
    status_fact: str | None = None
    stopped_values: list[str] = Field(default_factory=list)
    end_fact: str | None = None  # an end date on or before the day the list was received: stopped

    def facts_used(self) -> list[str]:
        return [self.category_fact] + [f for f in (self.status_fact, self.end_fact) if f]

    def choice_values(self) -> dict[str, list[str]]:
        out = {self.category_fact: list(self.ledger_flags)}
        if self.status_fact:
            out[self.status_fact] = self.stopped_values
        return out


Rule = Annotated[Union[ThresholdRule, ValuesRule, ListedRule, DisabilityRule, BenefitRule],
                 Field(discriminator="kind")]


class Department(_Strict):
    """One department as configured; after loading it also carries its name, the common header aliases
    and the verification period, so a list can be read and judged with this object alone."""

    name: str = ""  # the key under departments: (filled in by the loader)
    title: str = Field(min_length=1)
    folder: str = Field(min_length=1)  # 部门数据/<folder>/
    folder_aliases: list[str] = Field(default_factory=list)  # folders the department names itself (医保局): read too
    unit_aliases: list[str] = Field(default_factory=list)  # 责任单位 names of its own besides these (人社所)
    id_headers: list[str] = Field(default_factory=list)
    name_headers: list[str] = Field(default_factory=list)
    town_headers: list[str] = Field(default_factory=list)
    facts: dict[str, Fact] = Field(default_factory=dict)
    rules: list[Rule] = Field(min_length=1)
    verify_days: int | None = Field(default=None, ge=1)  # overrides the common period
    share_back: bool = False  # the monitored households are pushed to it each month (plan 七(二))

    @model_validator(mode="after")
    def _rules_name_known_facts(self) -> "Department":
        for rule in self.rules:
            for fact in rule.facts_used():
                if fact not in self.facts:
                    raise ValueError(f"规则 {rule.id} 用到的“{fact}”不在 facts 中")
            for fact, values in rule.choice_values().items():
                spec = self.facts[fact]
                if spec.type != "choice":
                    raise ValueError(f"规则 {rule.id} 用到的“{fact}”应是 type: choice")
                unknown = [v for v in values if v not in spec.values]
                if unknown:
                    raise ValueError(f"规则 {rule.id} 中的“{'、'.join(unknown)}”不是“{fact}”的规范值"
                                     f"（{'、'.join(spec.values)}）")
            if rule.lead_date_fact and (rule.lead_date_fact not in self.facts
                                        or self.facts[rule.lead_date_fact].type != "date"):
                raise ValueError(f"规则 {rule.id} 的 lead_date_fact“{rule.lead_date_fact}”应是 facts 中 type: date 的一项")
            if isinstance(rule, ValuesRule) and rule.date_fact and self.facts[rule.date_fact].type != "date":
                raise ValueError(f"规则 {rule.id} 的 date_fact 应是 type: date")
            if isinstance(rule, ThresholdRule) and self.facts[rule.fact].type not in ("money", "number"):
                raise ValueError(f"规则 {rule.id} 的 fact 应是数值（money 或 number）")
            for template in rule.sentence:
                for field in _template_fields(template, rule.id):
                    if field not in self.facts and field not in BUILTIN_FIELDS:
                        raise ValueError(f"规则 {rule.id} 的 sentence 用到了不存在的“{{{field}}}”")
        return self


def _template_fields(template: str, rule_id: str) -> list[str]:
    fields = []
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise ValueError(f"规则 {rule_id} 的 sentence“{template}”中的花括号不成对") from exc
    for _, field, spec, conversion in parsed:
        if field is None:
            continue
        if not field or spec or conversion:
            raise ValueError(f"规则 {rule_id} 的 sentence 中只能写 {{名称}}：“{template}”")
        fields.append(field)
    return fields


class Verification(_Strict):
    days: int = Field(ge=1)
    clause: str
    source: str


class DepartmentsConfig(_Strict):
    clause: str
    verification: Verification
    address_codes: dict[str, str] = Field(default_factory=dict)  # 6-digit address code → a town, or 本区
    id_headers: list[str] = Field(min_length=1)
    name_headers: list[str] = Field(default_factory=list)
    town_headers: list[str] = Field(default_factory=list)
    departments: dict[str, Department] = Field(min_length=1)

    @field_validator("address_codes", mode="before")
    @classmethod
    def _codes_are_text(cls, v: object) -> object:
        if isinstance(v, dict):  # 440221 unquoted in YAML is an int; an address code is six digits of text
            v = {str(k): val for k, val in v.items()}
            bad = [k for k in v if not re.fullmatch(r"[0-9]{6}", k)]
            if bad:
                raise ValueError(f"地址码应为 6 位数字：{'、'.join(bad)}")
        return v

    @model_validator(mode="after")
    def _unique(self) -> "DepartmentsConfig":
        folders: dict[str, str] = {}
        rules: dict[str, str] = {}
        for name, dept in self.departments.items():
            for folder in dict.fromkeys([dept.folder, *dept.folder_aliases]):
                if folder in folders:
                    raise ValueError(f"部门“{name}”和“{folders[folder]}”用了同一个文件夹“{folder}”")
                folders[folder] = name
            for rule in dept.rules:
                if rule.id in rules:
                    raise ValueError(f"规则编号 {rule.id} 在“{rules[rule.id]}”和“{name}”中重复")
                rules[rule.id] = name
        return self

    def department(self, name: str) -> Department:
        return self.departments[name]

    def shared_with(self) -> list[str]:
        """The departments the monitored households are shared back to (share_back: true)."""
        return [name for name, d in self.departments.items() if d.share_back]

    def by_folder(self, folder: str) -> Department | None:
        """The department whose folder (or one of its folder_aliases) under 部门数据/ this is (None: not a
        configured department)."""
        return next((d for d in self.departments.values() if folder == d.folder or folder in d.folder_aliases), None)


def _resolve(config: DepartmentsConfig) -> DepartmentsConfig:
    """Each department with its name, its own aliases before the common ones, and the verification period."""
    resolved = {}
    for name, dept in config.departments.items():
        resolved[name] = dept.model_copy(update={
            "name": name,
            "id_headers": _merge(dept.id_headers, config.id_headers),
            "name_headers": _merge(dept.name_headers, config.name_headers),
            "town_headers": _merge(dept.town_headers, config.town_headers),
            "verify_days": dept.verify_days or config.verification.days,
        })
    return config.model_copy(update={"departments": resolved})


def _merge(own: list[str], common: list[str]) -> list[str]:
    return list(dict.fromkeys([*own, *common]))


def departments_path(rules_dir: Path | None = None) -> Path:
    """The workspace's rules/departments.yaml; the bundled one when the workspace has none (a workspace
    made before department lists existed keeps working without a copy)."""
    if rules_dir is not None and (Path(rules_dir) / DEPARTMENTS_FILE).exists():
        return Path(rules_dir) / DEPARTMENTS_FILE
    return bundled_dir("rules") / DEPARTMENTS_FILE


def load_departments(rules_dir: Path | None = None) -> DepartmentsConfig:
    """rules/departments.yaml checked against the schemas beside it (read back from the cache when neither changed:
    the district job reads it twice a pass)."""
    path = departments_path(rules_dir)
    return remembered([_schemas_folder(rules_dir)], [path], lambda: _load(path, rules_dir), DepartmentsConfig)


def _load(path: Path, rules_dir: Path | None) -> DepartmentsConfig:
    raw = read_yaml(path, "规则")
    if raw is not None and not isinstance(raw, dict):
        raise ConfigError(TEXT["dept.config_shape"].format(path=path))
    try:
        return _resolve(DepartmentsConfig.model_validate(raw or {}, context=terms_of(_schemas_beside(rules_dir))))
    except ValidationError as exc:
        raise invalid(path, "规则", exc, source=path.read_text(encoding="utf-8"), hidden=RULE_KINDS) from exc


def _schemas_beside(rules_dir: Path | None) -> Schemas:
    """The schemas the risk types and guarantees come from: the workspace's schemas/ beside its rules/, else
    the bundled ones (one home for each: schemas/lists.yaml risk_types, household.yaml's guarantee columns)."""
    return load_schemas(_schemas_folder(rules_dir))


def _schemas_folder(rules_dir: Path | None) -> Path:
    if rules_dir is not None and (Path(rules_dir).parent / "schemas" / "lists.yaml").exists():
        return Path(rules_dir).parent / "schemas"
    return bundled_dir("schemas")


def terms_of(schemas: Schemas) -> dict[str, tuple[str, ...]]:
    """The risk types and guarantees a department's rule may name, as the schemas spell them."""
    channels = next((c.allowed for c in schemas.household.columns if c.key == "lead_source" and c.allowed), ())
    return {"risk_types": schemas.lists.get("risk_types", ()), "guarantees": schemas.guarantees,
            "lead_sources": tuple(channels)}


def _terms(info: ValidationInfo) -> dict[str, tuple[str, ...]]:
    """The terms load_departments passes as the context (validated without one: the bundled schemas')."""
    return info.context if isinstance(info.context, dict) else terms_of(load_schemas(bundled_dir("schemas")))
