"""rules/README.md — the page a district signs — written from rules/*.yaml, so it cannot drift from them.

Every number on the page is read from the YAML (assessment.yaml, monitoring_line.yaml, workflow.yaml,
departments.yaml) with the source it names; the page's own words are only its frame (title, conventions,
the signature block). `excel-bridge rules-page` writes it for a workspace after the district edits a rule,
and a test keeps the repository's page equal to what its YAML gives.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

from .departments.config import (
    BenefitRule,
    Department,
    DepartmentsConfig,
    DisabilityRule,
    ListedRule,
    ThresholdRule,
    ValuesRule,
    load_departments,
)
from .ruleset import RuleSet, Sourced, load_rules

PAGE_NAME = "README.md"

_INTRO = """\
# 研判规则一览（供区乡村振兴局审定）

> 本页由 `excel-bridge rules-page` 根据本目录的 YAML 文件生成，请不要直接修改本页：改规则请改 YAML，再运行该命令
> 重新生成本页。

本页列出 excel_bridge 对每一户做研判时用到的全部规则：规则编号、一句话说明、《关于健全防止返贫动态监测和帮扶机制的
实施方案》（下称“方案”）的条款，以及每个参数的现行值和来源。参数都在本目录的 YAML 文件里（`assessment.yaml`、
`monitoring_line.yaml`、`workflow.yaml`、`departments.yaml`），改一个数字不需要改程序；参数名写错、多写或漏写，
程序会报错并指出是哪条规则的哪一项。来源写“实践”的，是其他县的公开做法或全国数据质量核查口径，区里可以按本地情况
调整。

通用约定：

- 金额按填写的精确数值比较，比较之前不四舍五入（28,799.99 ÷ 3 = 9,599.9967，低于 9,600）；四舍五入只用于显示。
- 家庭人口数填错或与“家庭成员”中的人数不一致时，所有人均数字都视为未知，本户“无法研判”，研判结论写明是哪些格子
  有误；改正之前本户在审核流程中不前进（新户登记为“未纳入”，不编临时户编号、不计识别时限；镇、区不能对其“同意”）。
- 年龄按身份证号中的出生日期计算到研判日（`check --as-of` 指定的日期，或处理当天），生日当天算满该岁。
- 反馈文件中规则以“名称（编号，方案条款）”显示，例如“人均纯收入不高于监测线（R-INCOME，方案三）”。
"""

_SIGNATURE = """\
## 审定

以上规则和参数经审定，自　　　年　　月　　日起在本区使用。

审定人（签字）：　　　　　　　　　　　区乡村振兴局（盖章）
"""


def render_page(rules_dir: Path) -> str:
    """The whole page for the rules in `rules_dir` (Markdown, ending with one newline)."""
    ruleset = load_rules(rules_dir)
    departments = load_departments(rules_dir)
    parts = [_INTRO, _assessment(ruleset), _workflow(ruleset), _departments(departments), _SIGNATURE]
    return "\n".join(parts)


def write_page(rules_dir: Path) -> Path:
    """Write README.md beside the YAML; returns its path."""
    path = Path(rules_dir) / PAGE_NAME
    path.write_text(render_page(rules_dir), encoding="utf-8")
    return path


def _assessment(ruleset: RuleSet) -> str:
    rows = []
    for rule_id, rule in ruleset.rules.by_id().items():
        params = _params(rule)
        if rule_id == "R-INCOME":  # its line lives in monitoring_line.yaml
            params = ["monitoring_line.yaml：" + "；".join(_params(ruleset.line))] + params
        rows.append([f"`{rule_id}`", rule.title, rule.summary, f"方案{rule.clause}", "；".join(params) or "无数字参数"])
    return ("## 研判规则（rules/assessment.yaml，监测线见 monitoring_line.yaml）\n\n"
            + _table(["规则", "名称", "一句话说明", "方案条款", "参数 = 现行值（来源）"], rows))


def _workflow(ruleset: RuleSet) -> str:
    wf = ruleset.workflow
    rows = [[f"`{name}`", wf.meanings.get(name, ""), _with_source(wf, name, value, meaning=False)]
            for name, value in wf.parameters().items()]
    return "## 审批流程（rules/workflow.yaml）\n\n" + _table(["参数", "说明", "现行值（来源）"], rows)


def _departments(config: DepartmentsConfig) -> str:
    v = config.verification
    head = (f"## 部门筛查预警（rules/departments.yaml，方案{config.clause}）\n\n"
            f"各部门把名单放进“部门数据/<文件夹>/”；名单中的人按身份证号与台账比对，符合下表条件的生成部门预警，"
            f"送所在镇在收到名单后 {v.days} 天内核实（方案{v.clause}；{v.source}）。\n\n")
    rows = [[dept.title, f"`{dept.folder}`", f"`{rule.id}`", rule.title, _condition(rule, dept),
             rule.risk_type or (rule.guarantee or ""), f"方案{rule.clause}", rule.source]
            for dept in config.departments.values() for rule in dept.rules]
    return head + _table(["部门", "文件夹", "规则", "名称", "预警条件", "风险类型", "方案条款", "来源"], rows)


def _condition(rule: Any, dept: Department) -> str:
    """The rule's condition in words, with its numbers as configured."""
    if isinstance(rule, ThresholdRule):
        text = f"{rule.fact} ≥ {_value(rule.at_least)}"
    elif isinstance(rule, ValuesRule):
        text = f"{rule.fact}为{_list(rule.values)}"
        if rule.date_fact and rule.within_days:
            text += f"，且{rule.date_fact}在收到名单前 {rule.within_days} 天内"
    elif isinstance(rule, ListedRule):
        text = "在名单上"
    elif isinstance(rule, DisabilityRule):
        text = f"{rule.grade_fact}为{_list(rule.severe_grades)}"
        if rule.mild_types:
            text += f"，或{rule.type_fact}为{_list(rule.mild_types)}且{rule.grade_fact}为{_list(rule.mild_grades)}"
        text += "，而台账中没有同样登记"
    elif isinstance(rule, BenefitRule):
        kinds = _list(list(rule.ledger_flags))
        text = (f"享受{kinds}而台账中该成员没有登记" if rule.kind == "benefit_granted"
                else f"已停止享受{kinds}而台账中仍登记享受")
    else:  # a kind added later shows its id until it is given words here
        text = rule.kind
    if rule.only_household_types:
        text += f"（只对{_list(rule.only_household_types)}）"
    if rule.except_household_types:
        text += f"（{_list(rule.except_household_types)}除外）"
    return text


def _params(section: Sourced) -> list[str]:
    return [f"`{name}` = {_with_source(section, name, value)}" for name, value in section.parameters().items()]


def _with_source(section: Sourced, name: str, value: object, *, meaning: bool = True) -> str:
    """A parameter's value, with what it means (when the YAML says, and not shown in a column of its own) and
    its source."""
    text = _value(value)
    said = section.meanings.get(name)
    if meaning and said:
        text += f"，{said}"
    source = section.sources.get(name)
    return f"{text}（{source}）" if source else text


def _value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else str(value)
    if isinstance(value, dict):
        return "；".join(f"{k} → {_value(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return f"[{', '.join(_value(v) for v in value)}]"
    return str(value)


def _list(values: Iterable[str]) -> str:
    return "、".join(values)


def _table(header: list[str], rows: list[list[str]]) -> str:
    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in cells) + " |"

    return "\n".join([line(header), "|" + "---|" * len(header), *map(line, rows)]) + "\n"


# --- docs/domain.md: the blocks written from the code's own data -------------------------------------------

DOCS_PAGE = Path("docs") / "domain.md"


def thresholds_block(rules_dir: Path) -> str:
    """Every number a rule uses, with its plan clause and source: the rules part of the page a district signs."""
    ruleset = load_rules(rules_dir)
    departments = load_departments(rules_dir)
    parts = [_assessment(ruleset), _workflow(ruleset), _departments(departments)]
    return "\n".join(part.replace("## ", "#### ", 1) for part in parts)  # under the page's own heading


def states_block() -> str:
    """workflow.TRANSITIONS as a table: from, action, who, to."""
    from . import workflow

    rows = [[state, action, level, to] for (state, action, level), to in workflow.TRANSITIONS.items()]
    return _table(["从", "动作", "谁", "到"], rows)


def fill_block(text: str, name: str, block: str) -> str:
    """`text` with the part between `<!-- name:begin … -->` and `<!-- name:end -->` replaced by `block`."""
    begin = text.index(f"<!-- {name}:begin")
    begin = text.index("-->", begin) + len("-->")
    end = text.index(f"<!-- {name}:end -->")
    return text[:begin] + "\n" + block.rstrip("\n") + "\n" + text[end:]


def render_docs(docs_text: str, rules_dir: Path) -> str:
    """docs/domain.md with its generated blocks brought up to date."""
    text = fill_block(docs_text, "thresholds", thresholds_block(rules_dir))
    return fill_block(text, "states", states_block())


def main() -> None:
    """`python -m excel_bridge.rules_page` in the repository: rules/README.md and docs/domain.md's blocks."""
    root = Path(__file__).resolve().parents[1]
    write_page(root / "rules")
    docs = root / DOCS_PAGE
    docs.write_text(render_docs(docs.read_text(encoding="utf-8"), root / "rules"), encoding="utf-8")


if __name__ == "__main__":
    main()
