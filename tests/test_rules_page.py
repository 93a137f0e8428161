"""rules/README.md, the page a district signs, is written from rules/*.yaml by `excel-bridge rules-page`:
the committed page is what the committed YAML gives, and a number changed in the YAML changes the page."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from cli_helpers import run_cli

from excel_bridge.rules_page import render_page

RULES = Path(__file__).resolve().parents[1] / "rules"


def _row(page: str, rule_id: str) -> str:
    """The table row of one rule (its first cell is the id in backquotes)."""
    return next(line for line in page.splitlines() if line.startswith(f"| `{rule_id}` |"))


def test_committed_page_is_what_the_yaml_gives():
    committed = (RULES / "README.md").read_text(encoding="utf-8")
    assert committed == render_page(RULES), "rules/README.md 与 YAML 不一致：运行 excel-bridge rules-page --rules rules"


def test_every_number_on_the_page_comes_from_the_yaml():
    page = render_page(RULES)
    assert "`drop_ratio` = 0.3，下降比例（实践（其他县“收入大幅缩减”的常用口径））" in _row(page, "R-DROP")
    income = _row(page, "R-INCOME")
    assert "`lines` = 2021 → 9600" in income and "`floor` = 9060" in income and "`line_inclusive` = true" in income
    assert "| `identification_deadline_days` | 从发现线索到区级认定的期限（从受理日期算起），超期进入预警 | 15（" in page
    assert "| `follow_up_months` | 帮扶中的户台账未更新、也未走访（走访日期）超过这么多个月，进入预警（定期信息采集） | 6（" in page
    assert "| 区医疗保障局 | `医保` | `D-YB-POOR` | 脱贫户成员合规自付医疗费用较高 | 金额 ≥ 5000（只对脱贫户） |" in page
    # each rule of assessment.yaml has its row, with its one-sentence summary
    for rule_id in re.findall(r"^  ([A-Z][A-Z0-9-]+):$", (RULES / "assessment.yaml").read_text(encoding="utf-8"),
                              flags=re.M):
        cells = _row(page, rule_id).split(" | ")
        assert cells[2].strip(), f"{rule_id} 没有 summary"


def test_a_changed_number_changes_the_page_through_the_cli(tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    yaml = rules / "assessment.yaml"
    yaml.write_text(yaml.read_text(encoding="utf-8").replace("drop_ratio: 0.30", "drop_ratio: 0.25"),
                    encoding="utf-8")
    lines = rules / "monitoring_line.yaml"
    lines.write_text(lines.read_text(encoding="utf-8").replace("  2021: 9600", "  2021: 9600\n  2022: 9900"),
                     encoding="utf-8")
    done = run_cli("rules-page", "--rules", rules)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"已根据规则文件重新生成规则一览：{rules / 'README.md'}（请打印后由区里审定签字）"
    page = (rules / "README.md").read_text(encoding="utf-8")
    assert "`drop_ratio` = 0.25，" in _row(page, "R-DROP")
    assert "`lines` = 2021 → 9600；2022 → 9900" in _row(page, "R-INCOME")


def test_a_workspace_page_and_a_misspelt_meaning(tmp_path):
    made = run_cli("init", tmp_path / "南雄市", "--code", "440282")
    assert made.returncode == 0, made.stderr
    workflow = tmp_path / "南雄市" / "rules" / "workflow.yaml"
    workflow.write_text(workflow.read_text(encoding="utf-8").replace("notice_min_days: 5 ", "notice_min_days: 7 "),
                        encoding="utf-8")
    # the workspace needs its towns before any command but init; rules-page reads only the rules of a workspace
    done = run_cli("rules-page", "--rules", tmp_path / "南雄市" / "rules")
    assert done.returncode == 0, done.stderr
    page = (tmp_path / "南雄市" / "rules" / "README.md").read_text(encoding="utf-8")
    assert "| `notice_min_days` | 村级公示至少的天数，含首尾两天；不足时报错（“检查”和“处理”结果相同） | 7（" in page

    workflow.write_text(workflow.read_text(encoding="utf-8").replace("meanings:\n  notice_min_days:",
                                                                      "meanings:\n  notice_days:"), encoding="utf-8")
    bad = run_cli("rules-page", "--rules", tmp_path / "南雄市" / "rules")
    assert bad.returncode == 3
    assert "notice_days" in bad.stderr and "不是本项的参数" in bad.stderr


def test_not_a_rules_folder(tmp_path):
    done = run_cli("rules-page", "--rules", tmp_path / "nowhere")
    assert done.returncode == 2
    assert "不是规则文件夹" in done.stderr


def test_docs_blocks_are_what_the_code_gives():
    """docs/domain.md's thresholds come from rules/*.yaml and its state table from workflow.TRANSITIONS."""
    from excel_bridge import workflow
    from excel_bridge.rules_page import render_docs

    docs = (RULES.parent / "docs" / "domain.md").read_text(encoding="utf-8")
    assert docs == render_docs(docs, RULES), "docs/domain.md 的生成部分已过时：运行 python -m excel_bridge.rules_page"
    for (state, action, level), to in workflow.TRANSITIONS.items():
        assert f"| {state} | {action} | {level} | {to} |" in docs
    assert "#### 研判规则（rules/assessment.yaml" in docs
